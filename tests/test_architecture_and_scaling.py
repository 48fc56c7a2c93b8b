"""Table 1 as data and the scaling rules of Section 3 (Eq. 2 and Eq. 3)."""
import subprocess
import sys

import pytest

import effnet_lib as en
from effnet_lib.rules.scaling import round_filters, round_repeats


def test_b0_table_matches_table_1():
    # Table 1 of the paper: operator, input resolution, output channels, layers, row by row.
    expected = [("Conv3x3", 224, 32, 1), ("MBConv1, k3x3", 112, 16, 1), ("MBConv6, k3x3", 112, 24, 2),
                ("MBConv6, k5x5", 56, 40, 2), ("MBConv6, k3x3", 28, 80, 3), ("MBConv6, k5x5", 14, 112, 3),
                ("MBConv6, k5x5", 14, 192, 4), ("MBConv6, k3x3", 7, 320, 1),
                ("Conv1x1 & Pooling & FC", 7, 1280, 1)]
    rows = [(r["operator"], r["image_size"], r["channels"], r["layers"]) for r in en.B0.rows()]
    assert rows == expected
    assert "MBConv6, k5x5" in str(en.B0) and "<table>" in en.B0._repr_html_()


def test_b0_has_16_blocks_and_total_stride_32():
    assert en.B0.num_blocks == 16 and en.B0.total_stride == 32


def test_stochastic_depth_rises_linearly_to_0_2():
    rates = [b.drop_rate for b in en.blocks(en.B0)]
    assert rates[0] == 0.0 and rates == sorted(rates)
    assert rates[-1] == pytest.approx(0.2 * 15 / 16)


def test_round_filters_never_loses_more_than_10_percent():
    assert round_filters(16, 1.2) == 24          # 19.2 -> 16 would be 17% low (the B3 case)
    assert round_filters(32, 1.1) == 32
    assert round_filters(320, 2.0) == 640
    assert round_filters(3, 1.0) == 8             # never below one multiple of 8
    for channels in (16, 24, 40, 80, 112, 192, 320, 1280):
        for width in (0.5, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 3.8):
            out = round_filters(channels, width)
            assert out % 8 == 0 and out >= 0.9 * channels * width


def test_round_repeats_rounds_up():
    assert round_repeats(1, 1.1) == 2 and round_repeats(4, 3.1) == 13 and round_repeats(3, 1.0) == 3


def test_compound_coefficients_at_phi_1_are_the_grid_search_result():
    d, w, r = en.compound(1)
    assert (d, w, r) == pytest.approx((1.2, 1.1, 1.15))


def test_alpha_beta2_gamma2_is_about_2():
    assert en.multiply_adds_growth() == pytest.approx(2.0, abs=0.1)


def test_published_b1_is_not_the_compound_rule():
    rule = en.scale(en.B0, *en.compound(1))
    assert rule.image_size == 258 and en.network("b1").image_size == 240
    assert en.network("b1").width == 1.0 and rule.width == pytest.approx(1.1)


def test_scale_is_pure_and_builds_no_module():
    # A fresh interpreter: B0 is unchanged by scaling, and torch (so any nn.Module) was never imported.
    script = ("import copy, sys, effnet_lib as en\n"
              "before = copy.deepcopy(en.B0)\n"
              "scaled = en.scale(en.B0, depth=2.0, width=1.5, resolution=1.3)\n"
              "print(en.B0 == before, scaled.image_size, scaled.stages[1].repeats, scaled.stem_channels,\n"
              "      'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "291", "4", "48", "False"]


def test_every_block_kind_is_one_registry_entry_with_a_module():
    from effnet_lib.model.layers import BLOCK_MODULES
    from effnet_lib.rules.blocks import KINDS
    assert set(KINDS) == set(BLOCK_MODULES) == {"mbconv", "separable", "bottleneck", "fused_mbconv"}


def test_unknown_block_kind_is_refused_where_the_table_is_made():
    with pytest.raises(ValueError, match="unknown block kind 'fused'.*mbconv, separable, bottleneck"):
        en.Stage("fused", 3, 1, 4, 24, 2)


def test_every_table_states_output_channels_in_the_same_column():
    # ResNet-50's first stage: 256 channels out of 64 inside, as torchvision builds it.
    first = en.RESNET_50.stages[0]
    assert first.channels == 256 and next(en.blocks(en.RESNET_50)).hidden_channels == 64
    assert en.scale(en.RESNET_50, width=2).stages[0].channels == 512


@pytest.mark.parametrize("field, bad", [("activation", "gelu"), ("padding", "valid")])
def test_unknown_conventions_are_refused(field, bad):
    with pytest.raises(ValueError, match=field):
        en.B0.with_(**{field: bad})


def test_lite_keeps_stem_head_and_end_stages():
    lite4 = en.network("lite4")
    assert lite4.stem_channels == 32 and lite4.head_channels == 1280
    assert lite4.stages[0].repeats == 1 and lite4.stages[-1].repeats == 1
    assert lite4.stages[1].repeats == 4 and lite4.se_ratio == 0 and lite4.activation == "relu6"


def test_constrained_grid_contains_the_papers_choice():
    grid = en.constrained_grid(step=0.05, upper=1.5, tolerance=0.1)
    assert (1.2, 1.1, 1.15) in grid
    assert all(abs(c.growth - 2) <= 0.1 for c in grid)


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "2"])
def test_bad_phi_is_refused_with_a_hint(bad):
    with pytest.raises(ValueError, match="phi must be"):
        en.compound(bad)


@pytest.mark.parametrize("field", ["depth", "width"])
@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_width_or_depth_not_positive_is_refused(field, bad):
    with pytest.raises(ValueError, match=f"{field} must be a finite number greater than 0"):
        en.scale(en.B0, **{field: bad})


def test_resolution_in_pixels_by_mistake_is_explained():
    with pytest.raises(ValueError, match="multiplier"):
        en.scale(en.B0, resolution=240)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="b0, b1.*lite0.*resnet-50"):
        en.network("b9")
