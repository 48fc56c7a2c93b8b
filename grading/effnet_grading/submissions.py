"""What was handed in: every file under the submission paths, as a notebook to grade or with
the reason it is not graded, and whose it is.

A file's student is the first folder below the path given (``submitted/alice/...``, nbgrader's
layout), or the folder holding it when it sits directly in that path or is named as a file.
Nothing is dropped silently: Jupyter's checkpoint copies, a ``.py`` twin of a graded notebook,
a plain script, any other file and an empty folder are listed in the report with why they were not
graded. Symbolic links are never followed (one could point at the solutions or a classmate's
work): each is listed, with where it points, and marked for review.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .cells import GradingError


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


@dataclass(frozen=True)
class Skipped:
    """A file (or link, or empty folder) handed in that is not graded, why, and whether an
    instructor should look at it by hand."""

    student: str
    path: Path
    reason: str
    review: bool = False


def _contents(folder: Path) -> tuple[list[Path], list[tuple[Path, str, bool]]]:
    """The regular files under *folder*, links never followed, and everything else handed in
    there, each with why it is not graded and whether it needs review."""
    files: list[Path] = []
    others: list[tuple[Path, str, bool]] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        return files, [(folder, f"a folder that could not be read ({error.strerror})", True)]
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            others.append((path, f"a symbolic link to {os.readlink(path)}; links are never followed, so what "
                                 "it points to was not graded as this student's work: check by hand", True))
        elif entry.is_dir(follow_symlinks=False):
            inner, rest = _contents(path)
            if not inner and not rest:
                rest = [(path, "an empty folder", False)]
            files += inner
            others += rest
        elif entry.is_file(follow_symlinks=False):
            files.append(path)
        else:
            others.append((path, "not a regular file (a pipe, socket or device)", True))
    return files, others


def _is_jupytext(path: Path) -> bool:
    """A ``.py`` that is a notebook: a jupytext header or ``# %%`` cell markers."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:20000]
    except OSError:
        return False
    return "jupytext:" in head or re.search(r"^# %%", head, re.MULTILINE) is not None


def _classify(path: Path) -> str | None:
    """Why *path* is not a notebook to grade (None: grade it)."""
    if ".ipynb_checkpoints" in path.parts:
        return "Jupyter's automatic checkpoint copy, not the notebook handed in"
    if path.suffix == ".ipynb":
        return None
    if path.suffix == ".py":
        # A jupytext twin sits beside its notebook, or in py/ below it (the course's layout).
        twins = [path.with_suffix(".ipynb")]
        if path.parent.name == "py":
            twins.append(path.parent.parent / path.with_suffix(".ipynb").name)
        twin = next((t for t in twins if t.exists()), None)
        if twin is not None:
            return f"the jupytext twin of {twin.name}, which is graded instead"
        if _is_jupytext(path):
            return None
        return "a Python script, not a notebook (no jupytext header or # %% cells): grade it by hand"
    return f"not a notebook ({path.suffix or 'no extension'})"


def find_submissions(paths: list[Path], student: str | None = None) -> tuple[list[Submission], list[Skipped]]:
    """The notebooks under *paths* to grade, and every other file with why it is not graded.

    *student*, if given, names the student of every file instead of the folders. Raises
    :class:`GradingError` for a path that does not exist or when nothing can be graded.
    """
    graded: list[Submission] = []
    skipped: list[Skipped] = []
    for path in map(Path, paths):
        if not path.exists():
            raise GradingError(f"submission path {path} does not exist")

        def owner_of(found: Path, regular_file: bool = True) -> str:
            # A file directly in the path is the path's own; anything else there (a folder, a link)
            # stands for a student, as a folder in nbgrader's layout does.
            relative = found.relative_to(path)
            return relative.parts[0] if len(relative.parts) > 1 or not regular_file else path.resolve().name

        if path.is_file():
            files = [(path, path.resolve().parent.name)]
        else:
            inside, others = _contents(path)
            files = [(found, owner_of(found)) for found in inside]
            skipped += [Skipped(student or owner_of(found, False), found, reason, review)
                        for found, reason, review in others]
        for found, owner in files:
            owner = student or owner
            # A file named on the command line is graded if it can be a notebook at all.
            named = path.is_file() and found.suffix in (".ipynb", ".py")
            reason = None if named else _classify(found)
            if reason is None:
                graded.append(Submission(owner, found))
            else:
                skipped.append(Skipped(owner, found, reason))
    if not graded:
        raise GradingError(f"no notebooks found under {', '.join(map(str, paths))}")
    return graded, skipped


def folder_names(students: list[str]) -> dict[str, str]:
    """A feedback folder name per student: ASCII letters, digits and ``._-``, and distinct even
    where names differ only by accents, case or punctuation (a short hash tells them apart)."""
    def plain(name: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "student"

    by_plain: dict[str, set[str]] = {}
    for name in students:
        by_plain.setdefault(plain(name).lower(), set()).add(name)
    names = {}
    for name in students:
        base = plain(name)
        if len(by_plain[base.lower()]) > 1:
            base += "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        names[name] = base
    return names
