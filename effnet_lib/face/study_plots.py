"""Figures 3, 4 and 8 of the paper from the scaling study's results, with the spread over seeds.

Everything here takes the plain dicts that :func:`effnet_lib.learn.experiments.load_results` returns
(one per trained run) and never a model, so a CPU-only reader can plot a study made on a GPU.

* :func:`summarize` groups runs by network and gives mean, min and max accuracy over seeds.
* :func:`figure_3`: accuracy against multiply-adds when scaling one dimension (w, d or r).
* :func:`figure_4`: width sweeps from several (depth, resolution) bases.
* :func:`figure_8`: all strategies, compound included, on one axis.
* :func:`findings`: what the numbers say, as sentences computed from them (compound against the
  best single dimension at each FLOPS target), so the notebook's text cannot drift from its data.
"""

from __future__ import annotations

import math
import statistics
from typing import Mapping, Sequence

from .style import COLOURS, SYMBOLS

__all__ = ["summarize", "curves", "figure_3", "figure_4", "figure_8", "findings", "table_rows"]

SINGLE = ("width", "depth", "resolution")


def summarize(results: Sequence[Mapping], accuracy: str = "final_accuracy") -> list[dict]:
    """One row per network (same multipliers): strategy, costs, and accuracy over its seeds.

    ``accuracy`` is ``"final_accuracy"`` (last epoch, the default) or ``"best_accuracy"``.
    The strategy is the first one that asked for the network; a network that is both the
    baseline and a Figure 4 grid point appears once, as the baseline.
    """
    if not results:
        raise ValueError("no results to summarize: run the study first (python -m effnet_lib.learn.experiments) "
                         "or load the stored ones with effnet_lib.learn.experiments.load_results().")
    groups: dict[str, list[Mapping]] = {}
    for r in results:
        groups.setdefault(r["variant"]["key"], []).append(r)
    rows = []
    for key, runs in groups.items():
        order = ("baseline", "depth", "width", "resolution", "compound", "grid")
        strategy = min((r["variant"]["strategy"] for r in runs), key=order.index)
        values = [r[accuracy] for r in runs]
        v = runs[0]["variant"]
        rows.append({
            "key": key, "strategy": strategy, "depth": v["depth"], "width": v["width"],
            "resolution": v["resolution"], "pixels": runs[0]["network"]["resolution"],
            "target": v["target"], "multiply_adds": runs[0]["multiply_adds"],
            "parameters": runs[0]["parameters"], "flops_ratio": runs[0]["flops_ratio"],
            "seeds": sorted(r["seed"] for r in runs), "accuracy": statistics.fmean(values),
            "low": min(values), "high": max(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "seconds": statistics.fmean(r["seconds"] for r in runs),
            "device": runs[0]["hardware"].get("gpu") or runs[0]["hardware"].get("device_name", "?"),
        })
    return sorted(rows, key=lambda row: row["multiply_adds"])


def curves(results: Sequence[Mapping], accuracy: str = "final_accuracy") -> dict[str, list[dict]]:
    """Figure 3/8's curves: for each strategy, the baseline followed by its variants by cost."""
    rows = summarize(results, accuracy)
    baseline = [r for r in rows if r["strategy"] == "baseline"]
    out = {}
    for strategy in (*SINGLE, "compound"):
        points = [r for r in rows if r["strategy"] == strategy]
        if points:
            out[strategy] = baseline + points
    return out


def _plot_curve(ax, points: Sequence[Mapping], label: str, colour: str, annotate: str | None = None):
    x = [p["multiply_adds"] / 1e6 for p in points]
    y = [100 * p["accuracy"] for p in points]
    spread = [[100 * (p["accuracy"] - p["low"]) for p in points], [100 * (p["high"] - p["accuracy"]) for p in points]]
    ax.errorbar(x, y, yerr=spread, fmt="o-", color=colour, label=label, capsize=3)
    if annotate:
        for p, xi, yi in zip(points, x, y):
            ax.annotate(f"{SYMBOLS.get(annotate, annotate)}={p[annotate]:.2g}", (xi, yi),
                        textcoords="offset points", xytext=(4, -11), fontsize=7, color=colour)


def _label_axes(ax, title: str):
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    # Plain numbers (2, 5, 10) on the log axis rather than 2 x 10^0.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else ""))
    ax.set_xlabel("multiply-adds per image (millions, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)


def _subtitle(results: Sequence[Mapping]) -> str:
    study = results[0]["study"]
    devices = sorted({r["hardware"].get("gpu") or r["hardware"].get("device_name", "?") for r in results})
    seeds = sorted({r["seed"] for r in results})
    return (f"study '{study['name']}': {study['data']}, {study['train_subset'] or 'all'} training images, "
            f"{study['epochs']} epochs, seeds {seeds}\nbars span min-max over seeds; on {', '.join(devices)}")


def figure_3(results: Sequence[Mapping], accuracy: str = "final_accuracy"):
    """Figure 3: scaling one dimension at a time (width, depth, resolution), accuracy vs cost."""
    import matplotlib.pyplot as plt

    lines = curves(results, accuracy)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True, layout="constrained")
    for ax, strategy in zip(axes, SINGLE):
        if strategy in lines:
            _plot_curve(ax, lines[strategy], strategy, COLOURS[strategy], annotate=strategy)
        else:
            ax.text(0.5, 0.5, f"no {strategy} runs yet", transform=ax.transAxes, ha="center")
        _label_axes(ax, f"scaling {strategy} ({SYMBOLS[strategy]}) only")
    fig.suptitle("Figure 3: scaling one dimension of the baseline\n" + _subtitle(results), fontsize=9)
    return fig


def figure_4(results: Sequence[Mapping], accuracy: str = "final_accuracy"):
    """Figure 4: width sweeps from (depth, resolution) bases; one line per base."""
    import matplotlib.pyplot as plt

    rows = summarize(results, accuracy)
    bases: dict[tuple[float, float], list[dict]] = {}
    for r in rows:
        if r["strategy"] in ("grid", "baseline") or (r["strategy"] == "width"):
            bases.setdefault((r["depth"], round(r["resolution"], 3)), []).append(r)
    # The width-only curve lies on the (1, 1) base; keep only the grid's widths there so the
    # four lines sweep the same widths.
    grid_widths = sorted({r["width"] for r in rows if r["strategy"] == "grid"})
    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    palette = ["tab:blue", "tab:purple", "tab:orange", "tab:red"]
    drawn = 0
    for (d, r_), points in sorted(bases.items()):
        points = [p for p in points if not grid_widths or any(math.isclose(p["width"], w) for w in grid_widths)]
        if len(points) < 2:
            continue
        points.sort(key=lambda p: p["width"])
        _plot_curve(ax, points, f"d={d:g}, r={r_:g} ({points[0]['pixels']} px)", palette[drawn % 4], annotate="width")
        drawn += 1
    _label_axes(ax, "Figure 4: scaling width from different (depth, resolution) baselines\n" + _subtitle(results))
    ax.title.set_fontsize(8)
    if drawn:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no Figure 4 grid runs yet", transform=ax.transAxes, ha="center")
    return fig


def figure_8(results: Sequence[Mapping], accuracy: str = "final_accuracy"):
    """Figure 8: every strategy on one axis: is compound scaling above the others at equal cost?"""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    for strategy, points in curves(results, accuracy).items():
        _plot_curve(ax, points, f"{strategy} scaling" if strategy != "compound" else "compound scaling (Eq. 3)",
                    COLOURS[strategy])
    _label_axes(ax, "Figure 8: scaling the baseline by different methods\n" + _subtitle(results))
    ax.title.set_fontsize(8)
    ax.legend(fontsize=8)
    return fig


def findings(results: Sequence[Mapping], accuracy: str = "final_accuracy") -> list[str]:
    """Sentences that state what the results show, each computed from them.

    For every FLOPS target: the best strategy, and compound's margin over the best single
    dimension (negative when compound loses, which a small study can show).
    """
    rows = summarize(results, accuracy)
    baseline = next((r for r in rows if r["strategy"] == "baseline"), None)
    lines = []
    if baseline:
        lines.append(f"Baseline ({baseline['pixels']} px, {baseline['multiply_adds'] / 1e6:.1f}M multiply-adds): "
                     f"{100 * baseline['accuracy']:.1f}% (seeds {100 * baseline['low']:.1f}-{100 * baseline['high']:.1f}%).")
    for target in sorted({r["target"] for r in rows if r["strategy"] in (*SINGLE, "compound")}):
        at = {r["strategy"]: r for r in rows if r["target"] == target and r["strategy"] in (*SINGLE, "compound")}
        if not at:
            continue
        best = max(at.values(), key=lambda r: r["accuracy"])
        text = (f"~{target:g}x FLOPS: best is {best['strategy']} at {100 * best['accuracy']:.1f}% "
                f"({best['flops_ratio']:.2f}x); " + ", ".join(
                    f"{s} {100 * r['accuracy']:.1f}%" for s, r in at.items() if r is not best))
        singles = [r for s, r in at.items() if s in SINGLE]
        if "compound" in at and singles:
            top = max(singles, key=lambda r: r["accuracy"])
            margin = 100 * (at["compound"]["accuracy"] - top["accuracy"])
            spread = 100 * max(r["high"] - r["low"] for r in (at["compound"], top))
            verdict = ("compound wins" if margin > 0 else "compound does not win") + (
                " (within the seed spread)" if abs(margin) <= spread else "")
            text += f". Compound vs best single ({top['strategy']}): {margin:+.1f} points: {verdict}."
        lines.append(text)
    return lines


def table_rows(results: Sequence[Mapping], accuracy: str = "final_accuracy") -> list[tuple]:
    """The study as table rows: strategy, d, w, r (px), cost, parameters, accuracy mean [min, max]."""
    return [(r["strategy"], f"{r['depth']:.2f}", f"{r['width']:.2f}", f"{r['resolution']:.2f} ({r['pixels']} px)",
             f"{r['flops_ratio']:.2f}x", f"{r['parameters']:,}",
             f"{100 * r['accuracy']:.1f} [{100 * r['low']:.1f}, {100 * r['high']:.1f}]", len(r["seeds"]))
            for r in summarize(results, accuracy)]
