"""Summaries over seeds, and the one rule that says whether a difference is more than noise.

Every comparison the course makes between trained networks goes through this module, so a notebook,
a figure and an exercise cannot give a student two answers to one question. It takes run records
(:class:`~effnet_lib.results.records.RunRecord`) and returns numbers; the face layer draws them and
writes them as sentences.

**The interval rule.** Seeds vary a network's accuracy by a few tenths of a point. With three seeds a
network's own spread is a poor estimate of that noise, so the study's noise is *pooled*: the standard
deviation over seeds of every network trained with two or more seeds, weighted by their degrees of
freedom (``sum(n_i - 1)``). A network's accuracy is its mean over seeds with a 95% Student-t interval;
a difference between two networks is the difference of their means with the 95% interval

    (mean_a - mean_b) +- t(0.975, df) * sd * sqrt(1/n_a + 1/n_b)

and it is **beyond noise** when that interval excludes zero. Pooling assumes every network is about as
noisy as the others; :func:`noise` reports the smallest and largest per-network spread beside the pooled
figure, so a reader can check.

    >>> round(t_quantile(0.975, 2), 3), round(t_quantile(0.975, 10), 3)
    (4.303, 2.228)
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ..rules.vocabulary import SINGLE_DIMENSIONS
from .records import RunId, RunRecord

__all__ = ["LEVEL", "t_quantile", "NetworkSummary", "summarize", "Noise", "noise",
           "Interval", "mean_interval", "difference", "Comparison", "matched_comparisons",
           "single_dimension_curves", "step_gains", "only_dimension", "DimensionCheck", "pilot_checks",
           "TrialResult", "recipe_trials"]

LEVEL = 0.95                                      # every interval of the course
METRICS = ("test_accuracy", "validation_accuracy")


# --------------------------------------------------------------------------- Student's t

def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):              # the fraction converges fast only on this side
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    value = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            value *= c * d
        if abs(c * d - 1.0) < 1e-14:
            break
    return front * value


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t distribution with ``df`` degrees of freedom (bisection on its CDF)."""
    if not 0 < p < 1 or not df > 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p!r}, df={df!r}.")
    low, high = -1e3, 1e3
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if _t_cdf(middle, df) < p else (low, middle)
    return (low + high) / 2


# --------------------------------------------------------------------------- one network over its seeds

@dataclass(frozen=True)
class NetworkSummary:
    """One network of a study (a strategy and group) over the seeds it was trained with."""

    strategy: str
    group: str
    phi: float | None
    depth: float
    width: float
    resolution: float
    image_size: int
    multiply_adds: int
    parameters: int
    cost_ratio: float
    seeds: tuple[int, ...]
    values: tuple[float, ...]         # the metric, one per seed, in seed order
    train_seconds: float              # mean over seeds

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def sd(self) -> float:
        return statistics.stdev(self.values) if self.n > 1 else float("nan")

    @property
    def label(self) -> str:
        return self.strategy if self.strategy == "baseline" else f"{self.strategy} ({self.group})"


