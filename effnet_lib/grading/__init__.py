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

From a shell: ``python -m effnet_lib.grading release`` and
``python -m effnet_lib.grading grade PATH...``.

This subpackage is the last layer of the library and imports nothing else from it: grading
must keep working when the code a student is graded on is broken.
"""

from .cells import GradingError
from .release import release, release_notebook
from .grade import Batch, NotebookResult, QuestionResult, grade, grade_batch, grade_notebook
from .report import write_report
from .sandbox import Isolation, Limits

__all__ = [
    "Batch",
    "GradingError",
    "Isolation",
    "Limits",
    "NotebookResult",
    "QuestionResult",
    "grade",
    "grade_batch",
    "grade_notebook",
    "release",
    "release_notebook",
    "write_report",
]
