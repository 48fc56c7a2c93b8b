"""The architecture as data: a ConvNet is a list of stages (the paper's Eq. 1 and Table 1).

A `Network` is a frozen description: the stem, the stage rows, the head, and the handful of
conventions (activation, padding, BatchNorm constants) that decide how its weights behave.
Nothing here builds a module; `effnet_lib.model` reads these tables, `effnet_lib.rules.cost`
counts them, and `effnet_lib.rules.scaling` turns one table into another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterator

from .blocks import block_kind

ACTIVATIONS = ("silu", "relu6", "relu")   # swish; Lite's and MobileNetV2's; MobileNetV1's and ResNet's
PADDINGS = ("symmetric", "same")          # PyTorch's; TensorFlow's (asymmetric at stride 2)


@dataclass(frozen=True)
class Stage:
    """One row of Table 1: `repeats` blocks of one kind, the first with `stride`.

    Every table in the library, B0 and the baselines alike, is written in this one column order.
    """

    kind: str           # a registered block kind: "mbconv", "separable" or "bottleneck" (see `blocks.KINDS`)
    kernel: int         # kernel size of the spatial (depthwise, or 3x3 for ResNet) convolution
    stride: int         # stride of the stage's first block; the others keep the image size
    expand_ratio: float  # MBConv: hidden = input x ratio; bottleneck: output = inner x ratio
    channels: int       # output channels of every block in the stage
    repeats: int        # L_i in Eq. 1
    se: bool = True     # whether this stage's blocks carry squeeze-and-excitation

    def __post_init__(self):
        block_kind(self.kind)       # an unknown kind is refused here, where the table is made
        for name in ("kernel", "stride", "channels", "repeats"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"a stage's {name} must be a whole number >= 1, got {value!r}.")

    @property
    def operator(self) -> str:
        """The name Table 1 gives the row, e.g. "MBConv6, k3x3"."""
        return block_kind(self.kind).operator(self)


def stages(kind: str, rows, se: bool = True) -> tuple[Stage, ...]:
    """Stage rows written as the paper's Table 1 columns: (expand ratio, kernel, stride, channels, repeats)."""
    return tuple(Stage(kind, k, s, e, c, n, se) for e, k, s, c, n in rows)


