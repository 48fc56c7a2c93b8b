"""How much of a class activation map falls on the object: the paper's "more relevant regions", counted.

The paper argues from Figure 7 by looking: the compound-scaled model's maps cover more of the
object. `object_mass` turns that into a number per image, the share of a map's mass that lies on
the object's pixels; `object_mass_table` measures it for a set of scaled models, and
`face.cam_figures.object_mass_points` judges it over seeds with `results.analysis`'s one interval rule.
"""
from __future__ import annotations

from typing import Callable, Iterable, Protocol, Sequence

import numpy as np
import torch
from torch import nn

from .maps import DEFAULT_LAYER, GRADIENT_METHODS, maps_for_methods, predict, resize_maps


def object_masks(images: torch.Tensor | np.ndarray, threshold: int = 0) -> np.ndarray:
    """Boolean (N, H, W) masks of the object: pixels brighter than `threshold` in any channel.

    Fashion-MNIST garments lie on a black (0) background, so their nonzero pixels are the object.
    """
    array = images.cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise ValueError(f"images must be shaped (N, C, H, W) or (N, H, W), got {array.shape}.")
    return (array > threshold).any(axis=1)


def object_mass(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per image, the share of the map's total mass that falls on the mask, in [0, 1].

    A map spread evenly over the image scores the mask's area; a map entirely on the object
    scores 1. Maps are first resized to the masks' size. An all-zero map scores NaN.

    >>> maps = np.zeros((1, 4, 4)); maps[0, :2] = 1.0
    >>> masks = np.zeros((1, 4, 4), bool); masks[0, :, :2] = True
    >>> float(object_mass(maps, masks)[0])
    0.5
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or len(masks) != len(maps):
        raise ValueError(f"need one (H, W) mask per map: {len(maps)} maps, masks shaped {masks.shape}.")
    maps = resize_maps(maps, masks.shape[-2:])
    total = maps.sum(axis=(1, 2))
    on_object = (maps * masks).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, on_object / np.where(total > 0, total, 1), np.nan)


class ScaledModel(Protocol):
    """What the measure needs of a trained, scaled model (the experiment engine's stored models have it)."""

    strategy: str
    seed: int
    model: nn.Module

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images -> the normalised floats, at the model's size, that it was trained on."""


def object_mass_table(models: Sequence[ScaledModel], images: torch.Tensor, labels: torch.Tensor,
                      methods: Sequence[str] = GRADIENT_METHODS, layer: str = DEFAULT_LAYER,
                      batch_size: int = 128,
                      progress: Callable[[Iterable], Iterable] | None = None) -> list[dict]:
    """For each model and method: the mean share of map mass on the object, over `images`.

    Maps are for the true `labels`, resized to the images' native size; `area` is the mean share
    of the image the object covers (what a map spread evenly would score). The methods default to
    those that explain the class asked (Eigen-CAM ignores the class, so its mass "for the class"
    means nothing). `batch_size` images share a forward and backward pass (memory grows with it);
    `progress` wraps the models to show progress, e.g. `lambda models: tqdm(models, desc="object mass")`.
    """
    masks = object_masks(images)
    area = float(masks.mean())
    rows = []
    for m in (progress(models) if progress else models):
        inputs = m.inputs(images)
        correct = (torch.tensor(predict(m.model.eval(), inputs, batch_size)) == labels.cpu()).float().mean().item()
        maps = maps_for_methods(m.model, inputs, labels.tolist(), methods, layer, batch_size=batch_size)
        for method in methods:
            shares = object_mass(maps[method], masks)
            rows.append({"strategy": m.strategy, "seed": m.seed, "method": method,
                         "object_mass": float(np.nanmean(shares)), "area": area,
                         "empty_maps": int(np.isnan(shares).sum()), "accuracy_here": correct,
                         "images": len(images)})
    return rows
