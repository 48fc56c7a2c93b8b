"""The phi explorer's numbers: B0 scaled by Eq. 3 at one (phi, alpha, beta, gamma), and along phi.

    snapshot        everything the explorer shows for one setting (`Snapshot`), checked in words
    cost_curve      parameters and multiply-adds on a grid of phi, with the 2^phi-style promise
    table_2_points  Table 2's printed points, B`k` placed at phi = k
    PHI_MAX         where the explorer's phi slider stops (B7)

Plain data only: `phi_tables` prints it, `phi_plot` draws it, `explorer` wires widgets to it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..rules.architecture import B0, Network
from ..rules.cost import Cost, cost
from ..rules.paper import ALPHA, BETA, GAMMA, TABLE_2
from ..rules.scaling import Multipliers, compound, multiply_adds_growth, scale

PHI_MAX = 7.0          # B7; the slider stops here


def table_2_points() -> dict:
    """Table 2's parameters and multiply-adds as printed (`effnet_lib.rules.paper`), B`k` placed at phi = k.

    The paper does not print phi for each model; B`k` at phi = `k` is the usual reading and what
    the explorer's B0..B7 buttons do.
    """
    names = list(TABLE_2)
    return {"phi": [float(i) for i in range(len(names))],
            "labels": [n.upper() for n in names],
            "parameters": [TABLE_2[n].parameters_millions * 1e6 for n in names],
            "multiply_adds": [TABLE_2[n].multiply_adds_billions * 1e9 for n in names]}


@dataclass(frozen=True)
class Snapshot:
    """Everything the explorer shows for one (phi, alpha, beta, gamma): plain data, no widgets."""

    phi: float
    alpha: float
    beta: float
    gamma: float
    multipliers: Multipliers
    network: Network          # B0 scaled by Eq. 3
    cost: Cost
    base: Network             # B0
    base_cost: Cost
    published: str | None     # "b3" when phi is a whole number from 0 to 7, else None

    @property
    def growth(self) -> float:
        """alpha * beta^2 * gamma^2: the FLOPS factor Eq. 3 promises per unit of phi."""
        return multiply_adds_growth(self.alpha, self.beta, self.gamma)

    @property
    def predicted_ratio(self) -> float:
        """(alpha * beta^2 * gamma^2)^phi: the multiply-add ratio to B0 the rule predicts."""
        return self.growth ** self.phi

    @property
    def ratio(self) -> float:
        """The real multiply-add ratio to B0, rounding included."""
        return self.cost.multiply_adds / self.base_cost.multiply_adds


def snapshot(phi: float, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
             base: Network = B0) -> Snapshot:
    """The network Eq. 3 makes from `base` at this phi, and its cost (checks its inputs).

    >>> s = snapshot(1.0)
    >>> s.network.image_size, s.published, round(s.growth, 2)
    (258, 'b1', 1.92)
    """
    multipliers = compound(phi, alpha, beta, gamma)
    scaled = scale(base, *multipliers)
    nearest = round(phi)
    published = f"b{nearest}" if base is B0 and abs(phi - nearest) < 1e-9 and 0 <= nearest <= 7 else None
    return Snapshot(float(phi), float(alpha), float(beta), float(gamma), multipliers, scaled,
                    cost(scaled), base, cost(base), published)


def cost_curve(alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA, base: Network = B0,
               phi_max: float = PHI_MAX, points: int = 71) -> dict:
    """Parameters and multiply-adds of Eq. 3's network on `points` values of phi from 0 to phi_max.

    Also "predicted": B0's multiply-adds times (alpha * beta^2 * gamma^2)^phi, the smooth promise
    that rounding turns into a staircase.
    """
    if points < 2:
        raise ValueError(f"a curve needs at least 2 points, got {points}.")
    phis = [phi_max * i / (points - 1) for i in range(points)]
    costs = [cost(scale(base, *compound(phi, alpha, beta, gamma))) for phi in phis]
    growth, start = multiply_adds_growth(alpha, beta, gamma), cost(base).multiply_adds
    return {"phi": phis, "parameters": [c.parameters for c in costs],
            "multiply_adds": [c.multiply_adds for c in costs],
            "predicted": [start * growth ** phi for phi in phis]}
