"""Run a notebook cell by cell in a fresh kernel, with a time limit per cell.

A cell that raises records its error and the next cell runs, as in a student's session. A cell
that runs past the limit is interrupted; if the kernel then answers, the rest still runs,
and if it does not (a loop that swallows ``KeyboardInterrupt``) or the kernel died, the cells
left are marked as not run. Nothing here raises because of what a notebook does.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode

# How long an interrupted kernel gets to answer again before it is given up on.
INTERRUPT_GRACE_S = 5.0


@dataclass
class Execution:
    """What happened when a notebook ran: per cell index, a problem in words (if any)."""

    timed_out: dict[int, str] = field(default_factory=dict)
    not_run: dict[int, str] = field(default_factory=dict)
    kernel_problem: str | None = None


def _error_output(name: str, message: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def run_notebook(
    nb: NotebookNode, timeout: float = 60.0, kernel_name: str = "python3", cwd: str | None = None
) -> Execution:
    """Execute *nb* in place (outputs are written into its cells) and say what went wrong.

    *cwd* is the kernel's working directory; by default a new empty temporary folder, so
    whatever the notebook writes never lands next to the submission.
    """
    result = Execution()
    with tempfile.TemporaryDirectory(prefix="effnet-grading-") as scratch:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=kernel_name,
            allow_errors=True,
            interrupt_on_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": cwd or scratch}},
        )
        code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        try:
            with client.setup_kernel():
                for position, index in enumerate(code_cells):
                    cell = nb.cells[index]
                    try:
                        client.execute_cell(cell, index)
                        continue
                    except CellTimeoutError:
                        message = f"cell ran longer than the limit of {timeout:g} s and was interrupted"
                        cell.outputs.append(_error_output("TimeoutError", message))
                        result.timed_out[index] = message
                        stuck = not _recovers(client)
                        reason = "the kernel did not answer after the interrupt of a cell that timed out"
                    except DeadKernelError:
                        stuck = True
                        reason = "the kernel died (the notebook may call exit() or run out of memory)"
                        cell.outputs.append(_error_output("DeadKernelError", reason))
                        result.timed_out.pop(index, None)
                        result.not_run[index] = reason
                    if stuck:
                        result.kernel_problem = reason
                        for later in code_cells[position + 1 :]:
                            result.not_run[later] = reason
                        break
        except Exception as error:  # the kernel failed to start or to shut down
            result.kernel_problem = f"kernel failure: {type(error).__name__}: {error}"
            for index in code_cells:
                if index not in result.timed_out and not nb.cells[index].get("outputs"):
                    result.not_run.setdefault(index, result.kernel_problem)
    return result


def _recovers(client: NotebookClient) -> bool:
    """Interrupt the kernel and tell whether it runs a trivial cell again in a short time."""
    try:
        run_sync(client.km.interrupt_kernel)()
        probe = nbformat.v4.new_code_cell("pass")
        limit = client.timeout
        client.timeout = INTERRUPT_GRACE_S
        try:
            client.execute_cell(probe, 0, store_history=False)
        finally:
            client.timeout = limit
        return True
    except (CellTimeoutError, DeadKernelError):
        return False
    except Exception:
        return False
