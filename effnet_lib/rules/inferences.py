"""What the paper leaves unsaid, computed, so the course can call an inference an inference.

* The paper prints no phi for B1..B7. Reading the published coefficients (`families.EFFICIENTNET`)
  back through Eq. 3 gives each dimension its own phi: phi_d = ln(d) / ln(alpha), and so on.
  For B7 they disagree (6.2 for depth, 7.3 for width, 7.0 for resolution):

    >>> [round(p, 2) for p in implied_phi("b7")]
    [6.21, 7.27, 7.05]

* Table 3 prints compound multipliers only for MobileNetV1 (d=1.4, w=1.2, r=1.3). Those are Eq. 3
  at phi = 2, rounded to one decimal, which is why the course assumes them for MobileNetV2 and
  ResNet-50 too:

    >>> table_3_compound_multipliers()
    Multipliers(depth=1.4, width=1.2, resolution=1.3)
"""
from __future__ import annotations

import math
from typing import NamedTuple

from .architecture import B0
from .families import EFFICIENTNET
from .paper import ALPHA, BETA, GAMMA
from .scaling import Multipliers, compound


class ImpliedPhi(NamedTuple):
    """The phi of Eq. 3 that each published multiplier corresponds to, one per dimension."""

    depth: float
    width: float
    resolution: float

    @property
    def spread(self) -> float:
        """Largest minus smallest: 0 if the published model were one phi of the rule."""
        return max(self) - min(self)


def implied_phi(name: str, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA) -> ImpliedPhi:
    """Solve d = alpha^phi, w = beta^phi, r = gamma^phi for phi, separately, for a published B`k`.

    r is the published image size over B0's 224 px (B1: 240 / 224).
    """
    if name not in EFFICIENTNET:
        raise ValueError(f"implied_phi reads the published family {', '.join(EFFICIENTNET)}; got {name!r}.")
    c = EFFICIENTNET[name]
    r = c.image_size / B0.image_size
    return ImpliedPhi(math.log(c.depth) / math.log(alpha), math.log(c.width) / math.log(beta),
                      math.log(r) / math.log(gamma))


def table_3_compound_multipliers(phi: float = 2.0) -> Multipliers:
    """Eq. 3 at `phi` with the paper's alpha, beta, gamma, rounded to one decimal as Table 3 prints them."""
    return Multipliers(*(round(m, 1) for m in compound(phi)))