def summarize(records: Iterable[RunRecord], metric: str = "test_accuracy",
              values: Mapping[RunId, float] | None = None) -> list[NetworkSummary]:
    """One summary per network (strategy and group), cheapest first, over the seeds that measured ``metric``.

    ``values`` replaces the metric by a measure taken after training, one per run (e.g. how much of a
    model's class activation map lies on the object), so it is judged by the same rule.
    The pilot's recipe trials are left out: they are not networks of the study.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}.")

    def value(record: RunRecord) -> float | None:
        return values.get(record.run_id) if values is not None else getattr(record, metric)

    networks: dict[tuple[str, str], list[RunRecord]] = {}
    for record in records:
        if value(record) is not None and not record.recipe_changes:
            networks.setdefault(record.network_id, []).append(record)
    if not networks:
        raise ValueError(f"no runs with a {metric.replace('_', ' ')} to summarise: run the study first "
                         "(python -m effnet_lib.learn.experiments run ...), or load the stored results.")
    studies = {(r.study, r.preset) for runs in networks.values() for r in runs}
    if len(studies) > 1:
        raise ValueError(f"these runs come from several studies {sorted(studies)}; summarise one at a time.")
    rows = []
    for runs in networks.values():
        runs = sorted(runs, key=lambda r: r.seed)
        first = runs[0]
        rows.append(NetworkSummary(first.strategy, first.group, first.phi, first.depth, first.width, first.resolution,
                                   first.network.image_size, first.multiply_adds, first.parameters, first.cost_ratio,
                                   tuple(r.seed for r in runs), tuple(value(r) for r in runs),
                                   statistics.fmean(r.train_seconds for r in runs)))
    return sorted(rows, key=lambda s: (s.multiply_adds, s.strategy, s.group))


# --------------------------------------------------------------------------- the noise and the interval rule

@dataclass(frozen=True)
class Noise:
    """The study's seed noise: a pooled standard deviation and its degrees of freedom."""

    sd: float
    df: int
    smallest: float                   # the smallest and largest per-network standard deviation pooled
    largest: float
    networks: int                     # how many networks had two or more seeds

    @property
    def t(self) -> float:
        return t_quantile(0.5 + LEVEL / 2, self.df)


def noise(summaries: Sequence[NetworkSummary]) -> Noise:
    """The pooled standard deviation over seeds of every network trained with two or more seeds."""
    repeated = [s for s in summaries if s.n > 1]
    df = sum(s.n - 1 for s in repeated)
    if df == 0:
        raise ValueError("no network was trained with more than one seed, so the seed noise cannot be estimated; "
                         "train some network (the baseline, say) with two seeds or more.")
    pooled = math.sqrt(sum((s.n - 1) * s.sd ** 2 for s in repeated) / df)
    return Noise(pooled, df, min(s.sd for s in repeated), max(s.sd for s in repeated), len(repeated))


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval."""

    estimate: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def beyond_noise(self) -> bool:
        """For a difference: whether the interval excludes zero."""
        return self.low > 0 or self.high < 0


def mean_interval(summary: NetworkSummary, study_noise: Noise) -> Interval:
    """A network's mean accuracy with its 95% interval (pooled noise)."""
    half = study_noise.t * study_noise.sd / math.sqrt(summary.n)
    return Interval(summary.mean, summary.mean - half, summary.mean + half)


def difference(a: NetworkSummary, b: NetworkSummary, study_noise: Noise) -> Interval:
    """The course's one noise rule: mean of ``a`` minus mean of ``b``, with its 95% interval.

    Seeds that spread by a point, three of each: 1.5 points apart is noise, 2.5 points is not.

    >>> runs = lambda s, v: NetworkSummary(s, "g", None, 1, 1, 1, 14, 1, 1, 1.0, (0, 1, 2), v, 1.0)
    >>> a, b, c = (runs(name, (m - 0.01, m, m + 0.01)) for name, m in (("compound", 0.905), ("width", 0.89), ("depth", 0.88)))
    >>> [(round(d.estimate, 3), round(d.half_width, 4), d.beyond_noise)
    ...  for d in (difference(a, b, noise([a, b, c])), difference(a, c, noise([a, b, c])))]
    [(0.015, 0.02, False), (0.025, 0.02, True)]
    """
    estimate = a.mean - b.mean
    half = study_noise.t * study_noise.sd * math.sqrt(1 / a.n + 1 / b.n)
    return Interval(estimate, estimate - half, estimate + half)


# --------------------------------------------------------------------------- the study's comparisons

def only_dimension(summary: NetworkSummary) -> str | None:
    """The one dimension a network scales ("none" for the base), None when it scales several."""
    changed = [d for d in SINGLE_DIMENSIONS if not math.isclose(getattr(summary, d), 1.0)]
    return changed[0] if len(changed) == 1 else ("none" if not changed else None)


