"""The course's exercises: solutions/ is the source, exercises/ its release, and both grade right.

Every exercise is graded three ways: the solution scores full marks on every autograded question;
the untouched release scores zero, each answer raising NotImplementedError; and a submission whose
answers only call the library's own implementation (built below from the solution, one delegating
answer per answer cell that has a library counterpart) scores zero on those questions, failed by
the hidden tests' switch (`effnet_grading.own_work.switched_off`), not by accident. No solution,
hidden test or rubric reaches exercises/, which is exactly what `python -m effnet_grading
release` makes of solutions/. Each exercise names the course notebook it belongs to, the same one
the README's table gives.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from effnet_grading import Isolation, Limits, grade, release_notebook
from effnet_grading.cells import grade_id, is_grade, is_marked, is_solution, is_test, points, read_notebook
from effnet_grading.own_work import NotOwnWork, hidden_random, library, switched_off
from effnet_grading.release import check_release

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))

# Each exercise and the course notebook it goes with (README's table says the same).
COURSE_NOTEBOOK = {
    "01_rounding": 1, "02_multiply_adds": 2, "03_compound_scaling": 3, "04_squeeze_excite": 4, "05_mbconv": 4,
    "06_grid_search": 3, "07_class_activation_map": 6, "08_matched_flops": 5, "09_width_interaction": 5,
    "10_scaling_other_convnets": 7, "11_latency_and_choice": 8, "12_search_objective": 3,
    "13_after_efficientnet": 9,
}

# Answers that only call the library (or the package the exercise is checked against): one per answer
# cell that has such a counterpart, by grade_id. The hidden tests must fail every one of them.
DELEGATING = {
    "01_rounding": {
        "my_round_filters": "from effnet_lib import round_filters as captured\n\n\n"
                            "def my_round_filters(channels, width, divisor=8):\n"
                            "    return captured(channels, width, divisor)\n",
        "my_round_repeats": "import importlib\n\nimport effnet_lib.rules.rounding as rounding\n\n\n"
                            "def my_round_repeats(repeats, depth):\n"
                            "    return importlib.reload(rounding).round_repeats(repeats, depth)\n",
        "scaled_stages": "import effnet_lib as en\n\n\n"
                         "def scaled_stages(width, depth):\n"
                         "    return [(s.channels, s.repeats) for s in en.scale(B0, depth=depth, width=width).stages]\n",
    },
    "02_multiply_adds": {
        "conv_multiply_adds": "def conv_multiply_adds(in_channels, out_channels, kernel, out_size, groups=1):\n"
                              "    layer = nn.Conv2d(in_channels, out_channels, kernel, groups=groups, bias=False)\n"
                              "    size = out_size + kernel - 1\n"
                              "    return counted_multiply_adds(layer, torch.zeros(1, in_channels, size, size))\n",
        "depthwise_and_se": "from effnet_lib.rules.blocks import conv_cost\n\n\n"
                            "def depthwise_multiply_adds(channels, kernel, out_size):\n"
                            "    return conv_cost(channels, channels, kernel, out_size, groups=channels)[1]\n\n\n"
                            "def squeeze_excite_multiply_adds(channels, squeeze_channels):\n"
                            "    return 2 * conv_cost(channels, squeeze_channels, 1, 1)[1]\n",
        "block_multiply_adds": "from effnet_lib.rules.blocks import block_kind\n\n\n"
                               "def block_multiply_adds(block):\n"
                               "    return block_kind(block.kind).cost(block)[1]\n",
        "flops_ratio": "def flops_ratio(depth, width, resolution):\n"
                       "    return en.multiply_adds_growth(depth, width, resolution)\n",
    },
    "03_compound_scaling": {
        "rule": "def my_compound(phi, alpha=1.2, beta=1.1, gamma=1.15):\n"
                "    return tuple(compound(phi, alpha, beta, gamma))\n\n\n"
                "def growth(alpha, beta, gamma):\n"
                "    return multiply_adds_growth(alpha, beta, gamma)\n",
        "largest_phi": "def largest_phi(budget, precision=0.01):\n"
                       "    return phi_for_budget(budget, precision=precision)\n",
    },
    "04_squeeze_excite": {
        "squeeze_channels": "def squeeze_channels(in_channels, se_ratio=0.25):\n"
                            "    return next(blocks(B0.with_(stem_channels=in_channels, se_ratio=se_ratio))).se_channels\n",
        "module": "class SqueezeExcitation(en.SqueezeExcite):\n"
                  "    def __init__(self, channels, squeeze_channels):\n"
                  "        super().__init__(channels, squeeze_channels)\n",
        "se_parameters": "def se_parameters(channels, squeeze_channels):\n"
                         "    return sum(p.numel() for p in en.SqueezeExcite(channels, squeeze_channels).parameters())\n",
    },
    "05_mbconv": {
        "mbconv": "class MyMBConv(nn.Module):\n"
                  "    def __init__(self, in_channels, out_channels, expand_ratio, kernel, stride, se_ratio=0.25):\n"
                  "        super().__init__()\n"
                  "        block = en.Block('mbconv', in_channels, out_channels, in_channels * expand_ratio,\n"
                  "                         max(1, int(in_channels * se_ratio)), kernel, stride, in_size=8, drop_rate=0.0)\n"
                  "        self.inner = en.MBConv(block, B0)\n\n"
                  "    def forward(self, x):\n"
                  "        return self.inner(x)\n",
    },
    "06_grid_search": {
        "candidates": "def candidates(step=0.05, upper=2.0, target=2.0, tolerance=0.1):\n"
                      "    return [tuple(c) for c in constrained_grid(step, upper, target, tolerance)]\n",
        "grid_search": "def grid_search(accuracy, max_ratio=None, **grid):\n"
                       "    fitting = [tuple(c) for c in constrained_grid(**grid)\n"
                       "               if max_ratio is None or real_ratio(*c) <= max_ratio]\n"
                       "    return max(fitting, key=lambda c: (accuracy(scale(B0, *c)), -real_ratio(*c)), default=None)\n",
    },
    "07_class_activation_map": {
        "class_activation_map": "class FeatureGridCAM(GradCAM):\n"
                                "    def get_target_width_height(self, input_tensor):\n"
                                "        return None   # the package's map, left on the head's grid\n\n\n"
                                "def class_activation_map(model, image, target):\n"
                                "    with FeatureGridCAM(model=model, target_layers=[model.head]) as cam:\n"
                                "        return cam(input_tensor=image, targets=[ClassifierOutputTarget(target)])[0]\n",
    },
    "08_matched_flops": {
        "nearest": "from effnet_lib.rules import matching\n\n\n"
                   "def nearest(base, strategy, target):\n"
                   "    budget = target * cost(base, num_classes=CLASSES).multiply_adds\n"
                   "    return matching.nearest(base, strategy, budget, num_classes=CLASSES).network\n",
        "rivals": "from effnet_lib.rules import matching\n\n\n"
                  "def rivals(base, phi):\n"
                  "    d, w, r = compound(phi)\n"
                  "    model = scale(base, d, w, round(base.image_size * r) / base.image_size)\n"
                  "    madds = cost(model, num_classes=CLASSES).multiply_adds\n"
                  "    return {'compound': model, **{s: matching.nearest(base, s, madds, num_classes=CLASSES).network\n"
                  "                                  for s in ('depth', 'width', 'resolution')}}\n",
    },
    "09_width_interaction": {
        "over_seeds": "from effnet_lib.results.analysis import NetworkSummary\n\n\n"
                      "def over_seeds(runs, depth, width, resolution):\n"
                      "    found = [r for r in runs if same(r['depth'], depth) and same(r['width'], width)\n"
                      "             and same(r['resolution'], resolution)]\n"
                      "    if not found:\n"
                      "        return None\n"
                      "    s = NetworkSummary('grid', '', None, depth, width, resolution, 0, found[0]['multiply_adds'], 0, 0.0,\n"
                      "                       tuple(r['seed'] for r in found), tuple(r['accuracy'] for r in found), 0.0)\n"
                      "    return dict(mean=s.mean, low=s.low, high=s.high, seeds=s.n, multiply_adds=s.multiply_adds)\n",
    },
    "10_scaling_other_convnets": {
        "scale_network": "def scale_network(spec, depth=1.0, width=1.0, resolution=1.0):\n"
                         "    return scale(spec, depth, width, resolution)\n",
        "table3_flops": "def table3_flops(row):\n"
                        "    return cost(scale(network(row.network), row.depth, row.width, row.resolution)).multiply_adds / 1e9\n",
    },
    "11_latency_and_choice": {
        "time_forward": "from effnet_lib.learn import latency\n\n\n"
                        "def time_forward(model, image, runs=20, warmup=3):\n"
                        "    return latency.measure(model, image_size=image.shape[-1], runs=runs, warmup=warmup).times\n",
        "summary": "from effnet_lib.learn.latency import Latency\n\n\n"
                   "def summary(times):\n"
                   "    measured = Latency(name='answer', image_size=1, batch_size=1, device='cpu', threads=1,\n"
                   "                       warmup=0, times=list(times))\n"
                   "    return measured.mean, measured.std\n\n\n"
                   "def speedup(slow_times, fast_times):\n"
                   "    return summary(slow_times)[0] / summary(fast_times)[0]\n",
    },
    "12_search_objective": {
        "objective": "from effnet_lib.rules import search\n\n\n"
                     "def objective(accuracy, flops, target=TARGET, w=W):\n"
                     "    return search.objective(accuracy, flops, target, w)\n",
        "preferred_and_break_even": "from effnet_lib.rules import search\n\n\n"
                                    "def preferred(models, target=TARGET, w=W):\n"
                                    "    candidates = {n: search.Candidate(*m) for n, m in models.items()}\n"
                                    "    return search.preferred(candidates, target, w)\n\n\n"
                                    "def break_even_w(cheaper, dearer):\n"
                                    "    return search.break_even_w(search.Candidate(*cheaper), search.Candidate(*dearer))\n",
    },
    "13_after_efficientnet": {
        "fused_cost": "def fused_mbconv_cost(in_channels, out_channels, expand_ratio, kernel, stride, in_size):\n"
                      "    block = en.Block('fused_mbconv', in_channels, out_channels, int(in_channels * expand_ratio), 0,\n"
                      "                     kernel, stride, in_size, 0.0)\n"
                      "    return block_kind('fused_mbconv').cost(block)\n",
        "fast": "from effnet_lib.rules.scaling import fast\n\n\n"
                "def fast_multipliers(flops_ratio, width_share=0.8):\n"
                "    return tuple(fast(flops_ratio, width_share))\n",
        "activations": "from effnet_lib.rules import memory\n\n\n"
                       "def activation_count(spec):\n"
                       "    return memory.activations(spec).total\n",
        "apparent": "from effnet_lib.rules import fixres\n\n\n"
                    "def apparent_size_ratio(train_size, test_size, crop_fraction=0.875, scale=(0.08, 1.0)):\n"
                    "    return fixres.apparent_size_ratio(train_size, test_size, crop_fraction, scale)\n",
    },
}


def _regions(source: str, begin: str, end: str, inside_wanted: bool = True) -> list[str]:
    """The lines between each `begin` and `end` marker line of a cell (or, if not
    `inside_wanted`, the lines outside them)."""
    inside, found = False, []
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside == inside_wanted:
            found.append(line.strip())
    return found


def _visible(source: str) -> list[str]:
    """The lines of a cell that a student is meant to see."""
    outside = "\n".join(_regions(source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", inside_wanted=False))
    return _regions(outside, "BEGIN SOLUTION", "END SOLUTION", inside_wanted=False)


def _secret_lines(cell) -> list[str]:
    """What the release must remove from a cell: hidden tests, solutions, and the whole of a
    written answer (a markdown answer cell: model answer and rubric)."""
    if is_solution(cell) and cell.cell_type == "markdown":
        return [line.strip() for line in cell.source.splitlines()]
    return [line for begin, end in (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"), ("BEGIN SOLUTION", "END SOLUTION"))
            for line in _regions(cell.source, begin, end)]


def _solution_answer(cell) -> str:
    """A solution cell's code as a student would hand it in (the markers dropped)."""
    return "\n".join(line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)


