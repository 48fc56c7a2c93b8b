"""The grading report: scores as JSON and CSV, a summary to read, and the executed notebooks.

A report never replaces an earlier one: when the folder asked for already holds files, the
report goes to the first free ``NAME-2``, ``NAME-3``... and :func:`write_report` returns
where it went, so the caller can say so.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import nbformat

from .cells import GradingError
from .grade import NotebookResult

CSV_COLUMNS = ("student", "notebook", "question", "points", "max_points", "status", "message")


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


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "_"


def check_report_folder(report_dir: Path, submissions: list[Path]) -> None:
    """Refuse a report folder inside the submissions: grading never writes there."""
    for submitted in map(Path, submissions):
        folder = submitted if submitted.is_dir() else submitted.parent
        if _inside(Path(report_dir), folder):
            raise GradingError(
                f"report folder {report_dir} is inside the submissions ({folder}); "
                "grading never writes into submissions, so pass --report somewhere else"
            )


def write_report(results: list[NotebookResult], report_dir: Path, submissions: list[Path] = ()) -> Path:
    """Write the report for *results* into *report_dir* (or the next free name); return it.

    Refuses a report folder inside any of *submissions*: grading never writes there.
    """
    check_report_folder(report_dir, submissions)
    target = free_folder(Path(report_dir))
    target.mkdir(parents=True, exist_ok=True)

    students: dict[str, dict] = defaultdict(lambda: {"score": 0.0, "max_score": 0.0, "notebooks": []})
    for result in results:
        entry = students[result.student]
        entry["score"] += result.score
        entry["max_score"] += result.max_score
        entry["notebooks"].append(result.to_dict())
    (target / "scores.json").write_text(json.dumps({"students": students}, indent=1) + "\n", encoding="utf-8")

    with open(target / "scores.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for result in results:
            if not result.questions:
                writer.writerow((result.student, result.notebook, "", 0, 0, "not graded", "; ".join(result.problems)))
            for q in result.questions:
                writer.writerow((result.student, result.notebook, q.grade_id, q.points, q.max_points, q.status, q.message))

    (target / "summary.txt").write_text(summary(results), encoding="utf-8")

    for result in results:
        if result.executed is not None:
            path = target / "feedback" / _safe(result.student) / f"{_safe(result.notebook)}.ipynb"
            copies = 1
            while path.exists():  # the same notebook handed in twice: keep both
                copies += 1
                path = path.with_name(f"{_safe(result.notebook)}-{copies}.ipynb")
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(result.executed, str(path))
    return target


def _number(value: float) -> str:
    return f"{value:g}"


def summary(results: list[NotebookResult]) -> str:
    """A plain-text account: per student, per notebook, the score and what went wrong."""
    lines = ["Grading summary", "===============", ""]
    by_student: dict[str, list[NotebookResult]] = defaultdict(list)
    for result in results:
        by_student[result.student].append(result)
    for student in sorted(by_student):
        mine = by_student[student]
        total = sum(r.score for r in mine)
        best = sum(r.max_score for r in mine)
        lines.append(f"{student}: {_number(total)} / {_number(best)} points")
        for result in mine:
            lines.append(f"  {result.notebook}: {_number(result.score)} / {_number(result.max_score)}")
            for q in result.questions:
                if q.status != "passed":
                    detail = f" ({q.message})" if q.message else ""
                    lines.append(f"    {q.grade_id}: {q.status}{detail}")
            for problem in result.problems:
                lines.append(f"    note: {problem}")
        lines.append("")
    return "\n".join(lines)
