"""The phi explorer's budget mode: the largest phi whose Eq. 3 network fits a multiply-add budget.

    fit_budget   the phi (to 0.01, at most PHI_MAX) for a budget, refusing in words what is no budget
    budget_note  one sentence on what the budget allows, read off the same snapshot as the table
"""
from __future__ import annotations

import math

from ..rules.architecture import B0, Network
from ..rules.cost import cost, phi_for_budget
from ..rules.paper import ALPHA, BETA, GAMMA
from ..rules.scaling import compound, scale
from .phi_state import PHI_MAX, Snapshot


def fit_budget(multiply_adds: float, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
               base: Network = B0) -> float:
    """The largest phi, to 0.01 and at most PHI_MAX, whose Eq. 3 network fits a multiply-add budget.

    The budget is used as given (4e9 is 4e9); a budget that is not a positive number, or that not
    even the base network fits, is refused in words.

    >>> fit_budget(4e9)
    3.43
    >>> fit_budget(1e12)      # far beyond B7's 37 billion: phi stops where the explorer's slider does
    7.0
    """
    base_cost = cost(base).multiply_adds
    if not isinstance(multiply_adds, (int, float)) or not math.isfinite(multiply_adds) or multiply_adds <= 0:
        raise ValueError(f"A FLOPS budget must be a positive number of multiply-adds, got {multiply_adds!r}; "
                         f"B0 alone needs {base_cost / 1e9:.3f} billion.")
    if multiply_adds < base_cost:
        raise ValueError(f"A budget of {multiply_adds / 1e9:g} billion multiply-adds is below B0's own "
                         f"{base_cost / 1e9:.3f} billion ({base_cost:,}): no network of the family fits. "
                         f"Type a budget of at least {math.ceil(base_cost / 1e7) / 100:g}.")

    if cost(scale(base, *compound(PHI_MAX, alpha, beta, gamma))).multiply_adds <= multiply_adds:
        return PHI_MAX
    return phi_for_budget(multiply_adds, base, alpha, beta, gamma)   # exact on the 0.01 grid


def budget_note(s: Snapshot, multiply_adds: float) -> str:
    """One sentence on what a budget allows, read off the same snapshot as the table below it."""
    network = f"a network of {s.cost.multiply_adds:,} multiply-adds ({s.cost.multiply_adds / multiply_adds:.1%} of the budget)"
    if s.phi >= PHI_MAX:
        return (f"Budget {multiply_adds / 1e9:g} billion multiply-adds: even phi = {s.phi:.2f}, the slider's end, "
                f"fits: {network}.")
    return (f"Budget {multiply_adds / 1e9:g} billion multiply-adds: phi = {s.phi:.2f} is the largest (to 0.01) "
            f"that fits, {network}.")
