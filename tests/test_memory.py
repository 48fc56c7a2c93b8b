"""Eq. 2's memory is not the parameter count: activations grow with r^2, weights do not grow with r at all."""
import pytest

import effnet_lib as en
from effnet_lib.rules.memory import activations


def test_b0_tensors_for_one_image():
    m = activations(en.B0)
    # The image, the stem's 32 x 112 x 112, then each block's output.
    assert m.largest == 32 * 112 * 112
    assert m.total == 3 * 224 ** 2 + 32 * 112 ** 2 + sum(b.out_channels * b.out_size ** 2 for b in en.blocks(en.B0))
    assert m.total_megabytes == pytest.approx(m.total * 4 / 1e6)


def test_resolution_quadruples_memory_and_leaves_parameters_alone():
    doubled = en.scale(en.B0, resolution=2)
    assert activations(doubled).total == 4 * activations(en.B0).total
    assert en.cost(doubled).parameters == en.cost(en.B0).parameters


def test_depth_and_width_grow_parameters_faster_than_memory():
    for change in (dict(depth=2), dict(width=2)):
        spec = en.scale(en.B0, **change)
        memory = activations(spec).total / activations(en.B0).total
        weights = en.cost(spec).parameters / en.cost(en.B0).parameters
        assert 1 < memory < weights


def test_memory_grows_faster_than_parameters_along_the_published_family():
    ratios = [activations(f"b{k}").total / en.cost(f"b{k}").parameters for k in range(8)]
    assert ratios == sorted(ratios)


def test_image_size_argument_is_pixels():
    assert activations("b0", image_size=448) == activations(en.B0.with_(image_size=448))
