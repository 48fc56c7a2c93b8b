"""The two rounding rules of scaling, in one place: channels to a multiple of 8 (never 10% low),
repeats always up. Every scaled table in the course goes through these two functions.
"""
from __future__ import annotations

import math


def round_filters(channels: int, width: float = 1.0, divisor: int = 8) -> int:
    """Channels after width scaling: the nearest multiple of `divisor`, never 10% below the exact value.

    This is the rule of the TensorFlow reference and of torchvision (`_make_divisible`): hardware
    likes multiples of 8, but rounding down by more than 10% would lose too much capacity.

    >>> round_filters(16, width=1.2)   # 19.2 rounds to 16, more than 10% low, so one step up
    24
    >>> round_filters(32, width=1.1)
    32
    """
    exact = channels * width
    rounded = max(divisor, int(exact + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * exact:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, depth: float = 1.0) -> int:
    """Layers after depth scaling: always rounded up, so a stage never loses its last layer.

    >>> round_repeats(3, depth=1.1)
    4
    """
    return int(math.ceil(repeats * depth))
