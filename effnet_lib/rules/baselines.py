"""Other ConvNets as stage tables, for Table 3: compound scaling is not only for EfficientNet.

The same `scale` and `cost` handle them, and `effnet_lib.model` builds them, so the course can
scale MobileNetV1, MobileNetV2 and ResNet-50 exactly as it scales B0.
"""
from __future__ import annotations

from dataclasses import replace

from .architecture import Network, Stage

# Howard et al. 2017: depthwise-separable layers, ReLU, no head convolution (4.2M parameters).
# (stride, channels, repeats); every stage's first layer carries the stride.
MOBILENET_V1 = Network(
    "mobilenet-v1",
    tuple(Stage("separable", 3, s, 1, c, n, se=False)
          for s, c, n in [(1, 64, 1), (2, 128, 2), (2, 256, 2), (2, 512, 6), (2, 1024, 2)]),
    head_channels=0, activation="relu", se_ratio=0.0, stochastic_depth=0.0, dropout=0.001,
    bn_eps=1e-5, bn_momentum=0.1,
)

# Sandler et al. 2018: inverted residuals (MBConv without squeeze-excite), ReLU6 (3.5M parameters).
# (expand ratio, channels, repeats, stride)
MOBILENET_V2 = Network(
    "mobilenet-v2",
    tuple(Stage("mbconv", 3, s, t, c, n, se=False)
          for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]),
    head_channels=1280, activation="relu6", se_ratio=0.0, stochastic_depth=0.0, dropout=0.2,
    bn_eps=1e-5, bn_momentum=0.1,
)

# He et al. 2016, as torchvision builds it (stride on the 3x3 conv): bottlenecks of inner width
# `channels` and output 4 * channels, a 7x7 stem and a max-pool (25.6M parameters).
RESNET_50 = Network(
    "resnet-50",
    tuple(Stage("bottleneck", 3, s, 4, c, n, se=False)
          for c, n, s in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]),
    stem_channels=64, stem_kernel=7, stem_stride=2, stem_pool=True, head_channels=0,
    activation="relu", se_ratio=0.0, stochastic_depth=0.0, dropout=0.0,
    bn_eps=1e-5, bn_momentum=0.1,
)

# The same bottlenecks, more of them: (3, 8, 36, 3) per stage. Table 4 pairs it with B1 for latency.
RESNET_152 = RESNET_50.with_(
    name="resnet-152",
    stages=tuple(replace(stage, repeats=n) for stage, n in zip(RESNET_50.stages, (3, 8, 36, 3))))

BASELINES = {spec.name: spec for spec in (MOBILENET_V1, MOBILENET_V2, RESNET_50, RESNET_152)}
