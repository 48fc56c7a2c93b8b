"""Notebook 9's claims about the papers after EfficientNet: the library's Fused-MBConv, EfficientNetV2-S,
progressive learning, FixRes's crop geometry and fast scaling, each set beside its source (the papers'
abstracts and tables, the reference code, torchvision) as `effnet_lib.rules.paper` quotes them."""
import math
import statistics

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import effnet_lib as en
from effnet_lib.rules import fixres, matching, memory, paper, scaling
from effnet_lib.rules.efficientnetv2 import V2_S, fuse, progressive_learning


def _counted(spec):
    model = en.efficientnet(spec).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, spec.in_channels, spec.image_size, spec.image_size))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


# --------------------------------------------------------------------------- Fused-MBConv and EfficientNetV2

@pytest.mark.parametrize("spec", [fuse(en.B0, 3).with_(image_size=64), fuse(en.B0, 7).with_(image_size=64),
                                  V2_S.with_(image_size=64)], ids=["b0-fused-1-3", "b0-all-fused", "v2-s"])
def test_fused_mbconv_cost_equals_the_built_network(spec):
    assert _counted(spec) == tuple(en.cost(spec))


def test_efficientnetv2_s_is_torchvisions_network():
    from torchvision.models import get_weight

    meta = get_weight("EfficientNet_V2_S_Weights.IMAGENET1K_V1").meta
    ours = en.cost(V2_S)
    assert ours.parameters == meta["num_params"] == 21_458_488
    assert round(ours.multiply_adds / 1e9, 3) == meta["_ops"]          # torchvision's GFLOPS are multiply-adds


def test_efficientnetv2_s_reproduces_the_readmes_parameters_and_flops():
    ours = en.cost(V2_S)
    assert round(ours.parameters / 1e6, 1) == paper.V2_S_PUBLISHED.parameters_millions
    assert round(ours.multiply_adds / 1e9, 1) == paper.V2_S_PUBLISHED.multiply_adds_billions


def test_fused_block_computes_what_torchvisions_fused_mbconv_computes():
    from torchvision.models.efficientnet import FusedMBConv as TorchvisionFused, FusedMBConvConfig

    from effnet_lib.model.layers import FusedMBConv

    torch.manual_seed(0)
    for expand, stride, cin, cout in ((4, 2, 24, 48), (4, 1, 48, 48), (1, 1, 24, 24)):
        spec = en.B0.with_(bn_eps=1e-3)
        block = next(b for b in en.blocks(V2_S) if (b.in_channels, b.out_channels, b.stride) == (cin, cout, stride))
        ours = FusedMBConv(block, spec).eval()
        theirs = TorchvisionFused(FusedMBConvConfig(expand, 3, stride, cin, cout, 1), 0.0,
                                  lambda c: torch.nn.BatchNorm2d(c, eps=1e-3)).eval()
        mine = [p for m in ours.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d))
                for p in (*m.parameters(), *m.buffers())]
        other = [p for m in theirs.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d))
                 for p in (*m.parameters(), *m.buffers())]
        assert [p.shape for p in mine] == [p.shape for p in other]
        with torch.no_grad():
            for a, b in zip(mine, other):
                b.copy_(torch.rand_like(b.float()).to(b.dtype) + (0.5 if b.dtype.is_floating_point else 0))
                a.copy_(b)
            x = torch.randn(2, cin, 16, 16)
            assert torch.allclose(ours(x), theirs(x), atol=1e-5)


def test_fusing_changes_only_the_kind_of_the_first_stages():
    assert fuse(en.B0, 0) is en.B0
    three = fuse(en.B0, 3)
    assert [s.kind for s in three.stages] == ["fused_mbconv"] * 3 + ["mbconv"] * 4
    assert [(s.kernel, s.stride, s.expand_ratio, s.channels, s.repeats) for s in three.stages] == \
        [(s.kernel, s.stride, s.expand_ratio, s.channels, s.repeats) for s in en.B0.stages]
    assert all(b.se_channels == 0 for b in en.blocks(three) if b.kind == "fused_mbconv")
    with pytest.raises(ValueError, match="from 0 to 7"):
        fuse(en.B0, 8)
    with pytest.raises(ValueError, match="only MBConv stages"):
        fuse(en.RESNET_50, 1)


