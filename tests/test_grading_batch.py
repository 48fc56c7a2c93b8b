"""A batch of submissions as students really hand them in: every file accounted for, no grade
lost or counted twice, and bad options refused before anything runs."""

from __future__ import annotations

import copy
import csv
import json
import shutil

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from effnet_grading import Isolation, grade_batch, release, write_report
from effnet_grading.__main__ import main
from effnet_grading.grade import NotebookResult
from effnet_grading.sandbox import sandbox_problem
from effnet_grading.submissions import folder_names
from tests.test_grading import _answer, _write_solutions

CORRECT = {"double": "def double(x):\n    return 2 * x", "triple": "def triple(x):\n    return 3 * x"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    solutions = _write_solutions(root / "solutions")
    release(solutions, root / "exercises")
    return root, solutions, nbformat.read(str(root / "exercises" / "01_double.ipynb"), as_version=4)


def _notebook(stub, **answers):
    nb = copy.deepcopy(stub)
    for grade_id, source in answers.items():
        _answer(nb, grade_id, source)
    return nb


def _write(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def _without(nb, grade_id):
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    del nb.cells[index]
    return nb, index


@pytest.fixture(scope="module")
def batch(course):
    root, solutions, stub = course
    folder = root / "submitted"
    right = _notebook(stub, **CORRECT)
    wrong = _notebook(stub, double="def double(x):\n    return 4", triple=CORRECT["triple"])
    _write(folder / "alice" / "01_double.ipynb", right)
    _write(folder / "alice" / "01_double-Copy1.ipynb", right)  # the same work again: must not count twice
    _write(folder / "alice" / ".ipynb_checkpoints" / "01_double-checkpoint.ipynb", right)
    (folder / "alice" / "notes.txt").write_text("my notes")
    (folder / "alice" / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "bob").mkdir()
    jupytext.write(right, folder / "bob" / "01_double.py", fmt="py:percent")  # a notebook saved as .py
    _write(folder / "carol" / "01_double.ipynb", right)
    jupytext.write(right, folder / "carol" / "01_double.py", fmt="py:percent")  # its jupytext twin
    (folder / "carol" / "py").mkdir()
    jupytext.write(right, folder / "carol" / "py" / "01_double.py", fmt="py:percent")  # the course's layout
    _write(folder / "Zoë" / "01_double.ipynb", right)
    _write(folder / "Zoe" / "01_double.ipynb", wrong)
    # Deleted the answer cell and wrote the answer in a new cell where it was.
    replaced, at = _without(_notebook(stub, **CORRECT), "triple")
    replaced.cells.insert(at, new_code_cell("def triple(x):\n    return x + x + x"))
    _write(folder / "dan" / "01_double.ipynb", replaced)
    # Deleted the answer cell and wrote the answer at the very end, after the tests.
    moved, _ = _without(_notebook(stub, **CORRECT), "triple")
    moved.cells.append(new_code_cell("def triple(x):\n    return 3 * x"))
    _write(folder / "erin" / "01_double.ipynb", moved)
    return grade_batch([folder], solutions, timeout=20, jobs=2), folder


def _by(batch, student):
    return [r for r in batch.results if r.student == student]


def test_every_file_handed_in_is_graded_or_listed_with_a_reason(batch):
    result, folder = batch
    graded = {str(r.path) for r in result.results}
    skipped = {str(s.path): s.reason for s in result.skipped}
    every_file = {str(p) for p in folder.rglob("*") if p.is_file()}
    assert graded | set(skipped) == every_file and not graded & set(skipped)
    assert "checkpoint" in skipped[str(folder / "alice" / ".ipynb_checkpoints" / "01_double-checkpoint.ipynb")]
    assert "not a notebook" in skipped[str(folder / "alice" / "notes.txt")]
    assert "grade it by hand" in skipped[str(folder / "alice" / "helper.py")]
    assert "twin of 01_double.ipynb" in skipped[str(folder / "carol" / "01_double.py")]
    assert "twin of 01_double.ipynb" in skipped[str(folder / "carol" / "py" / "01_double.py")]
    assert _by(result, "bob")[0].score == 3  # a notebook handed in as a .py is graded


def test_a_copy_of_an_exercise_is_flagged_and_not_counted(batch, tmp_path):
    result, folder = batch
    copies = {r.path.rsplit("/", 1)[-1]: r for r in _by(result, "alice")}
    assert copies["01_double.ipynb"].counted and not copies["01_double-Copy1.ipynb"].counted
    assert all(any("2 files for exercise 01_double" in note for note in r.review) for r in copies.values())
    report = write_report(result.results, tmp_path / "report", skipped=result.skipped)
    scores = json.loads((report / "scores.json").read_text())["students"]
    assert scores["alice"]["score"] == 3 and scores["alice"]["max_score"] == 3
    assert scores["alice"]["needs_review"] is True
    assert {item["file"] for item in scores["alice"]["not_graded"]} >= {str(folder / "alice" / "notes.txt")}
    summary = (report / "summary.txt").read_text()
    assert "alice: 3 / 3 points" in summary and "(not counted)" in summary and "Needs review" in summary
    with open(report / "scores.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["status"] == "not graded" and r["file"].endswith("notes.txt") for r in rows)
    assert sum(float(r["points"]) for r in rows if r["student"] == "alice") == 3


def test_names_that_differ_only_by_accents_get_their_own_feedback(batch, tmp_path):
    result, _ = batch
    assert _by(result, "Zoë")[0].score == 3 and _by(result, "Zoe")[0].score == 1
    report = write_report(result.results, tmp_path / "report")
    folders = folder_names(["Zoë", "Zoe"])
    assert folders["Zoë"] != folders["Zoe"] and all(name.isascii() for name in folders.values())
    for student in ("Zoë", "Zoe"):
        assert (report / "feedback" / folders[student] / "01_double.ipynb").exists()
    assert folder_names(["alice"]) == {"alice": "alice"}  # no collision, no hash


def test_an_answer_written_in_a_new_cell_where_the_answer_was_is_graded(batch):
    result, _ = batch
    [dan] = _by(result, "dan")
    assert dan.score == 3, dan.questions
    assert any("cells you added in its place were graded as the answer" in p for p in dan.problems)


def test_an_answer_moved_elsewhere_is_flagged_not_silently_zero(batch):
    result, _ = batch
    [erin] = _by(result, "erin")
    assert {q.grade_id: q.points for q in erin.questions} == {"double_tests": 2, "triple_tests": 0}
    assert any("defines triple: check by hand" in note for note in erin.review), erin.review


def test_the_report_is_written_whole_or_not_at_all(tmp_path):
    good = NotebookResult("ann", "01_double", "ann/01_double.ipynb")
    (tmp_path / "empty").mkdir()
    assert write_report([good], tmp_path / "empty") == tmp_path / "empty"  # an empty folder is free
    broken = NotebookResult("ben", "01_double", "ben/01_double.ipynb", executed="not a notebook")
    with pytest.raises(Exception):
        write_report([good, broken], tmp_path / "report")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no report, no partial folder


@pytest.mark.parametrize("arguments, words", [
    (["{root}/nowhere"], "submission path {root}/nowhere does not exist"),
    (["{submitted}", "--exercise", "99_nope"], "no exercise named 99_nope"),
    (["{submitted}", "--report", "{root}/a-file"], "is a file, not a folder"),
    (["{submitted}", "--jobs", "0"], "jobs must be a whole number of 1 or more, got 0"),
    (["{submitted}", "--timeout", "-1"], "time limit per cell must be a positive number of seconds, got -1"),
    (["{submitted}", "--memory", "0"], "--memory must be a positive number of GiB"),
    (["{submitted}", "--source", "{root}/no-solutions"], "solutions folder {root}/no-solutions does not exist"),
    (["{submitted}", "--secret-file", "{root}/no-secret"], "--secret-file {root}/no-secret could not be read"),
])
def test_bad_input_is_one_clear_line_before_anything_is_graded(course, capsys, arguments, words):
    root, solutions, stub = course
    submitted = root / "one"
    if not submitted.exists():
        _write(submitted / "ann" / "01_double.ipynb", stub)
        (root / "a-file").write_text("not a folder")
    fill = {"root": root, "submitted": submitted}
    argv = ["grade", *(a.format(**fill) for a in arguments)]
    if "--source" not in argv:
        argv += ["--source", str(solutions)]
    assert main(argv + ["--report", str(root / "never")] if "--report" not in argv else argv) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("error: ") and words.format(**fill) in err, err
    assert "grading " not in out and not (root / "never").exists()


def test_without_bubblewrap_grading_refuses_and_says_how_to_go_on(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    problem = sandbox_problem.__wrapped__()
    assert "apt-get install bubblewrap" in problem and "--unsafe-no-sandbox" in problem


def test_unsafe_mode_warns_and_the_report_says_so(course, tmp_path, capsys):
    root, solutions, stub = course
    _write(tmp_path / "ann" / "01_double.ipynb", _notebook(stub, **CORRECT))
    report = tmp_path / "report"
    assert main(["grade", str(tmp_path / "ann"), "--source", str(solutions), "--report", str(report),
                 "--unsafe-no-sandbox", "--timeout", "20"]) == 0
    assert "WARNING: --unsafe-no-sandbox" in capsys.readouterr().err
    assert "Sandbox: NONE" in (report / "summary.txt").read_text()
    assert json.loads((report / "scores.json").read_text())["students"]["ann"]["score"] == 3
    assert Isolation(confine=False).confine is False


SEEDED_TEST = (
    "import os, random\n"
    "x = random.Random(os.environ.get('EFFNET_GRADING_SECRET', 'public')).randrange(10 ** 6)\n"
    "assert triple(x) == 3 * x"
)


@pytest.mark.parametrize("confine", [True, False], ids=["sandboxed", "unsafe"])
def test_a_grading_secret_changes_the_hidden_values_a_public_solution_shows(tmp_path, confine):
    solutions = _write_solutions(tmp_path / "solutions")
    nb = nbformat.read(str(solutions / "01_double.ipynb"), as_version=4)
    _answer(nb, "triple_tests", f"assert triple(1) == 3\n### BEGIN HIDDEN TESTS\n{SEEDED_TEST}\n### END HIDDEN TESTS")
    nbformat.write(nb, str(solutions / "01_double.ipynb"))
    jupytext.write(nb, solutions / "01_double.py", fmt="py:percent")
    release(solutions, tmp_path / "exercises")
    stub = nbformat.read(str(tmp_path / "exercises" / "01_double.ipynb"), as_version=4)
    # Answers only the values the public solution's hidden test uses.
    public = __import__("random").Random("public").randrange(10 ** 6)
    _write(tmp_path / "in" / "copier" / "01_double.ipynb", _notebook(
        stub, double=CORRECT["double"], triple=f"def triple(x):\n    return {{1: 3, {public}: {3 * public}}}[x]"))
    _write(tmp_path / "in" / "honest" / "01_double.ipynb", _notebook(stub, **CORRECT))
    scores = {}
    for secret in ("", "spring term, exercise sheet 1"):
        batch = grade_batch([tmp_path / "in"], solutions, timeout=20, isolation=Isolation(confine=confine, secret=secret))
        scores[secret] = {r.student: r.score for r in batch.results}
    assert scores[""] == {"copier": 3, "honest": 3}
    assert scores["spring term, exercise sheet 1"] == {"copier": 2, "honest": 3}


def test_reaching_for_the_guard_or_the_secret_is_flagged_for_a_look_by_hand():
    from nbformat.v4 import new_notebook

    from effnet_grading.scan import suspicious
    nb = new_notebook(cells=[
        new_code_cell("import os\nkey = os.environ['EFFNET_GRADING_SECRET']"),
        new_code_cell("from effnet_grading import own_work\nown_work.switched_off = None"),
        new_code_cell("def area(r):\n    return 3.14159 * r * r")])
    notes = suspicious(nb, {0, 1, 2}, label=lambda i: f"cell {i}")
    assert any(n.startswith("cell 0") and "EFFNET_GRADING_SECRET" in n for n in notes)
    assert any(n.startswith("cell 1") and "own_work" in n for n in notes)
    assert not any(n.startswith("cell 2") for n in notes)


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_each_kernel_gets_the_cores_its_job_can_have(jobs, monkeypatch):
    import os

    from effnet_grading.__main__ import _isolation, _parser
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    args = _parser().parse_args(["grade", "somewhere", "--jobs", str(jobs)])
    assert _isolation(args).limits.threads == 4 // jobs


def test_links_are_never_followed_and_each_is_flagged_with_every_file_and_folder_listed(course, tmp_path):
    """A link to the solutions (or to a classmate's notebook) must not be graded as the student's
    work; every link, file and empty folder handed in appears in the report."""
    root, solutions, stub = course
    folder = tmp_path / "submitted"
    _write(folder / "alice" / "01_double.ipynb", _notebook(stub, double="def double(x):\n    return 4", triple=CORRECT["triple"]))
    (folder / "alice" / "answers").symlink_to(solutions, target_is_directory=True)        # a folder link
    (folder / "bob").mkdir()
    (folder / "bob" / "01_double.ipynb").symlink_to(solutions / "01_double.ipynb")        # the solution itself
    (folder / "carol" / "empty").mkdir(parents=True)                                       # an empty folder
    (folder / "dan").symlink_to(root / "exercises", target_is_directory=True)             # a whole student
    batch = grade_batch([folder], solutions, timeout=20)
    assert [(r.student, r.score) for r in batch.results] == [("alice", 1)]
    skipped = {str(s.path.relative_to(folder)): s for s in batch.skipped}
    assert set(skipped) == {"alice/answers", "bob/01_double.ipynb", "carol/empty", "dan"}, skipped
    for link in ("alice/answers", "bob/01_double.ipynb", "dan"):
        assert skipped[link].review and "symbolic link" in skipped[link].reason and "never followed" in skipped[link].reason
    assert skipped["carol/empty"].reason == "an empty folder" and skipped["carol/empty"].student == "carol"
    assert skipped["dan"].student == "dan"
    report = write_report(batch.results, tmp_path / "report", skipped=batch.skipped)
    scores = json.loads((report / "scores.json").read_text())["students"]
    assert scores["bob"]["needs_review"] and scores["bob"]["score"] == 0 and scores["dan"]["needs_review"]
    summary = (report / "summary.txt").read_text()
    assert "Needs review" in summary and str(folder / "bob" / "01_double.ipynb") in summary
