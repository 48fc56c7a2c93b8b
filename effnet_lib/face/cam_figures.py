"""The class activation map figures: Figure 7 (small), the object-mass bars, Table 7 beside the
paper's, and pretrained ImageNet models' maps on photos (Figure 7 along the compound axis).

Every grid draws the map over the picture the model actually saw, in one colour scale with its
colour bar (0: no evidence, 1: the map's peak), and is sized to fit a laptop screen.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

from ..explain.maps import DEFAULT_LAYER, class_activation_maps, predict, resize_maps, top_class_maps
from ..rules.architecture import B0
from ..rules.cost import cost
from ..rules.paper import TABLE_7
from ..results import analysis
from ..results.records import RunRecord
from ..rules.scaling import scale
from .style import COLOURS

CMAP = "jet"          # the map colours the grad-cam package and the paper's Figure 7 use
MAP_ALPHA = 0.5       # how much of the picture shows through the map


def paper_table7_costs() -> list[dict]:
    """The paper's Table 7 as printed, beside the multiply-adds our cost model gives its multipliers of B0.

    By our count the printed models are not at equal FLOPS: the compound model costs more than
    each single-dimension one, although the table prints 1.8B for all but resolution.

    >>> rows = {r["strategy"]: r for r in paper_table7_costs()}
    >>> [round(rows[s]["multiply_adds"] / 1e9, 3) for s in ("depth", "width", "resolution", "compound")]
    [1.575, 1.45, 1.538, 1.8]
    """
    rows = []
    for strategy, row in TABLE_7.items():
        spec = scale(B0, depth=row.depth, width=row.width, resolution=row.resolution)
        rows.append({"strategy": strategy, "paper_row": row.label, "depth": row.depth, "width": row.width,
                     "resolution": row.resolution, "pixels": spec.image_size,
                     "printed_multiply_adds_billions": row.multiply_adds_billions, "top1": row.top1,
                     "multiply_adds": cost(spec).multiply_adds})
    return rows


def _flops(madds: int) -> str:
    return f"{madds / 1e9:.2f}B" if madds >= 1e9 else f"{madds / 1e6:.1f}M"


def _multipliers(strategy: str, multipliers: Mapping[str, float]) -> str:
    if strategy == "baseline":
        return "d=1 w=1 r=1"
    if strategy in ("depth", "width", "resolution"):
        return f"{strategy[0]}={multipliers[strategy]:.2f}"
    return " ".join(f"{k[0]}={multipliers[k]:.2f}" for k in ("depth", "width", "resolution"))


def _show(ax, picture: np.ndarray, cam: np.ndarray | None = None):
    """The picture (grey (H, W) or colour (H, W, 3) in [0, 1] or uint8), the map over it; returns the map's image."""
    ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=255 if picture.dtype == np.uint8 else 1)
    ax.set_xticks([])
    ax.set_yticks([])
    if cam is None:
        return None
    return ax.imshow(resize_maps(cam[None], picture.shape[:2])[0], cmap=CMAP, alpha=MAP_ALPHA, vmin=0, vmax=1)


def _colour_bar(fig, image, axes) -> None:
    bar = fig.colorbar(image, ax=axes, shrink=0.6, pad=0.02, aspect=30)
    bar.set_label("map (0 none, 1 peak)", fontsize=8)
    bar.ax.tick_params(labelsize=7)


