"""The block kinds a stage table may use, as one closed registry.

Each kind says, in one place, how its layers are shaped (the widths inside a block, whether it
adds a shortcut), how width scaling rounds its channels, what Table 1 calls it, and what it costs.
`architecture.blocks` walks a table with these rules, `cost` sums their costs, and the model
layer maps the same names to modules (and refuses to import if a kind lacks one), so the shape
walk, the cost and the module of a kind cannot disagree. A table naming any other kind is refused
where it is made.

    MBConv       mobile inverted bottleneck with optional squeeze-excite (EfficientNet, MobileNetV2)
    Fused-MBConv MBConv with its 1x1 expansion and depthwise kxk fused into one dense kxk (EfficientNetV2)
    separable    depthwise then pointwise convolution (MobileNetV1)
    bottleneck   1x1 down, kxk, 1x1 up, plus a shortcut (ResNet)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .rounding import round_filters

if TYPE_CHECKING:   # only for annotations: architecture imports this module
    from .architecture import Block, Stage


def conv_cost(cin: int, cout: int, kernel: int, size: int, groups: int = 1, bias: bool = False,
              batchnorm: bool = True) -> tuple[int, int]:
    """(parameters, multiply-adds) of one convolution producing a `size` x `size` map.

    BatchNorm's scale and shift count as parameters (as `sum(p.numel())` does) but not as
    multiply-adds (as in the paper and PyTorch's FLOP counter).
    """
    weights = cin // groups * kernel * kernel * cout
    params = weights + (cout if bias else 0) + (2 * cout if batchnorm else 0)
    return params, weights * size * size


def _total(parts: list[tuple[int, int]]) -> tuple[int, int]:
    return sum(p for p, _ in parts), sum(m for _, m in parts)


class BlockKind:
    """What every kind must say. `Stage.channels` is always the block's *output* width."""

    name: str

    def operator(self, stage: Stage) -> str:
        """The name Table 1 gives a row of this kind, e.g. "MBConv6, k3x3"."""
        raise NotImplementedError

    def hidden_channels(self, in_channels: int, stage: Stage) -> int:
        """The width inside the block (MBConv's expanded width, a bottleneck's inner width)."""
        raise NotImplementedError

    def scaled_channels(self, stage: Stage, width: float, divisor: int = 8) -> int:
        """The stage's output channels after width scaling, rounded as the reference rounds them."""
        return round_filters(stage.channels, width, divisor)

    def residual(self, block: Block) -> bool:
        """Whether the block adds its input (or a projection of it) to its output."""
        raise NotImplementedError

    def cost(self, block: Block) -> tuple[int, int]:
        """(parameters, multiply-adds) of one block."""
        raise NotImplementedError


class MBConvKind(BlockKind):
    name = "mbconv"

    def operator(self, stage):
        return f"MBConv{stage.expand_ratio:g}, k{stage.kernel}x{stage.kernel}"

    def hidden_channels(self, in_channels, stage):
        return int(in_channels * stage.expand_ratio)

    def residual(self, block):
        return block.stride == 1 and block.in_channels == block.out_channels

    def cost(self, b):
        parts = []
        if b.hidden_channels != b.in_channels:      # expansion, skipped when the ratio is 1
            parts.append(conv_cost(b.in_channels, b.hidden_channels, 1, b.in_size))
        parts.append(conv_cost(b.hidden_channels, b.hidden_channels, b.kernel, b.out_size,
                               groups=b.hidden_channels))
        if b.se_channels:
            parts.append(conv_cost(b.hidden_channels, b.se_channels, 1, 1, bias=True, batchnorm=False))
            parts.append(conv_cost(b.se_channels, b.hidden_channels, 1, 1, bias=True, batchnorm=False))
        parts.append(conv_cost(b.hidden_channels, b.out_channels, 1, b.out_size))
        return _total(parts)


class SeparableKind(BlockKind):
    name = "separable"

    def operator(self, stage):
        return f"DWConv-PWConv, k{stage.kernel}x{stage.kernel}"

    def hidden_channels(self, in_channels, stage):
        return in_channels

    def residual(self, block):
        return False

    def cost(self, b):
        return _total([conv_cost(b.in_channels, b.in_channels, b.kernel, b.out_size, groups=b.in_channels),
                       conv_cost(b.in_channels, b.out_channels, 1, b.out_size)])


class BottleneckKind(BlockKind):
    """ResNet's bottleneck: `expand_ratio` is output / inner width (4 in ResNet-50)."""

    name = "bottleneck"

    def operator(self, stage):
        return f"Bottleneck x{stage.expand_ratio:g}, k{stage.kernel}x{stage.kernel}"

    def hidden_channels(self, in_channels, stage):
        return int(stage.channels // stage.expand_ratio)

    def scaled_channels(self, stage, width, divisor=8):
        # Width scales the inner width (ResNet's "base width"); the output stays ratio x inner.
        inner = round_filters(int(stage.channels // stage.expand_ratio), width, divisor)
        return int(inner * stage.expand_ratio)

    def residual(self, block):
        return True     # with a projection shortcut when the shape changes

    def cost(self, b):
        parts = [conv_cost(b.in_channels, b.hidden_channels, 1, b.in_size),
                 conv_cost(b.hidden_channels, b.hidden_channels, b.kernel, b.out_size),
                 conv_cost(b.hidden_channels, b.out_channels, 1, b.out_size)]
        if b.stride != 1 or b.in_channels != b.out_channels:
            parts.append(conv_cost(b.in_channels, b.out_channels, 1, b.out_size))
        return _total(parts)


class FusedMBConvKind(MBConvKind):
    """EfficientNetV2's Fused-MBConv (Tan & Le 2021, Table 4 of that paper; torchvision's `FusedMBConv`).

    MBConv's widths and shortcut, but its 1x1 expansion and depthwise kxk are replaced by one dense kxk
    convolution that expands and carries the stride; a 1x1 projection (no activation) follows. With
    expand ratio 1 the block is that one kxk convolution alone, with its activation. No squeeze-excite:
    EfficientNetV2's fused stages carry none, and the block walk gives it only to MBConv stages.
    """

    name = "fused_mbconv"

    def operator(self, stage):
        return f"Fused-{super().operator(stage)}"

    def cost(self, b):
        if b.hidden_channels == b.in_channels:     # expand ratio 1: one kxk convolution, input to output
            return conv_cost(b.in_channels, b.out_channels, b.kernel, b.out_size)
        return _total([conv_cost(b.in_channels, b.hidden_channels, b.kernel, b.out_size),
                       conv_cost(b.hidden_channels, b.out_channels, 1, b.out_size)])


KINDS: dict[str, BlockKind] = {kind.name: kind for kind in (MBConvKind(), SeparableKind(), BottleneckKind(),
                                                            FusedMBConvKind())}


def block_kind(name: str) -> BlockKind:
    """The registered kind called `name`, or a message listing the kinds there are."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown block kind {name!r}; a stage's kind is one of: {', '.join(KINDS)}.") from None
