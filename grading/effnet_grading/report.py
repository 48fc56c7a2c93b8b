"""The grading report: scores as JSON and CSV, a summary to read, and the executed notebooks.

The report is written into a new hidden folder beside the one asked for and renamed into place
in one step, so a report folder is either complete or absent, and nothing but the grader ever
wrote in it. It never replaces an earlier report: when the folder asked for already holds
files, the report goes to the first free ``NAME-2``, ``NAME-3``... and :func:`write_report`
returns where it went, so the caller can say so.

Every file handed in appears: graded notebooks with their scores, a second copy of an exercise
marked "not counted", a notebook the grader could not grade because of its own set-up marked "not
scored" (never zero), and files, links and empty folders that were not graded, with the reason.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import nbformat

from .cells import GradingError
from .grade import NotebookResult
from .sandbox import Isolation
from .submissions import Skipped, folder_names

CSV_COLUMNS = ("student", "notebook", "question", "points", "max_points", "status", "message", "file")


def free_folder(wanted: Path) -> Path:
    """*wanted* if it is missing or empty, else the first ``wanted-N`` that is."""
    candidate, number = Path(wanted), 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        number += 1
        candidate = wanted.with_name(f"{wanted.name}-{number}")
    return candidate


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def check_report_folder(report_dir: Path, submissions: list[Path]) -> None:
    """Refuse a report folder that cannot be written or that lies inside the submissions."""
    report_dir = Path(report_dir)
    if report_dir.exists() and not report_dir.is_dir():
        raise GradingError(f"report path {report_dir} is a file, not a folder; pass --report with a folder name")
    for submitted in map(Path, submissions):
        folder = submitted if submitted.is_dir() else submitted.parent
        if _inside(report_dir, folder):
            raise GradingError(
                f"report folder {report_dir} is inside the submissions ({folder}); "
                "grading never writes into submissions, so pass --report somewhere else"
            )
    existing = next((p for p in [report_dir, *report_dir.absolute().parents] if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise GradingError(f"cannot write the report under {existing} (no permission); pass --report somewhere writable")


def write_report(results: list[NotebookResult], report_dir: Path, submissions: list[Path] = (),
                 skipped: list[Skipped] = (), isolation: Isolation | None = None) -> Path:
    """Write the report for *results* (and the *skipped* files) into *report_dir*, or the next
    free name; return where it went. *isolation* is recorded so the report says how the
    students' code ran."""
    check_report_folder(report_dir, submissions)
    report_dir = Path(report_dir)
    report_dir.absolute().parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{report_dir.name}.partial-", dir=report_dir.absolute().parent))
    try:
        _write_files(building, results, list(skipped), isolation)
        return _move_into_place(building, report_dir)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _move_into_place(building: Path, wanted: Path) -> Path:
    """Rename *building* to *wanted* or the next free name; rename is all-or-nothing."""
    while True:
        target = free_folder(wanted)
        try:
            os.rename(building, target)  # replaces only a missing or empty folder
            return target
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise  # filled by someone else in between: take the next name


