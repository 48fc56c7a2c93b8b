"""The train-test resolution discrepancy (Touvron et al., "Fixing the train-test resolution
discrepancy", NeurIPS 2019), computed from the two crops' geometry.

Training crops a random region (RandomResizedCrop: a share `sigma` of the image's area, drawn
uniformly from `scale`, at a random aspect ratio) and resizes it to `train_size`; testing resizes the
short side to `test_size / crop_fraction` and cuts the centre `test_size`. An object that spans a
fraction f of a square image's side is therefore `f * train_size / sqrt(sigma)` pixels wide in a
training crop (the geometric mean of its width and height) and `f * test_size / crop_fraction` in
the test crop. Averaged over sigma, objects look larger in training than at test time:

    >>> round(mean_magnification(), 3)                  # E[1 / sqrt(sigma)], sigma ~ U(0.08, 1)
    1.559
    >>> round(apparent_size_ratio(224, 224), 2)         # train 224, test 224 (resize 256, crop 224)
    1.36
    >>> matching_test_size(224)                         # the test crop at which the two agree on average
    306

`sample_magnifications` draws the magnification 1/sqrt(sigma) the way torchvision's
RandomResizedCrop draws its crops (ten tries, then the whole image), so the idealised mean above
can be checked against the real sampler (tests/test_after_efficientnet.py).
"""
from __future__ import annotations

import math
import random

from .paper import CENTRE_CROP_FRACTION, RANDOM_RESIZED_CROP_RATIO, RANDOM_RESIZED_CROP_SCALE


def _check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    low, high = scale
    if not 0 < low < high <= 1:
        raise ValueError(f"scale is the range of the crop's share of the image's area, 0 < low < high <= 1 "
                         f"(torchvision's default is (0.08, 1.0)), got {scale!r}.")
    return float(low), float(high)


def mean_magnification(scale: tuple[float, float] = RANDOM_RESIZED_CROP_SCALE) -> float:
    """E[1 / sqrt(sigma)] for sigma uniform on `scale`: how much larger, on average, a random crop shows
    an object than the whole image resized to the same size does. (2 (sqrt(b) - sqrt(a)) / (b - a).)"""
    low, high = _check_scale(scale)
    return 2 * (math.sqrt(high) - math.sqrt(low)) / (high - low)


def apparent_size_ratio(train_size: int, test_size: int, crop_fraction: float = CENTRE_CROP_FRACTION,
                        scale: tuple[float, float] = RANDOM_RESIZED_CROP_SCALE) -> float:
    """The average apparent size of an object in a training crop over its size in the test crop.

    Above 1, the network meets objects larger in training than it will at test time. Square images;
    `crop_fraction` is the test crop's share of the resized short side (224 / 256 by convention).
    """
    for name, value in (("train_size", train_size), ("test_size", test_size)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} is a crop size in pixels (e.g. 224), got {value!r}.")
    if not 0 < crop_fraction <= 1:
        raise ValueError(f"crop_fraction is the centre crop's share of the resized short side, in (0, 1] "
                         f"(224/256 = 0.875 by convention), got {crop_fraction!r}.")
    return train_size * mean_magnification(scale) * crop_fraction / test_size


def matching_test_size(train_size: int, crop_fraction: float = CENTRE_CROP_FRACTION,
                       scale: tuple[float, float] = RANDOM_RESIZED_CROP_SCALE) -> int:
    """The test crop size (pixels) at which objects appear, on average, as large as in training."""
    return round(train_size * apparent_size_ratio(1, 1, crop_fraction, scale))


def sample_magnifications(count: int, seed: int = 0, scale: tuple[float, float] = RANDOM_RESIZED_CROP_SCALE,
                          ratio: tuple[float, float] = RANDOM_RESIZED_CROP_RATIO, image_size: int = 256) -> list[float]:
    """`count` draws of 1/sqrt(crop area share) for a square image, as torchvision's RandomResizedCrop draws.

    Each try draws an area share uniformly from `scale` and an aspect ratio log-uniformly from
    `ratio`, and keeps the crop if its whole-pixel width and height fit inside the image; after ten
    failed tries the crop is the whole image (for a square image and a ratio range holding 1). The
    clipping rejects large, elongated crops, so real crops are a little smaller than `scale` says.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count is how many crops to draw, a whole number >= 1, got {count!r}.")
    low, high = _check_scale(scale)
    rng = random.Random(seed)
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    area = image_size * image_size
    draws = []
    for _ in range(count):
        share = 1.0
        for _ in range(10):
            target = area * rng.uniform(low, high)
            aspect = math.exp(rng.uniform(*log_ratio))
            width = int(round(math.sqrt(target * aspect)))
            height = int(round(math.sqrt(target / aspect)))
            if 0 < width <= image_size and 0 < height <= image_size:
                share = width * height / area
                break
        draws.append(1 / math.sqrt(share))
    return draws
