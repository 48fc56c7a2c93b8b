"""Results as JSON lines: one record per finished run, appended as it finishes, read back with care.

A study may be stopped at any moment (a GPU window closes, a laptop sleeps, a job limit strikes).
So each finished run is one line appended to the study's file and pushed to disk (flush and
fsync) before the next run starts: a kill keeps every finished run, and at worst leaves half a
last line, which :func:`read_records` skips with a warning. Rerunning the study continues from
the file.

Reading is strict about what it lets through: a record made with other study settings or by
another library version is skipped *with the reason*, never mixed silently into a plot.
:func:`save_atomically` is the one way the engine replaces a whole file (model weights): written
beside the target, synced, then renamed over it, so a reader sees the old file or the new one.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Callable, NamedTuple

__all__ = ["FORMAT", "append_record", "read_records", "Skipped", "check_record", "save_atomically"]

#: Written into every record; a reader refuses records of another format.
FORMAT = "effnet_lib.study/1"


def append_record(path: str | os.PathLike, record: dict) -> None:
    """Append ``record`` as one JSON line and make sure it is on disk before returning."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        # A file killed mid-line gets its half line first; start on a fresh line after it.
        if f.tell() and not _ends_with_newline(path):
            f.write("\n")
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def read_records(path: str | os.PathLike) -> list[dict]:
    """Every complete record of a JSON-lines file, in order ([] if the file does not exist).

    A line that is not valid JSON (a run killed while writing it) is skipped with a warning that
    names the file and the line; the records around it are kept.
    """
    path = Path(path)
    if not path.exists():
        return []
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; a study's results are one .jsonl file (e.g. "
                                f"{path / 'figures-cpu.jsonl'}).")
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                warnings.warn(f"{path}, line {number}: not a complete JSON record (a run stopped while "
                              "writing it?); skipped. Rerunning the study redoes that run.", stacklevel=2)
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


class Skipped(NamedTuple):
    """A record left out of a study's results, and why."""

    record: dict
    reason: str


def check_record(record: dict, config: dict, version: str) -> str | None:
    """Why ``record`` does not belong to a study with ``config`` under library ``version`` (None: it does)."""
    if record.get("format") != FORMAT:
        return f"format {record.get('format')!r}, not {FORMAT!r}"
    if record.get("library_version") != version:
        return f"made by effnet_lib {record.get('library_version')}, this is {version}"
    theirs = record.get("study", {})
    if theirs != config:
        differ = sorted(k for k in set(theirs) | set(config) if theirs.get(k) != config.get(k))
        shown = ", ".join(f"{k}: {_short(theirs.get(k))} there, {_short(config.get(k))} here" for k in differ[:3])
        return f"made with other study settings ({shown}{', ...' if len(differ) > 3 else ''})"
    return None


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def save_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Replace ``path`` by what ``write(temporary_path)`` writes, all at once (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    with open(temporary, "rb") as f:
        os.fsync(f.fileno())
    os.replace(temporary, path)    # atomic on POSIX and Windows: readers see the old or the new file