def test_fused_early_stages_cost_more_multiply_adds_than_mbconv():
    """What notebook 9 sets against the measured time: fusing adds multiply-adds at every stage."""
    madds = [en.cost(fuse(en.B0, k)).multiply_adds for k in range(8)]
    assert madds == sorted(madds) and madds[3] > 1.9 * madds[0]


def test_progressive_learning_is_the_reference_codes_schedule():
    training = paper.V2_S_TRAINING
    plan = progressive_learning(training["train_size"], training["randaugment"], training["mixup"])
    # main.py: image_size = int(ibase + (size - ibase) * (stage + 1) / stages), ibase = 128;
    # RandAugment np.linspace(5, ram, stages), mixup np.linspace(0, alpha, stages).
    assert [s.image_size for s in plan] == [int(128 + 172 * (k + 1) / 4) for k in range(4)] == [171, 214, 257, 300]
    assert [round(s.randaugment, 2) for s in plan] == [5.0, 6.67, 8.33, 10.0]
    assert [s.ends_at for s in plan] == [0.25, 0.5, 0.75, 1.0] and all(s.mixup == 0 for s in plan)
    assert [round(s.mixup, 3) for s in progressive_learning(384, 15, 0.2)] == [0.0, 0.067, 0.133, 0.2]


# --------------------------------------------------------------------------- FixRes

def test_the_plain_sampler_draws_torchvisions_random_resized_crops():
    from torchvision.transforms import RandomResizedCrop

    torch.manual_seed(0)
    image = torch.zeros(3, 256, 256)
    theirs = []
    for _ in range(20_000):
        _, _, h, w = RandomResizedCrop.get_params(image, list(paper.RANDOM_RESIZED_CROP_SCALE),
                                                  list(paper.RANDOM_RESIZED_CROP_RATIO))
        theirs.append(1 / math.sqrt(h * w / 256 ** 2))
    ours = fixres.sample_magnifications(20_000, seed=1)
    assert statistics.fmean(ours) == pytest.approx(statistics.fmean(theirs), rel=0.01)
    assert statistics.median(ours) == pytest.approx(statistics.median(theirs), rel=0.02)


def test_clipping_makes_real_crops_smaller_than_the_uniform_area_says():
    real = statistics.fmean(fixres.sample_magnifications(20_000))
    assert fixres.mean_magnification() < real < 1.1 * fixres.mean_magnification()


def test_objects_look_larger_in_training_so_a_lower_train_resolution_helps():
    # FixRes's abstract: a lower train resolution improves the classification at test time.
    assert fixres.apparent_size_ratio(224, 224) > 1.3
    assert fixres.apparent_size_ratio(fixres.matching_test_size(224), fixres.matching_test_size(224)) > 1.3
    assert fixres.apparent_size_ratio(224, fixres.matching_test_size(224)) == pytest.approx(1, abs=0.01)
    assert fixres.apparent_size_ratio(128, 224) < 1 < fixres.apparent_size_ratio(224, 224)


def test_fixres_resnet_50_trained_at_128_px_costs_a_third_per_image():
    quoted = paper.FIXRES_RESNET_50
    assert sorted(quoted) == [128, 224] and quoted[128] < quoted[224]
    ratio = en.cost("resnet-50", image_size=128).multiply_adds / en.cost("resnet-50").multiply_adds
    assert round(ratio, 2) == 0.33


# --------------------------------------------------------------------------- fast scaling

@pytest.mark.parametrize("s", [2, 4, 16, 7.3])
def test_fast_scaling_is_the_reference_codes_d1_w8_r1(s):
    # pycls scaler.scaling_factors("d1_w8_g8_r1", s): d = s^(1/10), w = s^(8/10/2), r = s^(1/10/2).
    weights = {"d": 1, "w": 8, "r": 1}
    total = sum(weights.values())
    expected = (s ** (weights["d"] / total), s ** (weights["w"] / total / 2), s ** (weights["r"] / total / 2))
    assert scaling.fast(s) == pytest.approx(expected)
    assert paper.FAST_WIDTH_SHARE == weights["w"] / total


