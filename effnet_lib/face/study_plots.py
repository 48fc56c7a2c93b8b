"""Figures 3, 4 and 8 of the paper from a study's results, with the spread over seeds, and what they show.

Everything here takes the plain records that :func:`effnet_lib.learn.experiments.load_results`
returns (one per trained run) and never a model, so a CPU-only reader can plot a study made on a
GPU. Records of one study only: a mix of studies would put different baselines on one axis.

* :func:`summarize` -- one row per network: strategy, multipliers, cost, accuracy over its seeds;
* :func:`figure_3` -- accuracy against multiply-adds when one dimension alone is scaled;
* :func:`figure_4` -- width swept from each (depth, resolution) base, one line per base;
* :func:`figure_8` -- every strategy, compound included, at matched multiply-adds;
* :func:`findings` -- what the numbers say, as sentences computed from them, each difference
  set against the spread between seeds (a smaller difference is called noise), so a notebook's
  text cannot drift from its data;
* :func:`table_rows` -- the study as rows for a table.
"""
from __future__ import annotations

import math
import statistics
import textwrap
from typing import Mapping, Sequence

from .style import BASE_COLOURS, COLOURS, SYMBOLS, plain_log_labels

__all__ = ["summarize", "single_dimension", "figure_3", "figure_4", "figure_4_lines", "figure_8",
           "findings", "noise_level", "table_rows", "describe_study"]

SINGLE = ("width", "depth", "resolution")
_ORDER = ("baseline", "compound", "depth", "width", "resolution", "grid")


def _check(results: Sequence[Mapping]) -> None:
    if not results:
        raise ValueError("no results to plot: run the study first (python -m effnet_lib.learn.experiments run "
                         "figures) or load the stored ones with effnet_lib.learn.experiments.load_results().")
    studies = {(r["study"]["name"], r["study"]["preset"]) for r in results}
    if len(studies) > 1:
        raise ValueError(f"these results come from several studies {sorted(studies)}; plot one at a time.")


def summarize(results: Sequence[Mapping]) -> list[dict]:
    """One row per network of the study, cheapest first: what it is and its accuracy over seeds.

    A row keeps the strategy and group of its runs ("depth", "phi=2"), the multipliers, pixels,
    multiply-adds, parameters, and the mean, lowest and highest final test accuracy over its seeds.
    """
    _check(results)
    groups: dict[str, list[Mapping]] = {}
    for r in results:
        groups.setdefault(r["key"].rsplit(" | seed", 1)[0], []).append(r)
    rows = []
    for runs in groups.values():
        first = runs[0]
        values = [r["final_accuracy"] for r in runs]
        rows.append({
            "strategy": first["strategy"], "group": first["group"], "phi": first["phi"],
            **first["multipliers"], "pixels": first["network"]["image_size"],
            "multiply_adds": first["multiply_adds"], "parameters": first["parameters"],
            "cost_ratio": first["cost_ratio"], "seeds": sorted(r["seed"] for r in runs),
            "accuracy": statistics.fmean(values), "low": min(values), "high": max(values),
            "seconds": statistics.fmean(r["wall_seconds"] for r in runs)})
    return sorted(rows, key=lambda row: (row["multiply_adds"], _ORDER.index(row["strategy"])))


def _only(row: Mapping) -> str | None:
    """The one dimension a row scales, "none" for the baseline, None when it scales several."""
    changed = [d for d in ("depth", "width", "resolution") if not math.isclose(row[d], 1.0)]
    return changed[0] if len(changed) == 1 else ("none" if not changed else None)


def single_dimension(results: Sequence[Mapping]) -> dict[str, list[dict]]:
    """Figure 3's sweeps: for each dimension, the baseline and every network scaled in it alone."""
    rows = summarize(results)
    baseline = [r for r in rows if r["strategy"] == "baseline"]
    return {name: baseline + [r for r in rows if _only(r) == name] for name in SINGLE}


def noise_level(results: Sequence[Mapping]) -> float:
    """The largest spread (highest minus lowest seed) of any network trained with several seeds.

    Differences smaller than this are called noise; a network with one seed has no spread of its
    own, so this study-wide figure stands in for it.
    """
    spreads = [r["high"] - r["low"] for r in summarize(results) if len(r["seeds"]) > 1]
    return max(spreads, default=0.0)


