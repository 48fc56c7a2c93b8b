"""Student versions of the exercises, made from the solutions by nbgrader's own preprocessors.

The pipeline is ``nbgrader generate_assignment``'s, minus its database step: lock cells,
replace solutions by stubs, clear outputs, check the metadata, checksum, remove hidden tests,
remove mark schemes, checksum again. A solution's jupytext ``py:percent`` twin (in ``py/``
beside it, as the course keeps its notebooks) must say what its ``.ipynb`` says. A released
exercise is one ``.ipynb`` with no twin and no pairing, so a student's file browser shows each
exercise once and saving it in JupyterLab writes no second copy.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

from .cells import GradingError, grade_id, is_marked, is_test, read_notebook

# The order matters (it is nbgrader's): checksums are computed once with the hidden tests in
# place, then again on what the student receives.
PIPELINE = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)

# Text that must never reach a student.
FORBIDDEN_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def release_notebook(solution: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of one solution notebook (a new notebook; the input is untouched)."""
    _check_solution(solution, name)
    nb = copy.deepcopy(solution)
    resources: dict = {}
    for step in PIPELINE:
        try:
            nb, resources = step().preprocess(nb, resources)
        except (RuntimeError, ValidationError) as error:
            raise GradingError(f"{name}: nbgrader's {step.__name__} refused it: {error}") from error
    for cell in nb.cells:
        leaked = [marker for marker in FORBIDDEN_MARKERS if marker in cell.source]
        if leaked:
            raise GradingError(
                f"{name}: cell {grade_id(cell) or '(unmarked)'} still contains {leaked[0]!r} after "
                "release; put solutions only in solution cells and hidden tests only in test cells"
            )
    return nb


def _check_solution(nb: NotebookNode, name: str) -> None:
    """Refuse solutions that nbgrader would accept but that could not grade a student."""
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        if meta.get("schema_version") != 3:
            raise GradingError(
                f"{name}: cell {index} has nbgrader metadata of schema {meta.get('schema_version')}, "
                "expected 3; open it once in nbgrader's Create Assignment toolbar to upgrade it"
            )
        if is_marked(cell):
            identifier = grade_id(cell)
            if identifier in seen:
                raise GradingError(f"{name}: grade_id {identifier!r} is used twice; make it unique")
            seen.add(identifier)
    if not any(is_test(cell) for cell in nb.cells):
        raise GradingError(f"{name}: no autograded test cell (grade: true, solution: false)")


def solution_notebooks(source: Path) -> list[Path]:
    """The ``.ipynb`` solution notebooks in *source*, each checked against its ``.py`` pair."""
    source = Path(source)
    if not source.is_dir():
        raise GradingError(f"solutions folder {source} does not exist; pass --source PATH")
    paths = sorted(p for p in source.glob("*.ipynb"))
    for text in sorted([*source.glob("*.py"), *source.glob("py/*.py")]):
        is_notebook = "jupytext:" in text.read_text(encoding="utf-8")[:2000]
        if is_notebook and not (source / text.with_suffix(".ipynb").name).exists():
            raise GradingError(
                f"{text} has no paired .ipynb; create it with `jupytext --sync {text}`"
            )
    if not paths:
        raise GradingError(f"no .ipynb notebooks in {source}")
    for path in paths:
        _check_pair(path)
    return paths


def _twin(path: Path) -> Path | None:
    """The jupytext twin of a solution notebook: ``py/NAME.py`` (the course's layout) or
    ``NAME.py`` beside it; None when it has none."""
    for text in (path.parent / "py" / path.with_suffix(".py").name, path.with_suffix(".py")):
        if text.exists() and "jupytext:" in text.read_text(encoding="utf-8")[:2000]:
            return text
    return None


def _check_pair(path: Path) -> None:
    """A solution's ``.py`` and ``.ipynb`` must say the same, or the release is ambiguous."""
    text = _twin(path)
    if text is None:
        return
    notebook, script = read_notebook(path), read_notebook(text)

    def cells(nb: NotebookNode) -> list:
        return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]

    if cells(notebook) != cells(script):
        raise GradingError(
            f"{path} and {text.name} differ; sync them with `jupytext --sync {text}` "
            "(the newer file wins) before releasing"
        )


def _rendered(nb: NotebookNode) -> dict[str, str]:
    """The file one released notebook becomes, by suffix: the ``.ipynb`` alone, unpaired (with
    its solution's pairing, jupytext in a student's JupyterLab would write a ``.py`` copy beside it)."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("jupytext", None)
    return {".ipynb": nbformat.writes(nb) + "\n"}


def planned_release(source: Path) -> dict[str, str]:
    """File name -> content for every file ``release`` writes from *source*."""
    files: dict[str, str] = {}
    for path in solution_notebooks(source):
        released = release_notebook(read_notebook(path), name=path.name)
        for suffix, text in _rendered(released).items():
            files[path.stem + suffix] = text
    return files


def release(source: Path = Path("solutions"), dest: Path = Path("exercises")) -> list[Path]:
    """Write the student version of every notebook in *source* into *dest*; return what changed.

    Files in *dest* that no solution produces are left alone (deleting is the instructor's
    call) and reported by :func:`check_release`.
    """
    dest = Path(dest)
    if dest.resolve() == Path(source).resolve():
        raise GradingError("--dest must differ from --source, or the solutions would be overwritten")
    files = planned_release(source)
    dest.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in files.items():
        target = dest / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def check_release(source: Path = Path("solutions"), dest: Path = Path("exercises")) -> list[str]:
    """What differs between *dest* and a fresh release of *source* (empty when in sync)."""
    dest = Path(dest)
    problems = []
    files = planned_release(source)
    for name, text in files.items():
        target = dest / name
        if not target.exists():
            problems.append(f"{target} is missing")
            continue
        have = target.read_text(encoding="utf-8")
        if have != text:
            diff = difflib.unified_diff(
                have.splitlines(), text.splitlines(), str(target), "release", lineterm="", n=1
            )
            problems.append(f"{target} differs from a fresh release:\n" + "\n".join(list(diff)[:20]))
    if dest.is_dir():
        for extra in sorted(dest.iterdir()):
            if extra.suffix in (".ipynb", ".py") and extra.name not in files:
                problems.append(f"{extra} comes from no solution (stale); delete it")
    return problems
