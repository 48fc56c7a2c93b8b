"""Scaling rules: compound coefficients (Eq. 3) and stage table -> stage table (Eq. 2).

Everything here is a pure function of plain data; no module is built.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

from .architecture import Network
from .blocks import block_kind
from .paper import ALPHA, BETA, FAST_WIDTH_SHARE, GAMMA
from .rounding import round_filters, round_repeats


class Multipliers(NamedTuple):
    """How much deeper (d), wider (w) and higher-resolution (r) a network is than its baseline."""

    depth: float
    width: float
    resolution: float


def _check_positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number greater than 0, got {value!r}; "
                         f"1.0 leaves the {name} of the baseline unchanged.")
    return float(value)


def compound(phi: float, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA) -> Multipliers:
    """Eq. 3: depth = alpha^phi, width = beta^phi, resolution = gamma^phi.

    With alpha * beta^2 * gamma^2 close to 2, FLOPS grow by about 2^phi. The defaults are the
    values the paper's grid search found at phi = 1 on B0.

    >>> [round(m, 3) for m in compound(1)]
    [1.2, 1.1, 1.15]
    """
    if not isinstance(phi, (int, float)) or not math.isfinite(phi) or phi < 0:
        raise ValueError(f"phi must be a finite number >= 0 (0 is the baseline, 7 is about B7), got {phi!r}.")
    for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 1:
            raise ValueError(f"{name} must be a finite number >= 1 (Eq. 3 only grows the network), got {value!r}.")
    return Multipliers(alpha ** phi, beta ** phi, gamma ** phi)


def multiply_adds_growth(alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA) -> float:
    """alpha * beta^2 * gamma^2: how much FLOPS grow per unit of phi (the paper constrains it to ~2)."""
    return alpha * beta ** 2 * gamma ** 2


def fast(flops_ratio: float, width_share: float = FAST_WIDTH_SHARE) -> Multipliers:
    """Fast compound scaling (Dollar, Singh & Girshick 2021, Table 4): grow FLOPS by `flops_ratio`, mostly by width.

    The FLOPS growth s = d * w^2 * r^2 is shared out as s^width_share to width (w^2) and the rest
    equally to depth and resolution (d and r^2): d = s^((1 - a)/2), w = s^(a/2), r = s^((1 - a)/4),
    with a = `width_share` (their alpha; 0.8 is their choice, 1 is width alone, 1/3 shares it out
    equally). Activations, which grow as d * w * r^2, then grow as s^(1 - a/2): s^0.6 at a = 0.8,
    where Eq. 3 with the paper's alpha, beta, gamma gives about s^0.85.

    One doubling of FLOPS is `fast(2)`, so fast scaling is Eq. 3 with other constants:
    `compound(phi, *fast(2))` equals `fast(2 ** phi)`, and alpha * beta^2 * gamma^2 is exactly 2.

    >>> [round(m, 3) for m in fast(2)]          # alpha, beta, gamma of fast scaling
    [1.072, 1.32, 1.035]
    >>> [round(m, 3) for m in fast(4, width_share=1)]      # width alone: w = sqrt(4)
    [1.0, 2.0, 1.0]
    """
    flops_ratio = _check_positive("flops_ratio", flops_ratio)
    if flops_ratio < 1:
        raise ValueError(f"flops_ratio is how many times the baseline's FLOPS the scaled network should cost "
                         f"(>= 1; 2 is one doubling), got {flops_ratio!r}.")
    if isinstance(width_share, bool) or not isinstance(width_share, (int, float)) or not 0 <= width_share <= 1:
        raise ValueError(f"width_share is the share of the FLOPS growth given to width, from 0 to 1 (Dollar et al. "
                         f"use 0.8), got {width_share!r}.")
    a = float(width_share)
    return Multipliers(flops_ratio ** ((1 - a) / 2), flops_ratio ** (a / 2), flops_ratio ** ((1 - a) / 4))


def scale(spec: Network, depth: float = 1.0, width: float = 1.0,
          resolution: float | None = None) -> Network:
    """A new stage table with every stage `depth` times deeper and `width` times wider (Eq. 2).

    `resolution` is the paper's multiplier r of the table's own `image_size` (as `compound` returns
    it), rounded to whole pixels; None or 1.0 keeps it. Channels follow `round_filters` (as each block
    kind applies it), repeats `round_repeats`.
    A Lite table (`scale_stem_head=False`, `scale_end_stages=False`) keeps its stem, head and the
    repeats of its first and last stages, as the EfficientNet-Lite reference does.

    >>> from effnet_lib.rules.architecture import B0
    >>> b3_like = scale(B0, depth=1.4, width=1.2)
    >>> b3_like.stem_channels, b3_like.stages[-1].channels, b3_like.stages[1].repeats
    (40, 384, 3)
    """
    depth = _check_positive("depth", depth)
    width = _check_positive("width", width)
    pixels = spec.image_size
    if resolution is not None:
        resolution = _check_positive("resolution", resolution)
        if resolution > 16:
            raise ValueError(f"resolution is a multiplier of the table's {spec.image_size} px (e.g. 1.15), "
                             f"got {resolution!r}; for a size in pixels use spec.with_(image_size={int(resolution)}).")
        pixels = int(round(spec.image_size * resolution))
    last = len(spec.stages) - 1
    stages = []
    for i, stage in enumerate(spec.stages):
        keep_depth = not spec.scale_end_stages and i in (0, last)
        stages.append(replace(
            stage,
            channels=block_kind(stage.kind).scaled_channels(stage, width, spec.channel_divisor),
            repeats=stage.repeats if keep_depth else round_repeats(stage.repeats, depth)))
    fixed = not spec.scale_stem_head
    return replace(
        spec,
        stages=tuple(stages),
        image_size=pixels,
        stem_channels=spec.stem_channels if fixed else round_filters(spec.stem_channels, width, spec.channel_divisor),
        head_channels=(spec.head_channels if fixed or not spec.head_channels
                       else round_filters(spec.head_channels, width, spec.channel_divisor)),
        depth=spec.depth * depth,
        width=spec.width * width,
    )


class GridPoint(NamedTuple):
    alpha: float
    beta: float
    gamma: float

    @property
    def growth(self) -> float:
        return multiply_adds_growth(self.alpha, self.beta, self.gamma)


def constrained_grid(step: float = 0.05, upper: float = 2.0, target: float = 2.0,
                     tolerance: float = 0.1) -> list[GridPoint]:
    """Candidates for the small grid search at phi = 1 of Section 3.3 (step 1), on the course's grid.

    Every (alpha, beta, gamma) on a grid of `step` from 1 to `upper` whose alpha * beta^2 * gamma^2
    lies within `tolerance` of `target`, each dimension growing by at least one step. The paper asks
    only for alpha * beta^2 * gamma^2 ~ 2 and names no step, range or tolerance: step 0.05 up to 2.0
    and "within 0.1 of 2" are the course's choices.
    """
    steps = int(round((upper - 1.0) / step))
    values = [round(1.0 + step * i, 6) for i in range(1, steps + 1)]
    return [GridPoint(a, b, g) for a in values for b in values for g in values
            if abs(multiply_adds_growth(a, b, g) - target) <= tolerance]