def delegating_submission(solution, answers: dict[str, str]):
    """The released notebook, answered: each cell of `answers` (by grade_id) with its delegating
    code, every other answer cell with the solution's own code."""
    nb = release_notebook(solution)
    own = {grade_id(c): _solution_answer(c) for c in solution.cells if is_solution(c)}
    for cell in nb.cells:
        if is_solution(cell) and cell.cell_type == "code":
            cell.source = answers.get(grade_id(cell), own[grade_id(cell)])
    return nb


def _answers_before(nb) -> dict[str, list[str]]:
    """For each autograded test cell, the answer cells it checks: those since the previous test."""
    found, pending = {}, []
    for cell in nb.cells:
        if is_solution(cell) and cell.cell_type == "code":
            pending.append(grade_id(cell))
        elif is_test(cell):
            found[grade_id(cell)], pending = pending, []
    return found


# --------------------------------------------------------------------------- the exercise notebooks

def test_twelve_exercises_each_with_autograded_and_hand_graded_questions():
    assert [p.stem for p in SOLUTION_FILES] == sorted(COURSE_NOTEBOOK)
    for path in SOLUTION_FILES:
        nb = read_notebook(path)
        tests = [c for c in nb.cells if is_test(c)]
        assert len(tests) >= 2, f"{path.name} needs graded test cells"
        assert all(points(c) > 0 for c in tests), path.name
        assert all("BEGIN HIDDEN TESTS" in c.source for c in tests), f"{path.name}: a test cell without hidden tests"
        written = [c for c in nb.cells if is_grade(c) and is_solution(c) and c.cell_type == "markdown"]
        assert written, f"{path.name} has no question graded by hand (a markdown answer cell with points)"
        assert all(points(c) > 0 and "**Rubric" in c.source and "**Model answer" in c.source for c in written), \
            f"{path.name}: every written answer carries a model answer and a rubric with points"
        ids = [grade_id(c) for c in nb.cells if is_marked(c)]
        assert len(ids) == len(set(ids)), f"{path.name} repeats a grade_id"
        # Every code cell is tracked, so grading can tell the student's additions from the source.
        unmarked = [c.source[:40] for c in nb.cells if c.cell_type == "code" and not is_marked(c)]
        assert not unmarked, f"{path.name} has code cells without nbgrader metadata: {unmarked}"
        assert all(c.metadata["nbgrader"]["schema_version"] == 3 for c in nb.cells if "nbgrader" in c.metadata)


