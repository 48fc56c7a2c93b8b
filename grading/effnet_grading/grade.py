"""Grade returned notebooks against the tests of their solution notebooks.

A submission is matched to its solution by file name (``01_round_filters.ipynb``), or, when a
student renamed it, by the grade ids it carries. The student's answers are put into the
source notebook (:mod:`.merge`), the course's cells become requests that the kernel's runner
answers from its own plan (:mod:`.proof`), and the result runs in a fresh sandboxed kernel with
a time limit per cell (:mod:`.execute`). A test cell earns its points when the kernel's record
says it ran to the end and its output shows no error, the rule ``nbgrader autograde`` applies,
and only when the proof holds: a notebook whose run cannot be trusted scores zero, marked "needs
review". A read-only cell of the course that fails on its own (not because of an answer it
uses) is a grader set-up problem: the notebook gets no score, and the command exits non-zero.
Submissions are only read, never written.
"""

from __future__ import annotations

import multiprocessing
import re
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import wait
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from .cells import GradingError, grade_id, is_grade, is_marked, is_solution, is_test, points, read_notebook
from .names import bound_names, parse_cell, used_chains
from .execute import run_notebook
from .merge import merge
from .proof import References, graded_view, instrument, references, verify
from .release import release_notebook, solution_notebooks
from .course import find_course
from .sandbox import Isolation, Limits, check_hidden, course_problem, sandbox_problem
from .scan import suspicious
from .submissions import Skipped, Submission, find_submissions

@dataclass
class QuestionResult:
    """One graded cell: ``status`` is passed, failed, timeout, kernel died, not run, manual or
    needs review."""

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
    # Why an instructor should look at this notebook by hand (empty: no reason found).
    review: list[str] = field(default_factory=list)
    # False for a second copy of an exercise the same student handed in: shown, not summed.
    counted: bool = True
    # Why the notebook could not be graded through no fault of the student's (the course's own
    # read-only cell failed): it gets no score at all, and the instructor fixes the set-up.
    setup_problem: str = ""
    executed: NotebookNode | None = field(default=None, repr=False, compare=False)

    @property
    def score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_score(self) -> float:
        return sum(q.max_points for q in self.questions)

    @property
    def scored(self) -> bool:
        """Whether this notebook's score counts: a counted copy without a grader set-up problem."""
        return self.counted and not self.setup_problem

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("executed")
        data["score"] = self.score if not self.setup_problem else None
        data["max_score"] = self.max_score
        return data


@dataclass
class Source:
    """A solution notebook and its released version, read once for the whole batch."""

    name: str
    notebook: NotebookNode
    released: NotebookNode
    references: References = field(default_factory=References)

    @property
    def grade_ids(self) -> set[str]:
        return {grade_id(c) for c in self.notebook.cells if is_marked(c)}


def load_sources(source_dir: Path) -> dict[str, Source]:
    sources = {}
    for path in solution_notebooks(Path(source_dir)):
        nb = read_notebook(path)
        sources[path.stem] = Source(path.stem, nb, release_notebook(nb, name=path.name), references(nb))
    return sources


def _match(path: Path, student_nb: NotebookNode | None, sources: dict[str, Source]) -> Source | None:
    """The solution a submission answers: the one its cells' grade ids come from, else the one its
    file name names (a student may strip the metadata, or rename the file)."""
    carried = {grade_id(c) for c in student_nb.cells if is_marked(c)} if student_nb is not None else set()
    overlap = {name: len(carried & s.grade_ids) for name, s in sources.items()}
    best = max(overlap, key=overlap.get, default=None)
    holds = sources[best] if best is not None and overlap[best] > 0 else None
    named = sources.get(path.stem)
    if named is not None and (holds is None or overlap[named.name] >= overlap[holds.name]):
        return named
    return holds


# An exception's last line, as Python prints it ("OSError: [Errno 24] Too many open files").
ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?\w+(?:Error|Exception|Exit|Interrupt|Warning)\b(?::.*)?$", re.MULTILINE)