def figure7(models: Sequence, images: torch.Tensor, labels: torch.Tensor, method: str = "gradcam",
            layer: str = DEFAULT_LAYER, cell: float = 1.15):
    """Figure 7's grid: a row per image, its picture, then one map per model for the image's true class.

    Each column is titled with the model's scaling, FLOPS (multiply-adds) and test accuracy, the
    numbers Table 7 puts next to the paper's figure; under each map, the class the model predicts
    (green when right, red when wrong). `models` are stored CAM models (strategy, multipliers,
    multiply_adds, accuracy, classes, model, inputs). Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    if not models:
        raise ValueError("figure7 needs at least one model, e.g. load_cam_models(seeds=[0]).")
    names = models[0].classes
    truth = labels.tolist()
    maps, said = [], []
    for m in models:
        inputs = m.inputs(images)
        maps.append(class_activation_maps(m.model, inputs, truth, method, layer))
        said.append(predict(m.model, inputs))
    rows, columns = len(images), len(models) + 1
    fig, axes = plt.subplots(rows, columns, figsize=(cell * columns + 0.9, cell * rows + 0.9),
                             squeeze=False, layout="constrained")
    for i in range(rows):
        _show(axes[i, 0], images[i, 0].cpu().numpy())
        axes[i, 0].set_ylabel(names[truth[i]], fontsize=8)
        for j, m in enumerate(models):
            shown = _show(axes[i, j + 1], images[i, 0].cpu().numpy(), maps[j][i])
            right = said[j][i] == truth[i]
            axes[i, j + 1].set_xlabel(f"says {names[said[j][i]]}", fontsize=7, labelpad=1,
                                      color="tab:green" if right else "tab:red")
    axes[0, 0].set_title("image\n(true class)", fontsize=8)
    for j, m in enumerate(models):
        axes[0, j + 1].set_title(f"{m.strategy}\n{_multipliers(m.strategy, m.multipliers)}\n"
                                 f"{_flops(m.multiply_adds)}, {m.accuracy:.1%}", fontsize=7,
                                 color=COLOURS.get(m.strategy, "black"))
    _colour_bar(fig, shown, axes)
    fig.suptitle(f"Figure 7, small: {method} maps for the true class (columns: FLOPS, test accuracy)", fontsize=9)
    return fig


def object_mass_points(records: Sequence[RunRecord], rows: Sequence[Mapping]) -> dict[str, tuple[list, analysis.Noise]]:
    """Per method: the kept models' object mass over their seeds (`results.analysis` summaries, the same
    interval rule as accuracy) and the noise pooled over them. `rows` are `explain.focus.object_mass_table`'s."""
    by_run = {(r.strategy, r.seed): r.run_id for r in records}
    out = {}
    for method in dict.fromkeys(row["method"] for row in rows):
        values = {by_run[(row["strategy"], row["seed"])]: row["object_mass"] for row in rows if row["method"] == method}
        summaries = analysis.summarize([r for r in records if r.run_id in values], values=values)
        out[method] = (summaries, analysis.noise(summaries))
    return out


def object_mass_findings(points: Mapping[str, tuple[list, analysis.Noise]], area: float) -> list[str]:
    """Per method, compound's object mass against each other model's, each gap with its 95% interval."""
    lines = []
    for method, (summaries, noise) in points.items():
        by_strategy = {s.strategy: s for s in summaries}
        compound = by_strategy.get("compound")
        ranked = sorted(summaries, key=lambda s: -s.mean)
        text = (f"{method}: " + " > ".join(f"{s.strategy} {s.mean:.3f} ({s.mean / area:.2f}x the object's area)"
                                            for s in ranked) + ".")
        if compound is not None:
            gaps = [(name, analysis.difference(compound, s, noise)) for name, s in by_strategy.items() if name != "compound"]
            text += " Compound against " + "; ".join(
                f"{name}: {gap.estimate:+.3f} [{gap.low:+.3f}, {gap.high:+.3f}], "
                f"{'beyond noise' if gap.beyond_noise else 'within noise'}" for name, gap in gaps) + "."
        lines.append(text)
    return lines


