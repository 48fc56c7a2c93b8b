"""The notebook that is actually graded: the source's cells with the student's answers in them.

Every cell of the solution notebook is taken from the source (tests with their hidden part,
read-only cells, prose), except the student's answer cells, which are matched by ``grade_id``
(or, when a student stripped the metadata, by the cell's id). An answer cell the student
deleted becomes the released stub again, so it scores what an unanswered cell scores. Cells
the student added (helpers, experiments) stay, after the cell they followed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from .cells import grade_id, is_marked, is_solution, is_test


@dataclass
class Merged:
    notebook: NotebookNode
    # Notes for the report: what had to be restored, in words.
    notes: list[str] = field(default_factory=list)


def _fresh(cell: NotebookNode) -> NotebookNode:
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def _locate(student_cells: list, source_cells: list) -> list[int | None]:
    """For each student cell, the index of the source cell it stands for (None: added)."""
    by_grade_id = {grade_id(c): i for i, c in enumerate(source_cells) if is_marked(c)}
    by_cell_id = {c.get("id"): i for i, c in enumerate(source_cells) if c.get("id")}
    by_text = {c.source: i for i, c in enumerate(source_cells) if not is_marked(c) and c.source.strip()}
    taken: set[int] = set()
    located: list[int | None] = []
    for cell in student_cells:
        index = by_grade_id.get(grade_id(cell)) if is_marked(cell) else None
        if index is None:
            index = by_cell_id.get(cell.get("id"))
        if index is None and not is_marked(cell):
            index = by_text.get(cell.get("source"))
        if index is not None and index in taken:  # a copied cell: keep the first as the original
            index = None
        if index is not None:
            taken.add(index)
        located.append(index)
    return located


def merge(source: NotebookNode, released: NotebookNode, student: NotebookNode | None) -> Merged:
    """The notebook to run for *student* (``None``: nothing usable was submitted)."""
    student_cells = list(student.cells) if student is not None else []
    located = _locate(student_cells, source.cells)
    answer_of = {index: cell for cell, index in zip(student_cells, located) if index is not None}

    # Added cells go after the last source cell the student had above them (-1: at the top).
    added_after: dict[int, list] = {}
    anchor = -1
    for cell, index in zip(student_cells, located):
        if index is None:
            added = _fresh(cell)
            added.metadata.pop("nbgrader", None)  # a copy of a test cell earns nothing
            added["id"] = f"student-added-{sum(map(len, added_after.values()))}"
            added_after.setdefault(anchor, []).append(added)
        else:
            anchor = index

    notes: list[str] = []
    cells = list(added_after.get(-1, []))
    for index, (original, stub) in enumerate(zip(source.cells, released.cells)):
        name = grade_id(original) or f"cell {index}"
        mine = answer_of.get(index)
        if is_solution(original):
            if mine is None:
                if student is not None:
                    notes.append(f"answer cell {name} was missing; graded as unanswered")
                cell = _fresh(stub)
            else:
                cell = _fresh(original)
                cell.source = mine.get("source", "")
        else:
            if is_test(original) and student is not None:
                if mine is None:
                    notes.append(f"test cell {name} was missing; restored from the source")
                elif mine.get("source") not in (stub.source, original.source):
                    notes.append(f"test cell {name} was edited; graded with the original")
            cell = _fresh(original)
        cells.append(cell)
        cells.extend(added_after.get(index, []))

    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(source.metadata))
    return Merged(notebook=notebook, notes=notes)