def _message(cell: NotebookNode) -> str:
    """What went wrong in a cell, in words: its error, else what it wrote to stderr (nbgrader counts
    that as a failure), named by the error it reports when it reports one."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"[:300]
    stderr = "".join("".join(output.get("text", "")) for output in cell.get("outputs", [])
                     if output.get("output_type") == "stream" and output.get("name") == "stderr")
    if not stderr:
        return ""
    errors = ERROR_LINE.findall(stderr)
    if "Too many open files" in stderr or "[Errno 24]" in stderr:
        line = next((e for e in reversed(errors) if "Errno 24" in e or "Too many open files" in e), errors[-1] if errors else "")
        return ("the kernel ran out of open files (Errno 24, Too many open files: each process of a kernel may "
                f"hold {Limits.open_files} by default)" + (f": {line.strip()}" if line else ""))[:300]
    if errors:
        return f"{errors[-1].strip()} (written to stderr, which nbgrader counts as a failure)"[:300]
    return "wrote to stderr: " + stderr[:200]


def _questions_not_run(source: Source, reason: str) -> list[QuestionResult]:
    return [
        QuestionResult(grade_id(c), 0.0, points(c), "not run", reason)
        for c in source.notebook.cells
        if is_grade(c)
    ]


def grade_notebook(
    path: Path, student: str, sources: dict[str, Source], timeout: float = 60.0, isolation: Isolation = Isolation()
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
    if path.stem in sources and path.stem != source.name:
        note = (f"{path.name} holds exercise {source.name}, not {path.stem} (its cells carry {source.name}'s "
                f"grade ids): graded as {source.name}")
        result.problems.append(note)
        result.review.append(f"check by hand: {note}")
    elif path.stem != source.name:
        result.problems.append(f"file name {path.name} differs; matched to {source.name} by its grade ids")
    if student_nb is None:
        result.problems.append(f"{problem}; every question scores zero")
        result.questions = _questions_not_run(source, "the submission could not be read")
        return result

    merged = merge(source.notebook, source.released, student_nb)
    result.problems.extend(merged.notes)
    result.review.extend(merged.review)

    def label(index: int) -> str:
        return grade_id(merged.notebook.cells[index]) or f"a cell you added (cell {index})"

    result.review.extend(f"check by hand: {note}" for note in suspicious(merged.notebook, merged.student, label))
    plan = instrument(merged.notebook, merged.student, source.references)
    run = run_notebook(plan.notebook, timeout=timeout, isolation=isolation, quiet=plan.quiet, program=plan.program)
    # Always, even when the kernel was given up on: the tests that did run must be proven.
    proof = verify(plan, run)
    tampering = proof.tampering
    executed, execution = graded_view(plan, run)
    if execution.kernel_problem:
        result.problems.append(execution.kernel_problem)
    result.problems.extend(execution.cleanup_problems)
    for index, message in {**execution.timed_out, **execution.died}.items():
        result.problems.append(f"{label(index)}: {message}; the notebook was run again without it")
    result.review.extend(f"needs review: {reason}" for reason in tampering)
    result.review.extend(f"check by hand: {note}" for note in proof.notes)
    broken = _broken_course_cell(executed, merged.student, proof)
    if broken is not None:
        result.setup_problem = (f"the course's read-only cell {label(broken)} failed "
                                f"({_message(executed.cells[broken]) or 'an error'}), which no answer can cause: "
                                "check the grader's set-up (the installed course, --expose), then grade again")
        if any(index < broken for index in merged.student):
            result.review.append(f"check by hand: the course's cell {label(broken)} failed after the student's "
                                 "cells ran; make sure they did not break it")
    for index, cell in enumerate(executed.cells):
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
        elif result.setup_problem:
            result.questions.append(QuestionResult(name, 0.0, worth, "grader set-up problem", result.setup_problem))
        elif tampering:
            message = "the tests did not provably run as written; see the review notes"
            result.questions.append(QuestionResult(name, 0.0, worth, "needs review", message))
        else:
            # The kernel's record must say the test ran to the end, and nbgrader's rule (no error
            # or stderr output) must hold.
            _, error = execution.replies.get(index, ("unknown", "the cell did not finish"))
            score = min(worth, float(determine_grade(cell)[0] or 0.0)) if proof.passed.get(index) else 0.0
            status = "passed" if score >= worth else "failed"
            message = _message(cell) or error
            result.questions.append(QuestionResult(name, score, worth, status, message))
    result.executed = executed
    return result


def _broken_course_cell(executed: NotebookNode, student: set[int], proof) -> int | None:
    """The first read-only code cell of the course that the record says failed by no fault of
    the student's (None: none did). One that uses what an answer above it defines (directly or
    through a course cell between them) may fail because the answer does: that failure is the
    student's. Only cells above count: a notebook runs top to bottom, so a cell cannot depend on a
    name that a later cell binds."""
    dependent: set[str] = set()      # names bound so far by an answer, or from one
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        tree = parse_cell(cell.source)
        if index in student:
            dependent |= set(bound_names(tree)) if tree is not None else set()
            continue
        uses_an_answer = tree is not None and bool({chain[0] for chain in used_chains(tree)} & dependent)
        if uses_an_answer:
            dependent |= set(bound_names(tree))
        elif not is_test(cell) and proof.passed.get(index) is False:
            return index
    return None


def _grade_safely(path: Path, student: str, sources: dict[str, Source], timeout: float,
                  isolation: Isolation) -> NotebookResult:
    """:func:`grade_notebook`, turning even a grader failure into a zero with the reason."""
    try:
        return grade_notebook(path, student, sources, timeout=timeout, isolation=isolation)
    except Exception as error:  # one odd notebook must not cost the others their grades
        return _failed(path, student, sources, f"grading failed: {type(error).__name__}: {error}")


def _failed(path: Path, student: str, sources: dict[str, Source], reason: str) -> NotebookResult:
    result = NotebookResult(student, Path(path).stem, str(path), problems=[reason])
    source = sources.get(Path(path).stem)
    if source is not None:
        result.questions = _questions_not_run(source, reason)
    return result


@dataclass
class Batch:
    """A grading run: the notebooks graded and the files handed in that were not."""

    results: list[NotebookResult]
    skipped: list[Skipped]
    isolation: Isolation


def check_options(timeout: float, jobs: int, isolation: Isolation) -> Isolation:
    """Refuse options that cannot work, before anything is graded; *isolation* with the course the
    kernels import, checked to be the one the grader sees (:mod:`.course`)."""
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise GradingError(f"the time limit per cell must be a positive number of seconds, got {timeout}")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise GradingError(f"jobs must be a whole number of 1 or more, got {jobs!r}")
    isolation.limits.check()
    if isolation.confine and (problem := sandbox_problem()):
        raise GradingError(problem)
    isolation = replace(isolation, course=isolation.course or find_course())
    if problem := course_problem(isolation):
        raise GradingError(problem)
    return isolation


def grade_batch(
    paths: list[Path],
    source_dir: Path = Path("solutions"),
    timeout: float = 60.0,
    progress=None,
    student: str | None = None,
    jobs: int = 1,
    isolation: Isolation = Isolation(),
    exercises: list[str] | None = None,
) -> Batch:
    """Grade every notebook under *paths* against the solutions in *source_dir*.

    *student*, if given, names the student of every notebook found (instead of the folders).
    *jobs* notebooks run at a time, each kernel in its own sandbox (*isolation*). *exercises*,
    if given, limits grading to those solution names; other notebooks are listed as skipped.
    *progress*, if given, is called with a line of text as each notebook starts. Every check
    of the input happens before the first notebook runs.
    """
    isolation = check_options(timeout, jobs, isolation)
    sources = load_sources(Path(source_dir))
    unknown = sorted(set(exercises or ()) - set(sources))
    if unknown:
        raise GradingError(f"no exercise named {', '.join(unknown)} in {source_dir}; "
                           f"the exercises are: {', '.join(sorted(sources))}")
    found, skipped = find_submissions(paths, student)
    if isolation.confine:
        check_hidden([Path(source_dir), *map(Path, paths)], isolation.expose, isolation.course)
    if exercises:
        wanted = {name: sources[name] for name in exercises}
        found, skipped = _only(found, skipped, wanted)
        sources = wanted
    say = progress or (lambda line: None)
    results = _run_all(found, sources, timeout, isolation, jobs, say)
    _mark_duplicates(results)
    return Batch(results, skipped, isolation)


def grade(paths: list[Path], source_dir: Path = Path("solutions"), timeout: float = 60.0, progress=None,
          student: str | None = None, jobs: int = 1, isolation: Isolation = Isolation()) -> list[NotebookResult]:
    """:func:`grade_batch`'s graded notebooks (the files that were not graded are left out)."""
    return grade_batch(paths, source_dir, timeout, progress, student, jobs, isolation).results


