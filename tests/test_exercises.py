"""The course's exercises: solutions/ is the source, exercises/ its release, and both grade right.

Every solution scores full marks; every untouched exercise scores zero and raises
NotImplementedError where the student writes; no solution or hidden test reaches exercises/;
exercises/ is exactly what `python -m effnet_lib.grading release` makes of solutions/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from effnet_lib.grading import grade
from effnet_lib.grading.cells import grade_id, is_marked, is_solution, is_test, points
from effnet_lib.grading.release import check_release

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))


def _regions(source: str, begin: str, end: str, inside_wanted: bool = True) -> list[str]:
    """The lines between each `begin` and `end` marker line of a cell (or, if not
    `inside_wanted`, the lines outside them)."""
    lines, inside, found = source.splitlines(), False, []
    for line in lines:
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


def test_there_are_at_least_seven_exercises_with_points_on_every_test():
    assert len(SOLUTION_FILES) >= 7
    for path in SOLUTION_FILES:
        nb = nbformat.read(path, as_version=4)
        tests = [c for c in nb.cells if is_test(c)]
        assert len(tests) >= 2, f"{path.name} needs graded test cells"
        assert all(points(c) > 0 for c in tests), path.name
        assert any("BEGIN HIDDEN TESTS" in c.source for c in tests), f"{path.name} has no hidden tests"
        ids = [grade_id(c) for c in nb.cells if is_marked(c)]
        assert len(ids) == len(set(ids)), f"{path.name} repeats a grade_id"
        # Every code cell is tracked, so grading can tell the student's additions from the source.
        unmarked = [c.source[:40] for c in nb.cells if c.cell_type == "code" and not is_marked(c)]
        assert not unmarked, f"{path.name} has code cells without nbgrader metadata: {unmarked}"
        assert all(c.metadata["nbgrader"]["schema_version"] == 3 for c in nb.cells if "nbgrader" in c.metadata)


def test_exercises_are_exactly_a_fresh_release_of_the_solutions():
    problems = check_release(SOLUTIONS, EXERCISES)
    assert not problems, "\n".join(problems) + "\nrun `python -m effnet_lib.grading release`"


def test_release_check_runs_from_the_command_line():
    done = subprocess.run([sys.executable, "-m", "effnet_lib.grading", "release", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_solution_or_hidden_test_reaches_the_exercises():
    everything = "\n".join(p.read_text() for p in EXERCISES.iterdir() if p.is_file())
    for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
        assert marker not in everything, f"exercises/ contains {marker}"
    for path in SOLUTION_FILES:
        nb = nbformat.read(path, as_version=4)
        student = nbformat.read(EXERCISES / path.name, as_version=4)
        released = {line.strip() for c in student.cells for line in c.source.splitlines()}
        released |= {line.strip() for line in (EXERCISES / path.with_suffix(".py").name).read_text().splitlines()}
        visible = {line for c in nb.cells for line in _visible(c.source)}
        for cell in nb.cells:
            for begin, end in (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"), ("BEGIN SOLUTION", "END SOLUTION")):
                secret = _regions(cell.source, begin, end)
                # A line the student is shown elsewhere in the same notebook is not a secret.
                for line in secret:
                    if len(line) >= 12 and line not in visible:
                        assert line not in released, f"{path.name}, {grade_id(cell)}: {line!r} leaked"


def test_exercises_are_jupytext_pairs_with_locked_tests():
    for path in sorted(EXERCISES.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        twin = jupytext.read(path.with_suffix(".py"))
        assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in twin.cells]
        for cell in nb.cells:
            if is_test(cell):
                assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            if is_solution(cell) and cell.cell_type == "code":
                assert "raise NotImplementedError()" in cell.source, f"{path.name}: {grade_id(cell)}"


@pytest.fixture(scope="module")
def solutions_graded():
    return grade([SOLUTIONS], SOLUTIONS, timeout=120, jobs=2)


@pytest.fixture(scope="module")
def exercises_graded():
    return grade([EXERCISES], SOLUTIONS, timeout=120, jobs=2)


@pytest.mark.slow
@pytest.mark.notebook
def test_every_solution_scores_full_marks(solutions_graded):
    assert len(solutions_graded) == len(SOLUTION_FILES)
    for result in solutions_graded:
        failed = [(q.grade_id, q.message) for q in result.questions if q.status != "passed"]
        assert not failed and result.score == result.max_score > 0, (result.notebook, failed, result.problems)
        assert not result.problems, (result.notebook, result.problems)


@pytest.mark.slow
@pytest.mark.notebook
def test_every_untouched_exercise_scores_zero_and_raises_not_implemented(exercises_graded):
    assert len(exercises_graded) == len(SOLUTION_FILES)
    for result in exercises_graded:
        assert result.max_score > 0 and result.score == 0, (result.notebook, result.questions)
        assert all(q.status == "failed" for q in result.questions), result.notebook
        cells = result.executed.cells
        for index, cell in enumerate(cells):
            if not (is_solution(cell) and cell.cell_type == "code"):
                continue
            # The stub raises when run (code at top level) or when the next test calls it.
            next_test = next(c for c in cells[index + 1:] if is_test(c))
            errors = [o.get("ename") for c in (cell, next_test) for o in c.outputs if o.output_type == "error"]
            assert "NotImplementedError" in errors, (result.notebook, grade_id(cell), errors)