def plot_object_mass(points: Mapping[str, tuple[list, analysis.Noise]], area: float):
    """Bars of object mass per strategy and method, each with its 95% interval; the legend sits outside."""
    import matplotlib.pyplot as plt

    methods = list(points)
    strategies = [s.strategy for s in points[methods[0]][0]]
    fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        summaries, noise = points[method]
        rows = [next(s for s in summaries if s.strategy == strategy) for strategy in strategies]
        means = np.array([s.mean for s in rows])
        halves = np.array([analysis.mean_interval(s, noise).half_width for s in rows])
        ax.bar(np.arange(len(strategies)) + i * width, means, width, yerr=halves, capsize=3, label=method,
               color=f"C{i}", alpha=0.85)
    ax.axhline(area, color="black", linestyle="--", linewidth=1, label="object area\n(an even map)")
    ax.set_xticks(np.arange(len(strategies)) + width * (len(methods) - 1) / 2, strategies)
    ax.set_ylabel("share of map on the object")
    ax.set_ylim(0, 1)
    ax.set_title("Map mass on the object per scaling strategy (bars: mean over seeds; whiskers: 95% interval)",
                 fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return fig


def _picture(x: torch.Tensor) -> np.ndarray:
    """A pretrained Lite model's input (1, 3, H, W), scaled to [-1, 1], back to an (H, W, 3) picture in [0, 1]."""
    from ..model.weights import LITE_MEAN, LITE_STD

    mean = torch.tensor(LITE_MEAN).view(3, 1, 1)
    std = torch.tensor(LITE_STD).view(3, 1, 1)
    return (x[0] * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()


def plot_top_classes(model, photos: Mapping[str, np.ndarray], preprocess, categories: Sequence[str],
                     k: int = 3, method: str = "gradcam", layer: str = DEFAULT_LAYER, cell: float = 1.9):
    """A row per photo: the (cropped) photo, then its maps for the model's top `k` classes.

    `preprocess` turns a photo into the model's input (a pretrained Lite model's own, scaling to
    [-1, 1]); the picture shown is that input mapped back to [0, 1], so maps and pixels align.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(photos), k + 1, figsize=(cell * (k + 1) + 0.9, cell * len(photos) + 0.5),
                             squeeze=False, layout="constrained")
    for row, (name, photo) in zip(axes, photos.items()):
        x = preprocess(photo)
        picture = _picture(x)
        classes, probabilities, maps = top_class_maps(model, x, k, method, layer)
        _show(row[0], picture)
        row[0].set_title(name, fontsize=8)
        for ax, c, p, cam in zip(row[1:], classes, probabilities, maps):
            shown = _show(ax, picture, cam)
            ax.set_title(f"{categories[c]} ({p:.0%})", fontsize=8)
    _colour_bar(fig, shown, axes)
    fig.suptitle(f"{method} maps for the top {k} classes", fontsize=9)
    return fig


def top5(pretrained, photo: np.ndarray) -> list[tuple[str, float]]:
    """A pretrained model's five most probable ImageNet classes for a photo, with their probabilities."""
    with torch.no_grad():
        probabilities = pretrained.model.eval()(pretrained.preprocess(photo)).softmax(1)[0]
    top = probabilities.topk(5)
    return [(pretrained.categories[i], p) for i, p in zip(top.indices.tolist(), top.values.tolist())]


def compare_on_photos(pretrained: Mapping[str, object], photos: Mapping[str, np.ndarray], method: str = "gradcam",
                      layer: str = DEFAULT_LAYER, cell: float = 1.9):
    """Figure 7 along the compound axis: a row per photo, a column per pretrained model (e.g. Lite0, 1, 2),
    each its map for its own top class, over the photo as that model sees it (its own size)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(photos), len(pretrained) + 1,
                             figsize=(cell * (len(pretrained) + 1) + 0.9, cell * len(photos) + 0.6),
                             squeeze=False, layout="constrained")
    for row, (photo_name, photo) in zip(axes, photos.items()):
        _show(row[0], np.asarray(photo))
        row[0].set_title(f"{photo_name} (whole photo)", fontsize=8)
        for ax, (name, p) in zip(row[1:], pretrained.items()):
            x = p.preprocess(photo)
            classes, probabilities, maps = top_class_maps(p.model, x, 1, method, layer)
            shown = _show(ax, _picture(x), maps[0])
            with torch.no_grad():
                grid = p.model.features(x).shape[-1]       # the head's grid: how fine the map can be
            ax.set_title(f"{name}: {x.shape[-1]} px, {grid}x{grid} map\n{p.categories[classes[0]]} "
                         f"({probabilities[0]:.0%})", fontsize=8)
    _colour_bar(fig, shown, axes)
    fig.suptitle(f"{method} maps of each model's top class, models scaled up the compound axis", fontsize=9)
    return fig
