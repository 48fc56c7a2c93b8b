"""Release exercises from their solutions and grade returned notebooks, nbgrader-style.

The course's exercises live as solution notebooks in ``solutions/``: nbgrader's markers
(``### BEGIN SOLUTION`` / ``### END SOLUTION``, ``### BEGIN HIDDEN TESTS`` /
``### END HIDDEN TESTS``) and nbgrader's cell metadata (schema 3) say which cells a student
writes, which cells test the answer and how many points each test is worth.

* :func:`release` writes the student versions to ``exercises/`` with nbgrader's own
  preprocessors (solutions become stubs that raise ``NotImplementedError``, hidden tests
  disappear, outputs are cleared, test cells are locked and checksummed).
* :func:`grade` runs returned notebooks against the *source* tests (a student who edits or
  deletes a test cell is graded on the original), each in a sandboxed kernel (:mod:`.sandbox`)
  with a time limit per cell and a proof that the tests ran as written (:mod:`.proof`), and
  :func:`write_report` writes the scores as JSON, CSV and a readable summary.

From a shell: ``python -m effnet_grading release`` and
``python -m effnet_grading grade PATH...``.

A package of its own beside the course's library, ``effnet_lib`` (installed from ``grading/``, never
by a student's install), and it imports nothing of it: grading must keep working when the code a
student is graded on is broken. The kernels it starts import the course's library from the same
environment (:mod:`.course` finds where).
"""

import importlib
import sys
import types

# Loaded on first use: a hidden test imports ``effnet_grading.own_work`` inside a student's
# kernel, and that must not pull in nbgrader and Jupyter's client (seconds per kernel).
_HOMES = {
    "GradingError": "cells",
    "release": "release",
    "release_notebook": "release",
    "Batch": "grade",
    "NotebookResult": "grade",
    "QuestionResult": "grade",
    "grade": "grade",
    "grade_batch": "grade",
    "grade_notebook": "grade",
    "write_report": "report",
    "Isolation": "sandbox",
    "Limits": "sandbox",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)


class _Package(types.ModuleType):
    """Importing a submodule binds it as an attribute of its package; ``grade`` and ``release``
    are both submodules and the functions this package exports, and the functions must win."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _HOMES.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
