"""Every notebook of the course runs top to bottom, headless, in a fresh kernel.

The notebooks in notebooks/ and solutions/ run in smoke mode (EFFNET_SMOKE=1: less data, fewer
epochs), each under a time limit. exercises/ hold student stubs that are meant to fail until
solved; the grading tests check those. A failing notebook is saved, with its outputs and the
error, under test-artifacts/notebooks/ so the failure can be read cell by cell.

Limits can be changed without editing this file: EFFNET_NOTEBOOK_TIMEOUT (seconds per notebook,
default 600) and EFFNET_CELL_TIMEOUT (seconds per cell, default 300).
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "notebooks"
NOTEBOOK_TIMEOUT = int(os.environ.get("EFFNET_NOTEBOOK_TIMEOUT", "600"))
CELL_TIMEOUT = int(os.environ.get("EFFNET_CELL_TIMEOUT", "300"))


def _notebooks() -> list[Path]:
    return sorted(p for folder in ("notebooks", "solutions") for p in (ROOT / folder).glob("*.ipynb"))


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.timeout(NOTEBOOK_TIMEOUT)
@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs_in_smoke_mode(path, monkeypatch):
    # The kernel inherits this process's environment: smoke mode, and no window for matplotlib.
    monkeypatch.setenv("EFFNET_SMOKE", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except (CellExecutionError, TimeoutError) as error:  # a cell failed, or ran past EFFNET_CELL_TIMEOUT
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        saved = ARTIFACTS / path.name
        nbformat.write(notebook, saved)
        pytest.fail(f"{path.relative_to(ROOT)} failed in smoke mode (executed copy: {saved.relative_to(ROOT)}):\n"
                    f"{error}", pytrace=False)
