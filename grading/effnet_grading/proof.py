"""Proof that the tests ran as written: a student's code shares the kernel with the tests, and
could otherwise rewrite them (an input or AST transformer that turns them into ``pass``),
rebind what they compare with (``round_filters = my_round_filters``), or patch IPython.

The grader adds three things to the notebook it runs, each carrying a secret made for this run:

* **a canary at the end of every test cell**, printed only from inside ``except AssertionError``
  after a deliberately failing ``assert``. A test cell that reports success without printing it
  did not run as written: its lines were replaced, its asserts removed, or its failure hidden.
* **check cells** (:mod:`.kernel_facts`) before the first cell, around every stretch of the
  student's cells and before every test: they report what IPython runs cells through
  (transformers, hooks, methods, builtins) and the identity of every name the tests use. Any
  change to the first, and any change to the second made by a student's cell, is tampering.
* the secrets themselves, so that a student's cell cannot print the expected lines in advance.

A submission that fails the proof scores zero and is marked "needs review". What this cannot
catch: code that reads the secret from the running cell and fakes exactly these checks, which
needs the grader's design in hand; :mod:`.scan` flags the calls such code has to make.
"""

from __future__ import annotations

import builtins
import copy
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .cells import grade_id, is_solution, is_test
from .execute import Execution
from .names import bound_names, parse_cell, used_chains

FACTS_SOURCE = (Path(__file__).with_name("kernel_facts.py")).read_text(encoding="utf-8")
CHECK_NAMESPACE = "effnet_grading_check"
# One write of the whole line (print's own newline is a second write, which the kernel may send
# as an output of its own).
CANARY = "\n\ntry:\n    assert False\nexcept AssertionError:\n    print({line!r}, end='')\n"


# --- what the tests use ------------------------------------------------------------------


@dataclass
class References:
    """What the kernel-side check resolves and fingerprints (``kind, root, attributes``)."""

    items: list[tuple[str, str, list[str]]] = field(default_factory=list)
    # Keys (as kernel_facts names them) of references the source imports from a library.
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
    return found


# --- the notebook that runs ----------------------------------------------------------------


@dataclass
class Plan:
    """The notebook that runs (the graded one with the grader's cells added) and how to read it."""

    notebook: NotebookNode
    origin: list[int | None]  # per cell that runs: its index in the graded notebook, None: the grader's
    checks: dict[int, tuple[str, str]]  # check cell -> (secret, where it stands, in words)
    canaries: dict[int, str]  # test cell -> secret its canary prints
    groups: list[tuple[int, int, str]]  # (check before, check after, the student's cells between)
    references: References
    test_sources: dict[int, str]

    @property
    def quiet(self) -> frozenset[int]:
        return frozenset(self.checks)


def _check_cell(token: str, refs: References) -> NotebookNode:
    namespace = {"__name__": CHECK_NAMESPACE, "RUN_AS": CHECK_NAMESPACE, "TOKEN": token, "REFERENCES": refs.items}
    cell = nbformat.v4.new_code_cell(f"exec({FACTS_SOURCE!r}, {namespace!r})")
    cell.metadata["effnet_grading"] = "check"
    return cell


def _describe(cells: list[NotebookNode], indices: list[int]) -> str:
    names = [grade_id(cells[i]) or f"added cell {i}" for i in indices]
    return f"your cell{'s' if len(names) > 1 else ''} ({', '.join(names)})"


def instrument(graded: NotebookNode, student: set[int], refs: References) -> Plan:
    """*graded* with a canary in every test cell and check cells around the *student* cells."""
    run: list[NotebookNode] = []
    origin: list[int | None] = []
    checks: dict[int, tuple[str, str]] = {}
    canaries: dict[int, str] = {}
    test_sources: dict[int, str] = {}
    groups: list[tuple[int, int, str]] = []

    def add_check(where: str) -> int:
        run.append(_check_cell(token := secrets.token_hex(16), refs))
        origin.append(None)
        checks[len(run) - 1] = (token, where)
        return len(run) - 1

    add_check("before the first cell")
    group: list[int] = []  # the student's cells since the last check
    group_start = 0
    for index, cell in enumerate(graded.cells):
        if cell.cell_type != "code":
            run.append(cell)
            origin.append(index)
            continue
        mine = index in student
        if mine and not group:
            group_start = add_check(f"before {_describe(graded.cells, [index])}")
        if not mine and group:
            after = add_check(f"after {_describe(graded.cells, group)}")
            groups.append((group_start, after, _describe(graded.cells, group)))
            group = []
        elif is_test(cell) and origin[-1] is not None:
            add_check(f"before {grade_id(cell)}")
        if mine:
            group.append(index)
        if is_test(cell) and not mine:
            cell = copy.deepcopy(cell)
            test_sources[len(run)] = cell.source
            canaries[len(run)] = token = secrets.token_hex(16)
            cell.source = cell.source.rstrip() + CANARY.format(line=token + "\n")
        run.append(cell)
        origin.append(index)
    notebook = nbformat.v4.new_notebook(cells=run, metadata=copy.deepcopy(graded.metadata))
    return Plan(notebook, origin, checks, canaries, groups, refs, test_sources)


