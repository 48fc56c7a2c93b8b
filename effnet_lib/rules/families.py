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
    """A published member of a family: multipliers of B0 (depth, width, in the order of `Multipliers`),
    its input size in pixels and its dropout rate."""

    depth: float
    width: float
    image_size: int   # pixels, not a multiplier: B1 is 240 px, 1.07 x B0's 224
    dropout: float


# The reference implementation's table (efficientnet_builder.py), the same in torchvision.
EFFICIENTNET = {
    "b0": Coefficients(depth=1.0, width=1.0, image_size=224, dropout=0.2),
    "b1": Coefficients(depth=1.1, width=1.0, image_size=240, dropout=0.2),
    "b2": Coefficients(depth=1.2, width=1.1, image_size=260, dropout=0.3),
    "b3": Coefficients(depth=1.4, width=1.2, image_size=300, dropout=0.3),
    "b4": Coefficients(depth=1.8, width=1.4, image_size=380, dropout=0.4),
    "b5": Coefficients(depth=2.2, width=1.6, image_size=456, dropout=0.4),
    "b6": Coefficients(depth=2.6, width=1.8, image_size=528, dropout=0.5),
    "b7": Coefficients(depth=3.1, width=2.0, image_size=600, dropout=0.5),
}

# EfficientNet-Lite (the official README): B0 made friendly to mobile accelerators and integer
# quantisation: no squeeze-and-excitation, ReLU6 instead of swish, stem and head fixed.
LITE = {
    "lite0": Coefficients(depth=1.0, width=1.0, image_size=224, dropout=0.2),
    "lite1": Coefficients(depth=1.1, width=1.0, image_size=240, dropout=0.2),
    "lite2": Coefficients(depth=1.2, width=1.1, image_size=260, dropout=0.3),
    "lite3": Coefficients(depth=1.4, width=1.2, image_size=280, dropout=0.3),
    "lite4": Coefficients(depth=1.8, width=1.4, image_size=300, dropout=0.3),
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
    return scale(base, depth=c.depth, width=c.width).with_(name=key, image_size=c.image_size, dropout=c.dropout)


def resolve(name_or_spec: str | Network) -> Network:
    """Accept either a name or a `Network`, so every entry point takes both."""
    if isinstance(name_or_spec, Network):
        return name_or_spec
    if isinstance(name_or_spec, str):
        return network(name_or_spec)
    raise TypeError(f"expected a network name such as 'b0' or a Network table, got {type(name_or_spec).__name__}.")
