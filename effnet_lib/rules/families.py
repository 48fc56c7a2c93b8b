"""The published families: B0..B7 (Table 2) and Lite0..Lite4, as coefficient tables over B0.

Note that the published coefficients are *not* the compound rule of Eq. 3: at phi = 1 the rule
gives (depth 1.2, width 1.1, 258 px) where B1 is (1.1, 1.0, 240). The table is kept as data, the
rule lives in `scaling.compound`, and the course shows the gap.
"""
from __future__ import annotations

from typing import NamedTuple

from .architecture import B0, SMALL_B0, Network
from .baselines import BASELINES
from .scaling import scale


class Coefficients(NamedTuple):
    width: float
    depth: float
    resolution: int   # pixels
    dropout: float


# The reference implementation's table (efficientnet_builder.py), the same in torchvision.
EFFICIENTNET = {
    "b0": Coefficients(1.0, 1.0, 224, 0.2),
    "b1": Coefficients(1.0, 1.1, 240, 0.2),
    "b2": Coefficients(1.1, 1.2, 260, 0.3),
    "b3": Coefficients(1.2, 1.4, 300, 0.3),
    "b4": Coefficients(1.4, 1.8, 380, 0.4),
    "b5": Coefficients(1.6, 2.2, 456, 0.4),
    "b6": Coefficients(1.8, 2.6, 528, 0.5),
    "b7": Coefficients(2.0, 3.1, 600, 0.5),
}

# EfficientNet-Lite (the official README): B0 made friendly to mobile accelerators and integer
# quantisation: no squeeze-and-excitation, ReLU6 instead of swish, stem and head fixed.
LITE = {
    "lite0": Coefficients(1.0, 1.0, 224, 0.2),
    "lite1": Coefficients(1.0, 1.1, 240, 0.2),
    "lite2": Coefficients(1.1, 1.2, 260, 0.3),
    "lite3": Coefficients(1.2, 1.4, 280, 0.3),
    "lite4": Coefficients(1.4, 1.8, 300, 0.3),
}

LITE0_BASE = B0.with_(
    name="lite0", activation="relu6", se_ratio=0.0,
    scale_stem_head=False, scale_end_stages=False,
    padding="same",   # the published Lite weights were trained in TensorFlow
)

_OTHERS = {"small-b0": SMALL_B0, **BASELINES}
NAMES = (*EFFICIENTNET, *LITE, *_OTHERS)


def network(name: str) -> Network:
    """The stage table of a named network: "b0".."b7", "lite0".."lite4", "small-b0", or a baseline."""
    key = name.lower().replace("efficientnet-", "").replace("efficientnet_", "") if isinstance(name, str) else name
    if key in EFFICIENTNET:
        base, c = B0, EFFICIENTNET[key]
    elif key in LITE:
        base, c = LITE0_BASE, LITE[key]
    elif key in _OTHERS:
        return _OTHERS[key]
    else:
        raise ValueError(f"unknown network {name!r}; choose one of: {', '.join(NAMES)}.")
    return scale(base, depth=c.depth, width=c.width).with_(name=key, resolution=c.resolution, dropout=c.dropout)


def resolve(name_or_spec: str | Network) -> Network:
    """Accept either a name or a `Network`, so every entry point takes both."""
    if isinstance(name_or_spec, Network):
        return name_or_spec
    if isinstance(name_or_spec, str):
        return network(name_or_spec)
    raise TypeError(f"expected a network name such as 'b0' or a Network table, got {type(name_or_spec).__name__}.")
