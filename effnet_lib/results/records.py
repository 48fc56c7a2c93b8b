"""The record of one trained run: a frozen type with named fields, written and read by one function pair.

A run record is the one interface between training (``learn``) and everything that reads results
(``explain``, ``face``, the notebooks): the study it belongs to and its settings, the variant (strategy,
group, phi, the multipliers and the network they round to), its cost, the data it saw, its accuracy per
epoch on the validation split, its accuracy on the test set (measured once, after the last epoch), how
long it took and on what. Code reads the fields; :attr:`RunRecord.label` is for people and is never
parsed back.

A study may be stopped at any moment, so :func:`append_record` adds one JSON line and pushes it to disk
(flush and fsync) before returning: a kill keeps every finished run and at worst leaves half a last
line, which :func:`read_records` skips with a warning. Reading is strict about what it lets through: a
line that is not a record of this format, or (when asked) one made with other study settings or another
library version, is set aside *with the reason* and never mixed silently into a plot.

    >>> shape = NetworkShape(14, (1, 2), (8, 16), 8, 64, 3, 7)
    >>> shape.final_map
    7
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, NamedTuple

__all__ = ["FORMAT", "RunId", "NetworkShape", "DataSplit", "Epoch", "RunRecord", "Skipped",
           "append_record", "read_records", "save_atomically"]

#: Written into every record; a reader sets aside records of any other format.
FORMAT = "effnet_lib.run/2"


class RunId(NamedTuple):
    """What names a run within its study: a variant (strategy and group) and a seed."""

    strategy: str
    group: str
    seed: int


@dataclass(frozen=True)
class NetworkShape:
    """The network a variant rounds to: what was really trained, whatever multipliers named it."""

    image_size: int                   # input pixels per side
    repeats: tuple[int, ...]          # blocks per stage
    channels: tuple[int, ...]         # output channels per stage
    stem_channels: int
    head_channels: int
    blocks: int
    final_map: int                    # side of the last feature map (a class activation map's resolution)


@dataclass(frozen=True)
class DataSplit:
    """The data a run saw: the training images, the validation images carved from the training set
    (every choice of the study is made on these), and the test images (used once, at the end)."""

    name: str
    train_images: int
    validation_images: int
    test_images: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    classes: tuple[str, ...]


@dataclass(frozen=True)
class Epoch:
    """One epoch of a run: training loss and accuracy (running, over the epoch), validation after it."""

    epoch: int
    train_loss: float
    train_accuracy: float
    validation_loss: float
    validation_accuracy: float
    lr: float                         # the learning rate at the epoch's last step
    seconds: float                    # training and validation
    images_per_second: float          # training only


@dataclass(frozen=True)
class RunRecord:
    """One finished run of a study."""

    study: str                        # "pilot", "figures", "table3", ...
    preset: str                       # "smoke", "cpu" or "gpu"
    settings: dict                    # what decides the outcome besides the variant and seed (base, recipe, data)
    strategy: str                     # "baseline", "depth", "width", "resolution", "compound" or "grid"
    group: str                        # the comparison it belongs to: "baseline", "phi=1", "Figure 4 (d=2, r=1.3, w=1.5)"
    phi: float | None                 # compound: Eq. 3's phi; a rival: the phi of the compound model it matches
    seed: int
    depth: float                      # the multipliers of the study's base
    width: float
    resolution: float
    recipe_changes: dict              # changes to the study's recipe for this run (the pilot's trials), else {}
    network: NetworkShape
    multiply_adds: int                # the paper's "FLOPS", analytically
    parameters: int
    cost_ratio: float                 # multiply-adds over the base's
    data: DataSplit
    epochs: tuple[Epoch, ...]
    validation_accuracy: float        # after the last epoch
    test_accuracy: float | None       # the last epoch's weights on the test set, measured once (None: not tested)
    train_seconds: float              # training and validation, all epochs
    wall_seconds: float               # the whole run, building the model and testing included
    hardware: dict                    # effnet_lib.learn.hardware.hardware(): device, CPU/GPU, threads, load
    library_version: str
    finished: str                     # UTC, ISO 8601
    reused_from: str | None = None    # set when another study's identical run was reused, not retrained
    format: str = field(default=FORMAT)

    @property
    def run_id(self) -> RunId:
        return RunId(self.strategy, self.group, self.seed)

    @property
    def network_id(self) -> tuple[str, str]:
        """The variant (strategy, group): the same network trained with every seed."""
        return self.strategy, self.group

    @property
    def label(self) -> str:
        """For people only (never parsed): "width | phi=1 | seed 0"."""
        return f"{self.strategy} | {self.group} | seed {self.seed}"

    @property
    def multipliers(self) -> tuple[float, float, float]:
        return self.depth, self.width, self.resolution

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict) -> "RunRecord":
        """A record from its JSON form; a missing or unknown field is a ValueError naming it."""
        names = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
        missing, unknown = sorted(required - set(raw)), sorted(set(raw) - names)
        if missing or unknown:
            raise ValueError(f"not a run record of format {FORMAT}: "
                             + "; ".join(part for part in (f"missing {missing}" if missing else "",
                                                           f"unknown {unknown}" if unknown else "") if part))
        values = dict(raw)
        network = raw["network"]
        values["network"] = NetworkShape(**{**network, "repeats": tuple(network["repeats"]),
                                            "channels": tuple(network["channels"])})
        data = raw["data"]
        values["data"] = DataSplit(**{**data, "mean": tuple(data["mean"]), "std": tuple(data["std"]),
                                      "classes": tuple(data["classes"])})
        values["epochs"] = tuple(Epoch(**e) for e in raw["epochs"])
        return cls(**values)


class Skipped(NamedTuple):
    """A line of a results file left out, and why."""

    raw: dict
    reason: str


def append_record(path: str | os.PathLike, record: RunRecord) -> None:
    """Append ``record`` as one JSON line and make sure it is on disk before returning."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        # A file killed mid-line has half a line at its end; start on a fresh line after it.
        if f.tell() and not _ends_with_newline(path):
            f.write("\n")
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def read_records(path: str | os.PathLike, accept: Callable[[RunRecord], str | None] | None = None,
                 ) -> tuple[list[RunRecord], list[Skipped]]:
    """The records of a JSON-lines file in order, and the lines set aside with the reason.

    ``accept(record)`` returns why a well-formed record does not belong (another study's settings,
    another library version), or None. A second record of the same run is set aside too: the first
    counts. A line that is not complete JSON (a run killed while writing it) is skipped with a warning
    naming the file and the line. A missing file has no records.
    """
    path = Path(path)
    if not path.exists():
        return [], []
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; a study's results are one .jsonl file "
                                f"(e.g. {path / 'figures-cpu.jsonl'}).")
    kept, skipped, seen = [], [], set()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                warnings.warn(f"{path}, line {number}: not a complete JSON record (a run stopped while "
                              "writing it?); skipped. Rerunning the study redoes that run.", stacklevel=2)
                continue
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
                skipped.append(Skipped(raw if isinstance(raw, dict) else {}, f"format {found!r}, not {FORMAT!r}"))
                continue
            try:
                record = RunRecord.from_json(raw)
            except (TypeError, ValueError) as error:
                skipped.append(Skipped(raw, str(error)))
                continue
            reason = accept(record) if accept is not None else None
            if reason is None and record.run_id in seen:
                reason = "a second record of a run already recorded"
            if reason is None:
                seen.add(record.run_id)
                kept.append(record)
            else:
                skipped.append(Skipped(raw, reason))
    return kept, skipped


def save_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Replace ``path`` by what ``write(temporary_path)`` writes, all at once (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    with open(temporary, "rb") as f:
        os.fsync(f.fileno())
    os.replace(temporary, path)    # atomic on POSIX and Windows: readers see the old or the new file
