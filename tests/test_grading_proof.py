"""Tampering with the kernel is caught: the grader proves its tests ran as written, or says why not.

The exercise: a locked cell imports ``math`` and ``isclose``, a locked helper checks an answer,
the student writes ``area(r)``. Each cheat below hands in a *wrong* (or no) answer plus one cell
that would, without the proof, turn the tests green, most of them written by a student who has read
the grader (its requests, its record, its guard), some with every name disguised. Every cheat must
score zero and be marked "needs review" with a reason that names what was done; attacks on IPython
alone must change nothing; honest work must stay unflagged.
"""

from __future__ import annotations

import copy

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from effnet_grading import grade, release
from effnet_grading.proof import references

WRONG = "def area(r):\n    return 3 * r"


def _meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def circle_solution() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# The area of a circle", metadata=_meta("intro", locked=True)),
        new_code_cell("import math\nimport statistics\nfrom math import isclose", metadata=_meta("imports", locked=True)),
        new_code_cell(
            "def check_area(f):\n    assert isclose(f(1), math.pi)\n    assert isclose(f(2), 4 * math.pi)",
            metadata=_meta("helper", locked=True),
        ),
        new_code_cell(
            "def area(r):\n    ### BEGIN SOLUTION\n    return math.pi * r ** 2\n    ### END SOLUTION",
            metadata=_meta("area", solution=True),
        ),
        new_code_cell(
            "check_area(area)\n"
            "assert math.isclose(area(3), 9 * math.pi)\n"
            "assert statistics.fmean([area(1), area(3)]) == 5 * math.pi\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert abs(area(0.5) - math.pi / 4) < 1e-9\n"
            "### END HIDDEN TESTS",
            metadata=_meta("area_tests", grade=True, locked=True, points=2),
        ),
        new_code_cell("assert area(0) == 0", metadata=_meta("zero_test", grade=True, locked=True, points=1)),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "jupytext": {"formats": "ipynb,py:percent"},
    })


# Each cheat: the answer, and the cell added right after the locked helper. Most are written by a
# student who has read the grader (kernel.py): they aim at its requests, its record and its guard.
def _pipe_fds(action: str) -> str:
    """Cell code applying *action* (``os.close(n)``, ...) to the kernel's record pipe, found by name."""
    return ("import os\n"
            "for n in range(3, 256):\n"
            "    try:\n"
            "        if 'record' in os.readlink(f'/proc/self/fd/{n}'):\n"
            f"            {action}\n"
            "    except OSError:\n"
            "        pass")


# The runner is on the stack only while it fingerprints what the tests use; an object standing in
# for one of those names runs then, finds the runner's frame and makes a function of its code (to
# call it with records of its own choosing).
STEAL_RUNNER = (
    "import sys, types\n"
    "class Sneaky:\n"
    "    def __getattr__(self, name):\n"
    "        frame = sys._getframe()\n"
    "        while frame is not None and frame.f_code.co_name != 'runner':\n"
    "            frame = frame.f_back\n"
    "        if frame is not None:\n"
    "            try:\n"
    "                cells = tuple(types.CellType(None) for _ in frame.f_code.co_freevars)\n"
    "                types.FunctionType(frame.f_code, {}, 'runner', None, cells)\n"
    "            except Exception:\n"
    "                pass\n"
    "        return getattr(__import__('math'), name)\n"
    "math = Sneaky()"
)