# --------------------------------------------------------------------------- drawing

def _millions(row: Mapping) -> float:
    return row["multiply_adds"] / 1e6


def _draw(ax, rows: Sequence[Mapping], label: str, colour: str, annotate: str | None = None, marker: str = "o"):
    rows = sorted(rows, key=lambda r: r["multiply_adds"])
    x = [_millions(r) for r in rows]
    y = [100 * r["accuracy"] for r in rows]
    spread = [[100 * (r["accuracy"] - r["low"]) for r in rows], [100 * (r["high"] - r["accuracy"]) for r in rows]]
    ax.errorbar(x, y, yerr=spread, fmt=f"{marker}-", color=colour, label=label, capsize=3, markersize=5)
    if annotate:
        for r, xi, yi in zip(rows, x, y):
            text = (f"{SYMBOLS[annotate]}={r[annotate]:.2g}" + (f" ({r['pixels']} px)" if annotate == "resolution" else ""))
            ax.annotate(text, (xi, yi), textcoords="offset points", xytext=(4, -11), fontsize=7, color=colour)


def _axes_labels(ax, title: str) -> None:
    ax.set_xscale("log")
    ax.margins(x=0.12, y=0.08)      # room for the labels beside the last points
    plain_log_labels(ax.xaxis)
    ax.set_xlabel("multiply-adds per image (millions, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)


def describe_study(results: Sequence[Mapping]) -> str:
    """One line naming the study: preset, data, images, epochs, seeds and the hardware that made it."""
    _check(results)
    first = results[0]
    config = first["study"]
    devices = sorted({r["hardware"].get("gpu") or r["hardware"].get("cpu", "?") for r in results})
    return (f"study {config['name']}-{config['preset']}: {first['data']['train_images']:,} {first['data']['name']} "
            f"training images, {config['recipe']['epochs']} epoch(s), tested on {first['data']['test_images']:,}, "
            f"seeds {', '.join(map(str, sorted({r['seed'] for r in results})))}; on {', '.join(devices)}")


def _wrap(text: str, width: int = 110) -> str:
    return "\n".join(textwrap.wrap(text, width))


def figure_3(results: Sequence[Mapping]):
    """Figure 3: scaling one dimension at a time, accuracy against multiply-adds (bars: seed range)."""
    import matplotlib.pyplot as plt

    sweeps = single_dimension(results)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True, layout="constrained")
    for ax, name in zip(axes, SINGLE):
        if len(sweeps[name]) > 1:
            _draw(ax, sweeps[name], name, COLOURS[name], annotate=name)
        else:
            ax.text(0.5, 0.5, f"no {name} runs yet", transform=ax.transAxes, ha="center")
        _axes_labels(ax, f"scaling {name} ({SYMBOLS[name]}) alone")
    fig.suptitle("Figure 3 (the course's version): one dimension at a time\n" + describe_study(results)
                 + "; bars span the seeds", fontsize=9)
    return fig


def figure_4_lines(results: Sequence[Mapping]) -> dict[tuple[float, float], list[dict]]:
    """Figure 4's lines: for each (depth, resolution) base, its networks at every width, cheapest first.

    The (1, 1) base is the baseline and every width-only network (Figure 3's width sweep).
    """
    rows = summarize(results)
    lines: dict[tuple[float, float], list[dict]] = {}
    for r in rows:
        if r["strategy"] == "grid" or _only(r) in ("width", "none"):
            lines.setdefault((round(r["depth"], 3), round(r["resolution"], 3)), []).append(r)
    return {base: sorted(points, key=lambda p: p["width"]) for base, points in sorted(lines.items())
            if len(points) > 1}


