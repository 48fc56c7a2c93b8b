"""The network: stem, stages of blocks, head, pooling, dropout and classifier, built from a stage table.

Every shape comes from `rules.architecture.blocks(spec)`, the same walk that `rules.cost` counts,
so the analytic parameter count and `sum(p.numel())` cannot drift apart.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..rules.architecture import Network, blocks, check_image_size, check_num_classes
from ..rules.families import resolve
from .layers import BLOCK_MODULES, Bottleneck, ConvBNAct, MBConv


class ConvNet(nn.Module):
    """A network built from any stage table (EfficientNet, MobileNet, ResNet): stem, stages of blocks,
    head, pooling, dropout, classifier."""

    def __init__(self, spec: Network, num_classes: int = 1000):
        super().__init__()
        self.spec, self.num_classes = spec, check_num_classes(num_classes)
        stem = [ConvBNAct(spec.in_channels, spec.stem_channels, spec.stem_kernel, spec, spec.stem_stride)]
        if spec.stem_pool:
            stem.append(nn.MaxPool2d(3, 2, padding=1))
        self.stem = nn.Sequential(*stem)
        stages, walk = [], iter(blocks(spec))
        for stage in spec.stages:
            stages.append(nn.Sequential(*(BLOCK_MODULES[stage.kind](next(walk), spec)
                                          for _ in range(stage.repeats))))
        self.stages = nn.Sequential(*stages)
        self.head = (ConvBNAct(spec.stages[-1].channels, spec.head_channels, 1, spec)
                     if spec.head_channels else nn.Identity())
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(spec.features, num_classes)
        self.reset_parameters()

    def reset_parameters(self, zero_init_last: bool = False) -> None:
        """Kaiming-normal (fan-out) convolutions, unit BatchNorm, uniform classifier: the reference init.

        `zero_init_last=True` also sets the scale of the last BatchNorm of every residual block to
        zero (timm's `zero_init_last`, Goyal et al. 2017): each such block then starts as the identity,
        so a network with twice the blocks starts out computing what the shallower one does, and a
        short schedule trains deep and shallow variants alike instead of failing the deeper ones.
        """
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)
        if zero_init_last:
            for block in self.modules():
                last = _last_norm_of_residual_branch(block)
                if last is not None:
                    nn.init.zeros_(last.weight)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, before pooling (what class activation maps look at)."""
        return self.head(self.stages(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.spec.in_channels:
            raise ValueError(f"{self.spec.name} expects images shaped (batch, {self.spec.in_channels}, H, W), "
                             f"got {tuple(x.shape)}.")
        pooled = torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)
        return self.classifier(self.dropout(pooled))


def _last_norm_of_residual_branch(block: nn.Module) -> nn.BatchNorm2d | None:
    """The BatchNorm that ends a block's residual branch (the branch added to the shortcut), if any."""
    if isinstance(block, MBConv) and block.residual:
        return block.project[1]
    if isinstance(block, Bottleneck):
        return block.body[-1][1]
    return None


# The name most readers look for; the class builds every table, not only EfficientNets.
EfficientNet = ConvNet


def efficientnet(name_or_spec: str | Network = "b0", num_classes: int = 1000, **overrides) -> ConvNet:
    """Build a network by name ("b0".."b7", "lite0".."lite4", "small-b0", baselines) or from a table.

    `overrides` replace fields of the table, e.g. `efficientnet("b0", 10, in_channels=1, dropout=0.1)`.

    >>> model = efficientnet("b0")
    >>> sum(p.numel() for p in model.parameters())
    5288548
    """
    spec = resolve(name_or_spec)
    if overrides:
        unknown = sorted(set(overrides) - set(spec.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown} for a Network; valid fields: "
                             f"{', '.join(spec.__dataclass_fields__)}.")
        spec = spec.with_(**overrides)
    check_image_size(spec, spec.image_size)
    return ConvNet(spec, num_classes)
