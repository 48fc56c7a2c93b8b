"""Notebook 9's figures: what came after EfficientNet, each drawn from plain data the notebook computed.

    fused_stages             B0 with its first k stages fused: multiply-adds against measured latency (EfficientNetV2)
    progressive_schedule     progressive learning's stages: image size, augmentation, cost per image
    apparent_sizes           FixRes's geometry: how much larger objects look in training crops than in the test crop
    test_resolution_effects  the pretrained Lite0 tested at several sizes: what its pooled features and answers do
    activations_and_latency  fast against compound scaling: activations and latency against multiply-adds

Each takes lists and dicts, never a model, and returns the figure.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from matplotlib.figure import Figure

from .drawing import figure_panels
from .style import COLOURS, plain_log_labels

# The scaling strategies of notebook 9's fast-scaling figure: the course's colours, and fast scaling's own.
STRATEGY_COLOURS = {**COLOURS, "fast": "tab:purple"}


def fused_label(k: int) -> str:
    """How the figures name B0 with its first k stages fused: "none", "1", "1-2", ..."""
    return "none" if k == 0 else ("1" if k == 1 else f"1-{k}")


def fused_stages(rows: Sequence[Mapping], machine: str = "", axes=None) -> Figure:
    """Bars per number of fused early stages: multiply-adds (left) and measured latency (right), each
    with its ratio to the unfused network written above the bar.

    `rows`: one dict per network, `fused` (how many early stages are Fused-MBConv), `multiply_adds`,
    `seconds` (mean latency) and `spread` (its standard deviation), the unfused network first.
    """
    fig, (left, right) = figure_panels(axes, 2, (11, 3.8))
    labels = [fused_label(r["fused"]) for r in rows]
    base = rows[0]
    for ax, key, scale, unit, colour in ((left, "multiply_adds", 1e-9, "multiply-adds (billions)", "tab:gray"),
                                         (right, "seconds", 1e3, "latency (ms), mean +- spread", "tab:blue")):
        values = [r[key] * scale for r in rows]
        errors = [r["spread"] * 1e3 for r in rows] if key == "seconds" else None
        bars = ax.bar(labels, values, yerr=errors, capsize=3, color=colour)
        for bar, r, error in zip(bars, rows, errors or [0] * len(rows)):   # above the bar and its error bar
            ax.annotate(f"x{r[key] / base[key]:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height() + error),
                        textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
        ax.set_ylim(0, max(v + (e if errors else 0) for v, e in zip(values, errors or values)) * 1.15)
        ax.set(xlabel="B0's stages built as Fused-MBConv", ylabel=unit)
    left.set_title("what the table counts: multiply-adds", fontsize=10)
    right.set_title("what the machine measures: latency, batch 1", fontsize=10)
    if machine:
        fig.suptitle(machine, fontsize=8)
    return fig


def progressive_schedule(stages: Sequence[Mapping], axes=None) -> Figure:
    """Progressive learning's stages: image size with RandAugment's magnitude written on each bar (left),
    and each stage's multiply-adds per training image relative to the final size (right).

    `stages`: one dict per stage, `image_size`, `randaugment`, `mixup` and `relative_cost`.
    """
    fig, (left, right) = figure_panels(axes, 2, (10, 3.6))
    names = [f"stage {i + 1}" for i in range(len(stages))]
    bars = left.bar(names, [s["image_size"] for s in stages], color="tab:green")
    for bar, s in zip(bars, stages):
        left.annotate(f"RandAugment {s['randaugment']:.1f}\nmixup {s['mixup']:g}",
                      (bar.get_x() + bar.get_width() / 2, bar.get_height()), textcoords="offset points",
                      xytext=(0, 3), ha="center", fontsize=8)
    left.set_ylim(0, max(s["image_size"] for s in stages) * 1.25)
    left.set(ylabel="training image size (px)", title="image size and augmentation grow together")
    bars = right.bar(names, [s["relative_cost"] for s in stages], color="tab:gray")
    for bar, s in zip(bars, stages):
        right.annotate(f"{s['relative_cost']:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                       textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    right.set_ylim(0, 1.15)
    right.set(ylabel="multiply-adds per image / at the final size", title="cost of a training step, per stage")
    for ax in (left, right):
        ax.title.set_fontsize(10)
    return fig


def apparent_sizes(ratios: Sequence[float], idealised: float, curve: Mapping, axes=None) -> Figure:
    """FixRes's geometry. Left: how many times larger an object looks in each sampled training crop than
    in the test crop (`ratios`), with their mean and the `idealised` mean (no clipping). Right: the mean
    ratio against the test crop size (`curve`: `test_sizes`, `sampled`, `idealised`), with 1 marked.
    """
    fig, (left, right) = figure_panels(axes, 2, (11, 3.8))
    mean = sum(ratios) / len(ratios)
    left.hist(ratios, bins=60, color="tab:gray")
    for value, style, text in ((1.0, "-", "test crop: 1"), (idealised, ":", f"idealised mean {idealised:.2f}"),
                               (mean, "--", f"sampled mean {mean:.2f}")):
        left.axvline(value, color="black", linestyle=style, label=text)
    left.legend(fontsize=8)
    left.set(xlabel="object's size in a training crop / in the test crop", ylabel="training crops",
             title="train 224 px (RandomResizedCrop), test 224 px (centre crop)")
    right.plot(curve["test_sizes"], curve["sampled"], "o-", color="tab:blue", label="crops as torchvision draws them")
    right.plot(curve["test_sizes"], curve["idealised"], "s:", color="tab:orange", label="idealised (no clipping)")
    right.axhline(1, color="black", linewidth=1)
    right.set(xlabel="test crop size (px)", ylabel="mean apparent size, train / test",
              title="a model trained at 224 px, tested at other sizes")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.title.set_fontsize(10)
    return fig


def test_resolution_effects(rows: Mapping[str, Sequence[Mapping]], trained_at: int, axes=None) -> Figure:
    """The pretrained model at several test sizes, one line per photo. Left: the mean of the pooled
    features the classifier reads, relative to its value at `trained_at` px. Right: the probability of
    the class the model picks at `trained_at` px.

    `rows`: {photo: [{test_size, pooled_mean, reference_probability}, ...]}.
    """
    fig, (left, right) = figure_panels(axes, 2, (11, 3.8))
    for photo, points in rows.items():
        sizes = [p["test_size"] for p in points]
        at_training = next(p["pooled_mean"] for p in points if p["test_size"] == trained_at)
        left.plot(sizes, [p["pooled_mean"] / at_training for p in points], "o-", label=photo)
        right.plot(sizes, [p["reference_probability"] for p in points], "o-", label=photo)
    for ax in (left, right):
        ax.axvline(trained_at, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel("test crop size (px)")
        ax.legend(fontsize=8)
    left.axhline(1, color="black", linewidth=1)
    left.set(ylabel=f"mean pooled feature / at {trained_at} px", ylim=(0, None),
             title="what the classifier reads shifts with the test size")
    right.set(ylabel=f"probability of the {trained_at} px answer", ylim=(0, 1.05),
              title="and so does its confidence (no fine-tuning)")
    for ax in (left, right):
        ax.title.set_fontsize(10)
    return fig


def activations_and_latency(rows: Sequence[Mapping], machine: str = "", axes=None) -> Figure:
    """Two log-log panels against multiply-adds: activations (left) and measured latency (right), one line
    per scaling strategy. `rows`: one dict per network, `strategy`, `multiply_adds`, `activations`,
    `seconds`; a strategy's points are joined in order of cost."""
    fig, (left, right) = figure_panels(axes, 2, (11, 4))
    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    for ax, key, scale in ((left, "activations", 1e6), (right, "seconds", 1e-3)):
        for strategy in strategies:
            points = sorted((r for r in rows if r["strategy"] == strategy), key=lambda r: r["multiply_adds"])
            ax.plot([p["multiply_adds"] / 1e9 for p in points], [p[key] / scale for p in points], "o-",
                    color=STRATEGY_COLOURS.get(strategy, "black"), label=strategy)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_labels(ax.xaxis)
        plain_log_labels(ax.yaxis)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("multiply-adds (billions, log)")
    left.set(ylabel="activations per image (millions of values, log)",
             title="activations: the tensors between blocks")
    right.set(ylabel="latency (ms, log), batch 1", title="latency measured here")
    left.legend(fontsize=8)
    for ax in (left, right):
        ax.title.set_fontsize(10)
    if machine:
        fig.suptitle(machine, fontsize=8)
    return fig
