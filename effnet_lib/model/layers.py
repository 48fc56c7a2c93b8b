"""The layers EfficientNet is made of, read top to bottom: convolution with TensorFlow or PyTorch
padding, conv-BN-activation, squeeze-and-excitation, stochastic depth, and the four block kinds
(MBConv, MobileNetV1's separable layer, ResNet's bottleneck, EfficientNetV2's Fused-MBConv).

Each block is built from a `rules.architecture.Block`, the record of the same walk that the cost
model counts, so a block's parameters here and its analytic count cannot disagree.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..rules.architecture import ACTIVATIONS as ACTIVATION_NAMES, Block, Network
from ..rules.blocks import KINDS


ACTIVATIONS = {"silu": nn.SiLU, "relu6": nn.ReLU6, "relu": nn.ReLU}


class Conv2d(nn.Conv2d):
    """A bias-free convolution with PyTorch's symmetric padding or TensorFlow's "same" padding.

    TensorFlow pads a stride-2 convolution more on the bottom/right than on the top/left; weights
    trained that way (the Lite0 checkpoint) lose accuracy under symmetric padding.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                 padding: str = "symmetric", bias: bool = False):
        self.same = padding == "same" and stride > 1
        super().__init__(cin, cout, kernel, stride, padding=0 if self.same else (kernel - 1) // 2,
                         groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.same:
            pads = []
            for size in (x.shape[-1], x.shape[-2]):   # F.pad wants the last dimension first
                total = max((math.ceil(size / self.stride[0]) - 1) * self.stride[0] + self.kernel_size[0] - size, 0)
                pads += [total // 2, total - total // 2]
            x = F.pad(x, pads)
        return super().forward(x)


class ConvBNAct(nn.Sequential):
    """Convolution, BatchNorm, then the activation (none for the linear projection of MBConv)."""

    def __init__(self, cin: int, cout: int, kernel: int, spec: Network, stride: int = 1,
                 groups: int = 1, activation: bool = True):
        layers = [Conv2d(cin, cout, kernel, stride, groups, spec.padding),
                  nn.BatchNorm2d(cout, eps=spec.bn_eps, momentum=spec.bn_momentum)]
        if activation:
            layers.append(ACTIVATIONS[spec.activation](inplace=True))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): reweight channels by a summary of the whole image.

    Squeeze: average each channel to one number. Excite: a two-layer bottleneck (width set from
    the *block's input* channels times 0.25 in EfficientNet) gives each channel a gate in (0, 1).
    """

    def __init__(self, channels: int, squeeze_channels: int, activation: type[nn.Module] = nn.SiLU):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.activation = activation(inplace=True)
        self.expand = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = x.mean((2, 3), keepdim=True)
        gate = self.expand(self.activation(self.reduce(gate)))
        return x * torch.sigmoid(gate)


def stochastic_depth(x: torch.Tensor, drop_rate: float, training: bool,
                     residual: torch.Tensor | None = None) -> torch.Tensor:
    """Drop the whole residual branch for some samples, rescaling the rest (Huang et al. 2016).

    Per sample, as the reference's "drop connect": survivors are divided by the survival
    probability so that the expected output is unchanged and evaluation needs no correction.
    With ``residual``, returns ``residual + stochastic_depth(x, ...)`` in one pass over memory
    (``torch.addcmul`` folds the mask, the rescaling and the addition into one kernel), which is
    how a block uses it.
    """
    if not training or drop_rate == 0.0:
        return x if residual is None else residual + x
    survival = 1.0 - drop_rate
    keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(survival)
    if residual is None:
        return x * keep.div_(survival)
    return torch.addcmul(residual, x, keep, value=1.0 / survival)


class MBConv(nn.Module):
    """Mobile inverted bottleneck (Sandler et al. 2018) with squeeze-excite, EfficientNet's block.

    expand (1x1, skipped when the ratio is 1) -> depthwise kxk -> squeeze-excite -> project (1x1,
    no activation), plus the input when the shape is unchanged, through stochastic depth.
    """

    def __init__(self, b: Block, spec: Network):
        super().__init__()
        self.residual, self.drop_rate = b.residual, b.drop_rate
        self.expand = (ConvBNAct(b.in_channels, b.hidden_channels, 1, spec)
                       if b.hidden_channels != b.in_channels else nn.Identity())
        self.depthwise = ConvBNAct(b.hidden_channels, b.hidden_channels, b.kernel, spec, b.stride,
                                   groups=b.hidden_channels)
        self.squeeze_excite = (SqueezeExcite(b.hidden_channels, b.se_channels, ACTIVATIONS[spec.activation])
                               if b.se_channels else nn.Identity())
        self.project = ConvBNAct(b.hidden_channels, b.out_channels, 1, spec, activation=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.squeeze_excite(self.depthwise(self.expand(x))))
        if self.residual:
            out = stochastic_depth(out, self.drop_rate, self.training, residual=x)
        return out


class FusedMBConv(nn.Module):
    """EfficientNetV2's Fused-MBConv (Tan & Le 2021): MBConv with its 1x1 expansion and depthwise kxk
    fused into one dense kxk convolution.

    fused expand (kxk, with the stride) -> project (1x1, no activation), plus the input when the shape
    is unchanged, through stochastic depth. With expand ratio 1 the block is one kxk convolution with
    its activation, as in torchvision's `FusedMBConv`.
    """

    def __init__(self, b: Block, spec: Network):
        super().__init__()
        self.residual, self.drop_rate = b.residual, b.drop_rate
        if b.hidden_channels != b.in_channels:
            self.expand = ConvBNAct(b.in_channels, b.hidden_channels, b.kernel, spec, b.stride)
            self.project = ConvBNAct(b.hidden_channels, b.out_channels, 1, spec, activation=False)
        else:
            self.expand = nn.Identity()
            self.project = ConvBNAct(b.in_channels, b.out_channels, b.kernel, spec, b.stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.expand(x))
        if self.residual:
            out = stochastic_depth(out, self.drop_rate, self.training, residual=x)
        return out


class Separable(nn.Sequential):
    """MobileNetV1's layer: a depthwise kxk then a pointwise 1x1 convolution, each with BN and ReLU."""

    def __init__(self, b: Block, spec: Network):
        super().__init__(
            ConvBNAct(b.in_channels, b.in_channels, b.kernel, spec, b.stride, groups=b.in_channels),
            ConvBNAct(b.in_channels, b.out_channels, 1, spec))


class Bottleneck(nn.Module):
    """ResNet's bottleneck: 1x1 down, kxk (with the stride), 1x1 up, added to a (projected) shortcut."""

    def __init__(self, b: Block, spec: Network):
        super().__init__()
        self.drop_rate = b.drop_rate
        self.body = nn.Sequential(
            ConvBNAct(b.in_channels, b.hidden_channels, 1, spec),
            ConvBNAct(b.hidden_channels, b.hidden_channels, b.kernel, spec, b.stride),
            ConvBNAct(b.hidden_channels, b.out_channels, 1, spec, activation=False))
        self.shortcut = (ConvBNAct(b.in_channels, b.out_channels, 1, spec, b.stride, activation=False)
                         if b.stride != 1 or b.in_channels != b.out_channels else nn.Identity())
        self.activation = ACTIVATIONS[spec.activation](inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(stochastic_depth(self.body(x), self.drop_rate, self.training,
                                                 residual=self.shortcut(x)))


# The module of each block kind in `rules.blocks.KINDS`; a kind without one stops the import here,
# not in the middle of building a network.
BLOCK_MODULES = {"mbconv": MBConv, "separable": Separable, "bottleneck": Bottleneck, "fused_mbconv": FusedMBConv}
if set(BLOCK_MODULES) != set(KINDS) or set(ACTIVATIONS) != set(ACTIVATION_NAMES):
    raise ImportError("the rules layer names a block kind or activation that has no module here: "
                      f"kinds {sorted(KINDS)} vs {sorted(BLOCK_MODULES)}, "
                      f"activations {sorted(ACTIVATION_NAMES)} vs {sorted(ACTIVATIONS)}.")
