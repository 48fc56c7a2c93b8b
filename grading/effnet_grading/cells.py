"""Reading notebooks and telling nbgrader's kinds of cell apart.

nbgrader marks a cell in ``cell.metadata["nbgrader"]``: ``solution`` (the student writes
here), ``grade`` (it earns ``points``; a grade cell that is not a solution cell holds
autograded tests), ``locked`` (read-only) and a ``grade_id`` unique in its notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode


class GradingError(ValueError):
    """A problem with the instructor's input (solutions, paths, options), said in words."""


def nbgrader_metadata(cell: NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    value = nbgrader_metadata(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("solution", False))


def is_grade(cell: NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("grade", False))


def is_locked(cell: NotebookNode) -> bool:
    """A read-only cell (nbgrader locks test cells and every cell marked read-only)."""
    return bool(nbgrader_metadata(cell).get("locked", False))


def is_test(cell: NotebookNode) -> bool:
    """An autograded test cell: earns points and is not written by the student."""
    return is_grade(cell) and not is_solution(cell) and cell.get("cell_type") == "code"


def is_marked(cell: NotebookNode) -> bool:
    """True for every cell nbgrader tracks by ``grade_id`` (solution, grade or read-only)."""
    meta = nbgrader_metadata(cell)
    tracked = meta.get("solution") or meta.get("grade") or meta.get("locked")
    return bool(tracked) and grade_id(cell) is not None


def points(cell: NotebookNode) -> float:
    return float(nbgrader_metadata(cell).get("points", 0) or 0)


def read_notebook(path: Path) -> NotebookNode:
    """Read an ``.ipynb`` (or a jupytext ``.py``) notebook, or raise ``ValueError`` saying why.

    Used both for the instructor's solutions and for submissions; a submission that fails
    here is graded zero with the reason in the report instead of stopping the batch.
    """
    path = Path(path)
    try:
        if path.suffix == ".py":
            import jupytext

            nb = jupytext.read(path, fmt="py:percent")
        else:
            with open(path, encoding="utf-8") as handle:
                raw = json.load(handle)
            nb = nbformat.from_dict(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path.name} is not a valid notebook file (not JSON: {error})") from error
    except OSError as error:
        raise ValueError(f"{path} could not be read: {error}") from error
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path.name} is JSON but has no list of cells, so it is not a notebook")
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"{path.name}: cell {index} is not a notebook cell")
        source = cell.get("source", "")
        if isinstance(source, list):  # nbformat may store the source as a list of lines
            source = "".join(map(str, source))
        cell["source"] = source if isinstance(source, str) else str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    nb.setdefault("metadata", {})
    return nbformat.from_dict(nb)

