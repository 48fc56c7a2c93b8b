"""The receptive field of every stage, from the table, against a built network's gradients."""
import pytest
import torch

import effnet_lib as en
from effnet_lib.rules.receptive_field import first_stage_seeing_everything, receptive_field, stage_fields


def test_b0_fields_grow_by_kernel_minus_one_times_the_jump():
    fields = stage_fields(en.B0)
    assert [f.receptive_field for f in fields] == [3, 7, 19, 67, 147, 339, 787, 851]
    assert [f.jump for f in fields] == [2, 2, 4, 8, 16, 16, 32, 32]
    assert [f.output_size for f in fields] == [112, 112, 56, 28, 14, 14, 7, 7]   # Table 1's next row's input
    assert receptive_field(en.B0) == 851


def test_resnet_50_field_is_the_well_known_427():
    # The 7x7 stem, the 3x3 max-pool and 16 bottlenecks with one 3x3 each.
    assert receptive_field("resnet-50") == 427


@pytest.fixture(scope="module")
def lite0():
    # Lite0: no squeeze-excite, whose global average would let every pixel reach every output.
    torch.manual_seed(0)
    return en.efficientnet("lite0").eval()


def _measured_field(model, stages: int, image_size: int) -> int:
    """Pixels (per side) whose value reaches the centre output of the first `stages` stages, by gradient."""
    x = torch.randn(1, 3, image_size, image_size, requires_grad=True)
    y = model.stem(x)
    for stage in model.stages[:stages]:
        y = stage(y)
    centre = y.shape[-1] // 2
    y[0, :, centre, centre].sum().backward()
    rows = (x.grad[0].abs().sum(dim=(0, 2)) > 0).nonzero().flatten()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("stages, expected, image_size", [(1, 7, 32), (2, 19, 48), (3, 67, 96), (4, 147, 176)])
def test_field_equals_what_a_built_network_sees(lite0, stages, expected, image_size):
    assert stage_fields(lite0.spec)[stages].receptive_field == expected
    assert _measured_field(lite0, stages, image_size) == expected


def test_depth_only_over_reaches_resolution_only_under_reaches_compound_keeps_the_ratio():
    # At about four times B0's FLOPS: d = 4, r = 2, and Eq. 3 at phi = 2.
    base = stage_fields(en.B0)[-1].coverage
    depth = stage_fields(en.scale(en.B0, depth=4))[-1].coverage
    resolution = stage_fields(en.scale(en.B0, resolution=2))[-1].coverage
    compound = stage_fields(en.scale(en.B0, *en.compound(2)))[-1].coverage
    assert depth > 4 * base
    assert resolution == pytest.approx(base / 2)
    assert 1 < compound / base < 1.3


def test_image_size_changes_coverage_not_the_field():
    small, large = stage_fields(en.B0, 112), stage_fields(en.B0, 448)
    assert [f.receptive_field for f in small] == [f.receptive_field for f in large]
    assert small[-1].coverage == pytest.approx(4 * large[-1].coverage)
    assert first_stage_seeing_everything(en.B0) == 6
    assert first_stage_seeing_everything(en.B0, 112) == 5
    assert first_stage_seeing_everything(en.B0, 1000) is None


def test_which_stage_first_spans_the_image_at_about_four_times_the_flops():
    # Notebook 3: depth alone spans it two stages earlier than B0, resolution alone one stage later,
    # compound scaling at the same stage.
    assert first_stage_seeing_everything(en.scale(en.B0, depth=4)) == 4
    assert first_stage_seeing_everything(en.scale(en.B0, resolution=2)) == 7
    assert first_stage_seeing_everything(en.scale(en.B0, *en.compound(2))) == 6