def _only(found: list[Submission], skipped: list[Skipped], sources: dict[str, Source]):
    kept = []
    for submission in found:
        try:
            notebook = read_notebook(submission.path)
        except ValueError:
            notebook = None
        if _match(submission.path, notebook, sources) is not None:
            kept.append(submission)
        else:
            skipped.append(Skipped(submission.student, submission.path, "not one of the exercises asked for (--exercise)"))
    return kept, skipped


def _mark_duplicates(results: list[NotebookResult]) -> None:
    """Count one notebook per student and exercise: the one with the exercise's own file name
    (else the first by path); the others stay in the report, not in the total."""
    by_key: dict[tuple[str, str], list[NotebookResult]] = {}
    for result in results:
        if result.questions:
            by_key.setdefault((result.student, result.notebook), []).append(result)
    for (student, notebook), copies in by_key.items():
        if len(copies) < 2:
            continue
        copies.sort(key=lambda r: (Path(r.path).stem != notebook, r.path))
        chosen = copies[0]
        names = ", ".join(Path(r.path).name for r in copies)
        for result in copies:
            result.review.append(f"check by hand: {len(copies)} files for exercise {notebook} ({names}); "
                                 f"only {chosen.path} counts")
            if result is not chosen:
                result.counted = False
                result.problems.append(f"not counted: a second copy of {notebook}; {chosen.path} counts")


