"""The analytic cost model against the paper's Table 2, torchvision's metadata and PyTorch's counter."""
import subprocess
import sys

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import effnet_lib as en

# Table 2 of the paper (arXiv v5): parameters in millions and FLOPS (multiply-adds) in billions.
# Kept as printed, so the test knows how many digits the paper rounded to.
TABLE_2 = {"b0": ("5.3", "0.39"), "b1": ("7.8", "0.70"), "b2": ("9.2", "1.0"), "b3": ("12", "1.8"),
           "b4": ("19", "4.2"), "b5": ("30", "9.9"), "b6": ("43", "19"), "b7": ("66", "37")}


def _printed_tolerance(printed: str) -> float:
    """Half a unit in the last printed digit: what rounding for print can hide."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10 ** -decimals


def _torchvision_parameters(name: str) -> int:
    """The parameter count torchvision's weight metadata records for EfficientNet-`name`."""
    import torchvision.models as tvm
    weights = getattr(tvm, f"EfficientNet_{name.upper()}_Weights").IMAGENET1K_V1
    return weights.meta["num_params"]


@pytest.mark.parametrize("name", TABLE_2)
def test_parameters_match_table_2(name):
    # Rounding for print, plus 1%: B2 has 9.11M parameters (torchvision agrees) but is printed 9.2M.
    printed = TABLE_2[name][0]
    tolerance = _printed_tolerance(printed) + 0.01 * float(printed)
    assert en.cost(name).parameters / 1e6 == pytest.approx(float(printed), abs=tolerance)


@pytest.mark.parametrize("name", TABLE_2)
def test_multiply_adds_match_table_2(name):
    # The paper notes its FLOPS may differ slightly from theory; B4's 4.39B against 4.2B is the widest gap.
    printed = TABLE_2[name][1]
    tolerance = _printed_tolerance(printed) + 0.05 * float(printed)
    assert en.cost(name).multiply_adds / 1e9 == pytest.approx(float(printed), abs=tolerance)


@pytest.mark.parametrize("name", TABLE_2)
def test_parameters_match_torchvision_metadata(name):
    assert en.cost(name).parameters == _torchvision_parameters(name)


def _counted(spec, num_classes=1000):
    model = en.efficientnet(spec, num_classes).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, spec.in_channels, spec.image_size, spec.image_size))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


@pytest.mark.parametrize("name", ["b0", "lite0", "small-b0", "mobilenet-v1", "mobilenet-v2", "resnet-50"])
def test_cost_equals_built_model(name):
    spec = en.network(name)
    params, madds = _counted(spec)
    assert en.cost(spec) == (params, madds)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["b1", "b2", "b3", "b4", "b5", "b6", "b7"])
def test_multiply_adds_within_1_percent_of_pytorch_counter(name):
    params, madds = _counted(en.network(name))
    assert en.cost(name).parameters == params
    assert en.cost(name).multiply_adds == pytest.approx(madds, rel=0.01)


def test_odd_resolution_and_scaled_table_cost_equals_model():
    spec = en.scale(en.B0, depth=1.3, width=0.75, resolution=0.6)   # 134 px: odd sizes at every stride
    params, madds = _counted(spec, num_classes=10)
    assert en.cost(spec, num_classes=10) == (params, madds)


def test_compound_flops_double_per_phi():
    madds = [en.cost(en.scale(en.B0, *en.compound(phi))).multiply_adds for phi in range(11)]
    steps = [b / a for a, b in zip(madds, madds[1:])]
    assert all(1.5 < s < 2.7 for s in steps)     # rounding repeats up makes single steps uneven
    assert (madds[-1] / madds[0]) ** (1 / 10) == pytest.approx(en.multiply_adds_growth(), rel=0.05)


def test_flops_grow_like_d_w2_r2():
    base = en.cost(en.B0).multiply_adds
    assert en.cost(en.scale(en.B0, depth=2)).multiply_adds / base == pytest.approx(2, rel=0.15)
    assert en.cost(en.scale(en.B0, width=2)).multiply_adds / base == pytest.approx(4, rel=0.15)
    assert en.cost(en.scale(en.B0, resolution=2)).multiply_adds / base == pytest.approx(4, rel=0.05)


def test_phi_10_is_costed_without_building_anything():
    # In a fresh interpreter: scaling and costing must not even import torch, so no module can be built.
    script = ("import sys, effnet_lib as en\n"
              "spec = en.scale(en.B0, *en.compound(10))\n"
              "print(en.cost(spec).multiply_adds, spec.image_size, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 200e9 and out[1] == "906" and out[2] == "False"


def test_budget_picks_the_largest_phi_that_fits():
    budget = 1.8e9
    phi = en.phi_for_budget(budget)
    fits = en.cost(en.scale(en.B0, *en.compound(phi))).multiply_adds
    beyond = en.cost(en.scale(en.B0, *en.compound(phi + 0.02))).multiply_adds
    assert fits <= budget < beyond


def test_budget_below_the_baseline_is_explained():
    with pytest.raises(ValueError, match="below the baseline"):
        en.phi_for_budget(1e6)


@pytest.mark.parametrize("resolution", [16, 31, 0])
def test_resolution_too_small_for_the_strides_is_refused(resolution):
    with pytest.raises(ValueError, match="at least 32 px"):
        en.cost("b0", image_size=resolution)
    with pytest.raises(ValueError, match="at least 32 px"):
        en.efficientnet("b0", image_size=resolution)


def test_paper_module_quotes_table_2_as_printed():
    from effnet_lib.rules import paper
    for name, (parameters, flops) in TABLE_2.items():
        assert paper.TABLE_2[name].parameters_millions == float(parameters)
        assert paper.TABLE_2[name].multiply_adds_billions == float(flops)


def test_readme_table_2_is_what_the_report_computes():
    from pathlib import Path

    from effnet_lib.face.report import format_table2
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert format_table2() in readme, "README's Table 2 is stale: paste `python -m effnet_lib.face.report table2`"


def test_resnet_152_matches_torchvision_metadata():
    from torchvision.models import ResNet50_Weights, ResNet152_Weights
    assert en.cost("resnet-50").parameters == ResNet50_Weights.IMAGENET1K_V1.meta["num_params"]
    assert en.cost("resnet-152").parameters == ResNet152_Weights.IMAGENET1K_V1.meta["num_params"]
