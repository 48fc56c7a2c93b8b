"""The architecture as data: a ConvNet is a list of stages (the paper's Eq. 1 and Table 1).

A `Network` is a frozen description: the stem, the stage rows, the head, and the handful of
conventions (activation, padding, BatchNorm constants) that decide how its weights behave.
Nothing here builds a module; `effnet_lib.model` reads these tables, `effnet_lib.cost`
counts them, and `effnet_lib.scaling` turns one table into another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterator

BLOCKS = ("mbconv", "separable", "bottleneck")


@dataclass(frozen=True)
class Stage:
    """One row of Table 1: `repeats` layers of the same block, the first with `stride`."""

    block: str          # "mbconv" (EfficientNet, MobileNetV2), "separable" (MobileNetV1), "bottleneck" (ResNet)
    kernel: int         # kernel size of the spatial (depthwise, or 3x3 for ResNet) convolution
    stride: int         # stride of the stage's first block; the others keep the resolution
    expand_ratio: float  # MBConv: hidden = input * ratio; bottleneck: output = channels * ratio
    channels: int       # MBConv / separable: output channels; bottleneck: its inner width
    repeats: int        # L_i in Eq. 1
    se: bool = True     # whether this stage's blocks carry squeeze-and-excitation

    @property
    def out_channels(self) -> int:
        if self.block == "bottleneck":
            return int(self.channels * self.expand_ratio)
        return self.channels

    @property
    def operator(self) -> str:
        """The name Table 1 gives the row, e.g. "MBConv6, k3x3"."""
        k = f"k{self.kernel}x{self.kernel}"
        if self.block == "mbconv":
            return f"MBConv{self.expand_ratio:g}, {k}"
        if self.block == "separable":
            return f"DWConv-PWConv, {k}"
        return f"Bottleneck x{self.expand_ratio:g}, {k}"


@dataclass(frozen=True)
class Network:
    """A whole ConvNet as a stage table plus its conventions; frozen, so scaling makes a new one."""

    name: str
    stages: tuple[Stage, ...]
    resolution: int = 224          # input height = width in pixels (H_1, W_1 of Eq. 1)
    in_channels: int = 3           # 3 for photos, 1 for Fashion-MNIST
    stem_channels: int = 32        # the first convolution's output channels
    stem_kernel: int = 3
    stem_stride: int = 2
    stem_pool: bool = False        # ResNet's 3x3 max-pool after the stem
    head_channels: int = 1280      # the 1x1 conv before pooling; 0 means no head convolution
    activation: str = "silu"       # "silu" (swish), "relu6" (Lite, MobileNetV2) or "relu"
    se_ratio: float = 0.25         # squeeze width = block input channels * se_ratio; 0 turns SE off
    padding: str = "symmetric"     # "symmetric" (PyTorch) or "same" (TensorFlow, asymmetric at stride 2)
    bn_eps: float = 1e-3           # the TensorFlow reference; torchvision's B0-B4 ports use 1e-5
    bn_momentum: float = 0.01      # PyTorch convention: TF's decay 0.99 is momentum 0.01 here
    dropout: float = 0.2           # before the classifier; 0.2 (B0) rising to 0.5 (B7)
    stochastic_depth: float = 0.2  # drop rate of the last block; rises linearly from 0 over the blocks
    scale_stem_head: bool = True   # Lite keeps the stem (32) and head (1280) fixed under width scaling
    scale_end_stages: bool = True  # Lite keeps the first and last stages' repeats fixed under depth scaling
    depth: float = 1.0             # the depth multiplier this table was scaled by (a record, not an input)
    width: float = 1.0             # the width multiplier this table was scaled by (a record, not an input)

    @property
    def stem_reduction(self) -> int:
        """How many times the stem (and ResNet's max-pool) shrinks the input."""
        return self.stem_stride * (2 if self.stem_pool else 1)

    @property
    def total_stride(self) -> int:
        """How many times the input shrinks before the head: 32 for B0."""
        stride = self.stem_reduction
        for stage in self.stages:
            stride *= stage.stride
        return stride

    @property
    def num_blocks(self) -> int:
        return sum(stage.repeats for stage in self.stages)

    @property
    def features(self) -> int:
        """Channels that reach the classifier."""
        return self.head_channels or self.stages[-1].out_channels

    def rows(self) -> list[dict]:
        """Table 1 as plain data: one dict per row (stem, stages, head)."""
        size = self.resolution
        rows = [dict(stage=1, operator=f"Conv{self.stem_kernel}x{self.stem_kernel}",
                     resolution=size, channels=self.stem_channels, layers=1)]
        size = output_size(size, self.stem_reduction)
        for i, stage in enumerate(self.stages, start=2):
            rows.append(dict(stage=i, operator=stage.operator, resolution=size,
                             channels=stage.out_channels, layers=stage.repeats))
            size = output_size(size, stage.stride)
        head = f"Conv1x1 & Pooling & FC" if self.head_channels else "Pooling & FC"
        rows.append(dict(stage=len(self.stages) + 2, operator=head, resolution=size,
                         channels=self.features, layers=1))
        return rows

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.resolution}x{self.resolution} input, "
                 f"depth x{self.depth:g}, width x{self.width:g}",
                 f"{'Stage':>5}  {'Operator':<24} {'Resolution':>10}  {'Channels':>8}  {'Layers':>6}"]
        for r in self.rows():
            res = f"{r['resolution']}x{r['resolution']}"
            lines.append(f"{r['stage']:>5}  {r['operator']:<24} {res:>10}  "
                         f"{r['channels']:>8}  {r['layers']:>6}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("Stage", "Operator", "Resolution", "Channels", "Layers"))
        body = "".join(
            f"<tr><td>{r['stage']}</td><td>{r['operator']}</td>"
            f"<td>{r['resolution']}&times;{r['resolution']}</td><td>{r['channels']}</td>"
            f"<td>{r['layers']}</td></tr>" for r in self.rows())
        return f"<p><b>{self.name}</b></p><table><tr>{head}</tr>{body}</table>"

    def with_(self, **changes) -> "Network":
        """A copy with some fields changed, e.g. `B0.with_(in_channels=1)`."""
        return replace(self, **changes)


def output_size(size: int, stride: int) -> int:
    """Height (= width) after a convolution or pooling of `stride`."""
    # Both PyTorch's symmetric padding (odd kernels) and TensorFlow's "same" give ceil(size / stride).
    return math.ceil(size / stride)


def check_resolution(spec: Network, resolution: int) -> None:
    """Refuse an input smaller than the network's total stride: its last map would be mostly padding."""
    if not isinstance(resolution, int) or resolution < spec.total_stride:
        raise ValueError(f"resolution {resolution!r} is too small for {spec.name}: its strides shrink the "
                         f"image {spec.total_stride}-fold, so give at least {spec.total_stride} px.")


@dataclass(frozen=True)
class Block:
    """One concrete layer of the network, with everything needed to build or count it."""

    block: str
    in_channels: int
    out_channels: int
    hidden_channels: int   # MBConv: expanded width; bottleneck: inner width; separable: = in_channels
    se_channels: int       # 0 when the block has no squeeze-and-excitation
    kernel: int
    stride: int
    in_size: int           # input height = width
    drop_rate: float       # stochastic depth probability of dropping this block

    @property
    def out_size(self) -> int:
        return output_size(self.in_size, self.stride)

    @property
    def residual(self) -> bool:
        if self.block == "bottleneck":
            return True    # with a projection shortcut when shapes change
        return self.block == "mbconv" and self.stride == 1 and self.in_channels == self.out_channels


def blocks(spec: Network) -> Iterator[Block]:
    """Every block of the network in order, with its input size and stochastic-depth rate.

    The drop rate rises linearly with the block index, `stochastic_depth * i / num_blocks`,
    as in the reference implementation (the first block is never dropped).
    """
    size = output_size(spec.resolution, spec.stem_reduction)
    channels = spec.stem_channels
    total, index = spec.num_blocks, 0
    for stage in spec.stages:
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            if stage.block == "mbconv":
                hidden = channels * stage.expand_ratio
                se = max(1, int(channels * spec.se_ratio)) if stage.se and spec.se_ratio > 0 else 0
            elif stage.block == "bottleneck":
                hidden, se = stage.channels, 0
            else:
                hidden, se = channels, 0
            yield Block(stage.block, channels, stage.out_channels, int(hidden), se,
                        stage.kernel, stride, size, spec.stochastic_depth * index / total)
            size = output_size(size, stride)
            channels = stage.out_channels
            index += 1


def _mbconv_stages(rows) -> tuple[Stage, ...]:
    return tuple(Stage("mbconv", k, s, e, c, n) for e, k, s, c, n in rows)


# Table 1 of the paper: EfficientNet-B0, found by the multi-objective architecture search.
# (expand ratio, kernel, stride, output channels, repeats)
B0 = Network("b0", _mbconv_stages([
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
]))

# B0's table for 28-32 px images (Fashion-MNIST, CIFAR). Two of B0's five stride-2 steps are
# removed (the stem and stage 3) so a 32 px image ends as a 4x4 map rather than 1x1: the output
# stride stays 8, as small-image ConvNets use. The base resolution is 24 px, below Fashion-MNIST's
# native 28 px, so that scaling resolution up reveals real detail, as going past 224 px does on ImageNet.
SMALL_B0 = B0.with_(
    name="small-b0",
    stages=tuple(replace(s, stride=1) if i in (2,) else s for i, s in enumerate(B0.stages)),
    stem_stride=1,
    resolution=24,
    in_channels=1,
    stochastic_depth=0.1,
)