@dataclass(frozen=True)
class Network:
    """A whole ConvNet as a stage table plus its conventions; frozen, so scaling makes a new one."""

    name: str
    stages: tuple[Stage, ...]
    image_size: int = 224          # input height = width in pixels (H_1, W_1 of Eq. 1)
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
    stochastic_depth: float = 0.2  # 1 - the paper's survival 0.8; block i of n drops at this x i / n (`blocks`)
    scale_stem_head: bool = True   # Lite keeps the stem (32) and head (1280) fixed under width scaling
    scale_end_stages: bool = True  # Lite keeps the first and last stages' repeats fixed under depth scaling
    channel_divisor: int = 8       # width scaling rounds channels to multiples of this (the reference's depth_divisor)
    depth: float = 1.0             # the depth multiplier this table was scaled by (a record, not an input)
    width: float = 1.0             # the width multiplier this table was scaled by (a record, not an input)

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}.")
        if self.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {self.padding!r}.")
        if not self.stages:
            raise ValueError(f"{self.name} has no stages; a network needs at least one stage row.")
        if isinstance(self.channel_divisor, bool) or not isinstance(self.channel_divisor, int) or self.channel_divisor < 1:
            raise ValueError(f"channel_divisor must be a whole number >= 1 (the reference uses 8), got {self.channel_divisor!r}.")

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
        return self.head_channels or self.stages[-1].channels

    def rows(self) -> list[dict]:
        """Table 1 as plain data: one dict per row (stem, stages, head)."""
        size = self.image_size
        rows = [dict(stage=1, operator=f"Conv{self.stem_kernel}x{self.stem_kernel}",
                     image_size=size, channels=self.stem_channels, layers=1)]
        size = output_size(size, self.stem_reduction)
        for i, stage in enumerate(self.stages, start=2):
            rows.append(dict(stage=i, operator=stage.operator, image_size=size,
                             channels=stage.channels, layers=stage.repeats))
            size = output_size(size, stage.stride)
        head = "Conv1x1 & Pooling & FC" if self.head_channels else "Pooling & FC"
        rows.append(dict(stage=len(self.stages) + 2, operator=head, image_size=size,
                         channels=self.features, layers=1))
        return rows

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.image_size}x{self.image_size} input, "
                 f"depth x{self.depth:g}, width x{self.width:g}",
                 f"{'Stage':>5}  {'Operator':<24} {'Resolution':>10}  {'Channels':>8}  {'Layers':>6}"]
        for r in self.rows():
            res = f"{r['image_size']}x{r['image_size']}"
            lines.append(f"{r['stage']:>5}  {r['operator']:<24} {res:>10}  "
                         f"{r['channels']:>8}  {r['layers']:>6}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("Stage", "Operator", "Resolution", "Channels", "Layers"))
        body = "".join(
            f"<tr><td>{r['stage']}</td><td>{r['operator']}</td>"
            f"<td>{r['image_size']}&times;{r['image_size']}</td><td>{r['channels']}</td>"
            f"<td>{r['layers']}</td></tr>" for r in self.rows())
        return f"<p><b>{self.name}</b></p><table><tr>{head}</tr>{body}</table>"

    def with_(self, **changes) -> "Network":
        """A copy with some fields changed, e.g. `B0.with_(in_channels=1)`."""
        return replace(self, **changes)


def output_size(size: int, stride: int) -> int:
    """Height (= width) after a convolution or pooling of `stride`."""
    # Both PyTorch's symmetric padding (odd kernels) and TensorFlow's "same" give ceil(size / stride).
    return math.ceil(size / stride)


def check_image_size(spec: Network, image_size: int) -> int:
    """Refuse a size that is not whole pixels, or smaller than the network's total stride (its last
    map would be mostly padding)."""
    if isinstance(image_size, bool) or not isinstance(image_size, int):
        raise TypeError(f"image_size is a whole number of pixels (e.g. {spec.image_size}), "
                        f"got {image_size!r} of type {type(image_size).__name__}.")
    if image_size < spec.total_stride:
        raise ValueError(f"image_size {image_size} px is too small for {spec.name}: its strides shrink the "
                         f"image {spec.total_stride}-fold, so give at least {spec.total_stride} px.")
    return image_size


def check_num_classes(num_classes: int) -> int:
    """A classifier needs a positive whole number of classes."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a whole number >= 1 (1000 for ImageNet, 10 for "
                         f"Fashion-MNIST), got {num_classes!r}.")
    return num_classes


@dataclass(frozen=True)
class Block:
    """One concrete layer of the network, with everything needed to build or count it."""

    kind: str
    in_channels: int
    out_channels: int
    hidden_channels: int   # MBConv: expanded width; bottleneck: inner width; separable: = in_channels (see rules/blocks.py)
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
        return block_kind(self.kind).residual(self)


def blocks(spec: Network) -> Iterator[Block]:
    """Every block of the network in order, with its input size and stochastic-depth rate.

    The drop rate rises linearly with the block index, `stochastic_depth * i / num_blocks`, as in
    the reference implementation: the first block is never dropped and the last is dropped at
    `stochastic_depth * (n - 1) / n` (0.1875 in B0), never quite `stochastic_depth`. The paper states
    only a survival probability of 0.8 (Section 5.2); the per-block rule is the code's.
    """
    size = output_size(spec.image_size, spec.stem_reduction)
    channels = spec.stem_channels
    total, index = spec.num_blocks, 0
    for stage in spec.stages:
        kind = block_kind(stage.kind)
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            # Squeeze-excite is MBConv's, sized from the block's *input* channels (the reference's rule).
            se = (max(1, int(channels * spec.se_ratio))
                  if stage.kind == "mbconv" and stage.se and spec.se_ratio > 0 else 0)
            yield Block(stage.kind, channels, stage.channels, kind.hidden_channels(channels, stage), se,
                        stage.kernel, stride, size, spec.stochastic_depth * index / total)
            size = output_size(size, stride)
            channels = stage.channels
            index += 1


# Table 1 of the paper: EfficientNet-B0, found by the multi-objective architecture search.
# (expand ratio, kernel, stride, output channels, repeats)
B0 = Network("b0", stages("mbconv", [
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
    image_size=24,
    in_channels=1,
    stochastic_depth=0.1,
)
