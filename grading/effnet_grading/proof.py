"""Proof that the tests ran as written, from a record the students' code cannot forge.

A student's code shares the kernel with the tests, and IPython lets code change how later cells are
parsed and run (input and AST transformers, patched methods, hooks). So the grader never sends a
course cell (a test, hidden part included, or a read-only cell) through IPython: it sends a one-line
request, and the kernel's runner hook (:mod:`.kernel`) compiles and runs that cell from the plan it
read before any code of the notebook existed. The kernel's reporter hook writes what happened into a
pipe the grader reads (:mod:`.record`): each course cell started and finished, with or without an
error, and fingerprints of everything the tests use, before and after.

A notebook fails the proof, scores zero and is marked "needs review", with the reason, when:

* a course cell that the kernel says it ran has no record of running as sent (the request was
  rewritten, skipped or answered by something else), or the record itself was cut, written into or
  numbered with gaps;
* the reporter saw an operation that can rewrite a running test or reach its key (tracing, another
  audit hook, the garbage collector's object lists, ctypes or the memory file from the notebook ...);
* between two course cells, the student's cells rebound, removed or replaced with the notebook's own
  code an object the tests use, shadowed a builtin they call, or changed Python's builtins or the
  grader's guard.

Things worth a look that prove nothing (code run from text) go under "check by hand". What remains
possible is in the README ("What the grader defends against").
"""

from __future__ import annotations

import ast
import builtins
import copy
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from .cells import grade_id, is_solution, is_test
from .execute import Execution
from .names import MAX_CHAIN, bound_names, guarded_names, parse_cell, transform_cell, used_chains

# What the grader's own cells send: the kernel's runner hook answers them (kernel.py).
BEGIN = '__import__("sys").audit("effnet_grading.begin")'
REQUEST = '__import__("sys").audit("effnet_grading.run", {index}); exec(__effnet_grading_cell__, globals())'
END = '__import__("sys").audit("effnet_grading.end")'
# The first facts of every snapshot (kernel.py's facts()): then two per reference.
SHARED_FACTS = ("Python's builtins", "the notebook's builtins", "the grader's guard (effnet_grading.own_work)")


# --- what the tests use ------------------------------------------------------------------


@dataclass
class References:
    """What the kernel-side check resolves and fingerprints (``kind, root, attributes``)."""

    items: list[tuple[str, str, list[str]]] = field(default_factory=list)
    # Keys ("name.attr", "module M.attr") of references the source imports from a library.
    imported: set[str] = field(default_factory=set)


def references(source: NotebookNode) -> References:
    """The names, module attributes and builtins the source's own cells read (the tests, and
    the helpers they call, which look names up when called), minus those the student's answer
    cells are meant to define."""
    answers: set[str] = set()
    given: dict[str, str] = {}
    readers = []  # syntax trees of the cells the course wrote
    for cell in source.cells:
        if cell.cell_type != "code" or (tree := parse_cell(cell.source)) is None:
            continue
        if is_solution(cell):
            answers |= set(bound_names(tree))
        else:
            given.update(bound_names(tree))
            readers.append(tree)
    found = References()

    def add(kind, root, attributes, imported):
        item = (kind, root, list(attributes))
        if item not in found.items:
            found.items.append(item)
        if imported:
            dotted = ".".join([root, *attributes])
            found.imported.add(dotted if kind == "name" else f"module {dotted}")

    for tree in readers:
        for root, *attributes in sorted(used_chains(tree)):
            if root in answers:
                continue
            if root in given:
                origin = given[root]
                for length in range(len(attributes) + 1):
                    add("name", root, attributes[:length], bool(origin))
                if origin and ":" not in origin:  # import M [as root]: the module's attributes too
                    for length in range(1, len(attributes) + 1):
                        add("module", origin, attributes[:length], True)
            elif hasattr(builtins, root):
                add("builtin", root, [], False)
    for origin in given.values():
        if ":" in origin:  # from M import x: x as the module holds it
            module, name = origin.split(":")
            add("module", module, [name], True)
    for tree in readers:  # what the hidden tests switch off or take with library(), as its module holds it
        for dotted in sorted(guarded_names(tree)):
            parts = dotted.split(".")
            for cut in range(max(1, len(parts) - MAX_CHAIN), len(parts) + 1):
                add("module", ".".join(parts[:cut]), parts[cut:], True)
    return found


# --- the notebook that runs ----------------------------------------------------------------


