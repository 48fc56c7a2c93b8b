"""Figures for the paper's reasoning and its comparisons, drawn from plain data (never models).

    receptive_field_against_image_size   Section 3.2's intuition: which scaling keeps the field in step with the image
    finer_patterns                       its second half: what a stage of a trained network sees at twice the pixels
    figure_1_and_5                       Table 2 against other ConvNets, by parameters (Figure 1) and FLOPS (Figure 5)
    objective_picture                    Section 4's search objective on Table 2: iso-score curves and scores
    accuracy_against_latency             Figure 1 for the reader's machine: measured latency against official top-1
    predictions_by_model                 one photo, the top-k classes of several models side by side

Each returns a matplotlib Figure and accepts `axes` to draw into a figure of your own. Point labels
are placed by `drawing.place_labels`, which moves a label until it overlaps no other and stays in the axes.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .drawing import figure_panels, place_labels, require
from .style import COLOURS, plain_log_labels

EFFICIENTNET_COLOUR = COLOURS["compound"]
OTHERS_COLOUR = "dimgrey"


# --------------------------------------------------------------------------- receptive field

def receptive_field_against_image_size(paths: Mapping[str, Sequence[Mapping]],
                                       per_stage: Mapping[str, Sequence[float]], axes=None) -> Figure:
    """Left: the last stage's receptive field against the image size along each scaling path.
    Right: every stage's field as a fraction of the image, for a few networks.

    paths:     {"depth" | "width" | "resolution" | "compound": [{"image_size", "receptive_field", "label"}, ...]},
               each path starting at the baseline (labels such as "x4.1 FLOPS");
    per_stage: {legend label: [receptive field / image size for Table 1's stages 1, 2, ...]}.
    """
    if not paths or not per_stage:
        raise ValueError("give at least one scaling path and one network's per-stage coverage.")
    fig, (left, right) = figure_panels(axes, 2, (11, 4.4))
    points = []
    for strategy, path in paths.items():
        for p in path:
            require(p, ("image_size", "receptive_field", "label"), f"a point of the {strategy} path")
        xs, ys = [p["image_size"] for p in path], [p["receptive_field"] for p in path]
        left.plot(xs, ys, "o-", color=COLOURS.get(strategy, "black"), label=f"{strategy} only"
                  if strategy != "compound" else "compound (Eq. 3)")
        points += [(x, y, p["label"]) for x, y, p in zip(xs, ys, path) if p is not path[0]]
    first = next(iter(paths.values()))[0]
    ratio = first["receptive_field"] / first["image_size"]
    sizes = [p["image_size"] for path in paths.values() for p in path]
    fields = [p["receptive_field"] for path in paths.values() for p in path]
    span = [min(sizes) * 0.8, max(sizes) * 1.25]
    left.plot(span, [ratio * s for s in span], "--", color="grey", label=f"the baseline's ratio ({ratio:.1f} x image)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlim(*span)
    left.set_ylim(min(fields) * 0.7, max(fields) * 1.4)
    left.set_xticks([t for t in (150, 224, 300, 400, 500, 600, 800, 1000) if span[0] <= t <= span[1]])
    left.xaxis.set_major_formatter(_plain())
    left.xaxis.set_minor_formatter(_blank())
    plain_log_labels(left.yaxis)
    left.set_xlabel("image size (px, log)")
    left.set_ylabel("receptive field of the last stage (px, log)")
    left.set_title("Receptive field against image size, by scaling path")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8, loc="upper right", title="point labels: FLOPS / the baseline's", title_fontsize=8)

    for label, coverage in per_stage.items():
        stages = list(range(1, len(coverage) + 1))
        strategy = next((s for s in COLOURS if label.startswith(s)), "baseline")
        right.plot(stages, coverage, "o-", color=COLOURS[strategy], label=label)
    right.axhline(1.0, color="black", linewidth=1)
    right.text(1.05, 1.08, "field = the whole image", fontsize=8)
    right.set_yscale("log")
    plain_log_labels(right.yaxis)
    right.set_xticks(range(1, max(len(c) for c in per_stage.values()) + 1))
    right.set_xlabel("Table 1 stage (1 = stem)")
    right.set_ylabel("receptive field / image size (log)")
    right.set_title("Coverage of the image, stage by stage")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    place_labels(left, points, fontsize=7)
    return fig


def _plain():
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _: f"{v:g}")


def _blank():
    from matplotlib.ticker import NullFormatter
    return NullFormatter()


# --------------------------------------------------------------------------- finer patterns

def finer_patterns(photos: Mapping[int, object], views: Mapping[str, object], fields: Mapping[str, Mapping[int, int]],
                   threshold: float, stage_name: str, zoom: float = 0.5, axes=None) -> Figure:
    """One row per network: the stage's most changed channel over the centre of the photo at the low and
    at the high size (the central `zoom` of the side, so the same region shows at both), each with the
    stage's receptive field drawn as a square at the centre; then every channel's correlation between the
    two views, sorted, with the threshold under which a channel sees something new.

    photos: {size in pixels: the photo as the network saw it, (H, W, 3) floats in [0, 1]};
    views:  {network: an object with .low, .high, .low_maps, .high_maps (C, h, w), .r (C,) and .newest},
            as `explain.detail.compare_resolutions` returns;
    fields: {network: {size: the stage's receptive field in pixels at that size}}.
    """
    if not views:
        raise ValueError("no networks to draw; give {name: compare_resolutions(...)}.")
    if not 0 < zoom <= 1:
        raise ValueError(f"zoom is the share of the side to show, in (0, 1]; got {zoom!r}.")
    for name, view in views.items():
        missing = [size for size in (view.low, view.high) if size not in photos or size not in fields.get(name, {})]
        if missing:
            raise ValueError(f"{name}: need a photo and a receptive field at {missing} px (photos: {sorted(photos)}, "
                             f"fields: {sorted(fields.get(name, {}))}).")
    if axes is None:
        import matplotlib.pyplot as plt

        axes = plt.figure(figsize=(12, 3.9 * len(views)), layout="constrained").subplots(len(views), 3, squeeze=False)
    fig, flat = figure_panels(axes, 3 * len(views), (12, 3.9 * len(views)))
    for row, (name, view) in enumerate(views.items()):
        low_ax, high_ax, r_ax = flat[3 * row:3 * row + 3]
        channel = view.newest
        for ax, size, maps in ((low_ax, view.low, view.low_maps), (high_ax, view.high, view.high_maps)):
            photo = photos[size]
            side = photo.shape[0]
            extent = (0, photo.shape[1], side, 0)
            ax.imshow(photo, extent=extent)
            ax.imshow(maps[channel].numpy(), cmap="magma", alpha=0.5, extent=extent, interpolation="bilinear")
            field = fields[name][size]
            ax.add_patch(Rectangle((side / 2 - field / 2, side / 2 - field / 2), field, field, fill=False,
                                   edgecolor="cyan", linewidth=1.5))
            half = zoom * side / 2
            ax.set_xlim(side / 2 - half, side / 2 + half)
            ax.set_ylim(side / 2 + half, side / 2 - half)
            ax.set_title(f"{name} at {size} px, channel {channel} ({maps.shape[-1]} x {maps.shape[-2]} map)\n"
                         f"cyan: the {stage_name} field, {field} px = {field / size:.2f} of the side", fontsize=8)
            ax.axis("off")
        values = view.r[view.r.argsort()].tolist()
        new = [v < threshold for v in values]
        r_ax.bar(range(len(values)), values, color=["tab:red" if n else "lightgrey" for n in new], width=1.0)
        r_ax.axhline(threshold, color="black", linestyle="--", linewidth=1, label=f"r = {threshold:g}")
        r_ax.set_ylim(min(0.0, min(values) - 0.05), 1.0)
        r_ax.set_xlim(-0.5, len(values) - 0.5)
        r_ax.set_xlabel(f"the {view.channels} channels of {stage_name}, sorted")
        r_ax.set_ylabel(f"r, {view.low} px view against {view.high} px")
        r_ax.set_title(f"{name}: {sum(new)} of {view.channels} channels see something new (red)", fontsize=9)
        r_ax.legend(fontsize=8, loc="upper left")
        r_ax.grid(True, axis="y", alpha=0.3)
    return fig


# --------------------------------------------------------------------------- Figures 1 and 5

def figure_1_and_5(rows: Sequence[Mapping], axes=None) -> Figure:
    """Top-1 against parameters (Figure 1) and against FLOPS (Figure 5), from Table 2's printed rows.

    rows: dicts with "name", "top1", "parameters" (millions, printed), "flops" (billions, printed, or
    None), "efficientnet" (bool), and optionally "computed_parameters" / "computed_flops" (same units),
    the library's own counts, drawn as open markers beside the printed ones.
    """
    if not rows:
        raise ValueError("no rows to draw; pass Table 2's rows as dicts.")
    for row in rows:
        require(row, ("name", "top1", "parameters", "flops", "efficientnet"), "a Table 2 row")
    fig, panels = figure_panels(axes, 2, (11, 4.8))
    for ax, key, computed, unit, figure in ((panels[0], "parameters", "computed_parameters",
                                             "parameters (millions, log)", "Figure 1"),
                                            (panels[1], "flops", "computed_flops",
                                             "FLOPS = multiply-adds (billions, log)", "Figure 5")):
        ours = [r for r in rows if r["efficientnet"] and r[key] is not None]
        others = [r for r in rows if not r["efficientnet"] and r[key] is not None]
        ax.plot([r[key] for r in ours], [r["top1"] for r in ours], "o-", color=EFFICIENTNET_COLOUR,
                label="EfficientNet B0..B7 (printed)")
        ax.scatter([r[key] for r in others], [r["top1"] for r in others], color=OTHERS_COLOUR, s=22, zorder=3,
                   label="other ConvNets (printed)")
        counted = [r for r in rows if r.get(computed) is not None]
        if counted:
            ax.scatter([r[computed] for r in counted], [r["top1"] for r in counted], facecolors="none",
                       edgecolors="black", s=60, zorder=4, label="the library's count (same top-1)")
        ax.set_xscale("log")
        plain_log_labels(ax.xaxis)
        ax.set_xlabel(unit)
        ax.set_ylabel("ImageNet top-1 (%)")
        ax.set_title(f"{figure} from Table 2: top-1 against {key if key == 'parameters' else 'FLOPS'}")
        ax.grid(True, which="both", alpha=0.3)
        values = [r[key] for r in rows if r[key] is not None]
        ax.set_xlim(min(values) / 1.6, max(values) * 3)      # room for a label right of the last point
        ax.set_ylim(min(r["top1"] for r in rows) - 0.8, max(r["top1"] for r in rows) + 0.8)
        ax.legend(fontsize=8, loc="best")
    missing = [r["name"] for r in rows if r["flops"] is None]
    if missing:
        panels[1].text(0.01, 0.01, f"not in this panel (no FLOPS printed): {', '.join(missing)}",
                       transform=panels[1].transAxes, fontsize=7)
    for ax, key in zip(panels, ("parameters", "flops")):
        for family, colour in ((True, EFFICIENTNET_COLOUR), (False, OTHERS_COLOUR)):
            place_labels(ax, [(r[key], r["top1"], r["name"]) for r in rows
                              if r["efficientnet"] is family and r[key] is not None], fontsize=7, colour=colour)
    return fig


# --------------------------------------------------------------------------- the search objective

def objective_picture(candidates: Mapping[str, Mapping], target: float, w: float, axes=None) -> Figure:
    """Section 4's objective on a set of models: left, top-1 against FLOPS with curves of equal score
    through the models; right, each model's score, the preferred one highlighted.

    candidates: {name: {"accuracy", "multiply_adds", "score"}}, in the order to draw them.
    """
    if not candidates:
        raise ValueError("no candidates to draw.")
    for name, c in candidates.items():
        require(c, ("accuracy", "multiply_adds", "score"), f"candidate {name}")
    fig, (left, right) = figure_panels(axes, 2, (11, 4.2))
    names = list(candidates)
    best = max(names, key=lambda n: candidates[n]["score"])
    flops = [candidates[n]["multiply_adds"] / 1e9 for n in names]
    accuracy = [candidates[n]["accuracy"] for n in names]
    span = [min(flops) / 1.5, max(flops) * 1.5]
    grid = [span[0] * (span[1] / span[0]) ** (i / 60) for i in range(61)]
    for n in names:     # the curve of every F with the same score as this model: ACC = S x (F / T)^-w
        s = candidates[n]["score"]
        left.plot(grid, [s * (f * 1e9 / target) ** -w for f in grid], color="tab:red" if n == best else "lightgrey",
                  linewidth=1.5 if n == best else 0.8, zorder=1)
    left.scatter(flops, accuracy, color="black", zorder=3, s=20)
    left.scatter([candidates[best]["multiply_adds"] / 1e9], [candidates[best]["accuracy"]], marker="*", s=220,
                 color="tab:red", edgecolor="black", zorder=4, label=f"preferred: {best.upper()}")
    left.axvline(target / 1e9, color="tab:blue", linestyle=":", label=f"T = {target / 1e9:g}B")
    left.set_xscale("log")
    left.set_xlim(*span)
    left.set_ylim(min(accuracy) - 2, max(accuracy) + 2)
    plain_log_labels(left.xaxis)
    left.set_xlabel("FLOPS = multiply-adds (billions, log)")
    left.set_ylabel("top-1 (%)")
    left.set_title(f"Curves of equal score, w = {w:g}")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8, loc="lower right")

    scores = [candidates[n]["score"] for n in names]
    bars = right.bar([n.upper() for n in names], scores, color=["tab:red" if n == best else "lightgrey" for n in names],
                     edgecolor="black")
    right.bar_label(bars, fmt="%.1f", fontsize=8)      # the axis starts at 0, so the numbers carry the small gaps
    right.set_ylim(0, max(scores) * 1.12)
    right.set_ylabel(r"ACC $\times$ (FLOPS / T)$^w$")
    right.set_title(f"Scores at T = {target / 1e9:g}B, w = {w:g}")
    right.grid(True, axis="y", alpha=0.3)
    place_labels(left, [(f, a, n.upper()) for f, a, n in zip(flops, accuracy, names)], fontsize=8)
    return fig


# --------------------------------------------------------------------------- Figure 1 on your machine

def accuracy_against_latency(points: Sequence[Mapping], machine: str = "", axes=None) -> Figure:
    """Official top-1 against latency measured here, one colour per family (a Figure 1 for this machine).

    points: dicts with "name", "family" (legend label), "seconds" (mean latency) and "top1".
    """
    if not points:
        raise ValueError("no measurements to draw.")
    for p in points:
        require(p, ("name", "family", "seconds", "top1"), "a measured point")
    fig, (ax,) = figure_panels(axes, 1, (7.5, 4.6))
    palette = ["tab:red", "tab:purple", "dimgrey", "tab:blue", "tab:green"]
    families = list(dict.fromkeys(p["family"] for p in points))
    for colour, family in zip(palette * 3, families):
        members = sorted((p for p in points if p["family"] == family), key=lambda p: p["seconds"])
        ax.plot([p["seconds"] * 1e3 for p in members], [p["top1"] for p in members], "o-", color=colour,
                label=family)
    times = [p["seconds"] * 1e3 for p in points]
    ax.set_xscale("log")
    ax.set_xlim(min(times) / 1.5, max(times) * 1.8)
    ax.set_ylim(min(p["top1"] for p in points) - 1, max(p["top1"] for p in points) + 1)
    plain_log_labels(ax.xaxis)
    ax.set_xlabel("latency on this machine (ms, batch 1, log)")
    ax.set_ylabel("ImageNet top-1 as published (%)")
    ax.set_title("Figure 1 for your machine: accuracy against measured latency")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    place_labels(ax, [(p["seconds"] * 1e3, p["top1"], p["name"]) for p in points], fontsize=8)
    if machine:
        fig.text(0.01, 0.005, machine, fontsize=7)
    return fig


# --------------------------------------------------------------------------- one photo, several models

def predictions_by_model(image, predictions: Mapping[str, tuple[Sequence[str], Sequence[float]]], title: str = "",
                         axes=None) -> Figure:
    """A photo beside each model's top-k classes: {model: (labels, probabilities)}, one panel per model.

    Class names are written on their bars (not as tick labels), so several panels fit a laptop screen.
    """
    if not predictions:
        raise ValueError("no predictions to draw; give {model name: (labels, probabilities)}.")
    for name, (labels, probabilities) in predictions.items():
        if len(labels) != len(probabilities) or not labels:
            raise ValueError(f"{name}: need as many labels as probabilities (and at least one); got "
                             f"{len(labels)} and {len(probabilities)}.")
    fig, panels = figure_panels(axes, 1 + len(predictions), (2.8 + 2.7 * len(predictions), 2.8))
    panels[0].imshow(image)
    panels[0].axis("off")
    panels[0].set_title(title, fontsize=9)
    for ax, (name, (labels, probabilities)) in zip(panels[1:], predictions.items()):
        rows = range(len(labels))[::-1]          # the most likely class on top
        ax.barh(list(rows), probabilities, color="tab:blue", alpha=0.35)
        for row, label, p in zip(rows, labels, probabilities):
            ax.text(0.02, row, f"{label} ({p:.0%})", va="center", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_yticks([])
        ax.set_xlabel("probability")
        ax.set_title(f"{name}: top-{len(labels)}", fontsize=9)
    return fig
