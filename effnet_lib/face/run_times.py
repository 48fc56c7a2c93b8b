"""How long each notebook takes on a CPU, as the course states it: measured, never guessed.

`benchmarks/memory_per_notebook.py --record` runs notebooks top to bottom in CPU mode and writes
each run into a JSON file that the repository keeps (`benchmarks/notebook_times.json`): the
seconds, the peak memory, the machine's cores and its load average during the run. For each
notebook the file keeps its latest run on an idle machine and its latest on a busy one.

    read_times(path)        {notebook: NotebookTime} from that file, checked as it is read
    NotebookTime.line       the line a notebook carries under its title, e.g. "**CPU time:** 9 s on
                            an idle 2-core CPU, 31 s on a busy one (load average 4.1)."

`--stamp` writes that line into each measured notebook (and its twin); tests/test_run_times.py holds
every stated time to the file, and notebook 0 lists them all.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

CONDITIONS = ("idle", "busy")      # a run's machine, by its load average per core (`condition`)
BUSY_LOAD_PER_CORE = 1.0           # a load average of this many runnable jobs per core, or more, is busy
STATEMENT_PREFIX = "**CPU time:**"  # how a notebook's markdown begins the line that states its time


class Run(NamedTuple):
    """One notebook run top to bottom in its CPU mode (the GPU hidden), as the benchmark measured it."""

    notebook: str            # the notebook's stem, e.g. "03_compound_scaling"
    seconds: float
    peak_mib: float          # the kernel's peak resident memory
    cores: int
    load: float              # mean 1-minute load average during the run
    date: str                # ISO date of the run
    machine: str = ""
    nice: int = 0            # the niceness the benchmark ran at: above 0, other jobs had the cores first

    @property
    def condition(self) -> str:
        """"idle" or "busy": whether other jobs competed for the cores while it ran."""
        return condition(self.load, self.cores)


def condition(load: float, cores: int) -> str:
    """A machine with a load average of `load` on `cores` cores: "busy" from one job per core up.

    >>> condition(0.3, 2), condition(2.4, 2)
    ('idle', 'busy')
    """
    return "busy" if load >= BUSY_LOAD_PER_CORE * cores else "idle"


def duration(seconds: float) -> str:
    """Seconds as a person says them: "9 s", "1 min 31 s", "7 min 46 s".

    >>> duration(8.6), duration(91.2), duration(466)
    ('9 s', '1 min 31 s', '7 min 46 s')
    """
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60} s"


class NotebookTime(NamedTuple):
    """A notebook's latest idle run and latest busy run (either may be missing)."""

    notebook: str
    idle: Run | None
    busy: Run | None

    def statement(self) -> str:
        """The notebook's time as one sentence, idle first, then busy with its load.

        >>> idle = Run("x", 8.6, 700, 2, 0.2, "2026-12-01")
        >>> NotebookTime("x", idle, idle._replace(seconds=31.4, load=4.12)).statement()
        '9 s on an idle 2-core CPU, 31 s on a busy one (load average 4.1).'
        >>> NotebookTime("x", None, idle._replace(seconds=276, load=6.8, nice=15)).statement()
        '4 min 36 s on a busy 2-core CPU (load average 6.8, run at nice 15) (no idle run measured yet).'
        """
        parts = []
        if self.idle is not None:
            parts.append(f"{duration(self.idle.seconds)} on an idle {self.idle.cores}-core CPU{_niced(self.idle, '')}")
        if self.busy is not None:
            same = self.idle is not None and self.idle.cores == self.busy.cores
            parts.append(f"{duration(self.busy.seconds)} on a busy {'' if same else f'{self.busy.cores}-core '}"
                         f"{'one' if same else 'CPU'} (load average {self.busy.load:.1f}{_niced(self.busy, ', ')})")
        missing = [c for c, run in (("idle", self.idle), ("busy", self.busy)) if run is None]
        return ", ".join(parts) + (f" (no {missing[0]} run measured yet)" if missing else "") + "."

    def line(self) -> str:
        """The markdown line a notebook carries under its title: STATEMENT_PREFIX and the statement."""
        return f"{STATEMENT_PREFIX} {self.statement()}"


def _niced(run: Run, joint: str) -> str:
    """How a run's niceness is said: nothing at 0, else that the notebook let other jobs go first."""
    return f"{joint or ' ('}run at nice {run.nice}{'' if joint else ')'}" if run.nice > 0 else ""


def read_times(path: str | Path) -> dict[str, NotebookTime]:
    """{notebook stem: NotebookTime} from the benchmark's file; refuses a file it cannot read, saying why."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no run times at {path}: `python benchmarks/memory_per_notebook.py --record` "
                                "measures the notebooks and writes them there.")
    try:
        runs = [Run(**row) for row in json.loads(path.read_text())["runs"]]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not the benchmark's run-time file ({error}); rewrite it with "
                         "`python benchmarks/memory_per_notebook.py --record`.") from None
    return latest(runs)


def latest(runs: list[Run]) -> dict[str, NotebookTime]:
    """Each notebook's latest idle and latest busy run, in the order notebooks first appear."""
    found: dict[str, dict[str, Run]] = {}
    for run in runs:
        kept = found.setdefault(run.notebook, {})
        if run.condition not in kept or run.date >= kept[run.condition].date:
            kept[run.condition] = run
    return {name: NotebookTime(name, kept.get("idle"), kept.get("busy")) for name, kept in found.items()}


def merged(old: list[Run], new: list[Run]) -> list[Run]:
    """`old` with each new run replacing the earlier run of its notebook and condition: what --record writes."""
    replaced = {(r.notebook, r.condition) for r in new}
    kept = [r for r in old if (r.notebook, r.condition) not in replaced]
    return sorted(kept + list(new), key=lambda r: (r.notebook, CONDITIONS.index(r.condition)))


def stated_line(text: str) -> str | None:
    """The line of a notebook's markdown (or its jupytext twin) that states its time, or None."""
    for line in text.splitlines():
        line = line.removeprefix("#").strip()
        if line.startswith(STATEMENT_PREFIX):
            return line
    return None

