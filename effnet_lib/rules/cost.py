"""An analytic cost model: parameters and multiply-adds from the stage table alone.

No module is built, so the phi explorer can cost B7 at 600 px (or phi = 10) on every slider move.
The paper's "FLOPS" are multiply-adds; PyTorch's FlopCounterMode counts 2 FLOPs per multiply-add.
Counted here, as in the paper and in PyTorch's counter: convolutions and the classifier.
BatchNorm, activations, pooling and the squeeze-excite rescaling are cheap elementwise work left out;
BatchNorm's scale and shift do count as parameters, since `sum(p.numel())` counts them.
"""
from __future__ import annotations

from typing import NamedTuple

from .architecture import Network, blocks, check_image_size, check_num_classes, output_size
from .blocks import block_kind, conv_cost
from .families import resolve
from .paper import ALPHA, BETA, GAMMA


class Cost(NamedTuple):
    parameters: int
    multiply_adds: int

    @property
    def flops(self) -> int:
        """FLOPs as PyTorch's counter reports them: two per multiply-add."""
        return 2 * self.multiply_adds


def cost(name_or_spec: str | Network, image_size: int | None = None, num_classes: int = 1000) -> Cost:
    """Parameters and multiply-adds of a network at `image_size` px (default: its own), analytically.

    >>> cost("b0").parameters
    5288548
    """
    spec = resolve(name_or_spec)
    spec = spec.with_(image_size=check_image_size(spec, spec.image_size if image_size is None else image_size))
    check_num_classes(num_classes)
    stem_size = output_size(spec.image_size, spec.stem_stride)
    params, madds = conv_cost(spec.in_channels, spec.stem_channels, spec.stem_kernel, stem_size)
    last, size = spec.stem_channels, stem_size
    for b in blocks(spec):
        p, m = block_kind(b.kind).cost(b)
        params, madds = params + p, madds + m
        last, size = b.out_channels, b.out_size
    if spec.head_channels:
        p, m = conv_cost(last, spec.head_channels, 1, size)
        params, madds = params + p, madds + m
    params += spec.features * num_classes + num_classes
    madds += spec.features * num_classes
    return Cost(params, madds)


def phi_for_budget(multiply_adds: float, base: str | Network = "b0", alpha: float = ALPHA,
                   beta: float = BETA, gamma: float = GAMMA, precision: float = 0.01) -> float:
    """The largest phi whose compound-scaled network fits a multiply-add budget (on a grid of `precision`).

    Rounding makes cost a staircase in phi rather than a smooth curve, so this walks the real cost
    of each candidate table (`rules.matching`, where every cost matcher lives) rather than
    inverting 2^phi.

    >>> phi_for_budget(2 * cost("b0").multiply_adds)   # not 1: any phi > 0 adds a layer to every stage
    0.51
    """
    from .matching import largest_within   # matching is built on `cost`: imported here, not at the top

    return largest_within(base, "compound", multiply_adds, 1000, alpha, beta, gamma, step=precision).multiplier