@dataclass(frozen=True)
class Comparison:
    """Compound scaling against one rival at matched cost (Figure 8, Table 7)."""

    group: str
    compound: NetworkSummary
    rival: NetworkSummary
    gap: Interval                     # compound minus rival


def matched_comparisons(summaries: Sequence[NetworkSummary], study_noise: Noise) -> list[Comparison]:
    """For every group holding a compound model: compound against each rival of that group."""
    out = []
    for group in dict.fromkeys(s.group for s in summaries if s.strategy == "compound"):
        members = [s for s in summaries if s.group == group]
        compound = next(s for s in members if s.strategy == "compound")
        out += [Comparison(group, compound, rival, difference(compound, rival, study_noise))
                for rival in members if rival.strategy in SINGLE_DIMENSIONS]
    return out


def single_dimension_curves(summaries: Sequence[NetworkSummary]) -> dict[str, list[NetworkSummary]]:
    """Figure 3's curves: for each dimension, the baseline then every network scaled in it alone, cheapest first."""
    baseline = [s for s in summaries if s.strategy == "baseline"]
    return {d: baseline + sorted((s for s in summaries if s.strategy != "baseline" and only_dimension(s) == d),
                                 key=lambda s: s.multiply_adds)
            for d in SINGLE_DIMENSIONS}


def step_gains(curve: Sequence[NetworkSummary], study_noise: Noise) -> list[Interval]:
    """The gain of each step along a curve (Observation 1: does it flatten?), each with its interval."""
    return [difference(b, a, study_noise) for a, b in zip(curve, curve[1:])]


# --------------------------------------------------------------------------- the pilot's questions

@dataclass(frozen=True)
class DimensionCheck:
    """Observation 1 for one dimension, as the pilot asks it: does it pay from 1x to about 2x the cost,
    and pay less after?"""

    dimension: str
    curve: tuple[NetworkSummary, ...]     # the base, then the dimension's networks, cheapest first
    first_gain: Interval                  # from the base to the first network (about 2x the cost)
    later_gain: Interval | None           # from the first to the second (about 2x more), if there is one

    @property
    def pays(self) -> bool:
        return self.first_gain.low > 0

    @property
    def flattens(self) -> bool:
        """The later step gains less than the first (point estimates: the pilot has one seed per network)."""
        return self.later_gain is not None and self.later_gain.estimate < self.first_gain.estimate


def pilot_checks(summaries: Sequence[NetworkSummary], study_noise: Noise) -> list[DimensionCheck]:
    """Figure 3's question for each dimension: a design passes when every dimension pays and flattens."""
    checks = []
    for dimension, curve in single_dimension_curves(summaries).items():
        if len(curve) < 2:
            continue
        gains = step_gains(curve, study_noise)
        checks.append(DimensionCheck(dimension, tuple(curve), gains[0], gains[1] if len(gains) > 1 else None))
    return checks


@dataclass(frozen=True)
class TrialResult:
    """A recipe trial (the base retrained with one change) against the base with the study's recipe."""

    group: str                            # "recipe: lr 0.002"
    changes: dict
    accuracy: float                       # the trial's validation accuracy (one seed)
    gain: Interval                        # trial minus the base's mean over its seeds


def recipe_trials(records: Sequence[RunRecord], study_noise: Noise) -> list[TrialResult]:
    """Each recipe trial against the base, on the validation split (the pilot chose the recipe with these)."""
    base = [s for s in summarize(records, "validation_accuracy") if s.strategy == "baseline"]
    if not base:
        raise ValueError("the recipe trials need the base's own runs beside them.")
    out = []
    for record in records:
        if record.recipe_changes:
            trial = NetworkSummary(record.strategy, record.group, None, 1, 1, 1, record.network.image_size,
                                   record.multiply_adds, record.parameters, record.cost_ratio, (record.seed,),
                                   (record.validation_accuracy,), record.train_seconds)
            out.append(TrialResult(record.group, dict(record.recipe_changes), record.validation_accuracy,
                                   difference(trial, base[0], study_noise)))
    return out
