"""Other ConvNets as stage tables, for Table 3: compound scaling is not only for EfficientNet.

The same `scale` and `cost` handle them, and `effnet_lib.model` builds them, so the course can
scale MobileNetV1, MobileNetV2 and ResNet-50 exactly as it scales B0.
"""
from __future__ import annotations

from dataclasses import replace

from .architecture import Network, stages

# Every table below is written in Table 1's columns, as B0 is:
# (expand ratio, kernel, stride, output channels, repeats); a stage's first block carries the stride.

# Howard et al. 2017: depthwise-separable layers, ReLU, no head convolution (4.2M parameters).
MOBILENET_V1 = Network(
    "mobilenet-v1",
    stages("separable", [(1, 3, 1, 64, 1), (1, 3, 2, 128, 2), (1, 3, 2, 256, 2), (1, 3, 2, 512, 6),
                         (1, 3, 2, 1024, 2)], se=False),
    head_channels=0, activation="relu", se_ratio=0.0, stochastic_depth=0.0, dropout=0.001,
    bn_eps=1e-5, bn_momentum=0.1,
)

# Sandler et al. 2018: inverted residuals (MBConv without squeeze-excite), ReLU6 (3.5M parameters).
MOBILENET_V2 = Network(
    "mobilenet-v2",
    stages("mbconv", [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 3, 2, 32, 3), (6, 3, 2, 64, 4),
                      (6, 3, 1, 96, 3), (6, 3, 2, 160, 3), (6, 3, 1, 320, 1)], se=False),
    head_channels=1280, activation="relu6", se_ratio=0.0, stochastic_depth=0.0, dropout=0.2,
    bn_eps=1e-5, bn_momentum=0.1,
)

# He et al. 2016, as torchvision builds it (stride on the 3x3 conv): bottlenecks whose output is
# 4x their inner width (256 out, 64 inside, ...), a 7x7 stem and a max-pool (25.6M parameters).
RESNET_50 = Network(
    "resnet-50",
    stages("bottleneck", [(4, 3, 1, 256, 3), (4, 3, 2, 512, 4), (4, 3, 2, 1024, 6), (4, 3, 2, 2048, 3)],
           se=False),
    stem_channels=64, stem_kernel=7, stem_stride=2, stem_pool=True, head_channels=0,
    activation="relu", se_ratio=0.0, stochastic_depth=0.0, dropout=0.0,
    bn_eps=1e-5, bn_momentum=0.1,
)

# The same bottlenecks, more of them: (3, 8, 36, 3) per stage. Table 4 pairs it with B1 for latency.
RESNET_152 = RESNET_50.with_(
    name="resnet-152",
    stages=tuple(replace(stage, repeats=n) for stage, n in zip(RESNET_50.stages, (3, 8, 36, 3))))

BASELINES = {spec.name: spec for spec in (MOBILENET_V1, MOBILENET_V2, RESNET_50, RESNET_152)}