def _write_files(target: Path, results: list[NotebookResult], skipped: list[Skipped], isolation) -> None:
    students: dict[str, dict] = defaultdict(lambda: {"score": 0.0, "max_score": 0.0, "needs_review": False,
                                                     "not_scored": [], "notebooks": [], "not_graded": []})
    for result in results:
        entry = students[result.student]
        if result.scored:
            entry["score"] += result.score
        if result.counted:
            entry["max_score"] += result.max_score
        if result.setup_problem:
            entry["not_scored"].append(result.notebook)
        entry["needs_review"] = entry["needs_review"] or bool(result.review)
        entry["notebooks"].append(result.to_dict())
    for item in skipped:
        students[item.student]["not_graded"].append({"file": str(item.path), "reason": item.reason,
                                                     "needs_review": item.review})
        students[item.student]["needs_review"] = students[item.student]["needs_review"] or item.review
    sandbox = _sandbox_words(isolation)
    data = {"sandbox": sandbox, "students": students}
    (target / "scores.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    with open(target / "scores.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for result in results:
            file = result.path
            if not result.questions:
                writer.writerow((result.student, result.notebook, "", 0, 0, "not graded", "; ".join(result.problems), file))
            for q in result.questions:
                status = q.status if result.counted else f"{q.status} (not counted)"
                points = "" if result.setup_problem else q.points if result.counted else 0
                writer.writerow((result.student, result.notebook, q.grade_id, points, q.max_points, status, q.message, file))
        for item in skipped:
            writer.writerow((item.student, "", "", 0, 0, "not graded", item.reason, str(item.path)))

    (target / "summary.txt").write_text(summary(results, skipped, isolation), encoding="utf-8")

    folders = folder_names(sorted({r.student for r in results}))
    for result in results:
        if result.executed is None:
            continue
        name = result.notebook if result.counted else f"{result.notebook}-{Path(result.path).stem}-not-counted"
        folder, base = target / "feedback" / folders[result.student], folder_names([name])[name]
        path, copies = folder / f"{base}.ipynb", 1
        while path.exists():  # never overwrite one notebook's feedback with another's
            copies += 1
            path = folder / f"{base}-{copies}.ipynb"
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(result.executed, str(path))


def _sandbox_words(isolation: Isolation | None) -> str:
    if isolation is None:
        return "not recorded"
    if not isolation.confine:
        return "NONE: students' code ran with the grader's permissions (--unsafe-no-sandbox)"
    limits = isolation.limits
    return (f"bubblewrap: no network, own processes, read-only course files; memory {limits.memory >> 20} MiB, "
            f"{limits.processes} processes, {limits.open_files} open files per process")


def _number(value: float) -> str:
    return f"{value:g}"


def summary(results: list[NotebookResult], skipped: list[Skipped] = (), isolation: Isolation | None = None) -> str:
    """A plain-text account: what needs review first, then per student, per notebook, the score
    and what went wrong, and every file that was not graded."""
    lines = ["Grading summary", "===============", ""]
    if isolation is not None:
        lines += [f"Sandbox: {_sandbox_words(isolation)}", ""]
    by_student: dict[str, list[NotebookResult]] = defaultdict(list)
    for result in results:
        by_student[result.student].append(result)
    not_graded: dict[str, list[Skipped]] = defaultdict(list)
    for item in skipped:
        not_graded[item.student].append(item)
    broken = [r for r in results if r.setup_problem]
    if broken:
        lines.append("Grader set-up problems (these notebooks got no score; fix the set-up and grade them again):")
        for result in broken:
            lines.append(f"  {result.student} / {result.notebook} ({result.path})")
            lines.append(f"    {result.setup_problem}")
        lines.append("")
    flagged = [r for r in results if r.review]
    links = [item for item in skipped if item.review]
    if flagged or links:
        lines.append("Needs review (look at these by hand):")
        for result in flagged:
            lines.append(f"  {result.student} / {result.notebook} ({result.path})")
            lines += [f"    {reason}" for reason in result.review]
        for item in links:
            lines.append(f"  {item.student}: {item.path}")
            lines.append(f"    {item.reason}")
        lines.append("")
    for student in sorted(set(by_student) | set(not_graded)):
        mine = by_student.get(student, [])
        total = sum(r.score for r in mine if r.scored)
        best = sum(r.max_score for r in mine if r.counted)
        unscored = [r.notebook for r in mine if r.counted and r.setup_problem]
        incomplete = f" (not scored: {', '.join(unscored)}, a grader set-up problem)" if unscored else ""
        lines.append(f"{student}: {_number(total)} / {_number(best)} points{incomplete}")
        for result in mine:
            counted = "" if result.counted else " (not counted)"
            if result.setup_problem:
                lines.append(f"  {result.notebook}: not scored, a grader set-up problem (worth {_number(result.max_score)}){counted}")
                continue
            lines.append(f"  {result.notebook}: {_number(result.score)} / {_number(result.max_score)}{counted}")
            for q in result.questions:
                if q.status != "passed":
                    detail = f" ({q.message})" if q.message else ""
                    lines.append(f"    {q.grade_id}: {q.status}{detail}")
            for problem in result.problems:
                lines.append(f"    note: {problem}")
        for item in not_graded.get(student, []):
            lines.append(f"  not graded: {item.path} ({item.reason})")
        lines.append("")
    return "\n".join(lines)
