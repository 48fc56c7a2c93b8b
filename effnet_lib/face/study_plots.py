"""Figures 3, 4 and 8 of the paper from a study's run records, and what they show, in sentences.

Everything here takes the run records a study stored (:mod:`effnet_lib.results.records`) and never a
model, so a CPU-only reader can plot a study made on a GPU. The numbers come from
:mod:`effnet_lib.results.analysis` (summaries over seeds, the one interval rule); this module only draws
them and puts them into words, so a notebook's text cannot drift from its data.

* :func:`figure_3` -- accuracy against multiply-adds when one dimension alone is scaled;
* :func:`figure_8` -- every strategy, compound included, at matched multiply-adds;
* :func:`figure_4` -- width swept from each (depth, resolution) base, one line per base (GPU study);
* :func:`learning_curves` -- validation accuracy per epoch, and the recipe trials;
* :func:`findings`, :func:`pilot_findings` -- what the numbers say, each difference with its 95% interval;
* :func:`table_rows` -- the study as rows for a table.
"""
from __future__ import annotations

import textwrap
from typing import Sequence

from ..results import analysis
from ..results.analysis import Interval, NetworkSummary
from ..results.records import RunRecord
from ..rules.vocabulary import SINGLE_DIMENSIONS
from .style import BASE_COLOURS, COLOURS, SYMBOLS, plain_log_labels

__all__ = ["describe_study", "figure_3", "figure_4", "figure_4_lines", "figure_8", "learning_curves", "findings",
           "pilot_findings", "table_rows", "points"]

METRIC_NAMES = {"test_accuracy": "test accuracy", "validation_accuracy": "validation accuracy"}


def _check(records: Sequence[RunRecord]) -> None:
    if not records:
        raise ValueError("no results to plot: run the study first (python -m effnet_lib.learn.experiments run "
                         "figures) or load the stored ones with effnet_lib.learn.study_results.load_results().")


def describe_study(records: Sequence[RunRecord]) -> str:
    """One line naming the study: preset, data, split, schedule, seeds and the hardware that made it."""
    _check(records)
    first = records[0]
    recipe = first.settings["recipe"]
    devices = sorted({r.hardware.get("gpu") or r.hardware.get("cpu", "?") for r in records})
    return (f"study {first.study}-{first.preset}: {first.data.train_images:,} {first.data.name} training images "
            f"({first.data.validation_images:,} more for validation), {recipe['epochs']} epoch(s) of batches of "
            f"{recipe['batch_size']}, tested on {max(r.data.test_images for r in records):,}; "
            f"seeds {', '.join(map(str, sorted({r.seed for r in records})))}; on {', '.join(devices)}")


def points(records: Sequence[RunRecord], metric: str = "test_accuracy") -> tuple[list[NetworkSummary], analysis.Noise]:
    """The study's networks over their seeds, and the study's noise: what every figure and sentence reads."""
    _check(records)
    summaries = analysis.summarize(records, metric)
    return summaries, analysis.noise(summaries)


# --------------------------------------------------------------------------- drawing

def _millions(s: NetworkSummary) -> float:
    return s.multiply_adds / 1e6


def _label(s: NetworkSummary, dimension: str | None) -> str:
    if dimension is None or s.strategy == "baseline":
        return ""
    text = f"{SYMBOLS[dimension]}={getattr(s, dimension):.2g}"
    return text + (f" ({s.image_size} px)" if dimension == "resolution" else "")


def _draw(ax, summaries: Sequence[NetworkSummary], noise: analysis.Noise, label: str, colour: str,
          annotate: str | None = None, marker: str = "o") -> None:
    summaries = sorted(summaries, key=lambda s: s.multiply_adds)
    x = [_millions(s) for s in summaries]
    y = [100 * s.mean for s in summaries]
    half = [100 * analysis.mean_interval(s, noise).half_width for s in summaries]
    ax.errorbar(x, y, yerr=half, fmt=f"{marker}-", color=colour, label=label, capsize=3, markersize=5)
    for s, xi, yi in zip(summaries, x, y):
        text = _label(s, annotate)
        if text:
            ax.annotate(text, (xi, yi), textcoords="offset points", xytext=(5, -12), fontsize=7, color=colour)


