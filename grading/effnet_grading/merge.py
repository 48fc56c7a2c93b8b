"""The notebook that is actually graded: the source's cells with the student's answers in them.

Every cell of the solution notebook is taken from the source (tests with their hidden part,
read-only cells, prose), except the student's answer cells, which are matched by ``grade_id``
(or, when a student stripped the metadata, by the cell's id). Cells the student added
(helpers, experiments) stay, after the cell they followed.

A test or read-only cell the student edited or deleted is graded as the source has it, with a
note. An answer cell the student deleted becomes the released stub again, so it scores what an
unanswered cell scores, unless the student wrote new cells where it was: those are graded as
the answer (and the report says so). When that is ambiguous, or a deleted answer's names are
defined in a cell elsewhere, the notebook is marked for review instead of silently scoring zero.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from .cells import grade_id, is_locked, is_marked, is_solution, is_test
from .names import bound_names, parse_cell


@dataclass
class Merged:
    notebook: NotebookNode
    # Notes for the report: what had to be restored, in words.
    notes: list[str] = field(default_factory=list)
    # Cells of the notebook whose code the student wrote (answers and added cells).
    student: set[int] = field(default_factory=set)
    # What an instructor should look at by hand, in words.
    review: list[str] = field(default_factory=list)


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


def _defines(cell: NotebookNode) -> set[str]:
    tree = parse_cell(cell.source) if cell.cell_type == "code" else None
    return set(bound_names(tree)) if tree is not None else set()


def merge(source: NotebookNode, released: NotebookNode, student: NotebookNode | None) -> Merged:
    """The notebook to run for *student* (``None``: nothing usable was submitted)."""
    student_cells = list(student.cells) if student is not None else []
    located = _locate(student_cells, source.cells)
    answer_of = {index: cell for cell, index in zip(student_cells, located) if index is not None}
    notes: list[str] = []
    review: list[str] = []

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

    # Added cells where a deleted answer cell was take its place.
    in_place_of: dict[int, list] = {}
    kept = sorted(answer_of)
    for anchor in list(added_after):
        following = next((k for k in kept if k > anchor), len(source.cells))
        deleted = [i for i in range(anchor + 1, following)
                   if is_solution(source.cells[i]) and source.cells[i].cell_type == "code"]
        if student is None or not deleted or not any(c.cell_type == "code" for c in added_after[anchor]):
            continue
        names = [grade_id(source.cells[i]) or f"cell {i}" for i in deleted]
        if len(deleted) == 1:
            in_place_of[deleted[0]] = added_after.pop(anchor)
            notes.append(f"answer cell {names[0]} was deleted; the cells you added in its place were graded as the answer")
        else:
            review.append(f"answer cells {', '.join(names)} were deleted and cells added where they were; "
                          "the unanswered stubs were put back, so check by hand which cell answers what")

    cells: list[NotebookNode] = []
    mine: set[int] = set()

    def put(new: list, written_by_student: bool) -> None:
        for cell in new:
            if written_by_student and cell.cell_type == "code":
                mine.add(len(cells))
            cells.append(cell)

    added_names = set().union(*(_defines(c) for group in added_after.values() for c in group))
    put(added_after.get(-1, []), True)
    for index, (original, stub) in enumerate(zip(source.cells, released.cells)):
        name = grade_id(original) or f"cell {index}"
        answer = answer_of.get(index)
        if is_solution(original):
            if index in in_place_of:
                put(in_place_of[index], True)
            elif answer is None:
                if student is not None:
                    notes.append(f"answer cell {name} was missing; graded as unanswered")
                    meant = _defines(original) & added_names
                    if meant:
                        review.append(f"answer cell {name} was deleted and graded as unanswered, but a cell you "
                                      f"added elsewhere defines {', '.join(sorted(meant))}: check by hand")
                put([_fresh(stub)], False)
            else:
                cell = _fresh(original)
                cell.source = answer.get("source", "")
                put([cell], True)
        else:
            kind = "test cell" if is_test(original) else "read-only cell" if is_locked(original) else None
            if kind and student is not None:
                if answer is None:
                    notes.append(f"{kind} {name} was missing; restored from the source")
                elif answer.get("source") not in (stub.source, original.source):
                    notes.append(f"{kind} {name} was edited; graded with the original")
            put([_fresh(original)], False)
        put(added_after.get(index, []), True)

    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(source.metadata))
    return Merged(notebook=notebook, notes=notes, student=mine, review=review)