CHEATS = {
    # IPython rewrites the grader's requests, so they never reach the kernel's runner.
    "input_transformer": (WRONG, "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"),
    "ast_transformer": (
        WRONG,
        "import ast\n"
        "class Nothing(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        return ast.Module(body=[ast.Pass()], type_ignores=[])\n"
        "get_ipython().ast_transformers.append(Nothing())",
    ),
    "patch_ipython": (
        WRONG,
        "ip = get_ipython()\n"
        "run = ip.run_cell\n"
        "def quiet(raw_cell, *args, **kwargs):\n"
        "    return run('pass' if 'grading' in raw_cell else raw_cell, *args, **kwargs)\n"
        "ip.run_cell = quiet\n"
        "original = ip.run_cell_async\n"
        "async def quiet_async(raw_cell, *args, **kwargs):\n"
        "    return await original('pass' if 'grading' in raw_cell else raw_cell, *args, **kwargs)\n"
        "ip.run_cell_async = quiet_async",
    ),
    # The attack, aimed at this grader: a transformer that lets the grader's first and last
    # cells through and answers every request with a forged record of a passed test.
    "forging_transformer": (
        WRONG,
        "import re\n"
        "def forge(lines):\n"
        "    found = re.search(r'effnet_grading.run\", (\\d+)', ''.join(lines))\n"
        "    if not found:\n"
        "        return lines\n"
        "    return [f'__import__(\"sys\").audit(\"effnet_grading.record\", \"done\", {found.group(1)}, 1, ())\\n']\n"
        "get_ipython().input_transformers_post.append(forge)",
    ),
    # The same kind of rewrite with every name disguised: no word the scan knows is in the source.
    "disguised_transformer": (
        WRONG,
        "shell = getattr(vars(__builtins__) if isinstance(__builtins__, dict) else __builtins__, 'get_' + 'ipy' + 'thon')\n"
        "getattr(shell(), 'input_transformers' + '_post').append(\n"
        "    lambda lines: ['pass\\n'] if any('grad' + 'ing' in line for line in lines) else lines)",
    ),
    "tracer": (WRONG, "trace = getattr(__import__('s' + 'ys'), 'set' + 'trace')\ntrace(lambda frame, event, arg: None)"),
    "rebind_helper": (WRONG, "def check_area(f):\n    return None\nisclose = lambda a, b: True"),
    "patch_library": (WRONG, "math.isclose = lambda a, b: True"),
    "shadow_builtin": ("def area(r):\n    return 3 * r if r else 0\nabs = lambda x: 0", "pass"),
    "replace_builtin": (WRONG, "import builtins\nbuiltins.abs = lambda x: 0"),
    # Placed above the course's imports, it patches a module before the course imports it.
    "patch_before_import": (WRONG, "import statistics\nstatistics.fmean = lambda values: 5 * math.pi"),
    "patch_guard": (WRONG, "from effnet_grading import own_work\nown_work.switched_off.__enter__ = lambda self: self"),
    # At the record itself: write into its pipe, close it, or reach the key in memory.
    "write_record": (WRONG, _pipe_fds("os.write(n, b'7\\tdone\\t4\\t1\\t\\t' + b'0' * 64 + b'\\n')")),
    "close_record": (WRONG, _pipe_fds("os.close(n)")),
    "reach_objects": (WRONG, "everything = __import__('gc').get_objects()"),
    "read_memory": (WRONG, "memory = open('/proc/self/mem', 'rb')"),
    "steal_runner": (WRONG, STEAL_RUNNER),
    # Hides a failing test's error from the kernel's reply: the record shows it never got to its end.
    "hide_failures": (
        WRONG,
        "ip = get_ipython()\n"
        "def hide(result):\n"
        "    result.error_in_exec = None\n"
        "ip.events.register('post_run_cell', hide)\n"
        "ip.set_custom_exc((AssertionError,), lambda *args, **kwargs: None)",
    ),
}
# Attacks on IPython's own cells alone: the grader's requests carry no assert to strip.
HARMLESS = {
    "strip_asserts": (
        WRONG,
        "def strip(lines):\n"
        "    return [l if 'assert' not in l else l[:len(l) - len(l.lstrip())] + 'pass\\n' for l in lines]\n"
        "get_ipython().input_transformers_post.append(strip)",
    ),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("circle")
    (root / "solutions").mkdir()
    nb = circle_solution()
    nbformat.write(nb, str(root / "solutions" / "02_circle.ipynb"))
    jupytext.write(nb, root / "solutions" / "02_circle.py", fmt="py:percent")
    release(root / "solutions", root / "exercises")
    return root


def _hand_in(folder, student, answer, added=None, extra=(), at_end=()):
    stub = nbformat.read(str(folder.parent / "exercises" / "02_circle.ipynb"), as_version=4)
    nb = copy.deepcopy(stub)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "area":
            cell.source = answer
    after = "intro" if student == "patch_before_import" else "helper"
    position = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
    for offset, source in enumerate([added, *extra] if added else list(extra)):
        nb.cells.insert(position + 1 + offset, new_code_cell(source))
    nb.cells += [new_code_cell(source) for source in at_end]
    (folder / student).mkdir(parents=True)
    nbformat.write(nb, str(folder / student / "02_circle.ipynb"))


@pytest.fixture(scope="module")
def graded(course):
    folder = course / "submitted"
    for student, (answer, added) in {**CHEATS, **HARMLESS}.items():
        _hand_in(folder, student, answer, added)
    _hand_in(folder, "honest", "def area(r):\n    return math.pi * r * r")
    # Honest work that a careless proof would flag: its own imports and helpers, a name it
    # redefines, a local variable called like a builtin, output of its own, an error it catches,
    # extensions and plots that register IPython callbacks of their own.
    _hand_in(folder, "honest_busy", "def area(r):\n    abs = math.pi\n    return square(r) * abs",
             extra=["import numpy as np\nimport math\nfrom math import isclose\nprint('trying things')",
                    "%load_ext autoreload\n%autoreload 2",
                    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
                    "def square(x):\n    return x * x",
                    "def square(x):\n    try:\n        assert x >= 0\n    except AssertionError:\n        pass\n    return x ** 2"])
    _hand_in(folder, "wrong", WRONG)
    results = grade([folder], course / "solutions", timeout=20, jobs=2)
    return {r.student: r for r in results}


def _scores(result):
    return {q.grade_id: (q.points, q.status) for q in result.questions}


def test_references_are_what_the_tests_use_from_locked_cells():
    found = references(circle_solution())
    names = {(kind, root, tuple(attributes)) for kind, root, attributes in found.items}
    assert {("name", "check_area", ()), ("name", "isclose", ()), ("name", "math", ("isclose",)),
            ("module", "math", ("isclose",)), ("builtin", "abs", ())} <= names
    assert not any(root == "area" for _, root, _ in found.items)  # the student's to define
    assert "isclose" in found.imported and "check_area" not in found.imported


def test_honest_work_scores_full_marks_without_review(graded):
    for student in ("honest", "honest_busy"):
        assert graded[student].score == 3, (student, graded[student].questions, graded[student].review)
        assert graded[student].review == [], graded[student].review


def test_a_wrong_answer_just_fails(graded):
    assert _scores(graded["wrong"]) == {"area_tests": (0, "failed"), "zero_test": (1, "passed")}
    assert graded["wrong"].review == []


@pytest.mark.parametrize("cheat, evidence", [
    ("input_transformer", "did not run as the grader sent it"),
    ("ast_transformer", "did not run as the grader sent it"),
    ("patch_ipython", "did not run as the grader sent it"),
    ("forging_transformer", "sent the grader a record that its runner did not write"),
    ("disguised_transformer", "did not run as the grader sent it"),
    ("tracer", "called sys.settrace"),
    ("rebind_helper", "rebound check_area"),
    ("patch_library", "rebound math.isclose"),
    ("shadow_builtin", "defined abs"),
    ("replace_builtin", "changed Python's builtins"),
    ("patch_before_import", "replaced statistics.fmean, which the tests import, with code defined in the notebook"),
    ("patch_guard", "changed the grader's guard"),
    ("write_record", "something other than the grader wrote into its record"),
    ("close_record", "stops before the end of the run"),
    ("reach_objects", "garbage collector"),
    ("read_memory", "memory file"),
    ("steal_runner", "made a function from the grader's own code"),
    ("hide_failures", "reported success, but its code did not run to its end"),
])
def test_tampering_scores_zero_and_needs_review(graded, cheat, evidence):
    result = graded[cheat]
    assert result.score == 0, (cheat, result.questions)
    assert {q.status for q in result.questions} == {"needs review"}, (cheat, result.questions)
    assert any(evidence in reason for reason in result.review), (cheat, result.review)


@pytest.mark.parametrize("attack", sorted(HARMLESS))
def test_attacks_on_ipython_alone_change_nothing_the_grader_runs(graded, attack):
    """A transformer that rewrites asserts never sees a course cell's code."""
    assert _scores(graded[attack]) == {"area_tests": (0, "failed"), "zero_test": (1, "passed")}


def test_the_kernels_hooks_look_up_no_name_a_notebook_could_rebind():
    """Everything the runner and the reporter call is bound when they are made (kernel.py): a
    notebook that rebinds a builtin or a name of the module cannot reach into them."""
    import dis

    from effnet_grading import kernel

    def global_lookups(code):
        found = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        for constant in code.co_consts:
            if isinstance(constant, type(code)):
                found |= global_lookups(constant)
        return found

    for factory in (kernel._make_reporter, kernel._fingerprinter, kernel._make_runner):
        inner = [c for c in factory.__code__.co_consts if isinstance(c, type(factory.__code__))]
        assert inner and not set().union(*map(global_lookups, inner)), factory.__name__


def test_the_feedback_shows_the_tests_without_the_graders_cells(graded):
    executed = graded["honest"].executed
    assert not any(c.metadata.get("effnet_grading") for c in executed.cells)
    test = next(c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "area_tests")
    assert test.source == circle_solution().cells[4].source and test.outputs == [], test.outputs
    assert "jupytext" not in executed.metadata  # a feedback notebook is not paired with a .py twin
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == list(range(1, 6))


def test_suspicious_calls_are_flagged_for_a_look_by_hand(graded):
    notes = " ".join(graded["input_transformer"].review)
    assert "uses get_ipython" in notes and "check by hand" in notes
    assert any("assigns math.isclose" in note for note in graded["patch_library"].review)


def test_making_the_grader_give_up_on_the_kernel_does_not_skip_the_proof(course):
    """Cells that run past the limit after the tests make the grader give up on the kernel;
    the tests that ran before must still be proven."""
    folder = course / "give_up"
    _hand_in(folder, "give_up", WRONG, CHEATS["tracer"][1], at_end=["while True:\n    pass"] * 4)
    [result] = grade([folder], course / "solutions", timeout=3)
    assert any("timed out or killed the kernel" in p for p in result.problems), result.problems
    assert result.score == 0 and {q.status for q in result.questions} == {"needs review"}, result.questions


def test_a_builtin_method_the_tests_use_keeps_its_fingerprint_though_each_access_makes_a_new_one():
    """``cases.append`` or ``rng.random`` is a new object at every access (so its id may change
    between two looks); what it is bound to and its name are what the tests rely on."""
    import builtins
    import random

    from effnet_grading import kernel

    references = [("name", "cases", ("append",)), ("name", "rng", ("random",))]
    facts = kernel._fingerprinter(references, "no-guard-module", builtins, ("/nowhere",))
    namespace = {"cases": [], "rng": random.Random(0)}
    before = facts(namespace)
    held = [namespace["cases"].append, namespace["rng"].random]   # keep the first objects alive: new ids after
    assert facts(namespace) == before and held
    namespace["rng"].random = lambda: 0.5                         # the student's own random
    assert facts(namespace) != before