def figure_4(results: Sequence[Mapping]):
    """Figure 4: width swept from different (depth, resolution) bases; one line per base."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    lines = figure_4_lines(results)
    for colour, ((d, r), points) in zip(BASE_COLOURS, lines.items()):
        _draw(ax, points, f"d={d:g}, r={r:g} ({points[0]['pixels']} px)", colour, annotate="width")
    if not lines:
        ax.text(0.5, 0.5, "no Figure 4 runs yet", transform=ax.transAxes, ha="center")
    _axes_labels(ax, "Figure 4 (the course's version): scaling width from different (depth, resolution) bases\n"
                 + _wrap(describe_study(results)))
    if lines:
        ax.legend(fontsize=8, loc="best")
    return fig


def figure_8(results: Sequence[Mapping]):
    """Figure 8: the baseline scaled by each strategy, compared at matched multiply-adds."""
    import matplotlib.pyplot as plt

    rows = summarize(results)
    baseline = [r for r in rows if r["strategy"] == "baseline"]
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for strategy in ("depth", "width", "resolution", "compound"):
        points = [r for r in rows if r["strategy"] == strategy]
        if points:
            label = "compound scaling (Eq. 3)" if strategy == "compound" else f"scale by {strategy} alone"
            _draw(ax, baseline + points, label, COLOURS[strategy], marker="s" if strategy == "compound" else "o")
    _axes_labels(ax, "Figure 8 (the course's version): scaling the baseline by different methods\n"
                 + _wrap(describe_study(results)))
    ax.legend(fontsize=8, loc="upper left")
    return fig


# --------------------------------------------------------------------------- what the data shows

def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _verdict(difference: float, noise: float) -> str:
    return "within the seed spread, so noise" if abs(difference) <= noise else "larger than the seed spread"


def findings(results: Sequence[Mapping]) -> list[str]:
    """Sentences stating what the results show, each computed from them.

    * the baseline, with its seed range;
    * for each compound point: the best strategy at that cost, and compound's margin over the best
      single dimension, called noise when it is not larger than the spread between seeds;
    * Observation 1 (Figure 3): for each dimension, the gain of its first step against the gain of
      the steps after it;
    * Observation 2 (Figure 4): at about the same cost, the accuracy of each (depth, resolution) base.
    """
    rows = summarize(results)
    noise = noise_level(results)
    lines = []
    baseline = next((r for r in rows if r["strategy"] == "baseline"), None)
    if baseline:
        lines.append(f"Baseline ({baseline['pixels']} px, {_millions(baseline):.2f}M multiply-adds): "
                     f"{_pct(baseline['accuracy'])} (seeds {_pct(baseline['low'])} to {_pct(baseline['high'])}). "
                     f"The largest spread between seeds of any network is {100 * noise:.1f} points: smaller "
                     "differences are noise.")
    groups = list(dict.fromkeys(r["group"] for r in rows if r["strategy"] == "compound"))
    for group in groups:
        at = {r["strategy"]: r for r in rows if r["group"] == group and r["strategy"] != "grid"}
        best = max(at.values(), key=lambda r: r["accuracy"])
        text = (f"At {group} ({at['compound']['cost_ratio']:.1f}x the baseline's multiply-adds): best is "
                f"{best['strategy']} at {_pct(best['accuracy'])}; "
                + ", ".join(f"{s} {_pct(r['accuracy'])}" for s, r in at.items() if r is not best) + ".")
        singles = [r for s, r in at.items() if s in SINGLE]
        if "compound" in at and singles:
            top = max(singles, key=lambda r: r["accuracy"])
            margin = at["compound"]["accuracy"] - top["accuracy"]
            text += (f" Compound against the best single dimension ({top['strategy']}): {100 * margin:+.1f} points, "
                     f"{_verdict(margin, noise)}.")
        lines.append(text)
    for name, sweep in single_dimension(results).items():
        if len(sweep) < 3:
            continue
        lines.append(_observation_1(name, sweep, noise))
    lines += _observation_2(results, noise)
    return lines


def _observation_1(name: str, sweep: Sequence[Mapping], noise: float) -> str:
    """One sentence on a single-dimension sweep: its gain per step, and its shape against the noise."""
    gains = [b["accuracy"] - a["accuracy"] for a, b in zip(sweep, sweep[1:])]
    first, later = gains[0], gains[1:]
    if all(abs(g) <= noise for g in gains):
        shape = "no step gains more than the seed spread"
    elif first > noise and all(g <= noise for g in later):
        shape = "it rises, then flattens: the later steps gain no more than the seed spread"
    elif max(later) > first:
        shape = "a later step gains more than the first: no sign of flattening yet"
    else:
        shape = "each later step gains less than the first, but more than the seed spread"
    below = [r for r in sweep[1:] if r["accuracy"] < sweep[0]["accuracy"] - noise]
    total = sweep[-1]["accuracy"] - sweep[0]["accuracy"]
    return (f"Scaling {name} alone ({SYMBOLS[name]} up to {sweep[-1][name]:.2g}, {sweep[-1]['cost_ratio']:.1f}x the "
            f"cost): " + ", ".join(f"{100 * g:+.1f}" for g in gains) + f" points per step, {100 * total:+.1f} in all; "
            + shape + (f"; {len(below)} network(s) end below the baseline by more than the seed spread" if below else "")
            + ".")


def _at_cost(points: Sequence[Mapping], madds: float) -> float | None:
    """Accuracy of a line at a cost, interpolated linearly in log cost (None outside the line)."""
    for a, b in zip(points, points[1:]):
        if a["multiply_adds"] <= madds <= b["multiply_adds"]:
            span = math.log(b["multiply_adds"] / a["multiply_adds"])
            t = math.log(madds / a["multiply_adds"]) / span if span else 0.0
            return a["accuracy"] + t * (b["accuracy"] - a["accuracy"])
    return None


def _observation_2(results: Sequence[Mapping], noise: float) -> list[str]:
    lines = {base: sorted(points, key=lambda p: p["multiply_adds"])
             for base, points in figure_4_lines(results).items()}
    if len(lines) < 2:
        return []
    low = max(points[0]["multiply_adds"] for points in lines.values())
    high = min(points[-1]["multiply_adds"] for points in lines.values())
    best = {base: max(points, key=lambda p: p["accuracy"]) for base, points in lines.items()}
    summary = "; ".join(f"(d={d:g}, r={r:g}) {_pct(p['accuracy'])} at {_millions(p):.1f}M"
                        for (d, r), p in best.items())
    out = [f"Figure 4, the best point of each base: {summary}."]
    if low <= high:
        middle = math.sqrt(low * high)
        at = {base: _at_cost(points, middle) for base, points in lines.items()}
        ranked = sorted(at.items(), key=lambda item: -item[1])
        (top_base, top), (_, last) = ranked[0], ranked[-1]
        text = (f"Figure 4 at the cost all bases reach ({middle / 1e6:.1f}M multiply-adds): "
                + ", ".join(f"(d={d:g}, r={r:g}) {_pct(a)}" for (d, r), a in ranked)
                + f"; the best base leads the worst by {100 * (top - last):.1f} points: {_verdict(top - last, noise)}.")
        # Observation 2 names the base that is both deeper and finer than the baseline.
        richest = max(lines, key=lambda base: (base[0], base[1]))
        if richest[0] > 1 and richest[1] > 1 and (1.0, 1.0) in at:
            lead = at[richest] - at[(1.0, 1.0)]
            agrees = top_base == richest and lead > noise
            text += (f" The deeper, finer base (d={richest[0]:g}, r={richest[1]:g}) is {100 * lead:+.1f} points from the "
                     "(1, 1) base there: " + ("as in the paper's Observation 2, widening pays most from it."
                                              if agrees else "the paper's Observation 2 is not borne out here."))
        out.append(text)
    return out


def table_rows(results: Sequence[Mapping]) -> list[tuple]:
    """The study as table rows: strategy, group, d, w, r (px), multiply-adds (millions), parameters,
    accuracy mean [lowest, highest seed], number of seeds."""
    return [(r["strategy"], r["group"], f"{r['depth']:.2f}", f"{r['width']:.2f}",
             f"{r['resolution']:.2f} ({r['pixels']} px)", f"{_millions(r):.2f} ({r['cost_ratio']:.1f}x)",
             f"{r['parameters']:,}", f"{100 * r['accuracy']:.1f} [{100 * r['low']:.1f}, {100 * r['high']:.1f}]",
             len(r["seeds"]))
            for r in summarize(results)]