# --- reading what happened -----------------------------------------------------------------


def _stdout(cell: NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _facts(cell: NotebookNode, token: str) -> dict | None:
    # Found anywhere in the output: a student's background thread may have printed half a line.
    text = _stdout(cell)
    start = text.find(token + " ")
    if start < 0:
        return None
    try:
        return json.loads(text[start + len(token) + 1:].split("\n", 1)[0])
    except ValueError:
        return None


def _event_changes(before: dict, after: dict) -> list[str]:
    """IPython's event callbacks: libraries register their own (matplotlib's inline backend,
    autoreload), so only a callback removed, or one added that a notebook cell defined, counts."""
    changed = []
    for event in sorted(set(before) | set(after)):
        old, new = before.get(event, []), after.get(event, [])
        if any(callback not in new for callback in old) or any(c not in old and c[1] for c in new):
            changed.append(f"events: {event}")
    return changed


def _changes(before: dict, after: dict) -> list[str]:
    """The keys whose value differs, with one level of detail for dictionaries."""
    changed = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "events":
            changed += _event_changes(old or {}, new or {})
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            inner = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k) and k in old]
            changed += [f"{key}: {k}" for k in inner] or ([] if key == "builtins" else [key])
        else:
            changed.append(key)
    return changed


def verify(plan: Plan, execution: Execution) -> list[str]:
    """Why this run does not prove that the tests ran as written (empty: it does)."""
    reasons: list[str] = []
    facts: dict[int, dict] = {}
    for index, (token, where) in plan.checks.items():
        if index in execution.not_run:
            continue
        if index in execution.timed_out or index in execution.died:
            reasons.append(f"the grader's check {where} did not finish (something of yours kept the kernel busy)")
            continue
        found = _facts(plan.notebook.cells[index], token)
        if found is None:
            reasons.append(f"the grader's check {where} did not run as written")
        else:
            facts[index] = found

    baseline = facts.get(min(plan.checks))
    seen: set[str] = set()  # each change once, where it was first found
    for index in sorted(facts):
        if baseline is None or index == min(plan.checks):
            continue
        where = plan.checks[index][1]
        for change in _changes(baseline["ipython"], facts[index]["ipython"]):
            if change not in seen:
                seen.add(change)
                reasons.append(f"IPython's {change} was changed (found {where})")
    for before, after, cells in plan.groups:
        if before not in facts or after not in facts:
            continue
        old, new = facts[before]["references"], facts[after]["references"]
        for key, value in new.items():
            # Not there before these cells ran and a notebook's own code once they had: they
            # imported the library and patched it before the course's cells imported it.
            if key not in old and value.get("defined in the notebook") and key in plan.references.imported:
                reasons.append(f"{cells} replaced {key.removeprefix('module ')}, which the tests import, "
                               "with code defined in the notebook")
        for key, value in old.items():
            if key.startswith("builtin "):
                if not value["shadowed"] and new.get(key, {}).get("shadowed"):
                    reasons.append(f"{cells} defined {key.removeprefix('builtin ')}, a builtin the tests use")
            elif key not in new:
                reasons.append(f"{cells} removed {key.removeprefix('module ')}, which the tests use")
            elif new[key]["fingerprint"] != value["fingerprint"]:
                reasons.append(f"{cells} rebound {key.removeprefix('module ')}, which the tests use")

    for index, token in plan.canaries.items():
        status, _ = execution.replies.get(index, ("unknown", ""))
        cell = plan.notebook.cells[index]
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if status == "ok" and not errors and token not in _stdout(cell):
            name = grade_id(cell) or f"cell {index}"
            reasons.append(f"test {name} reported success, but its last line did not run: the cell did not run as written")
    return list(dict.fromkeys(reasons))


def graded_view(plan: Plan, execution: Execution) -> tuple[NotebookNode, Execution]:
    """The executed notebook as graded (the grader's cells and secrets taken out) and the
    execution with its cell numbers in that notebook."""
    cells = []
    for index, cell in enumerate(plan.notebook.cells):
        if plan.origin[index] is None:
            continue
        if index in plan.canaries:
            cell = copy.deepcopy(cell)
            cell.source = plan.test_sources[index]
            token = plan.canaries[index]
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    output["text"] = "".join(line for line in output["text"].splitlines(True) if token not in line)
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "stream" or o.get("text")]
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(plan.notebook.metadata))

    def remap(table: dict) -> dict:
        return {plan.origin[i]: v for i, v in table.items() if plan.origin[i] is not None}

    view = Execution(
        replies=remap(execution.replies),
        timed_out=remap(execution.timed_out),
        died=remap(execution.died),
        not_run=remap(execution.not_run),
        kernel_problem=execution.kernel_problem,
    )
    return notebook, view