def _run_all(found, sources, timeout, isolation, jobs, say) -> list[NotebookResult]:
    if jobs == 1:
        results = []
        for submission in found:
            say(f"grading {submission.student}: {submission.path}")
            results.append(_grade_safely(submission.path, submission.student, sources, timeout, isolation))
        return results
    return _run_parallel(found, sources, timeout, isolation, jobs, say)


def _worker(connection, sources, timeout, isolation) -> None:
    """A grading process: grade each (student, path) it is sent, until it is sent None."""
    while (task := connection.recv()) is not None:
        student, path = task
        connection.send(_grade_safely(path, student, sources, timeout, isolation))


def _run_parallel(found, sources, timeout, isolation, jobs, say) -> list[NotebookResult]:
    """*jobs* long-lived grading processes; one that dies (out of memory, a crash) costs only
    the notebook it was grading, which is reported, and a new process takes its place."""
    # "spawn" starts clean workers on every platform (no forked kernel connections).
    context = multiprocessing.get_context("spawn")
    results: list[NotebookResult | None] = [None] * len(found)
    queue = list(enumerate(found))
    workers: dict = {}  # connection -> (process, index being graded or None)

    def start():
        ours, theirs = context.Pipe()
        process = context.Process(target=_worker, args=(theirs, sources, timeout, isolation))
        process.start()
        theirs.close()
        workers[ours] = (process, None)

    def hand_out(connection):
        process, _ = workers[connection]
        if not queue:
            connection.send(None)
            process.join()
            connection.close()
            del workers[connection]
            return
        index, submission = queue.pop(0)
        say(f"grading {submission.student}: {submission.path}")
        connection.send((submission.student, submission.path))
        workers[connection] = (process, index)

    for _ in range(min(jobs, len(found))):
        start()
    for connection in list(workers):
        hand_out(connection)
    while workers:
        for connection in wait(list(workers)):
            process, index = workers[connection]
            try:
                results[index] = connection.recv()
            except (EOFError, OSError):  # the process died with the notebook
                process.join()
                submission = found[index]
                results[index] = _failed(submission.path, submission.student, sources,
                                         f"grading failed: the grading process died (exit code {process.exitcode})")
                connection.close()
                del workers[connection]
                if queue:
                    start()
                    hand_out(next(reversed(workers)))
                continue
            hand_out(connection)
    return results
