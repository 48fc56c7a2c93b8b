"""The grading machinery on a small made-up exercise: release, then grade good, bad and broken work.

The fixture is one solution notebook with two answers and two test cells (one with hidden
tests); submissions are made from its released version the way students make them.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from effnet_grading import GradingError, grade, release, release_notebook, write_report
from effnet_grading.__main__ import main
from effnet_grading.release import check_release

HIDDEN = "hidden-check-7f3a"  # a string that appears only inside the hidden tests


def _meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def solution_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Doubling and tripling", metadata=_meta("intro", locked=True)),
        new_code_cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
            metadata=_meta("double", solution=True),
        ),
        new_code_cell(
            "assert double(2) == 4\n"
            "### BEGIN HIDDEN TESTS\n"
            f"assert double(-3) == -6, '{HIDDEN}'\n"
            "### END HIDDEN TESTS",
            metadata=_meta("double_tests", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION",
            metadata=_meta("triple", solution=True),
        ),
        new_code_cell("assert triple(1) == 3", metadata=_meta("triple_tests", grade=True, locked=True, points=1)),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "jupytext": {"formats": "ipynb,py:percent"},
        },
    )


def _write_solutions(folder: Path) -> Path:
    folder.mkdir()
    nb = solution_notebook()
    nbformat.write(nb, str(folder / "01_double.ipynb"))
    jupytext.write(nb, folder / "01_double.py", fmt="py:percent")
    return folder


@pytest.fixture()
def solutions(tmp_path) -> Path:
    return _write_solutions(tmp_path / "solutions")


@pytest.fixture()
def released(solutions, tmp_path) -> Path:
    dest = tmp_path / "exercises"
    release(solutions, dest)
    return dest


def _answer(nb, grade_id, source):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


# --- release -------------------------------------------------------------------------------


def test_release_writes_one_unpaired_notebook_per_exercise(released):
    # No .py twin and no jupytext pairing: a student's JupyterLab shows and saves one file.
    assert sorted(p.name for p in released.iterdir()) == ["01_double.ipynb"]
    notebook = nbformat.read(str(released / "01_double.ipynb"), as_version=4)
    assert "jupytext" not in notebook.metadata
    assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells] == [
        "intro", "double", "double_tests", "triple", "triple_tests"]


def test_release_hides_solutions_and_hidden_tests(released):
    for path in released.iterdir():
        text = path.read_text()
        assert HIDDEN not in text
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert "return 2 * x" not in text
        assert "raise NotImplementedError()" in text
        assert "assert double(2) == 4" in text  # visible tests stay


def test_release_locks_and_checksums_test_cells(released):
    nb = nbformat.read(str(released / "01_double.ipynb"), as_version=4)
    tests = [c for c in nb.cells if c.metadata.nbgrader.get("grade")]
    assert len(tests) == 2
    for cell in tests:
        assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
        assert len(cell.metadata.nbgrader["checksum"]) == 32


def test_release_is_idempotent_and_check_sees_drift(solutions, released):
    assert check_release(solutions, released) == []
    assert release(solutions, released) == []  # nothing changed, nothing rewritten
    path = released / "01_double.ipynb"
    path.write_text(path.read_text().replace("assert triple(1) == 3", "assert True"))
    (released / "99_stale.py").write_text("# left over\n")
    problems = check_release(solutions, released)
    assert any("01_double.ipynb differs" in p for p in problems)
    assert any("99_stale.py" in p and "stale" in p for p in problems)
    assert main(["release", "--check", "--source", str(solutions), "--dest", str(released)]) == 1


def test_release_refuses_unpaired_or_out_of_sync_py(solutions, tmp_path):
    text = solutions / "01_double.py"
    text.write_text(text.read_text().replace("return 3 * x", "return x + x + x"))
    with pytest.raises(GradingError, match="jupytext --sync"):
        release(solutions, tmp_path / "out")
    (solutions / "02_orphan.py").write_text(jupytext.writes(solution_notebook(), fmt="py:percent"))
    with pytest.raises(GradingError, match="no paired .ipynb"):
        release(solutions, tmp_path / "out")


def test_release_refuses_duplicate_grade_ids_and_misplaced_markers():
    nb = solution_notebook()
    nb.cells[3].metadata.nbgrader["grade_id"] = "double"
    with pytest.raises(GradingError, match="used twice"):
        release_notebook(nb)
    nb = solution_notebook()
    nb.cells[0] = new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    with pytest.raises(GradingError, match="ClearSolutions"):
        release_notebook(nb)
    nb = solution_notebook()
    nb.cells[4].metadata.nbgrader["schema_version"] = 1
    with pytest.raises(GradingError, match="schema"):
        release_notebook(nb)


def test_release_leaves_the_solution_untouched():
    nb = solution_notebook()
    before = copy.deepcopy(nb)
    release_notebook(nb)
    assert nb == before


# --- grade ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("course")
    solutions = _write_solutions(root / "solutions")
    release(solutions, root / "exercises")
    return solutions, root / "exercises"


@pytest.fixture(scope="module")
def submissions(course, tmp_path_factory) -> Path:
    """One folder per student, each holding a copy of 01_double.ipynb as that student left it."""
    released = course[1]
    folder = tmp_path_factory.mktemp("submitted")
    stub = nbformat.read(str(released / "01_double.ipynb"), as_version=4)

    def hand_in(student, nb=None, text=None, name="01_double.ipynb"):
        path = folder / student / name
        path.parent.mkdir(parents=True)
        if text is not None:
            path.write_text(text)
        else:
            nbformat.write(nb, str(path))

    def edited(**answers):
        nb = copy.deepcopy(stub)
        for grade_id, source in answers.items():
            _answer(nb, grade_id, source)
        return nb

    hand_in("good", edited(double="def double(x):\n    return x * 2", triple="def triple(x):\n    return x * 3"))
    hand_in("untouched", copy.deepcopy(stub))
    hand_in("visible_only", edited(double="def double(x):\n    return 4", triple="def triple(x):\n    return 3 * x"))
    # Edits one test cell to pass trivially and deletes the other.
    tampered = edited(double="def double(x):\n    return 4", triple="def triple(x):\n    return 0")
    _answer(tampered, "double_tests", "pass")
    tampered.cells = [c for c in tampered.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "triple_tests"]
    hand_in("tampered", tampered)
    # Adds a helper cell of their own and removes the nbgrader metadata of an answer.
    helper = edited(double="def double(x):\n    return twice(x)", triple="def triple(x):\n    return 3 * x")
    helper.cells.insert(1, new_code_cell("def twice(x):\n    return x + x"))
    helper.cells[4].metadata.pop("nbgrader")
    hand_in("helper", helper)
    hand_in("raises", edited(double="raise ValueError('boom')", triple="def triple(x):\n    return 3 * x"))
    hand_in("endless", edited(double="while True:\n    pass", triple="def triple(x):\n    return 3 * x"))
    hand_in(
        "stubborn",
        edited(
            double="import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass",
            triple="def triple(x):\n    return 3 * x",
        ),
    )
    hand_in("exits", edited(double="import os\nos._exit(1)", triple="def triple(x):\n    return 3 * x"))
    hand_in("not_json", text='{"cells": [ oops')
    hand_in("no_cells", text='{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    hand_in("renamed", edited(double="def double(x):\n    return 2 * x", triple="def triple(x):\n    return 3 * x"), name="copy of my work.ipynb")
    # A student who deleted an answer cell altogether.
    missing = edited(double="def double(x):\n    return 2 * x")
    missing.cells = [c for c in missing.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "triple"]
    hand_in("missing_answer", missing)
    # Rewrote the read-only introduction (to hide what the exercise asks, say).
    hand_in("edited_intro", _answer(edited(double="def double(x):\n    return 2 * x"), "intro", "# Nothing to see"))
    return folder


@pytest.fixture(scope="module")
def graded(submissions, course):
    before = _snapshot(submissions)
    results = grade([submissions], course[0], timeout=5.0)
    assert _snapshot(submissions) == before, "grading wrote into the submissions"
    return {r.student: r for r in results}


def _scores(result):
    return {q.grade_id: (q.points, q.status) for q in result.questions}


def test_grading_gives_each_student_what_their_work_earns(graded):
    assert graded["good"].score == graded["good"].max_score == 3
    assert _scores(graded["untouched"]) == {"double_tests": (0, "failed"), "triple_tests": (0, "failed")}
    assert "NotImplementedError" in graded["untouched"].questions[0].message
    # Passing the visible test is not enough: the hidden test fails.
    assert _scores(graded["visible_only"]) == {"double_tests": (0, "failed"), "triple_tests": (1, "passed")}
    assert HIDDEN in graded["visible_only"].questions[0].message
    assert graded["helper"].score == 3
    assert graded["renamed"].score == 3 and graded["renamed"].notebook == "01_double"
    assert _scores(graded["missing_answer"]) == {"double_tests": (2, "passed"), "triple_tests": (0, "failed")}
    assert any("answer cell triple was missing" in p for p in graded["missing_answer"].problems)


def test_tampered_tests_are_graded_with_the_originals(graded):
    result = graded["tampered"]
    assert _scores(result) == {"double_tests": (0, "failed"), "triple_tests": (0, "failed")}
    assert any("double_tests was edited" in p for p in result.problems)
    assert any("triple_tests was missing" in p for p in result.problems)


def test_an_edited_read_only_cell_is_noted_and_graded_as_the_original(graded):
    result = graded["edited_intro"]
    assert any("read-only cell intro was edited; graded with the original" in p for p in result.problems), result.problems
    assert result.executed.cells[0].source == "# Doubling and tripling"


def test_raising_and_endless_notebooks_lose_only_the_broken_part(graded):
    assert _scores(graded["raises"]) == {"double_tests": (0, "failed"), "triple_tests": (1, "passed")}
    # A loop is stopped at the time limit (even one that swallows KeyboardInterrupt), and so is
    # a cell that kills the kernel; the notebook runs again without it and the rest is graded.
    for student, words in (("endless", "limit of 5 s"), ("stubborn", "limit of 5 s"), ("exits", "kernel died")):
        assert _scores(graded[student]) == {"double_tests": (0, "failed"), "triple_tests": (1, "passed")}, student
        assert any(p.startswith("double: ") and words in p for p in graded[student].problems), graded[student].problems


def test_a_test_cell_that_runs_forever_scores_zero_as_a_timeout(course, tmp_path):
    solutions, released = course
    nb = nbformat.read(str(released / "01_double.ipynb"), as_version=4)
    _answer(nb, "double", "import time\ndef double(x):\n    time.sleep(60)")
    _answer(nb, "triple", "def triple(x):\n    return 3 * x")
    (tmp_path / "slow").mkdir()
    nbformat.write(nb, str(tmp_path / "slow" / "01_double.ipynb"))
    [result] = grade([tmp_path / "slow"], solutions, timeout=4.0)
    assert _scores(result) == {"double_tests": (0, "timeout"), "triple_tests": (1, "passed")}


def test_unreadable_notebooks_score_zero_with_a_reason(graded):
    for student, words in (("not_json", "not JSON"), ("no_cells", "no list of cells")):
        result = graded[student]
        assert result.max_score == 3 and result.score == 0
        assert any(words in p for p in result.problems)


def test_report_has_json_csv_summary_and_is_never_overwritten(graded, tmp_path):
    results = list(graded.values())
    first = write_report(results, tmp_path / "report")
    second = write_report(results, tmp_path / "report")
    assert first == tmp_path / "report" and second == tmp_path / "report-2"
    data = json.loads((first / "scores.json").read_text())
    assert data["students"]["good"]["score"] == 3
    with open(first / "scores.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["student"], r["question"], float(r["points"])) for r in rows} >= {
        ("good", "double_tests", 2.0),
        ("good", "triple_tests", 1.0),
        ("untouched", "double_tests", 0.0),
    }
    assert len([r for r in rows if r["student"] == "tampered"]) == 2
    text = (first / "summary.txt").read_text()
    assert "good: 3 / 3 points" in text and "endless" in text
    assert (first / "feedback" / "good" / "01_double.ipynb").exists()


def test_report_refuses_to_go_into_the_submissions(graded, submissions):
    with pytest.raises(GradingError, match="never writes into submissions"):
        write_report(list(graded.values()), submissions / "good" / "report", submissions=[submissions])


def test_command_line_grades_and_says_where_the_report_went(solutions, released, tmp_path, capsys):
    report = tmp_path / "cli-report"
    report.mkdir()
    (report / "old.txt").write_text("an earlier report")
    paths = [str(released / "01_double.ipynb")]
    assert main(["grade", *paths, "--source", str(solutions), "--report", str(report), "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert "written to" in out and "cli-report-2" in out
    assert (report / "old.txt").read_text() == "an earlier report"
    assert json.loads((tmp_path / "cli-report-2" / "scores.json").read_text())["students"]["exercises"]["score"] == 0
    assert main(["grade", str(tmp_path / "nowhere"), "--source", str(solutions)]) == 2
    assert main(["grade", *paths, "--source", str(solutions), "--report", str(report), "--student", "dana"]) == 0
    assert "dana: 0 / 3 points" in capsys.readouterr().out


def test_release_matches_nbgraders_own_generate_assignment(solutions, released, tmp_path):
    course = tmp_path / "course"
    (course / "source" / "ex").mkdir(parents=True)
    (course / "source" / "ex" / "01_double.ipynb").write_bytes((solutions / "01_double.ipynb").read_bytes())
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "test"\nc.CourseDirectory.db_assignments = [dict(name="ex")]\n'
    )
    # nbgrader runs `alembic` by name: let it find the one beside this Python.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "ex", "--force"],
                          cwd=course, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = nbformat.read(str(course / "release" / "ex" / "01_double.ipynb"), as_version=4)
    ours = nbformat.read(str(released / "01_double.ipynb"), as_version=4)
    assert [(c.source, c.metadata) for c in theirs.cells] == [(c.source, c.metadata) for c in ours.cells]


def test_a_jupytext_script_can_be_graded_when_named_explicitly(course, tmp_path):
    solutions, released = course
    nb = nbformat.read(str(released / "01_double.ipynb"), as_version=4)
    _answer(nb, "double", "def double(x):\n    return 2 * x")
    (tmp_path / "carol").mkdir()
    jupytext.write(nb, tmp_path / "carol" / "01_double.py", fmt="py:percent")
    [result] = grade([tmp_path / "carol" / "01_double.py"], solutions, timeout=10)
    assert result.student == "carol"
    assert _scores(result) == {"double_tests": (2, "passed"), "triple_tests": (0, "failed")}


def test_the_grading_package_loads_its_parts_only_when_asked():
    # Hidden tests import effnet_grading.own_work in every student's kernel.
    probe = ("import sys, effnet_grading\n"
             "print(sorted(m for m in ('nbgrader', 'nbclient', 'jupyter_client') if m in sys.modules))\n"
             "import effnet_grading.grade, effnet_grading.release\n"
             "from effnet_grading import grade, release\n"
             "print(callable(grade), callable(release), grade.__module__, release.__module__)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.stdout.split("\n")[:2] == [
        "[]", "True True effnet_grading.grade effnet_grading.release"], done.stderr[-2000:]


def test_another_exercise_saved_under_this_ones_name_is_named_as_such(solutions, tmp_path):
    from tests.test_grading_proof import circle_solution

    nbformat.write(circle_solution(), str(solutions / "02_circle.ipynb"))
    release(solutions, tmp_path / "exercises")
    circle = nbformat.read(str(tmp_path / "exercises" / "02_circle.ipynb"), as_version=4)
    _answer(circle, "area", "def area(r):\n    return math.pi * r * r")
    (tmp_path / "ann").mkdir()
    nbformat.write(circle, str(tmp_path / "ann" / "01_double.ipynb"))  # exercise 2, saved as exercise 1
    [result] = grade([tmp_path / "ann"], solutions, timeout=20)
    assert result.notebook == "02_circle" and result.score == 3, result.questions
    assert any("01_double.ipynb holds exercise 02_circle, not 01_double" in p for p in result.problems), result.problems
    assert any("holds exercise 02_circle" in note for note in result.review)


# A read-only cell that reads a dataset the instructor forgot to pass with --expose.
def _solutions_reading(folder: Path, data: Path) -> Path:
    nb = solution_notebook()
    reader = new_code_cell(f"sizes = len(open({str(data)!r}).read())", metadata=_meta("dataset", locked=True))
    reader["id"] = "reader"
    nb.cells.insert(1, reader)
    folder.mkdir()
    nbformat.write(nb, str(folder / "01_double.ipynb"))
    return folder


def test_a_failing_read_only_cell_is_a_set_up_problem_never_a_zero(tmp_path, capsys):
    data = tmp_path / "dataset" / "sizes.txt"
    data.parent.mkdir()
    data.write_text("1 2 3")
    solutions = _solutions_reading(tmp_path / "solutions", data)
    release(solutions, tmp_path / "exercises")
    nb = nbformat.read(str(tmp_path / "exercises" / "01_double.ipynb"), as_version=4)
    _answer(nb, "double", "def double(x):\n    return 2 * x")
    (tmp_path / "in" / "ann").mkdir(parents=True)
    nbformat.write(nb, str(tmp_path / "in" / "ann" / "01_double.ipynb"))
    report = tmp_path / "report"
    argv = ["grade", str(tmp_path / "in"), "--source", str(solutions), "--timeout", "20"]
    assert main([*argv, "--report", str(report)]) == 3
    err = capsys.readouterr().err
    assert "1 notebook(s) got no score because of a grader set-up problem" in err, err
    summary = (report / "summary.txt").read_text()
    assert "Grader set-up problems" in summary and "cell dataset failed (FileNotFoundError" in summary, summary
    assert "01_double: not scored, a grader set-up problem" in summary
    scores = json.loads((report / "scores.json").read_text())["students"]["ann"]
    assert scores["notebooks"][0]["score"] is None and scores["not_scored"] == ["01_double"]
    with open(report / "scores.csv") as handle:
        assert {(r["points"], r["status"]) for r in csv.DictReader(handle)} == {("", "grader set-up problem")}
    # With the dataset exposed, the same notebook is graded.
    assert main([*argv, "--report", str(tmp_path / "fixed"), "--expose", str(data.parent)]) == 0
    assert json.loads((tmp_path / "fixed" / "scores.json").read_text())["students"]["ann"]["score"] == 2


def test_a_read_only_cell_that_fails_because_of_an_answer_is_the_students(graded):
    """The untouched release fails its read-only cells that call the answers: a zero, not a set-up problem."""
    assert graded["untouched"].setup_problem == "" and graded["untouched"].score == 0


def test_grading_refuses_when_the_kernels_would_import_another_effnet_lib(solutions, released, tmp_path):
    """Started in a folder that holds another copy of the library, the grader would bind one copy into
    the sandbox while its kernels import the other: it refuses, naming both places."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "effnet_lib").mkdir(parents=True)
    (elsewhere / "effnet_lib" / "__init__.py").write_text("")
    done = subprocess.run([sys.executable, "-m", "effnet_grading", "grade", str(released), "--source", str(solutions),
                           "--report", str(tmp_path / "report")], cwd=elsewhere, capture_output=True, text=True,
                          timeout=300)
    installed = Path(__import__("effnet_lib").__file__).resolve().parent
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(elsewhere / "effnet_lib") in done.stderr and str(installed) in done.stderr, done.stderr
    assert not (tmp_path / "report").exists()


