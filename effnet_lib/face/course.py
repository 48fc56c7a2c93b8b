"""The course as notebook 0 lists it: each notebook with its title, its exercises and its CPU time.

    notebook_entries(folder)   every notebook in `folder`, read from the notebooks themselves: the
                               title (first heading), the exercises and worked answers it links to
    course_table(entries, times)  those entries as Markdown table rows, with each CPU time from
                               `run_times` (the benchmark's file)

Nothing here is typed twice: a notebook that links a new exercise shows it in notebook 0's table
the next time notebook 0 runs.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping, NamedTuple

from .run_times import NotebookTime

EXERCISE_LINK = re.compile(r"\[([^\]]+)\]\(\.\./exercises/([\w.-]+\.ipynb)\)")
EXERCISES_LINE = re.compile(r"\s*\*\*Exercises?:\*\*")     # the paragraph that names a notebook's exercises
ANSWERS_LINK = re.compile(r"\]\(\.\./solutions/answers/([\w.-]+\.md)\)")


class NotebookEntry(NamedTuple):
    """One notebook of the course, as read from its file."""

    path: Path
    title: str
    exercises: tuple[str, ...]       # exercises/ files its "**Exercises:**" paragraph links, in that order
    answers: str | None              # the file under solutions/answers/ with its questions' worked answers

    @property
    def name(self) -> str:
        return self.path.stem


def _markdown(path: Path) -> list[str]:
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{path} is not a readable notebook ({error}).") from None
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "markdown"]


def notebook_entry(path: str | Path) -> NotebookEntry:
    """A notebook's title (its first heading), the exercises its "**Exercises:**" paragraph links to (other
    links to exercises elsewhere in it do not count) and the file of worked answers it links to."""
    path = Path(path)
    markdown = _markdown(path)
    title = next((line.lstrip("#").strip() for text in markdown for line in text.splitlines()
                  if line.startswith("#")), path.stem)
    text = "\n".join(markdown)
    stated = [paragraph for paragraph in re.split(r"\n\s*\n", text) if EXERCISES_LINE.match(paragraph)]
    exercises = tuple(dict.fromkeys(name for paragraph in stated for _, name in EXERCISE_LINK.findall(paragraph)))
    answers = ANSWERS_LINK.search(text)
    return NotebookEntry(path, title, exercises, answers.group(1) if answers else None)


def notebook_entries(folder: str | Path) -> list[NotebookEntry]:
    """Every notebook (`*.ipynb`) in `folder`, in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {folder}: pass the course's notebooks/ folder.")
    return [notebook_entry(path) for path in sorted(folder.glob("*.ipynb"))]


def course_table(entries: list[NotebookEntry], times: Mapping[str, NotebookTime]) -> str:
    """A Markdown table: each notebook (linked), what it is about, its exercises (linked), its CPU time.

    Links are relative to the notebooks folder, as notebook 0 sits in it.
    """
    rows = ["| notebook | what it is about | exercises | CPU time, idle and busy |", "| --- | --- | --- | --- |"]
    for entry in entries:
        exercises = ", ".join(f"[{Path(e).stem}](../exercises/{e})" for e in entry.exercises) or "none"
        time = times[entry.name].statement() if entry.name in times else "not measured yet"
        rows.append(f"| [{entry.path.name}]({entry.path.name}) | {entry.title} | {exercises} | {time} |")
    return "\n".join(rows)
