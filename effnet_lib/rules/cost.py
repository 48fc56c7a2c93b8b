"""An analytic cost model: parameters and multiply-adds from the stage table alone.

No module is built, so the phi explorer can cost B7 at 600 px (or phi = 10) on every slider move.
The paper's "FLOPS" are multiply-adds; PyTorch's FlopCounterMode counts 2 FLOPs per multiply-add.
Counted here, as in the paper and in PyTorch's counter: convolutions and the classifier.
BatchNorm, activations, pooling and the squeeze-excite rescaling are cheap elementwise work left out;
BatchNorm's scale and shift do count as parameters, since `sum(p.numel())` counts them.
"""
from __future__ import annotations

from typing import NamedTuple

from .architecture import Block, Network, blocks, check_resolution, output_size
from .families import resolve
from .scaling import compound, scale


class Cost(NamedTuple):
    parameters: int
    multiply_adds: int

    @property
    def flops(self) -> int:
        """FLOPs as PyTorch's counter reports them: two per multiply-add."""
        return 2 * self.multiply_adds


def _conv(cin: int, cout: int, kernel: int, size: int, groups: int = 1, bias: bool = False,
          batchnorm: bool = True) -> tuple[int, int]:
    weights = cin // groups * kernel * kernel * cout
    params = weights + (cout if bias else 0) + (2 * cout if batchnorm else 0)
    return params, weights * size * size


def _block(b: Block) -> tuple[int, int]:
    parts = []
    if b.block == "mbconv":
        if b.hidden_channels != b.in_channels:
            parts.append(_conv(b.in_channels, b.hidden_channels, 1, b.in_size))
        parts.append(_conv(b.hidden_channels, b.hidden_channels, b.kernel, b.out_size, groups=b.hidden_channels))
        if b.se_channels:
            parts.append(_conv(b.hidden_channels, b.se_channels, 1, 1, bias=True, batchnorm=False))
            parts.append(_conv(b.se_channels, b.hidden_channels, 1, 1, bias=True, batchnorm=False))
        parts.append(_conv(b.hidden_channels, b.out_channels, 1, b.out_size))
    elif b.block == "separable":
        parts.append(_conv(b.in_channels, b.in_channels, b.kernel, b.out_size, groups=b.in_channels))
        parts.append(_conv(b.in_channels, b.out_channels, 1, b.out_size))
    else:  # bottleneck
        parts.append(_conv(b.in_channels, b.hidden_channels, 1, b.in_size))
        parts.append(_conv(b.hidden_channels, b.hidden_channels, b.kernel, b.out_size))
        parts.append(_conv(b.hidden_channels, b.out_channels, 1, b.out_size))
        if b.stride != 1 or b.in_channels != b.out_channels:
            parts.append(_conv(b.in_channels, b.out_channels, 1, b.out_size))
    return sum(p for p, _ in parts), sum(m for _, m in parts)


def cost(name_or_spec: str | Network, resolution: int | None = None, num_classes: int = 1000) -> Cost:
    """Parameters and multiply-adds of a network at `resolution` px (default: its own), analytically.

    >>> cost("b0").parameters
    5288548
    """
    spec = resolve(name_or_spec)
    if resolution is not None:
        check_resolution(spec, resolution)
        spec = spec.with_(resolution=resolution)
    else:
        check_resolution(spec, spec.resolution)
    stem_size = output_size(spec.resolution, spec.stem_stride)
    params, madds = _conv(spec.in_channels, spec.stem_channels, spec.stem_kernel, stem_size)
    last, size = spec.stem_channels, stem_size
    for b in blocks(spec):
        p, m = _block(b)
        params, madds = params + p, madds + m
        last, size = b.out_channels, b.out_size
    if spec.head_channels:
        p, m = _conv(last, spec.head_channels, 1, size)
        params, madds = params + p, madds + m
    params += spec.features * num_classes + num_classes
    madds += spec.features * num_classes
    return Cost(params, madds)


def phi_for_budget(multiply_adds: float, base: str | Network = "b0", alpha: float = 1.2,
                   beta: float = 1.1, gamma: float = 1.15, precision: float = 0.01) -> float:
    """The largest phi whose compound-scaled network fits a multiply-add budget (to `precision`).

    Rounding makes cost a staircase in phi rather than a smooth curve, so this bisects on the
    real cost of each candidate table rather than inverting 2^phi.
    """
    spec = resolve(base)

    def fits(phi: float) -> bool:
        return cost(scale(spec, *compound(phi, alpha, beta, gamma))).multiply_adds <= multiply_adds

    if not fits(0.0):
        raise ValueError(f"a budget of {multiply_adds:,.0f} multiply-adds is below the baseline's own "
                         f"{cost(spec).multiply_adds:,}; raise the budget or start from a smaller base.")
    low, high = 0.0, 1.0
    while fits(high):
        low, high = high, high * 2
        if high > 64:
            raise ValueError("that budget is beyond phi = 64; check its units (multiply-adds, not billions).")
    while high - low > precision:
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low
