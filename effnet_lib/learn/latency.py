"""Inference latency on the reader's own device, measured the way the paper's Table 4 does.

Table 4 times one image at a time (batch 1) on a single CPU core and reports the mean of 20 runs;
`measure` adds untimed warm-up passes before them, which the paper does not mention.
FLOPS are a property of the table (`effnet_lib.cost`); latency is a property of the table *and*
the machine: depthwise convolutions do few multiply-adds but use the hardware poorly, so a network
with 4x fewer FLOPS is not always 4x faster. This module measures, returns plain data, and picks the
most accurate model that fits a latency or FLOPS budget (`pick`).

    >>> result = measure("b0", image_size=32, runs=2, warmup=1)
    >>> result.runs, result.batch_size
    (2, 1)
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, NamedTuple

import torch
from torch import nn

from .hardware import describe, hardware
from ..rules.architecture import Network
from ..rules.cost import cost
from ..rules.families import resolve
from ..model.network import efficientnet
from ..rules.paper import TABLE_4, TABLE_4_PAIRS, PrintedLatency  # noqa: F401  (re-exported for notebook 8)


def paper_speedup(slow: str, fast: str) -> float:
    """The speed-up Table 4's latencies imply, e.g. `paper_speedup("resnet-152", "b1")` is about 5.7."""
    for name in (slow, fast):
        if name not in TABLE_4:
            raise ValueError(f"Table 4 has no row {name!r}; its rows are {', '.join(TABLE_4)}.")
    return TABLE_4[slow].seconds / TABLE_4[fast].seconds


@dataclass
class Latency:
    """What one measurement found: every run's time in seconds and where it ran."""

    name: str
    image_size: int
    batch_size: int
    device: str
    threads: int
    warmup: int
    times: list[float] = field(default_factory=list)
    multiply_adds: int | None = None
    machine: str = ""                                   # `hardware.describe(self.hardware)`
    hardware: dict = field(default_factory=dict)        # `hardware.hardware()` while it was measured

    @property
    def runs(self) -> int:
        return len(self.times)

    @property
    def mean(self) -> float:
        """Table 4's figure: the average over the timed runs."""
        return statistics.fmean(self.times)

    @property
    def std(self) -> float:
        """The spread over runs (sample standard deviation; 0 for a single run)."""
        return statistics.stdev(self.times) if len(self.times) > 1 else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def minimum(self) -> float:
        return min(self.times)

    def to_dict(self) -> dict:
        summary = dict(mean=self.mean, std=self.std, median=self.median, minimum=self.minimum, runs=self.runs)
        return {**asdict(self), **summary}

    def __repr__(self) -> str:
        return (f"Latency({self.name} @ {self.image_size}px, batch {self.batch_size}: "
                f"{self.mean * 1e3:.1f} ms +- {self.std * 1e3:.1f} ms over {self.runs} runs "
                f"on {self.device}, {self.threads} thread(s))")