def _axes_labels(ax, title: str, metric: str) -> None:
    ax.set_xscale("log")
    ax.margins(x=0.15, y=0.1)       # room for the labels beside the last points
    plain_log_labels(ax.xaxis)
    ax.set_xlabel("multiply-adds per image (millions, log scale)")
    ax.set_ylabel(f"{METRIC_NAMES[metric]} (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)


def _wrap(text: str, width: int = 110) -> str:
    """Each line of ``text`` wrapped on its own: a title's first line stays apart from what follows."""
    return "\n".join(wrapped for line in text.split("\n") for wrapped in textwrap.wrap(line, width))


def _bars_note(summaries: Sequence[NetworkSummary]) -> str:
    seeds = sorted({s.n for s in summaries})
    return (f"dots: mean over {' or '.join(map(str, seeds))} seed(s); bars: 95% interval "
            "(pooled seed noise, Student t)")


def figure_3(records: Sequence[RunRecord], metric: str = "test_accuracy", title: str | None = None):
    """Figure 3 (the course's version): scaling one dimension at a time, accuracy against multiply-adds."""
    import matplotlib.pyplot as plt

    summaries, noise = points(records, metric)
    curves = analysis.single_dimension_curves(summaries)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), sharey=True, layout="constrained")
    for ax, name in zip(axes, SINGLE_DIMENSIONS):
        if len(curves[name]) > 1:
            _draw(ax, curves[name], noise, name, COLOURS[name], annotate=name)
        else:
            ax.text(0.5, 0.5, f"no {name} runs yet", transform=ax.transAxes, ha="center")
        _axes_labels(ax, f"scaling {name} ({SYMBOLS[name]}) alone", metric)
    fig.suptitle(_wrap((title or "Figure 3 (the course's version): one dimension at a time") + "\n"
                       + describe_study(records) + "; " + _bars_note(summaries), 150), fontsize=9)
    return fig


def figure_8(records: Sequence[RunRecord], metric: str = "test_accuracy"):
    """Figure 8 (the course's version): the base scaled by each strategy, compared at matched multiply-adds."""
    import matplotlib.pyplot as plt

    summaries, noise = points(records, metric)
    baseline = [s for s in summaries if s.strategy == "baseline"]
    fig, ax = plt.subplots(figsize=(8.5, 5.2), layout="constrained")
    for strategy in (*SINGLE_DIMENSIONS, "compound"):
        chosen = [s for s in summaries if s.strategy == strategy]
        if chosen:
            label = "compound scaling (Eq. 3)" if strategy == "compound" else f"scale by {strategy} alone"
            _draw(ax, baseline + chosen, noise, label, COLOURS[strategy], marker="s" if strategy == "compound" else "o")
    _axes_labels(ax, _wrap("Figure 8 (the course's version): scaling the base by different methods\n"
                           + describe_study(records) + "; " + _bars_note(summaries), 100), metric)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def figure_4_lines(summaries: Sequence[NetworkSummary]) -> dict[tuple[float, float], list[NetworkSummary]]:
    """Figure 4's lines: for each (depth, resolution) base, its networks at every width, cheapest first.

    The (1, 1) base is the baseline and every width-only network (Figure 3's width curve).
    """
    lines: dict[tuple[float, float], list[NetworkSummary]] = {}
    for s in summaries:
        if s.strategy == "grid" or analysis.only_dimension(s) in ("width", "none"):
            lines.setdefault((round(s.depth, 3), round(s.resolution, 3)), []).append(s)
    return {base: sorted(members, key=lambda s: s.width) for base, members in sorted(lines.items()) if len(members) > 1}


def figure_4(records: Sequence[RunRecord], metric: str = "test_accuracy"):
    """Figure 4: width swept from different (depth, resolution) bases; one line per base."""
    import matplotlib.pyplot as plt

    summaries, noise = points(records, metric)
    lines = figure_4_lines(summaries)
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for colour, ((d, r), members) in zip(BASE_COLOURS, lines.items()):
        _draw(ax, members, noise, f"d={d:g}, r={r:g} ({members[0].image_size} px)", colour, annotate="width")
    if len([base for base in lines if base != (1.0, 1.0)]) == 0:
        ax.text(0.5, 0.5, "this study has no Figure 4 grid", transform=ax.transAxes, ha="center")
    _axes_labels(ax, _wrap("Figure 4 (the course's version): scaling width from different (depth, resolution) bases\n"
                           + describe_study(records)), metric)
    if lines:
        ax.legend(fontsize=8, loc="best")
    return fig


def _base_runs(records: Sequence[RunRecord]) -> list[RunRecord]:
    """The base's runs with the study's own recipe (not the pilot's recipe trials)."""
    return [r for r in records if r.strategy == "baseline" and not r.recipe_changes]


