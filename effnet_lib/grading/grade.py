"""Grade returned notebooks against the tests of their solution notebooks.

A submission is matched to its solution by file name (``01_round_filters.ipynb``), or, when a
student renamed it, by the grade ids it carries. The student's answers are put into the
source notebook (:mod:`.merge`), the result runs in a fresh kernel with a time limit per cell
(:mod:`.execute`), and each test cell earns its points when it runs without an error, the rule
``nbgrader autograde`` applies. Submissions are only read, never written.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from .cells import GradingError, grade_id, is_grade, is_marked, is_solution, is_test, points, read_notebook
from .execute import run_notebook
from .merge import merge
from .release import release_notebook, solution_notebooks


@dataclass
class QuestionResult:
    """One graded cell: ``status`` is passed, failed, timeout, kernel died, not run or manual."""

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""


@dataclass
class NotebookResult:
    """The grade of one student's notebook."""

    student: str
    notebook: str
    path: str
    questions: list[QuestionResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    executed: NotebookNode | None = field(default=None, repr=False, compare=False)

    @property
    def score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_score(self) -> float:
        return sum(q.max_points for q in self.questions)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("executed")
        data["score"], data["max_score"] = self.score, self.max_score
        return data


@dataclass
class Source:
    """A solution notebook and its released version, read once for the whole batch."""

    name: str
    notebook: NotebookNode
    released: NotebookNode

    @property
    def grade_ids(self) -> set[str]:
        return {grade_id(c) for c in self.notebook.cells if is_marked(c)}


def load_sources(source_dir: Path) -> dict[str, Source]:
    sources = {}
    for path in solution_notebooks(Path(source_dir)):
        nb = read_notebook(path)
        sources[path.stem] = Source(path.stem, nb, release_notebook(nb, name=path.name))
    return sources


def find_submissions(paths: list[Path]) -> list[tuple[str, Path]]:
    """(student, notebook path) for every notebook under *paths*.

    A file's student is its folder's name. In a folder, a notebook nested one level or more
    belongs to the student named by the first sub-folder (``submitted/alice/...``, nbgrader's
    layout), and a notebook directly inside belongs to the folder's own name.
    """
    found = []
    for path in map(Path, paths):
        if path.is_file():
            found.append((path.resolve().parent.name, path))
        elif path.is_dir():
            for notebook in sorted(path.rglob("*.ipynb")):
                relative = notebook.relative_to(path)
                if ".ipynb_checkpoints" in relative.parts:
                    continue
                student = relative.parts[0] if len(relative.parts) > 1 else path.resolve().name
                found.append((student, notebook))
        else:
            raise GradingError(f"submission path {path} does not exist")
    if not found:
        raise GradingError(f"no notebooks found under {', '.join(map(str, paths))}")
    return found


def _match(path: Path, student_nb: NotebookNode | None, sources: dict[str, Source]) -> Source | None:
    if path.stem in sources:
        return sources[path.stem]
    if student_nb is None:
        return None
    carried = {grade_id(c) for c in student_nb.cells if is_marked(c)}
    overlap = {name: len(carried & s.grade_ids) for name, s in sources.items()}
    best = max(overlap, key=overlap.get, default=None)
    return sources[best] if best is not None and overlap[best] > 0 else None


def _message(cell: NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"[:300]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "wrote to stderr: " + "".join(output.get("text", ""))[:200]
    return ""


def _questions_not_run(source: Source, reason: str) -> list[QuestionResult]:
    return [
        QuestionResult(grade_id(c), 0.0, points(c), "not run", reason)
        for c in source.notebook.cells
        if is_grade(c)
    ]


def grade_notebook(
    path: Path, student: str, sources: dict[str, Source], timeout: float = 60.0
) -> NotebookResult:
    """Grade one submitted notebook; never raises because of what the notebook contains."""
    path = Path(path)
    try:
        student_nb, problem = read_notebook(path), None
    except ValueError as error:
        student_nb, problem = None, str(error)
    source = _match(path, student_nb, sources)
    if source is None:
        reason = problem or "matches no solution notebook by file name or by grade ids"
        return NotebookResult(student, path.stem, str(path), problems=[reason])
    result = NotebookResult(student, source.name, str(path))
    if path.stem != source.name:
        result.problems.append(f"file name {path.name} differs; matched to {source.name} by its grade ids")
    if student_nb is None:
        result.problems.append(f"{problem}; every question scores zero")
        result.questions = _questions_not_run(source, "the submission could not be read")
        return result

    merged = merge(source.notebook, source.released, student_nb)
    result.problems.extend(merged.notes)
    execution = run_notebook(merged.notebook, timeout=timeout)
    if execution.kernel_problem:
        result.problems.append(execution.kernel_problem)
    for index, message in {**execution.timed_out, **execution.died}.items():
        where = grade_id(merged.notebook.cells[index]) or f"a cell you added (cell {index})"
        result.problems.append(f"{where}: {message}; the notebook was run again without it")
    for index, cell in enumerate(merged.notebook.cells):
        if not is_grade(cell):
            continue
        name, worth = grade_id(cell), points(cell)
        if index in execution.not_run:
            result.questions.append(QuestionResult(name, 0.0, worth, "not run", execution.not_run[index]))
        elif index in execution.timed_out:
            result.questions.append(QuestionResult(name, 0.0, worth, "timeout", execution.timed_out[index]))
        elif index in execution.died:
            result.questions.append(QuestionResult(name, 0.0, worth, "kernel died", execution.died[index]))
        elif is_solution(cell) or not is_test(cell):
            result.questions.append(QuestionResult(name, 0.0, worth, "manual", "graded by hand in nbgrader"))
        else:
            # nbgrader's rule (no error, nothing on stderr), and the kernel must have said "ok".
            reply, error = execution.replies.get(index, ("unknown", "the cell did not finish"))
            score = float(determine_grade(cell)[0] or 0.0) if reply == "ok" else 0.0
            status = "passed" if score >= worth else "failed"
            message = _message(cell) or error
            result.questions.append(QuestionResult(name, score, worth, status, message))
    result.executed = merged.notebook
    return result


def _grade_safely(path: Path, student: str, sources: dict[str, Source], timeout: float) -> NotebookResult:
    """:func:`grade_notebook`, turning even a grader failure into a zero with the reason."""
    try:
        return grade_notebook(path, student, sources, timeout=timeout)
    except Exception as error:  # one odd notebook must not cost the others their grades
        result = NotebookResult(student, Path(path).stem, str(path))
        result.problems.append(f"grading failed: {type(error).__name__}: {error}")
        source = sources.get(Path(path).stem)
        if source is not None:
            result.questions = _questions_not_run(source, "grading failed")
        return result


def grade(
    paths: list[Path],
    source_dir: Path = Path("solutions"),
    timeout: float = 60.0,
    progress=None,
    student: str | None = None,
    jobs: int = 1,
) -> list[NotebookResult]:
    """Grade every notebook under *paths* against the solutions in *source_dir*.

    *student*, if given, names the student of every notebook found (instead of the folders).
    *jobs* notebooks run at a time, each in its own process and kernel. *progress*, if given,
    is called with a line of text as each notebook starts.
    """
    if timeout <= 0:
        raise GradingError(f"the time limit per cell must be positive, got {timeout}")
    if not isinstance(jobs, int) or jobs < 1:
        raise GradingError(f"jobs must be a whole number >= 1, got {jobs!r}")
    sources = load_sources(Path(source_dir))
    work = [(student or found, path) for found, path in find_submissions(paths)]
    say = progress or (lambda line: None)
    if jobs == 1:
        results = []
        for name, path in work:
            say(f"grading {name}: {path}")
            results.append(_grade_safely(path, name, sources, timeout))
        return results

    # "spawn" starts clean workers on every platform (no forked kernel connections).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = []
        for name, path in work:
            say(f"grading {name}: {path}")
            futures.append(pool.submit(_grade_safely, path, name, sources, timeout))
        results = []
        for (name, path), future in zip(work, futures):
            try:
                results.append(future.result())
            except Exception as error:  # the worker process itself died
                result = NotebookResult(name, Path(path).stem, str(path))
                result.problems.append(f"grading failed: {type(error).__name__}: {error}")
                results.append(result)
        return results
