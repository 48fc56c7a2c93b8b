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