@pytest.mark.slow
def test_nbgrader_autograde_warns_of_a_changed_checksum_once_per_test_cell_with_hidden_tests(solutions, released, tmp_path):
    """What an instructor who grades with nbgrader itself sees (README): the gradebook keeps each test
    cell's checksum taken before the hidden tests are removed, so autograde warns for every test cell
    that has hidden tests, untouched or not, and restores it with them. Cells without hidden tests
    (and edits the student did not make) raise no warning."""
    course = tmp_path / "course"
    (course / "source" / "ex").mkdir(parents=True)
    (course / "source" / "ex" / "01_double.ipynb").write_bytes((solutions / "01_double.ipynb").read_bytes())
    (course / "submitted" / "ann" / "ex").mkdir(parents=True)
    (course / "submitted" / "ann" / "ex" / "01_double.ipynb").write_bytes((released / "01_double.ipynb").read_bytes())
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "test"\nc.CourseDirectory.db_assignments = [dict(name="ex")]\n'
        'c.CourseDirectory.db_students = [dict(id="ann")]\n'
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    logs = ""
    for command in ("generate_assignment", "autograde"):
        done = subprocess.run([sys.executable, "-m", "nbgrader", command, "ex", "--force"],
                              cwd=course, capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        logs += done.stdout + done.stderr
    warned = re.findall(r"Attribute 'checksum' for cell (\S+) has changed", logs)
    assert warned == ["double_tests"], logs[-3000:]


def test_a_course_cell_is_the_students_only_when_it_uses_an_answer_from_above():
    """A failing cell of the course counts as the student's only when it uses a name that an answer
    above it bound (directly or through course cells between): a test further down that rebinds the
    names it uses does not make a failing set-up cell the student's."""
    from types import SimpleNamespace

    import importlib
    from effnet_grading.cells import is_test
    grade_module = importlib.import_module("effnet_grading.grade")

    def cell(source, **nbgrader):
        made = nbformat.v4.new_code_cell(source)
        if nbgrader:
            made.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
        return made

    notebook = nbformat.v4.new_notebook(cells=[
        cell("values = load(path)", grade=False, grade_id="setup", locked=True, solution=False),
        cell("def double(x):\n    return 2 * x", grade=False, grade_id="double", locked=False, solution=True),
        cell("path = double(1)\nassert path == 2", grade=True, grade_id="t", locked=True, points=1, solution=False),
        cell("total = double(values)", grade=False, grade_id="uses", locked=True, solution=False),
    ])
    assert is_test(notebook.cells[2])
    failed = lambda *indices: SimpleNamespace(passed={i: False for i in indices})
    assert grade_module._broken_course_cell(notebook, {1}, failed(0)) == 0     # set-up, above every answer
    assert grade_module._broken_course_cell(notebook, {1}, failed(3)) is None  # uses the answer: the student's