def _synchronize(device: torch.device) -> None:
    # GPU kernels run asynchronously: without waiting, the clock would stop before the work is done.
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure(model_or_name: nn.Module | str | Network, image_size: int | None = None, *, runs: int = 20,
            warmup: int = 3, batch_size: int = 1, device: str | torch.device = "cpu",
            threads: int | None = 1, name: str | None = None,
            on_pass: Callable[[], object] | None = None) -> Latency:
    """Time `runs` forward passes of one batch after `warmup` untimed ones (Table 4: batch 1, 20 runs).

    `model_or_name` is a built module, a network name ("b0", "resnet-50", ...) or a stage table;
    names and tables are built with random weights, since weights do not change the time.
    `image_size` defaults to the network's own. `threads=1` is the paper's single core; None leaves
    PyTorch's own thread count (all cores). `on_pass`, if given, is called after every pass, warm-up
    ones included (a progress bar's `update`). The warm-up runs let PyTorch pick its kernels and fill
    the caches, so the first, slower pass does not count: they are the course's addition, since the
    paper states only the mean of 20 runs, batch 1, on one core.
    """
    if not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer (the paper uses 20), got {runs!r}.")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0, got {warmup!r}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer (the paper uses 1), got {batch_size!r}.")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None (all cores), got {threads!r}.")
    device = torch.device(device)

    madds = None
    if isinstance(model_or_name, nn.Module):
        model = model_or_name
        spec = getattr(model, "spec", None)
    elif isinstance(model_or_name, (str, Network)):
        spec = resolve(model_or_name)
        model = efficientnet(spec)
    else:
        raise TypeError(f"measure takes a model, a network name such as 'b0' or a Network table, "
                        f"got {type(model_or_name).__name__}.")
    if image_size is None:
        if spec is None:
            raise ValueError("this model carries no stage table (`.spec`), so its image_size is unknown; "
                             "pass image_size=... in pixels.")
        image_size = spec.image_size
    if spec is not None:
        madds = cost(spec, image_size).multiply_adds
    in_channels = spec.in_channels if spec is not None else 3
    label = name or (spec.name if spec is not None else type(model).__name__)

    previous_threads = torch.get_num_threads()
    was_training = model.training
    if threads is not None and device.type == "cpu":
        torch.set_num_threads(threads)
    try:
        model = model.to(device).eval()
        record = hardware(device)       # with the thread count and the load of this measurement
        x = torch.randn(batch_size, in_channels, image_size, image_size, device=device)
        times = []
        with torch.inference_mode():
            for i in range(warmup + runs):
                _synchronize(device)
                start = time.perf_counter()
                model(x)
                _synchronize(device)
                if i >= warmup:
                    times.append(time.perf_counter() - start)
                if on_pass is not None:
                    on_pass()
    finally:
        torch.set_num_threads(previous_threads)
        model.train(was_training)
    used = (threads or previous_threads) if device.type == "cpu" else 0
    return Latency(label, image_size, batch_size, str(device), used, warmup, times, madds, describe(record), record)


def compare(models: dict[str, nn.Module | str | Network] | list[str], *,
            bar: Callable[..., Iterable] | None = None, label: str = "latency", **options) -> list[Latency]:
    """`measure` each model in turn with the same options; a list of names or a {label: model} dict.

    `bar` makes a progress bar that counts every pass of every model (warm-up included), so it moves
    while a slow network is timed: called as `bar(total=passes, label=label)`, it returns an object
    with `update()` and `close()`. `effnet_lib.face.static.progress` is one (a notebook passes it in:
    this layer draws nothing).
    """
    items = list(models.items() if isinstance(models, dict) else ((m, m) for m in models))
    if bar is None:
        return [measure(model, name=str(name), **options) for name, model in items]
    passes = options.get("warmup", 3) + options.get("runs", 20)
    shown = bar(total=len(items) * passes, label=label)
    try:
        return [measure(model, name=str(name), on_pass=shown.update, **options) for name, model in items]
    finally:
        shown.close()


# --------------------------------------------------------------------------- choosing under a budget

class Option(NamedTuple):
    """A model one might deploy: its published accuracy (and where that number comes from), its
    multiply-adds, and its latency measured here."""

    name: str
    top1: float
    source: str
    multiply_adds: int
    seconds: float


def options(timings: list[Latency], accuracies: dict[str, tuple[float, str]]) -> list[Option]:
    """Join measured latencies with published accuracies {name: (top-1, source)}; every timing needs one."""
    missing = [t.name for t in timings if t.name not in accuracies]
    if missing:
        raise ValueError(f"no published accuracy for {', '.join(missing)}; give each as name: (top-1, source).")
    return [Option(t.name, *accuracies[t.name], t.multiply_adds, t.mean) for t in timings]


def pick(candidates: list[Option], *, seconds: float | None = None, multiply_adds: float | None = None) -> Option | None:
    """The most accurate candidate within a latency budget and/or a FLOPS budget; None if nothing fits.

    Ties in accuracy go to the faster model.

    >>> fast, slow = Option("a", 75.0, "", 4e8, 0.01), Option("b", 79.0, "", 2e9, 0.05)
    >>> pick([fast, slow], seconds=0.02).name, pick([fast, slow], multiply_adds=5e9).name
    ('a', 'b')
    """
    for name, budget in (("seconds", seconds), ("multiply_adds", multiply_adds)):
        if budget is not None and not (isinstance(budget, (int, float)) and budget > 0):
            raise ValueError(f"a {name} budget must be a positive number, got {budget!r}; "
                             f"pass None to leave {name} unconstrained.")
    fitting = [c for c in candidates if (seconds is None or c.seconds <= seconds)
               and (multiply_adds is None or c.multiply_adds <= multiply_adds)]
    return max(fitting, key=lambda c: (c.top1, -c.seconds)) if fitting else None