@dataclass
class Plan:
    """What runs: the graded notebook with each course cell replaced by a request for it, between the
    grader's first and last cells, and the program the kernel's runner reads."""

    notebook: NotebookNode
    origin: list[int | None]       # per cell sent: its index in the graded notebook (None: the grader's)
    course: list[int]              # graded indices of the course's code cells, in order
    groups: list[tuple[int | None, int | None, str]]  # (course cell before, after, the student's cells between)
    program: dict                  # for the kernel: its cells and the references
    references: References
    sources: dict[int, str]        # graded index -> the course cell's own source

    @property
    def quiet(self) -> frozenset[int]:
        """The grader's own cells, run without entering the kernel's history."""
        return frozenset(i for i, origin in enumerate(self.origin) if origin is None)

    def sent(self, graded_index: int) -> int:
        return self.origin.index(graded_index)


def plain_python(source: str) -> str:
    """A course cell as plain Python, as IPython would run it: magics turned into calls, and a last
    expression shown (``sys.displayhook``) unless the cell ends in ``;``. Line numbers are kept."""
    code = transform_cell(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    if not tree.body or not isinstance(tree.body[-1], ast.Expr) or code.rstrip().endswith(";"):
        return code
    node = tree.body[-1]
    lines = code.splitlines(True)

    def offset(line: int, column: int) -> int:  # ast counts columns in UTF-8 bytes
        return sum(map(len, lines[: line - 1])) + len(lines[line - 1].encode()[:column].decode("utf-8", "ignore"))

    start, end = offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)
    return code[:start] + '__import__("sys").displayhook((' + code[start:end] + "))" + code[end:]


def _describe(cells: list[NotebookNode], indices: list[int]) -> str:
    names = [grade_id(cells[i]) or f"added cell {i}" for i in indices]
    return f"your cell{'s' if len(names) > 1 else ''} ({', '.join(names)})"


def label(cells: list[NotebookNode], index: int) -> str:
    return grade_id(cells[index]) or f"cell {index}"


def instrument(graded: NotebookNode, student: set[int], refs: References) -> Plan:
    """*graded* as it is sent: the student's cells as they are, every other code cell as a request."""
    sent: list[NotebookNode] = []
    origin: list[int | None] = []
    course: list[int] = []
    groups: list[tuple[int | None, int | None, str]] = []
    program_cells = []
    sources: dict[int, str] = {}

    def grader_cell(source: str) -> None:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["effnet_grading"] = "grader"
        sent.append(cell)
        origin.append(None)

    grader_cell(BEGIN)
    group: list[int] = []
    for index, cell in enumerate(graded.cells):
        if cell.cell_type == "code" and index not in student:
            if group:
                groups.append((course[-1] if course else None, index, _describe(graded.cells, group)))
                group = []
            program_cells.append([index, label(graded.cells, index), plain_python(cell.source)])
            course.append(index)
            sources[index] = cell.source
            cell = copy.deepcopy(cell)
            cell.source = REQUEST.format(index=index)
        elif cell.cell_type == "code":
            group.append(index)
        sent.append(cell)
        origin.append(index)
    grader_cell(END)
    program = {"cells": program_cells, "references": [list(item) for item in refs.items]}
    notebook = nbformat.v4.new_notebook(cells=sent, metadata=copy.deepcopy(graded.metadata))
    return Plan(notebook, origin, course, groups, program, refs, sources)


# --- reading what happened -----------------------------------------------------------------


@dataclass
class Proof:
    """What the record shows: why the run cannot be trusted (``tampering``: score zero), what to look
    at by hand (``notes``), and the verdict on each course cell it ran (graded index -> passed)."""

    tampering: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passed: dict[int, bool] = field(default_factory=dict)


def _fact_changes(plan: Plan, old: tuple[int, ...], new: tuple[int, ...], cells: str) -> list[str]:
    """Why *new* (facts after the student's *cells*) differs from *old* in a way that matters."""
    reasons = []
    shared = len(SHARED_FACTS)
    for position, name in enumerate(SHARED_FACTS):
        if len(old) > position and len(new) > position and old[position] != new[position]:
            reasons.append(f"{cells} changed {name}")
    for number, (kind, root, attributes) in enumerate(plan.references.items):
        at = shared + 2 * number
        if len(old) <= at + 1 or len(new) <= at + 1:
            continue
        dotted = ".".join([root, *attributes])
        key = dotted if kind == "name" else f"module {dotted}"
        before, after, defined = old[at], new[at], new[at + 1]
        if kind == "builtin":
            if before == 0 and after == 1:
                reasons.append(f"{cells} defined {root}, a builtin the tests use")
        elif before == -1:
            # Not there before these cells ran and the notebook's own code once they had: they
            # imported the library and patched it before the course's cells imported it.
            if after != -1 and defined and key in plan.references.imported:
                reasons.append(f"{cells} replaced {dotted}, which the tests import, with code defined in the notebook")
        elif after == -1:
            reasons.append(f"{cells} removed {dotted}, which the tests use")
        elif after != before:
            reasons.append(f"{cells} rebound {dotted}, which the tests use")
    return reasons


