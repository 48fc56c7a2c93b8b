"""The objective of the architecture search that found B0 (Section 4), applied to models we know.

The search (MnasNet's, with FLOPS in place of latency) ranks a candidate network m by

    ACC(m) x [FLOPS(m) / T] ^ w,        T = 400M multiply-adds (the target), w = -0.07

so a model pays for its FLOPS in accuracy: twice the FLOPS multiplies the score by 2^w, and must
buy about 5% more accuracy (relative) to break even.

    >>> round(2 ** PAPER_W, 3)                 # the score of a model with twice the FLOPS, same accuracy
    0.953

With one exponent for every model, as the paper writes the objective, T multiplies every score by
the same factor T^-w: it sets the scale of the scores, never their order. Only w decides which
model wins. Applied to Table 2 (printed accuracy, the library's FLOPS):

    >>> preferred(table_2_candidates())
    'b0'
    >>> preferred(table_2_candidates(), target=37e9) == preferred(table_2_candidates(), target=1e8)
    True
"""
from __future__ import annotations

import math
from typing import Mapping, NamedTuple

from .cost import cost
from .paper import TABLE_2

PAPER_W = -0.07        # Section 4: the trade-off between accuracy and FLOPS
PAPER_TARGET = 400e6   # Section 4: B0's FLOPS target, in multiply-adds


class Candidate(NamedTuple):
    """A model as the objective sees it: its accuracy (any scale, e.g. top-1 in %) and its FLOPS."""

    accuracy: float
    multiply_adds: float


def check_settings(target: float, w: float) -> None:
    """Refuse a target or an exponent the objective cannot use, saying why."""
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not math.isfinite(target) or target <= 0:
        raise ValueError(f"the FLOPS target T must be a positive number of multiply-adds (the paper's is "
                         f"400M = 4e8), got {target!r}.")
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
        raise ValueError(f"w must be a finite number (the paper's is -0.07), got {w!r}.")
    if w > 0:
        raise ValueError(f"w = {w:g} > 0 would reward FLOPS: the score would grow with cost and the search "
                         f"would prefer ever bigger networks. Use w <= 0 (the paper's is -0.07; 0 ignores FLOPS).")


def objective(accuracy: float, multiply_adds: float, target: float = PAPER_TARGET, w: float = PAPER_W) -> float:
    """ACC(m) x [FLOPS(m) / T]^w: Section 4's score of one model.

    >>> round(objective(77.1, 400e6), 2)       # at the target, the score is the accuracy
    77.1
    """
    check_settings(target, w)
    if not multiply_adds > 0:
        raise ValueError(f"a model's FLOPS must be positive, got {multiply_adds!r}.")
    return accuracy * (multiply_adds / target) ** w


def scores(candidates: Mapping[str, Candidate], target: float = PAPER_TARGET,
           w: float = PAPER_W) -> dict[str, float]:
    """Every candidate's score, in the candidates' order."""
    check_settings(target, w)
    return {name: objective(c.accuracy, c.multiply_adds, target, w) for name, c in candidates.items()}


def preferred(candidates: Mapping[str, Candidate], target: float = PAPER_TARGET, w: float = PAPER_W) -> str:
    """The name of the candidate the objective scores highest."""
    if not candidates:
        raise ValueError("no candidates to rank; give at least one {name: Candidate(accuracy, multiply_adds)}.")
    ranked = scores(candidates, target, w)
    return max(ranked, key=ranked.get)


def break_even_w(cheaper: Candidate, dearer: Candidate) -> float:
    """The w at which two models score the same: above it (closer to 0) the dearer, more accurate one wins.

    From ACC_a x F_a^w = ACC_b x F_b^w: w = -ln(ACC_b / ACC_a) / ln(F_b / F_a).
    """
    if not dearer.multiply_adds > cheaper.multiply_adds:
        raise ValueError("break_even_w compares a cheaper model with a dearer one; swap them.")
    return -math.log(dearer.accuracy / cheaper.accuracy) / math.log(dearer.multiply_adds / cheaper.multiply_adds)


def table_2_candidates() -> dict[str, Candidate]:
    """B0..B7 with Table 2's printed top-1 (arXiv v5) and the library's multiply-adds."""
    return {name: Candidate(row.top1, cost(name).multiply_adds) for name, row in TABLE_2.items()}


def preferred_by_w(candidates: Mapping[str, Candidate], ws) -> list[tuple[float, str]]:
    """(w, the preferred model) for each w in `ws`: the step function that the w slider walks along."""
    return [(w, preferred(candidates, PAPER_TARGET, w)) for w in ws]
