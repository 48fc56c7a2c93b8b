"""Every notebook is a jupytext pair: the .ipynb a student opens and a py:percent twin to review in git.

The two must say the same thing. A pair drifts when one side is edited outside JupyterLab (or with
jupytext not installed); then `jupytext --sync FILE` brings the older side up to date.
"""
from __future__ import annotations

from pathlib import Path

import jupytext
from jupytext.paired_paths import paired_paths
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each folder's pairing: the course and the solutions keep their py:percent twins in a sub-folder, so a
# file browser shows each notebook once; exercises/ (generated) has no twins at all.
FOLDERS = {"notebooks": "ipynb,py//py:percent", "solutions": "ipynb,py//py:percent"}


def _notebooks() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))


def _percent_scripts() -> list[Path]:
    """The .py files in the notebook folders that are jupytext notebooks (they carry its header)."""
    scripts = (p for folder in FOLDERS for p in [*(ROOT / folder).glob("*.py"), *(ROOT / folder).glob("py/*.py")])
    return sorted(p for p in scripts if "jupytext:" in p.read_text()[:2000])


def _twin(notebook: Path) -> Path:
    """Where the notebook's folder keeps its py:percent twin (jupytext's own rule for the pairing)."""
    paths = paired_paths(str(notebook), "ipynb", FOLDERS[notebook.parent.name])
    return Path(next(path for path, fmt in paths if fmt["extension"] == ".py"))


def _notebook_of(script: Path) -> Path:
    folder = script.parent.parent if script.parent.name == "py" else script.parent
    paths = paired_paths(str(script), "py:percent", FOLDERS[folder.name])
    return Path(next(path for path, fmt in paths if fmt["extension"] == ".ipynb"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _cells(path: Path) -> list[tuple]:
    """What a reader sees of each cell (type and source) and the grading metadata nbgrader needs."""
    notebook = jupytext.read(path)
    return [(cell.cell_type, cell.source.strip(), cell.metadata.get("nbgrader")) for cell in notebook.cells]


def test_the_course_has_a_start_notebook():
    assert (ROOT / "notebooks" / "00_start_here.ipynb").is_file()


@pytest.mark.parametrize("notebook", _notebooks(), ids=_id)
def test_notebook_has_a_percent_twin_with_the_same_cells(notebook):
    twin = _twin(notebook)
    assert twin.is_file(), (f"{_id(notebook)} has no py:percent twin; make one with "
                            f"`jupytext --set-formats {FOLDERS[notebook.parent.name]} {_id(notebook)}`")
    assert jupytext.read(twin).metadata.get("jupytext", {}).get("text_representation", {}).get(
        "format_name") == "percent", f"{_id(twin)} is not in the py:percent format"
    ipynb_cells, py_cells = _cells(notebook), _cells(twin)
    for index, (a, b) in enumerate(zip(ipynb_cells, py_cells)):
        assert a == b, (f"cell {index} differs between {_id(notebook)} and {_id(twin)}; "
                        f"run `jupytext --sync {_id(twin)}` after checking which side is newer")
    assert len(ipynb_cells) == len(py_cells), (
        f"{_id(notebook)} has {len(ipynb_cells)} cells, {_id(twin)} {len(py_cells)}; run `jupytext --sync`")


@pytest.mark.parametrize("notebook", _notebooks(), ids=_id)
def test_notebook_declares_its_pairing_so_jupyterlab_keeps_it(notebook):
    formats = jupytext.read(notebook).metadata.get("jupytext", {}).get("formats", "")
    wanted = FOLDERS[notebook.parent.name]
    assert formats == wanted, (f"{_id(notebook)} pairs as {formats!r}; want {wanted!r} "
                               f"(`jupytext --set-formats {wanted} {_id(notebook)}`)")


@pytest.mark.parametrize("script", _percent_scripts(), ids=_id)
def test_percent_script_has_its_notebook(script):
    notebook = _notebook_of(script)
    assert notebook.is_file(), f"{_id(script)} has no .ipynb; make it with `jupytext --sync {_id(script)}`"
