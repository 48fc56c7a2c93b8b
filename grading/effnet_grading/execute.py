"""Run a notebook cell by cell in a fresh, sandboxed kernel, with a time limit per cell.

A cell that raises records its error and the next cell runs, as in a student's session. A cell
that runs past the limit, or that kills the kernel (``exit()``, a crash), is marked, and the
notebook runs again in a new kernel without it: the cells before it are re-run to rebuild the
state, the cells after it get their chance. Interrupting the kernel instead would be cheaper,
but a loop that swallows ``KeyboardInterrupt`` ignores it, and cancelled reads can lose output
messages; a new kernel has neither problem. Nothing here raises because of what a notebook does.

Every run gets a new :class:`~.sandbox.Sandbox` (kernel, scratch folder and all), removed after:
nothing a cell left behind survives into the next run or past the grading, and a folder that could
not be removed is reported. Each run's record (:mod:`.record`) is kept with what the run did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from .record import Reading
from .sandbox import Isolation, Sandbox

# How many cells may time out or kill the kernel before the rest is given up on.
MAX_RESTARTS = 3


@dataclass
class Attempt:
    """One run of the notebook in a fresh kernel: the cells that ran to a reply (with the kernel's
    status, "ok" or "error"), the cell it was given up on (None: it went to the end), and the
    kernel's record."""

    executed: dict[int, str]
    stopped_at: int | None
    finished: bool
    reading: Reading


@dataclass
class Execution:
    """What happened when a notebook ran: per cell index, a problem in words (if any)."""

    # The kernel's own verdict on each cell it finished: "ok" or "error" (with the error).
    replies: dict[int, tuple[str, str]] = field(default_factory=dict)
    timed_out: dict[int, str] = field(default_factory=dict)
    died: dict[int, str] = field(default_factory=dict)
    not_run: dict[int, str] = field(default_factory=dict)
    kernel_problem: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    cleanup_problems: list[str] = field(default_factory=list)


def _error_output(name: str, message: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def run_notebook(
    nb: NotebookNode, timeout: float = 60.0, isolation: Isolation = Isolation(), quiet: frozenset[int] = frozenset(),
    program: dict | None = None,
) -> Execution:
    """Execute *nb* in place (outputs are written into its cells) and say what went wrong.

    *isolation* says how the kernel is confined; its working directory is the sandbox's empty
    scratch folder. *program* is what the kernel's runner reads (:func:`.proof.instrument`; none:
    every cell runs as sent). Cells in *quiet* (the grader's own) run without entering the
    kernel's history, so the student's cells keep their execution counts.
    """
    program = program or {"cells": [], "references": []}
    result = Execution()
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    skipped: set[int] = set()
    for attempt in range(MAX_RESTARTS + 1):
        executed: dict[int, str] = {}
        problem_before = result.kernel_problem
        with Sandbox(isolation) as sandbox:
            failed = _run_once(nb, code_cells, skipped, result, timeout, sandbox, quiet, program, executed)
            reading = sandbox.reading()
        if sandbox.removal_problem:
            result.cleanup_problems.append(sandbox.removal_problem)
        finished = failed is None and result.kernel_problem == problem_before
        result.attempts.append(Attempt(executed, failed, finished, reading))
        if failed is None:
            return result
        skipped.add(failed)
    reason = f"not run: more than {MAX_RESTARTS} cells timed out or killed the kernel"
    result.kernel_problem = reason
    for index in code_cells:
        if index > max(skipped) and index not in skipped:
            result.not_run[index] = reason
            result.replies.pop(index, None)
    return result


def _run_once(nb, code_cells, skipped, result, timeout, sandbox, quiet, program, executed) -> int | None:
    """Run every code cell not in *skipped* in a new kernel (adding those that got a reply to
    *executed*); the index of a cell that had to be given up on (timed out or killed the
    kernel), or None when the run went to the end."""
    client = NotebookClient(
        nb,
        km=sandbox.kernel_manager(program),
        timeout=timeout,
        allow_errors=True,
        record_timing=False,
        shutdown_kernel="immediate",
        iopub_timeout=10,
        resources={"metadata": {"path": str(sandbox.scratch)}},
    )

    def record(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        error = f"{content.get('ename', '')}: {content.get('evalue', '')}" if content.get("ename") else ""
        result.replies[cell_index] = (content.get("status", "unknown"), error)
        executed[cell_index] = content.get("status", "unknown")

    client.on_cell_executed = record
    try:
        # nbclient shuts down only kernels whose manager it made itself; this one is ours, so say
        # so, or every kernel (a cell still spinning in it included) lives on until the grader exits.
        with client.setup_kernel(cleanup_kc=True):
            for index in code_cells:
                if index in skipped:
                    continue
                cell = nb.cells[index]
                cell.outputs, cell.execution_count = [], None
                result.replies.pop(index, None)
                try:
                    client.execute_cell(cell, index, store_history=index not in quiet)
                except CellTimeoutError:
                    message = f"cell ran longer than the limit of {timeout:g} s and was stopped"
                    cell.outputs.append(_error_output("TimeoutError", message))
                    result.timed_out[index] = message
                    return index
                except DeadKernelError:
                    message = "the kernel died in this cell (exit(), a crash, or out of memory)"
                    cell.outputs.append(_error_output("DeadKernelError", message))
                    result.died[index] = message
                    return index
    except Exception as error:  # the kernel failed to start or to shut down
        result.kernel_problem = f"kernel failure: {type(error).__name__}: {error}"
        for index in code_cells:
            if index not in result.replies and index not in skipped:
                result.not_run[index] = result.kernel_problem
    return None
