"""The paper's published numbers, as printed (Tan & Le, arXiv v5, September 2020), for comparison.

These are the only figures the library does not compute: it computes its own and the course sets
them side by side with these. Parameters in millions, FLOPS (multiply-adds) in billions.
"""
from __future__ import annotations

from typing import NamedTuple

VERSION = "arXiv:1905.11946v5 (Sep 2020)"


class Published(NamedTuple):
    top1: float | None
    top5: float | None
    parameters_millions: float | None
    flops_billions: float


# Table 2: the EfficientNet family on ImageNet.
TABLE_2 = {
    "b0": Published(77.1, 93.3, 5.3, 0.39),
    "b1": Published(79.1, 94.4, 7.8, 0.70),
    "b2": Published(80.1, 94.9, 9.2, 1.0),
    "b3": Published(81.6, 95.7, 12, 1.8),
    "b4": Published(82.9, 96.4, 19, 4.2),
    "b5": Published(83.6, 96.7, 30, 9.9),
    "b6": Published(84.0, 96.8, 43, 19),
    "b7": Published(84.3, 97.0, 66, 37),
}

# Table 7 (models of Figure 7, all scaled from B0): FLOPS and top-1.
TABLE_7 = {
    "baseline": Published(77.3, None, None, 0.4),
    "depth (d=4)": Published(79.0, None, None, 1.8),
    "width (w=2)": Published(78.9, None, None, 1.8),
    "resolution (r=2)": Published(79.1, None, None, 1.9),
    "compound (d=1.4, w=1.2, r=1.3)": Published(81.1, None, None, 1.8),
}

# The EfficientNet-Lite README: parameters, multiply-adds and top-1.
LITE = {
    "lite0": Published(75.1, None, 4.7, 0.407),
    "lite1": Published(76.7, None, 5.4, 0.631),
    "lite2": Published(77.6, None, 6.1, 0.899),
    "lite3": Published(79.8, None, 8.2, 1.44),
    "lite4": Published(81.5, None, 13.0, 2.64),
}

# Figure 3's single-dimension sweeps of B0 (r = 1.0 is 224 px) and Figure 4's (depth, resolution) pairs.
FIGURE_3 = {
    "width": (1.0, 1.4, 1.8, 2.6, 3.8, 5.0),
    "depth": (1, 2, 3, 4, 6, 8),
    "resolution": (1.0, 1.3, 1.5, 1.7, 1.9, 2.2, 2.5),
}
FIGURE_4 = ((1.0, 1.0), (1.0, 1.3), (2.0, 1.0), (2.0, 1.3))


# Table 3: scaling MobileNets and ResNet-50. The paper prints the compound multipliers only for
# MobileNetV1; the course assumes the same (d=1.4, w=1.2, r=1.3) for the others (`printed_multipliers`
# False): it is Eq. 3 at phi = 2, rounded, and the compound model of Table 7.
class Table3Row(NamedTuple):
    network: str
    scaling: str
    depth: float
    width: float
    resolution: float
    flops_billions: float
    top1: float
    printed_multipliers: bool


TABLE_3 = (
    Table3Row('mobilenet-v1', 'baseline', 1.0, 1.0, 1.0, 0.6, 70.6, True),
    Table3Row('mobilenet-v1', 'width (w=2)', 1.0, 2.0, 1.0, 2.2, 74.2, True),
    Table3Row('mobilenet-v1', 'resolution (r=2)', 1.0, 1.0, 2.0, 2.2, 72.7, True),
    Table3Row('mobilenet-v1', 'compound (d=1.4, w=1.2, r=1.3)', 1.4, 1.2, 1.3, 2.3, 75.6, True),
    Table3Row('mobilenet-v2', 'baseline', 1.0, 1.0, 1.0, 0.3, 72.0, True),
    Table3Row('mobilenet-v2', 'depth (d=4)', 4.0, 1.0, 1.0, 1.2, 76.8, True),
    Table3Row('mobilenet-v2', 'width (w=2)', 1.0, 2.0, 1.0, 1.1, 76.4, True),
    Table3Row('mobilenet-v2', 'resolution (r=2)', 1.0, 1.0, 2.0, 1.2, 74.8, True),
    Table3Row('mobilenet-v2', 'compound', 1.4, 1.2, 1.3, 1.3, 77.4, False),
    Table3Row('resnet-50', 'baseline', 1.0, 1.0, 1.0, 4.1, 76.0, True),
    Table3Row('resnet-50', 'depth (d=4)', 4.0, 1.0, 1.0, 16.2, 78.1, True),
    Table3Row('resnet-50', 'width (w=2)', 1.0, 2.0, 1.0, 14.7, 77.7, True),
    Table3Row('resnet-50', 'resolution (r=2)', 1.0, 1.0, 2.0, 16.4, 77.5, True),
    Table3Row('resnet-50', 'compound', 1.4, 1.2, 1.3, 16.7, 78.8, False),
)


class PrintedLatency(NamedTuple):
    """One row of Table 4 as printed: top-1 accuracy (%) and latency in seconds."""

    top1: float
    seconds: float


# Table 4 (the B1 and B7 accuracies are v1's figures, kept in v5): batch size 1, one core of an
# Intel Xeon CPU E5-2690, mean of 20 runs. GPipe is a giant AmoebaNet; it has no table here.
TABLE_4 = {
    "resnet-152": PrintedLatency(77.8, 0.554),
    "b1": PrintedLatency(78.8, 0.098),
    "gpipe": PrintedLatency(84.3, 19.0),
    "b7": PrintedLatency(84.4, 3.1),
}
# The two comparisons of Table 4: (slower network, faster EfficientNet, speed-up as printed).
TABLE_4_PAIRS = (("resnet-152", "b1", 5.7), ("gpipe", "b7", 6.1))