def test_width_share_one_is_width_alone_and_a_third_is_uniform():
    assert scaling.fast(4, width_share=1) == pytest.approx((1, 2, 1))
    d, w, r = scaling.fast(8, width_share=1 / 3)
    assert d == pytest.approx(w ** 2) == pytest.approx(r ** 2) == pytest.approx(2)   # FLOPS grow equally by each


def test_fast_scaling_is_eq_3_with_constants_that_double_flops_exactly():
    assert scaling.multiply_adds_growth(*scaling.fast(2)) == pytest.approx(2)
    for phi in (0.5, 1, 2, 3.7):
        assert en.compound(phi, *scaling.fast(2)) == pytest.approx(scaling.fast(2 ** phi))


def _activation_exponent(strategy, phi, constants=()):
    base_cost, base_values = en.cost(en.B0).multiply_adds, memory.activations(en.B0).total
    budget = en.cost(en.scale(en.B0, *en.compound(phi))).multiply_adds
    network = matching.nearest(en.B0, strategy, budget, 1000, *constants).network
    s = en.cost(network).multiply_adds / base_cost
    return math.log(memory.activations(network).total / base_values) / math.log(s)


@pytest.mark.parametrize("phi", [2, 3])
def test_fast_scaling_grows_activations_near_sqrt_s_and_compound_nearer_s(phi):
    # Dollar et al.'s abstract: about O(s) activations for the popular strategies, close to O(sqrt(s))
    # for fast scaling. The library's networks at compound's real cost, B0 as the base:
    fast = _activation_exponent("compound", phi, scaling.fast(2))
    compound = _activation_exponent("compound", phi)
    width, resolution = _activation_exponent("width", phi), _activation_exponent("resolution", phi)
    assert 0.45 < width < 0.5 < fast < 0.6 < compound < 0.8 < 0.95 < resolution


# --------------------------------------------------------------------------- what notebook 9 and its answers state

def test_the_numbers_notebook_9_and_its_worked_answers_state():
    from pathlib import Path

    answers = (Path(__file__).resolve().parent.parent / "solutions" / "answers" / "09_after_efficientnet.md").read_text()
    # FixRes: "about 1.36 times larger", "409 px", "1.07", "about 164 px", "1.44 instead of 1.36", "about 156 px".
    assert f"{fixres.apparent_size_ratio(224, 224):.2f}" == "1.36" and "1.36" in answers
    assert fixres.matching_test_size(300) == 409 and "409 px" in answers
    assert f"{fixres.apparent_size_ratio(300, 384):.2f}" == "1.07" and "is 1.07" in answers
    assert round(224 / fixres.apparent_size_ratio(1, 1)) == 164 and "about 164 px" in answers
    sampled = statistics.fmean(fixres.sample_magnifications(20_000)) * paper.CENTRE_CROP_FRACTION
    assert f"{sampled:.2f}" == "1.44" and round(224 / sampled) == 156 and "about 156 px" in answers
    # Fast against compound scaling at compound's cost: activations and parameters (question 5).
    for phi, values, parameters in ((2, "0.77", "1.62"), (3, "0.71", "1.99")):
        budget = en.cost(en.scale(en.B0, *en.compound(phi))).multiply_adds
        compound = matching.nearest(en.B0, "compound", budget).network
        fast = matching.nearest(en.B0, "compound", budget, 1000, *scaling.fast(2)).network
        ratio = memory.activations(fast).total / memory.activations(compound).total
        assert f"{ratio:.2f}" == values and f"{en.cost(fast).parameters / en.cost(compound).parameters:.2f}" == parameters
        assert f"{values} times" in " ".join(answers.split()) and f"{parameters} times" in " ".join(answers.split())
    # "Fusing B0's first three stages about doubles its multiply-adds" (the notebook's summary).
    assert round(en.cost(fuse(en.B0, 3)).multiply_adds / en.cost(en.B0).multiply_adds, 1) == 2.0
