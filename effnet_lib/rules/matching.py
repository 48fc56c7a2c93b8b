"""Matching cost: which multiplier of one scaling strategy gives a network of a given cost?

The paper compares scaling strategies at equal FLOPS (Figure 8, Table 7): a depth-only model is set
beside a compound model that costs about as much. Rounding (repeats up, channels to multiples of 8,
pixels to whole numbers) makes cost a staircase in every multiplier, so no formula inverts it;
instead this module walks the staircase with the real analytic cost of each candidate table.

Cost never falls as a multiplier grows, so a bisection over a grid of multipliers (steps of 0.01 in
d, w and phi; whole pixels in r) finds the last step that fits a budget, and the step after it.
Every matcher in the course is one of these two calls:

* :func:`largest_within` -- the largest multiplier whose network fits a budget (the explorer's
  budget mode, `cost.phi_for_budget`, notebook 2's "what does twice the FLOPS buy");
* :func:`nearest` -- the multiplier whose cost is closest to a target on a log scale (the rivals
  of each compound model in the scaling study).

    >>> from effnet_lib.rules.architecture import SMALL_B0
    >>> m = nearest(SMALL_B0, "width", 2 * cost(SMALL_B0, num_classes=10).multiply_adds, num_classes=10)
    >>> m.strategy, round(m.multiplier, 2), m.depth, m.resolution    # w^2 = 2 needs w near sqrt(2)
    ('width', 1.44, 1.0, 1.0)
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

from .architecture import Network
from .cost import cost
from .families import resolve
from .paper import ALPHA, BETA, GAMMA
from .vocabulary import SCALINGS
from .scaling import compound, scale

_LIMIT = 1 << 16          # grid steps searched at most: far past any budget a course would set


class Match(NamedTuple):
    """A scaled network found for a cost: the strategy, its multiplier(s) and what it really costs."""

    strategy: str
    multiplier: float       # d, w or r for one dimension; phi for compound
    depth: float
    width: float
    resolution: float
    network: Network
    multiply_adds: int


def check_strategy(strategy: str) -> str:
    """Refuse a strategy outside the closed list, saying which ones exist."""
    if strategy not in SCALINGS:
        raise ValueError(f"unknown scaling strategy {strategy!r}; choose one of {', '.join(SCALINGS)}.")
    return strategy


class _Grid(NamedTuple):
    """The multipliers searched: step k is 1 + k * step in d or w, k * step in phi, base + k pixels in r."""

    base: Network
    strategy: str
    step: float
    num_classes: int
    alpha: float
    beta: float
    gamma: float


@lru_cache(maxsize=8192)
def _at(grid: _Grid, k: int) -> Match:
    if grid.strategy == "resolution":
        m = d = w = 1.0
        r = m = (grid.base.image_size + k) / grid.base.image_size
    elif grid.strategy == "compound":
        m = round(k * grid.step, 9)
        d, w, r = compound(m, grid.alpha, grid.beta, grid.gamma)
    else:
        m = round(1.0 + k * grid.step, 9)
        d, w, r = (m if grid.strategy == "depth" else 1.0), (m if grid.strategy == "width" else 1.0), 1.0
    network = scale(grid.base, depth=d, width=w, resolution=r)
    return Match(grid.strategy, m, d, w, r, network, cost(network, num_classes=grid.num_classes).multiply_adds)


def _grid(base, strategy, step, num_classes, alpha, beta, gamma) -> _Grid:
    if not 0 < step <= 1:
        raise ValueError(f"step must be in (0, 1], got {step!r}.")
    return _Grid(resolve(base), check_strategy(strategy), step, num_classes, alpha, beta, gamma)


def _last_step_within(grid: _Grid, budget: float) -> int:
    """The last grid step whose cost is <= budget (-1 if even the baseline costs more)."""
    def fits(k):
        return _at(grid, k).multiply_adds <= budget

    if not fits(0):
        return -1
    low, high = 0, 1
    while fits(high):                     # double until past the budget
        low, high = high, high * 2
        if high > _LIMIT:
            raise ValueError(f"a budget of {budget:,.0f} multiply-adds is beyond {grid.strategy} scaling's "
                             f"range here; check its units (multiply-adds, not billions).")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def largest_within(base: str | Network, strategy: str, multiply_adds: float, num_classes: int = 1000,
                   alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA, step: float = 0.01) -> Match:
    """The largest multiplier of `strategy` whose network costs at most `multiply_adds`.

    >>> from effnet_lib.rules.architecture import B0
    >>> m = largest_within(B0, "resolution", 2 * cost(B0).multiply_adds)
    >>> m.network.image_size, m.multiply_adds <= 2 * cost(B0).multiply_adds   # not 224 * sqrt(2) = 317
    (308, True)
    """
    grid = _grid(base, strategy, step, num_classes, alpha, beta, gamma)
    k = _last_step_within(grid, multiply_adds)
    if k < 0:
        raise ValueError(f"a budget of {multiply_adds:,.0f} multiply-adds is below the baseline's own "
                         f"{_at(grid, 0).multiply_adds:,}; raise the budget or start from a smaller base.")
    return _at(grid, k)


def nearest(base: str | Network, strategy: str, multiply_adds: float, num_classes: int = 1000,
            alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA, step: float = 0.01) -> Match:
    """The multiplier of `strategy` whose network's cost is nearest `multiply_adds` (on a log scale).

    Of two grid steps that build the same network, the smaller multiplier is returned: it is the
    one that names the step of the staircase.
    """
    grid = _grid(base, strategy, step, num_classes, alpha, beta, gamma)
    below = _last_step_within(grid, multiply_adds)
    options = [_at(grid, k) for k in (below, below + 1) if k >= 0]   # the steps either side of the target
    best = min(options, key=lambda m: abs(math.log(m.multiply_adds / multiply_adds)))
    # Many multipliers build this network (a staircase step); name it by the smallest of them.
    first = _last_step_within(grid, best.multiply_adds - 1) + 1
    return _at(grid, first) if same_network(_at(grid, first).network, best.network) else best


def same_network(a: Network, b: Network) -> bool:
    """Whether two tables build the same network: the same stages, stem, head and image size.

    (`Network.depth` and `.width` record the multipliers asked for, which differ between two
    multipliers that round to one table.)
    """
    return (a.stages, a.image_size, a.stem_channels, a.head_channels) == \
        (b.stages, b.image_size, b.stem_channels, b.head_channels)
