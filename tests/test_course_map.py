"""The course as a student opens it: each notebook links its exercises (the ones README's course table
names), states its CPU time as the benchmark measured it, and notebook 0 lists them all; notebook 0's
set-up check gives one line per check."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from effnet_lib.face import course, run_times, setup_check

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMES = ROOT / "benchmarks" / "notebook_times.json"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
# Notebooks whose owners have not yet linked their exercises or stamped their times: strict, so an entry
# must go once they have.
LINKS_AWAITED: set[str] = set()
TIMES_AWAITED: set[str] = set()


def readme_exercises() -> dict[str, tuple[str, ...]]:
    """{notebook: exercise file names} from README's course table."""
    text = (ROOT / "README.md").read_text()
    start = text.index("| notebook | what you do there | exercise |")
    table = {}
    for line in text[start:].split("\n\n")[0].splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        table[cells[0].strip("`")] = tuple(f"{name}.ipynb" for name in re.findall(r"`(\w+)`", cells[-1]))
    return table


def _awaited(names, awaited):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="its owner has not done it yet"))
            if n in awaited else n for n in names]


@pytest.mark.parametrize("name", _awaited(NAMES, LINKS_AWAITED))
def test_each_notebook_links_the_exercises_readme_names(name):
    entry = course.notebook_entry(NOTEBOOKS / f"{name}.ipynb")
    assert entry.exercises == readme_exercises()[name]
    for exercise in entry.exercises:
        assert (ROOT / "exercises" / exercise).is_file(), f"{name} links {exercise}, which exercises/ lacks"


def test_links_are_read_only_from_the_exercises_paragraph(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 9. A title\n\nSee [exercise 04](../exercises/04_squeeze_excite.ipynb) later."),
        nbformat.v4.new_markdown_cell("**Answers:** [here](../solutions/answers/09_x.md)\n\n"
                                      "**Exercises:** [one](../exercises/01_rounding.ipynb) and\n"
                                      "[two](../exercises/02_multiply_adds.ipynb)."),
    ])
    nbformat.write(notebook, tmp_path / "09_x.ipynb")
    entry = course.notebook_entry(tmp_path / "09_x.ipynb")
    assert entry == course.NotebookEntry(tmp_path / "09_x.ipynb", "9. A title",
                                         ("01_rounding.ipynb", "02_multiply_adds.ipynb"), "09_x.md")


# --------------------------------------------------------------------------- run times

def test_the_benchmark_keeps_each_notebooks_latest_idle_and_busy_run():
    run = run_times.Run("03_x", 9.0, 700, 2, 0.3, "2026-12-01")
    later_busy = run._replace(seconds=30.0, load=4.0, date="2026-12-02")
    kept = run_times.merged([run, run._replace(seconds=20.0, load=3.0)], [later_busy])
    assert kept == [run, later_busy]
    times = run_times.latest(kept)["03_x"]
    assert times.line() == "**CPU time:** 9 s on an idle 2-core CPU, 30 s on a busy one (load average 4.0)."
    assert run_times.NotebookTime("03_x", None, later_busy).statement() == \
        "30 s on a busy 2-core CPU (load average 4.0) (no idle run measured yet)."


def test_a_run_time_file_that_is_not_one_is_refused_in_words(tmp_path):
    with pytest.raises(FileNotFoundError, match="--record"):
        run_times.read_times(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps({"runs": [{"notebook": "x"}]}))
    with pytest.raises(ValueError, match="not the benchmark's run-time file"):
        run_times.read_times(tmp_path / "bad.json")


@pytest.mark.parametrize("name", _awaited(NAMES, TIMES_AWAITED))
def test_each_notebook_states_the_time_the_benchmark_measured(name):
    times = run_times.read_times(TIMES)
    assert name in times, f"{name} has no run in {TIMES.name}: python benchmarks/memory_per_notebook.py --record --stamp"
    want = times[name].line()
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    stated = [run_times.stated_line(c.source) for c in notebook.cells if c.cell_type == "markdown"]
    assert want in stated, f"{name}.ipynb states {[s for s in stated if s]}, the file says {want!r}"
    twin = NOTEBOOKS / "py" / f"{name}.py"
    assert run_times.stated_line(twin.read_text()) == want


def test_notebook_0_lists_every_notebook_with_its_exercises_and_measured_time():
    notebook = nbformat.read(NOTEBOOKS / "00_start_here.ipynb", as_version=4)
    shown = "\n".join(output.get("data", {}).get("text/markdown", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.get("outputs", []))
    want = course.course_table(course.notebook_entries(NOTEBOOKS), run_times.read_times(TIMES))
    assert want in shown, "notebook 0's table is stale: run notebook 0 again (after the timing run)"


# --------------------------------------------------------------------------- notebook 0's set-up check

def test_the_set_up_check_gives_one_line_per_check():
    lines = setup_check.check_packages()
    assert len(lines) == 2 + len(setup_check.GROUPS)
    assert lines[1].startswith("effnet-lib ")
    assert lines[2].startswith("the library's packages: all ") and lines[2].endswith(" installed")


def test_a_missing_package_is_named_with_the_command_that_installs_it(monkeypatch):
    monkeypatch.setattr(setup_check, "installed", lambda package: package != "torch")
    line = setup_check.package_groups()[0].line()
    assert "MISSING torch" in line and "make lab" in line
    with pytest.raises(Exception):
        setup_check.requirements(None, "no-such-distribution-here")
    assert "NOT INSTALLED" in setup_check.check_packages("no-such-distribution-here")[1]
