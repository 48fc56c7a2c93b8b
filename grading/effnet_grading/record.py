"""The grader's end of a kernel's record: a pipe the kernel's reporter hook writes numbered, signed
lines into (:mod:`.kernel`), read here while the kernel runs and checked when it is done.

A line is ``NUMBER <tab> KIND <tab> FIELDS... <tab> SIGNATURE``, the signature an HMAC-SHA256 of
the rest with a key made for this kernel alone. The key reaches the kernel in its plan file, which
the kernel deletes before any cell runs, so a line the students' code wrote into the pipe cannot
carry a valid signature, and a line taken out of it leaves a gap in the numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import select
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# How long the reader waits for the last lines once the kernel is shut down.
DRAIN_SECONDS = 2.0


@dataclass(frozen=True)
class Record:
    """One line of a kernel's record: its kind (``begin``, ``start``, ``done``, ``end``, ``flag``,
    ``note``) and its fields, as the kernel wrote them."""

    kind: str
    fields: tuple[str, ...]

    def number(self, position: int) -> int:
        return int(self.fields[position])

    def facts(self, position: int) -> tuple[int, ...]:
        text = self.fields[position] if len(self.fields) > position else ""
        return tuple(int(value) for value in text.split(",") if value)


@dataclass
class Reading:
    """What a kernel's record says: its lines, and why it cannot be trusted whole (empty: it can)."""

    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Channel:
    """A named pipe in *folder* and the thread that reads it; the kernel opens it by name and
    removes the name. ``plan(...)`` writes the kernel's plan file beside it."""

    def __init__(self, folder: Path, owner: int | None = None):
        self.key = secrets.token_bytes(32)
        self.path = Path(folder) / "record"
        os.mkfifo(self.path, 0o600)
        if owner is not None:
            os.chown(self.path, owner, owner)
        # Opened before the kernel starts (non-blocking: no writer yet), so its open never waits.
        self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._data = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="effnet-grading-record", daemon=True)
        self._thread.start()

    def plan(self, folder: Path, program: dict, secret: str, libraries: list[str], owner: int | None) -> Path:
        """Write the kernel's plan file (readable by the kernel's user only) and return its path."""
        path = Path(folder) / "plan.json"
        content = {**program, "key": self.key.hex(), "record": str(self.path), "secret": secret,
                   "libraries": libraries}
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle)
        if owner is not None:
            os.chown(path, owner, owner)
        return path

    def _read(self) -> None:
        connected, deadline = False, None
        while True:
            if self._stop.is_set() and deadline is None:
                deadline = time.monotonic() + DRAIN_SECONDS
            if deadline is not None and time.monotonic() > deadline:
                return
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                continue
            if chunk:
                connected = True
                self._data += chunk
            elif connected or self._stop.is_set():
                return        # every writer has closed the pipe
            else:
                time.sleep(0.05)  # the kernel has not opened it yet

    def close(self) -> Reading:
        """Stop reading (after the kernel is gone) and check what was read."""
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        return check(bytes(self._data), self.key)


def check(data: bytes, key: bytes) -> Reading:
    """The records in *data*, and every reason not to trust them: a line without this run's
    signature, numbers that skip, a last line cut off."""
    reading = Reading()
    lines = data.split(b"\n")
    if lines and lines[-1]:
        reading.problems.append("the grader's record ends in the middle of a line (its pipe was closed or written into)")
    expected = 0
    for raw in lines[:-1]:
        text = raw.decode("utf-8", "replace")
        body, _, signature = text.rpartition("\t")
        wanted = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        if not body or not hmac.compare_digest(wanted, signature):
            reading.problems.append("something other than the grader wrote into its record")
            continue
        number, kind, *fields = body.split("\t")
        if int(number) != expected:
            reading.problems.append(f"lines {expected} to {int(number) - 1} of the grader's record are missing")
        expected = int(number) + 1
        reading.records.append(Record(kind, tuple(fields)))
    reading.problems = list(dict.fromkeys(reading.problems))
    return reading