def learning_curves(records: Sequence[RunRecord]):
    """Validation accuracy after each epoch of the base's runs, with the recipe trials beside them.

    The pilot's question about the schedule: is the base's validation accuracy still rising at the end?
    """
    import matplotlib.pyplot as plt

    _check(records)
    fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    base = _base_runs(records)
    for i, r in enumerate(sorted(base, key=lambda r: r.seed)):
        ax.plot([e.epoch for e in r.epochs], [100 * e.validation_accuracy for e in r.epochs], "o-", color="black",
                alpha=0.5, label="the base, the study's recipe (one line per seed)" if i == 0 else None)
    for i, r in enumerate(r for r in records if r.recipe_changes):
        ax.plot([e.epoch for e in r.epochs], [100 * e.validation_accuracy for e in r.epochs], "s--", color=f"C{i}",
                label=r.group)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.xaxis.get_major_locator().set_params(integer=True)
    trials = ", and the recipe trials (one seed each)" if any(r.recipe_changes for r in records) else ""
    ax.set_title(_wrap(f"The base's validation accuracy after each epoch{trials}\n" + describe_study(records)),
                 fontsize=9)
    return fig


def last_epoch_rise(records: Sequence[RunRecord]) -> str:
    """Whether the base was still rising at its last epoch: its validation accuracy's change over that epoch,
    seed by seed (the schedule question a pilot asks before the study trusts its epochs)."""
    base = [r for r in _base_runs(records) if len(r.epochs) > 1]
    if not base:
        raise ValueError("no run of the base with two epochs or more; the last epoch's rise needs one.")
    rises = sorted(100 * (r.epochs[-1].validation_accuracy - r.epochs[-2].validation_accuracy) for r in base)
    last = base[0].epochs[-1].epoch
    verdict = ("still rising in every seed: no plateau yet" if rises[0] > 0 else
               "falling in every seed" if rises[-1] < 0 else "rising in some seeds and falling in others")
    span = f"{rises[0]:+.1f}" if len(rises) == 1 else f"{rises[0]:+.1f} to {rises[-1]:+.1f}"
    return (f"Over its last epoch ({last - 1} to {last}) the base's validation accuracy moved {span} points "
            f"({len(rises)} seed{'s' if len(rises) > 1 else ''}): {verdict}.")


# --------------------------------------------------------------------------- what the data shows

def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _points(interval: Interval) -> str:
    """A difference with its interval, in points: "+0.8 points [+0.2, +1.4]"."""
    return (f"{100 * interval.estimate:+.1f} points [{100 * interval.low:+.1f}, {100 * interval.high:+.1f}]")


def _verdict(interval: Interval) -> str:
    return "beyond noise" if interval.beyond_noise else "within noise"


def _noise_sentence(noise: analysis.Noise) -> str:
    return (f"Seed noise, pooled over the {noise.networks} networks trained with several seeds: a standard "
            f"deviation of {100 * noise.sd:.2f} points ({noise.df} degrees of freedom; per network from "
            f"{100 * noise.smallest:.2f} to {100 * noise.largest:.2f}). Every difference below carries its 95% "
            "interval; it is beyond noise when the interval excludes zero.")


def findings(records: Sequence[RunRecord], metric: str = "test_accuracy") -> list[str]:
    """Sentences stating what a study's records show, each computed from them with the one interval rule.

    * the base, and the study's noise;
    * for each compound point: compound against each rival at matched cost (Figure 8), and the verdict;
    * Observation 1 (Figure 3): each dimension's gain per step;
    * Observation 2 (Figure 4), when the study has the grid.
    """
    summaries, noise = points(records, metric)
    lines = []
    base = next((s for s in summaries if s.strategy == "baseline"), None)
    if base is not None:
        interval = analysis.mean_interval(base, noise)
        lines.append(f"Base ({base.image_size} px, {_millions(base):.2f}M multiply-adds): {METRIC_NAMES[metric]} "
                     f"{_pct(base.mean)} [{_pct(interval.low)}, {_pct(interval.high)}] over {base.n} seeds.")
    lines.append(_noise_sentence(noise))
    comparisons = analysis.matched_comparisons(summaries, noise)
    for group in dict.fromkeys(c.group for c in comparisons):
        at = [c for c in comparisons if c.group == group]
        compound = at[0].compound
        counts = {compound.n, *(c.rival.n for c in at)}
        seeds = (f"{compound.n} seed{'s' if compound.n > 1 else ''} each" if len(counts) == 1 else
                 f"compound {compound.n} seed{'s' if compound.n > 1 else ''}, "
                 + ", ".join(f"{c.rival.strategy} {c.rival.n}" for c in at))
        text = (f"At {group} ({compound.cost_ratio:.2f}x the base's multiply-adds, {seeds}): compound "
                f"{_pct(compound.mean)}; against " + "; ".join(
                    f"{c.rival.strategy} ({c.rival.cost_ratio:.2f}x) {_pct(c.rival.mean)}: {_points(c.gap)}, "
                    f"{_verdict(c.gap)}" for c in at) + ".")
        wins = [c for c in at if c.gap.low > 0]
        losses = [c for c in at if c.gap.high < 0]
        if len(wins) == len(at):
            text += " Compound scaling beats every single dimension here, beyond noise."
        elif losses:
            text += (" " + " and ".join(c.rival.strategy for c in losses)
                     + " alone beat" + ("s" if len(losses) == 1 else "") + " compound scaling here, beyond noise.")
        else:
            ties = [c.rival.strategy for c in at if not c.gap.beyond_noise]
            text += (" Compound scaling is not separable from " + ", ".join(ties)
                     + " alone here: the intervals include zero.")
        lines.append(text)
    for check in analysis.pilot_checks(summaries, noise):
        lines.append(_observation_1(check))
    lines += _observation_2(summaries, noise)
    return lines