def verify(plan: Plan, execution: Execution) -> Proof:
    """What the kernel's records prove about this run."""
    proof = Proof()
    for attempt in execution.attempts:
        proof.tampering += [f"the grader's record of this run cannot be trusted: {p}" for p in attempt.reading.problems]
        records = attempt.reading.records
        for record in records:
            if record.kind in ("flag", "note"):
                (proof.tampering if record.kind == "flag" else proof.notes).append(f"your code {record.fields[0]}")
        starts = {r.number(0) for r in records if r.kind == "start"}
        dones = {r.number(0) for r in records if r.kind == "done"}
        for graded_index in plan.course:
            sent = plan.sent(graded_index)
            name = label_of(plan, graded_index)
            if sent not in attempt.executed:
                continue
            if graded_index not in starts:
                proof.tampering.append(f"course cell {name} did not run as the grader sent it "
                                       "(the request was rewritten, skipped or answered by something else)")
                continue
            proof.passed[graded_index] = graded_index in dones
            if graded_index not in dones and attempt.executed[sent] == "ok":
                proof.tampering.append(f"course cell {name} reported success, but its code did not run to its end")
        if attempt.finished and not any(r.kind == "end" for r in records):
            proof.tampering.append("the grader's record stops before the end of the run (its pipe was closed)")
        if records and attempt.executed and not any(r.kind == "begin" for r in records):
            proof.tampering.append("the grader's first cell did not run as sent")
        proof.tampering += _snapshot_changes(plan, records)
    proof.tampering = list(dict.fromkeys(proof.tampering))
    proof.notes = list(dict.fromkeys(proof.notes))
    return proof


def label_of(plan: Plan, graded_index: int) -> str:
    return plan.program["cells"][plan.course.index(graded_index)][1]


def _snapshot_changes(plan: Plan, records: list) -> list[str]:
    """Changes to what the tests use between course cells, made by the student's cells between them,
    and any change to the builtins or the guard anywhere in the run."""
    after: dict[int | None, tuple[int, ...]] = {}    # course cell -> facts when it finished (None: begin)
    before: dict[int | None, tuple[int, ...]] = {}   # course cell -> facts when it started (None: end)
    for record in records:
        if record.kind == "begin":
            after[None] = record.facts(0)
        elif record.kind == "start":
            before[record.number(0)] = record.facts(1)
        elif record.kind == "done":
            after[record.number(0)] = record.facts(2)
        elif record.kind == "end":
            before[None] = record.facts(0)
    reasons = []
    for previous, following, cells in plan.groups:
        if previous in after and following in before:
            reasons += _fact_changes(plan, after[previous], before[following], cells)
    snapshots = [r.facts({"begin": 0, "start": 1, "done": 2, "end": 0}[r.kind]) for r in records
                 if r.kind in ("begin", "start", "done", "end")]
    shared = len(SHARED_FACTS)
    for earlier, later in zip(snapshots, snapshots[1:]):
        for position, name in enumerate(SHARED_FACTS[:shared]):
            if len(earlier) > position and len(later) > position and earlier[position] != later[position]:
                reasons.append(f"{name} changed while the notebook ran")
    return reasons


def graded_view(plan: Plan, execution: Execution) -> tuple[NotebookNode, Execution]:
    """The executed notebook as graded (the course's cells with their own source again, the grader's
    cells taken out, no jupytext pairing) and the execution with its cell numbers in that notebook."""
    cells = []
    for index, cell in enumerate(plan.notebook.cells):
        graded_index = plan.origin[index]
        if graded_index is None:
            continue
        if graded_index in plan.sources:
            cell = copy.deepcopy(cell)
            cell.source = plan.sources[graded_index]
        cells.append(cell)
    metadata = copy.deepcopy(plan.notebook.metadata)
    metadata.pop("jupytext", None)  # a feedback notebook stands alone: no pairing with a .py twin
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=metadata)

    def remap(table: dict) -> dict:
        return {plan.origin[i]: v for i, v in table.items() if plan.origin[i] is not None}

    view = Execution(
        replies=remap(execution.replies),
        timed_out=remap(execution.timed_out),
        died=remap(execution.died),
        not_run=remap(execution.not_run),
        kernel_problem=execution.kernel_problem,
        attempts=execution.attempts,
        cleanup_problems=execution.cleanup_problems,
    )
    return notebook, view
