"""What doubling the pixels shows a network: the second half of Section 3.2's intuition, measured.

The paper reasons that a bigger image needs more layers, for a receptive field that grows with it
(`rules.receptive_field` computes that half), and more channels, to capture the finer patterns a
bigger image holds. This module looks at the second half on a real photo: the same trained network
sees the photo at `low` and at `high` pixels, and each channel of one stage is compared across the
two views.

For a channel, the high-resolution map is averaged down onto the low-resolution map's grid and
correlated with the low-resolution map (Pearson's r over positions). A channel whose r is high sees
the same pattern at both sizes, only sharper; a channel whose r is low responds, at the higher
resolution, to something the low-resolution photo does not show it: detail that only the extra pixels
hold. `NEW_DETAIL_BELOW` (r < 0.5, so the low view predicts under a quarter of the high view's
variation) is the course's threshold for "sees something new", not a number from the paper.

    stage_output(model, images, stage)   the output of one stage (model.stages[stage]) for a batch
    compare_resolutions(...)             both maps of one stage and each channel's r, as `TwoViews`
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

NEW_DETAIL_BELOW = 0.5     # the course's threshold: a channel with r below it sees something new


def stage_output(model: nn.Module, images: torch.Tensor, stage: int) -> torch.Tensor:
    """The output of `model.stages[stage]` (0 is the first stage after the stem) for a batch of images."""
    stages = getattr(model, "stages", None)
    if stages is None:
        raise TypeError(f"{type(model).__name__} has no `stages`; pass an EfficientNet of the library.")
    if not 0 <= stage < len(stages):
        raise ValueError(f"stage must be 0..{len(stages) - 1} (this network has {len(stages)} stages after "
                         f"its stem), got {stage!r}.")
    found = []
    hook = stages[stage].register_forward_hook(lambda module, inputs, output: found.append(output.detach()))
    try:
        with torch.no_grad():
            model(images)
    finally:
        hook.remove()
    return found[0]


def correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson's r between the maps of each channel of `a` and `b` (C, H, W): one number per channel.

    A channel that is flat in either map gets r = 0: it shows no pattern to compare.

    >>> maps = torch.arange(8.0).reshape(2, 2, 2)
    >>> correlation(maps, 3 * maps + 1).tolist()
    [1.0, 1.0]
    """
    a = a - a.mean((1, 2), keepdim=True)
    b = b - b.mean((1, 2), keepdim=True)
    scale = (a.pow(2).sum((1, 2)) * b.pow(2).sum((1, 2))).sqrt()
    return torch.where(scale > 0, (a * b).sum((1, 2)) / scale.clamp_min(1e-30), torch.zeros_like(scale))


class TwoViews(NamedTuple):
    """One stage of one network, fed the same photo at two sizes."""

    stage: int                 # index into model.stages
    low: int                   # pixels of the smaller view
    high: int                  # pixels of the larger view
    low_maps: torch.Tensor     # (C, h, w)
    high_maps: torch.Tensor    # (C, H, W), H about 2h when high = 2 low
    r: torch.Tensor            # (C,) each channel's correlation between the two views

    @property
    def channels(self) -> int:
        return int(self.r.numel())

    @property
    def new_detail(self) -> torch.Tensor:
        """Indices of the channels that see something new at the higher resolution (r < NEW_DETAIL_BELOW)."""
        return torch.nonzero(self.r < NEW_DETAIL_BELOW).flatten()

    @property
    def newest(self) -> int:
        """The channel whose high-resolution map the low-resolution one predicts least."""
        return int(self.r.argmin())


def compare_resolutions(model: nn.Module, image, prepare: Callable[[object, int], torch.Tensor], stage: int,
                        low: int, high: int) -> TwoViews:
    """Feed `image` at `low` and at `high` pixels (`prepare(image, size)` makes the input) and compare the
    two outputs of `model.stages[stage]`, channel by channel."""
    for name, size in (("low", low), ("high", high)):
        if not isinstance(size, int) or size < 16:
            raise ValueError(f"{name} must be a size in pixels of at least 16, got {size!r}.")
    if high <= low:
        raise ValueError(f"high ({high} px) must be larger than low ({low} px): the comparison asks what the "
                         "extra pixels show.")
    model = model.eval()
    low_maps = stage_output(model, prepare(image, low), stage)[0]
    high_maps = stage_output(model, prepare(image, high), stage)[0]
    on_low_grid = F.adaptive_avg_pool2d(high_maps[None], low_maps.shape[-2:])[0]
    return TwoViews(stage, low, high, low_maps, high_maps, correlation(on_low_grid, low_maps))