def _observation_1(check: analysis.DimensionCheck) -> str:
    last = check.curve[-1]
    steps = [check.first_gain] + ([check.later_gain] if check.later_gain is not None else [])
    shape = ("it pays, then pays less" if check.pays and check.flattens else
             "it pays, and the later step pays as much or more: no sign of flattening yet" if check.pays and check.later_gain
             else "it pays" if check.pays else "its first step is within noise")
    return (f"Scaling {check.dimension} alone (up to {SYMBOLS[check.dimension]}={getattr(last, check.dimension):.2g}, "
            f"{last.cost_ratio:.1f}x the cost): " + ", then ".join(_points(g) for g in steps) + f"; {shape}.")


def _observation_2(summaries: Sequence[NetworkSummary], noise: analysis.Noise) -> list[str]:
    lines = figure_4_lines(summaries)
    if len(lines) < 2:
        return []
    best = {base: max(members, key=lambda s: s.mean) for base, members in lines.items()}
    return ["Figure 4, the best point of each base: " + "; ".join(
        f"(d={d:g}, r={r:g}) {_pct(s.mean)} at {_millions(s):.1f}M" for (d, r), s in best.items()) + "."]


def pilot_findings(records: Sequence[RunRecord]) -> list[str]:
    """The pilot's answers, on the validation split: the noise, the recipe trials, each dimension's curve,
    and whether the design passes (every dimension pays from 1x to about 2x the cost, and pays less after)."""
    summaries, noise = points(records, "validation_accuracy")
    lines = [_noise_sentence(noise)]
    for trial in analysis.recipe_trials(records, noise):
        lines.append(f"Recipe trial {trial.group.removeprefix('recipe: ')}: validation {_pct(trial.accuracy)}, "
                     f"{_points(trial.gain)} against the base's study recipe, {_verdict(trial.gain)}.")
    checks = analysis.pilot_checks(summaries, noise)
    for check in checks:
        lines.append(_observation_1(check))
    short = [c.dimension for c in checks if not c.pays]
    if short:    # the first step decides this half of the rule: no second step can make it pay
        lines.append("The design does not pass: " + ", ".join(short) + (" does" if len(short) == 1 else " do")
                     + " not pay beyond noise from 1x to about 2x the cost, whatever a second step shows.")
        return lines
    if len(checks) < len(SINGLE_DIMENSIONS) or any(c.later_gain is None for c in checks):
        lines.append("The pilot is not complete: every dimension needs its two steps before the design can be judged.")
        return lines
    failing = [c.dimension for c in checks if not (c.pays and c.flattens)]
    lines.append("The design passes: every dimension pays from 1x to about 2x the cost, and pays less after."
                 if not failing else "The design does not pass: " + ", ".join(failing)
                 + (" does" if len(failing) == 1 else " do") + " not both pay beyond noise and then pay less.")
    return lines


def table_rows(records: Sequence[RunRecord], metric: str = "test_accuracy") -> list[tuple]:
    """The study as table rows: strategy, group, d, w, r (px), multiply-adds, parameters, accuracy with its
    95% interval, the seeds' values, and the mean training time."""
    summaries, noise = points(records, metric)
    rows = []
    for s in summaries:
        interval = analysis.mean_interval(s, noise)
        rows.append((s.strategy, s.group, f"{s.depth:.2f}", f"{s.width:.2f}", f"{s.resolution:.2f} ({s.image_size} px)",
                     f"{_millions(s):.2f} ({s.cost_ratio:.2f}x)", f"{s.parameters:,}",
                     f"{100 * s.mean:.2f} [{100 * interval.low:.2f}, {100 * interval.high:.2f}]",
                     ", ".join(f"{100 * v:.1f}" for v in s.values), f"{s.train_seconds / 60:.1f}"))
    return rows


TABLE_HEADERS = ("strategy", "group", "d", "w", "r", "multiply-adds, millions (x base)", "parameters",
                 "accuracy %, mean [95% interval]", "per seed", "training minutes (mean)")