def test_every_exercise_names_the_course_notebook_it_belongs_to():
    readme = (ROOT / "README.md").read_text()
    for path in SOLUTION_FILES:
        number = COURSE_NOTEBOOK[path.stem]
        course = sorted((ROOT / "notebooks").glob(f"{number:02d}_*.ipynb"))
        assert len(course) == 1, f"no course notebook {number:02d}"
        intro = read_notebook(path).cells[0].source
        assert f"*Goes with course notebook {number}," in intro, f"{path.name} should name notebook {number}"
        row = re.search(rf"^\| `{path.stem}` \|.*\| (\d+) \|$", readme, re.MULTILINE)
        assert row and int(row.group(1)) == number, f"README's table of exercises disagrees on {path.stem}"


def test_every_hidden_test_runs_the_answer_with_the_library_switched_off():
    for path in SOLUTION_FILES:
        for cell in read_notebook(path).cells:
            if is_test(cell):
                hidden = "\n".join(_regions(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
                assert "with switched_off(" in hidden, f"{path.name}, {grade_id(cell)}"


def _hidden_references(source: str) -> tuple[set[str], set[str]]:
    """(modules and module attributes the hidden tests import, dotted names they switch off or take
    from the library with `switched_off(...)` / `library(...)`), read from a test cell's hidden part."""
    import ast
    import textwrap

    hidden = source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
    tree = ast.parse(textwrap.dedent(hidden))
    imported, named = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {f"{node.module}:{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("switched_off", "library"):
            named |= {arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return imported, named


def test_every_library_name_the_hidden_tests_use_exists():
    """Moving or renaming a library function must fail here, in seconds, not as silent zeros when a
    class is graded: every import of a hidden test resolves, and every name it switches off or takes
    with `library()` is the library's own code."""
    missing = []
    for path in SOLUTION_FILES:
        for cell in read_notebook(path).cells:
            if not is_test(cell):
                continue
            imported, named = _hidden_references(cell.source)
            assert named, f"{path.name}, {grade_id(cell)}: a hidden test that switches nothing off"
            for reference in sorted(imported):
                module, _, attribute = reference.partition(":")
                try:
                    loaded = importlib.import_module(module)
                    if attribute:
                        getattr(loaded, attribute)
                except (ImportError, AttributeError) as error:
                    missing.append(f"{path.name}, {grade_id(cell)}: imports {reference} ({error})")
            for name in sorted(named):
                try:
                    library(name)
                except (NotOwnWork, AttributeError) as error:
                    missing.append(f"{path.name}, {grade_id(cell)}: names {name} ({error})")
    assert not missing, "\n".join(missing)


def test_exercises_are_exactly_a_fresh_release_of_the_solutions():
    problems = check_release(SOLUTIONS, EXERCISES)
    assert not problems, "\n".join(problems) + "\nrun `python -m effnet_grading release`"


def test_release_check_runs_from_the_command_line():
    done = subprocess.run([sys.executable, "-m", "effnet_grading", "release", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_solution_hidden_test_or_rubric_reaches_the_exercises():
    everything = "\n".join(p.read_text() for p in EXERCISES.rglob("*") if p.is_file())
    for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION", "Rubric", "own_work"):
        assert marker not in everything, f"exercises/ contains {marker}"
    for path in SOLUTION_FILES:
        nb = read_notebook(path)
        released = {line.strip() for c in read_notebook(EXERCISES / path.name).cells for line in c.source.splitlines()}
        visible = {line for c in nb.cells if not (is_solution(c) and c.cell_type == "markdown") for line in _visible(c.source)}
        for cell in nb.cells:
            for line in _secret_lines(cell):
                # A line the student is shown elsewhere in the same notebook is not a secret.
                if len(line) >= 12 and line not in visible:
                    assert line not in released, f"{path.name}, {grade_id(cell)}: {line!r} leaked"


def test_exercises_are_single_notebooks_with_locked_tests_and_stubs():
    """One file per exercise in a student's browser, unpaired (so saving writes no copy beside it)."""
    assert sorted(p.name for p in EXERCISES.iterdir()) == [p.name for p in SOLUTION_FILES]
    for path in sorted(EXERCISES.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert "jupytext" not in nb.metadata, f"{path.name} would be paired with a .py copy"
        for cell in nb.cells:
            if is_test(cell):
                assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            if is_solution(cell) and cell.cell_type == "code":
                assert "raise NotImplementedError()" in cell.source, f"{path.name}: {grade_id(cell)}"
            if is_solution(cell) and cell.cell_type == "markdown":
                assert cell.source == "YOUR ANSWER HERE", f"{path.name}: {grade_id(cell)}"


def test_the_released_exercises_need_no_grading_tools():
    """Students run exercises with the `course` extra: no nbgrader, no grading package."""
    for path in sorted(EXERCISES.glob("*.ipynb")):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "nbgrader" not in code and "effnet_grading" not in code, path.name


def test_exercise_6_states_the_real_cost_range_the_library_computes():
    """The rubric of exercise 6 says the candidates of the paper's grid really cost 2.3-3.3x B0."""
    import effnet_lib as en

    base = en.cost(en.B0).multiply_adds
    ratios = [en.cost(en.scale(en.B0, *c)).multiply_adds / base for c in en.constrained_grid()]
    assert (round(min(ratios), 1), round(max(ratios), 1)) == (2.3, 3.3)
    assert "2.3 to 3.3 times" in read_notebook(SOLUTIONS / "06_grid_search.ipynb").cells[-1].source


# --------------------------------------------------------------------------- the switch itself

def test_switched_off_refuses_every_route_to_the_library_and_restores_it():
    rounding = importlib.import_module("effnet_lib.rules.rounding")
    from effnet_lib import round_filters as captured

    copied = types.FunctionType(captured.__code__, captured.__globals__, "copied", captured.__defaults__)
    started_before = ThreadPoolExecutor(1)
    started_before.submit(int).result()

    def reloaded():
        return importlib.reload(rounding).round_filters(16, 1.2)

    def in_a_new_thread():
        box = []

        def work():
            try:
                box.append(rounding.round_filters(16, 1.2))
            except AssertionError:   # refused in the thread; the guard remembers it
                pass

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return box

    routes = {
        "a reference taken before": lambda: captured(16, 1.2),
        "the module's attribute": lambda: rounding.round_filters(16, 1.2),
        "a copy of its code": lambda: copied(16, 1.2),
        "a thread started before": lambda: started_before.submit(captured, 16, 1.2).result(),
        "a new process": lambda: subprocess.run([sys.executable, "-c", "print(24)"], capture_output=True),
        "a reloaded module": reloaded,
        "a new thread": in_a_new_thread,
    }
    try:
        for route, call in routes.items():
            with pytest.raises(AssertionError, match="switched off|starting a process"):
                with switched_off("effnet_lib.rules.rounding"):
                    call()
                pytest.fail(f"{route} reached the library")
    finally:
        started_before.shutdown()
        importlib.reload(rounding)
    assert captured(16, 1.2) == 24 and rounding.round_filters(16, 1.2) == 24
    assert sys.gettrace() is None and threading.gettrace() is None


def test_a_caught_refusal_still_fails_and_own_work_passes():
    from effnet_lib import round_filters

    def swallowing():
        try:
            return round_filters(16, 1.2)
        except AssertionError:
            return 24

    def own(channels, width):
        exact = channels * width
        rounded = max(8, int(exact + 4) // 8 * 8)
        return rounded + 8 if rounded < 0.9 * exact else rounded

    with pytest.raises(NotOwnWork, match="the error was caught"):
        with switched_off("effnet_lib.rules.rounding"):
            swallowing()
    with switched_off("effnet_lib.rules.rounding"):
        assert own(16, 1.2) == 24


def test_switched_off_covers_classes_their_subclasses_and_wrapped_instances():
    import torch

    from effnet_lib.model.layers import SqueezeExcite

    class Subclass(SqueezeExcite):
        pass

    made_before = SqueezeExcite(8, 2)
    x = torch.rand(1, 8, 3, 3)
    for use in (lambda: Subclass(8, 2), lambda: made_before(x), lambda: torch.nn.Sequential(made_before)(x)):
        with pytest.raises(AssertionError, match="SqueezeExcite.* is switched off"):
            with switched_off("effnet_lib.model.layers.SqueezeExcite"):
                use()
    assert made_before(x).shape == x.shape


def test_library_refuses_a_reference_the_notebook_replaced(monkeypatch):
    rounding = importlib.import_module("effnet_lib.rules.rounding")
    assert library("effnet_lib.rules.rounding.round_filters") is rounding.round_filters

    def fake(channels, width=1.0, divisor=8):
        return 0

    fake.__module__ = "__main__"
    monkeypatch.setattr(rounding, "round_filters", fake)
    with pytest.raises(NotOwnWork, match="not the library's own code"):
        library("effnet_lib.rules.rounding.round_filters")


def test_hidden_cases_follow_the_grading_secret(monkeypatch):
    from effnet_grading import sandbox
    from effnet_grading.own_work import SECRET_VARIABLE

    assert SECRET_VARIABLE == sandbox.SECRET_VARIABLE
    monkeypatch.setenv(SECRET_VARIABLE, "instructor's secret")
    same = [hidden_random("test_x").random() for _ in range(2)]
    assert same[0] == same[1] != hidden_random("test_y").random()
    monkeypatch.delenv(SECRET_VARIABLE)
    assert hidden_random("test_x").random() != hidden_random("test_x").random()


# --------------------------------------------------------------------------- graded three ways

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every exercise handed in by three students: the solution, the untouched release, and answers
    that call the library. One grading run, one kernel thread each (two kernels share two cores)."""
    root = tmp_path_factory.mktemp("submitted")
    for path in SOLUTION_FILES:
        solution = read_notebook(path)
        handed_in = {"solution": solution, "untouched": release_notebook(solution)}
        if path.stem in DELEGATING:
            handed_in["delegating"] = delegating_submission(solution, DELEGATING[path.stem])
        for student, nb in handed_in.items():
            (root / student).mkdir(exist_ok=True)
            nbformat.write(nb, root / student / path.name)
    results = grade([root], SOLUTIONS, timeout=300, jobs=2, isolation=Isolation(limits=Limits(threads=1)))
    return {(r.student, r.notebook): r for r in results}


@pytest.mark.slow
@pytest.mark.notebook
def test_every_solution_scores_full_marks(graded):
    for path in SOLUTION_FILES:
        result = graded["solution", path.stem]
        auto = [q for q in result.questions if q.status != "manual"]
        failed = [(q.grade_id, q.message) for q in auto if q.status != "passed"]
        assert not failed and result.score == sum(q.max_points for q in auto) > 0, (path.stem, failed, result.problems)
        assert not result.problems and not result.review, (path.stem, result.problems, result.review)
        manual = [q.grade_id for q in result.questions if q.status == "manual"]
        assert manual, f"{path.stem}: the written answers are left to the instructor"


@pytest.mark.slow
@pytest.mark.notebook
def test_every_untouched_exercise_scores_zero_and_raises_not_implemented(graded):
    for path in SOLUTION_FILES:
        result = graded["untouched", path.stem]
        assert result.max_score > 0 and result.score == 0, (path.stem, result.questions)
        assert all(q.status in ("failed", "manual") for q in result.questions), path.stem
        cells = result.executed.cells
        for index, cell in enumerate(cells):
            if not (is_solution(cell) and cell.cell_type == "code"):
                continue
            # The stub raises when run (code at top level) or when the next test calls it.
            next_test = next(c for c in cells[index + 1:] if is_test(c))
            errors = [o.get("ename") for c in (cell, next_test) for o in c.outputs if o.output_type == "error"]
            assert "NotImplementedError" in errors, (path.stem, grade_id(cell), errors)


@pytest.mark.slow
@pytest.mark.notebook
def test_answers_that_only_call_the_library_score_zero(graded):
    assert set(DELEGATING) == set(COURSE_NOTEBOOK)
    for name, answers in DELEGATING.items():
        result = graded["delegating", name]
        checks = _answers_before(read_notebook(SOLUTIONS / f"{name}.ipynb"))
        assert set(answers) <= {a for checked in checks.values() for a in checked}, name
        for question in result.questions:
            delegated = set(checks.get(question.grade_id, ())) & set(answers)
            if question.status != "manual" and delegated:
                # Failed by the switch, not by broken code (the visible checks run first, unswitched).
                assert question.points == 0 and "switched off" in question.message, (name, question)
