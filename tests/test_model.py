"""The modules: MBConv, squeeze-and-excitation, stochastic depth, the network and its errors."""
import pytest
import torch

import effnet_lib as en
from effnet_lib.model.layers import Conv2d, stochastic_depth


def test_b0_has_5_3m_parameters_like_torchvision():
    assert sum(p.numel() for p in en.efficientnet("b0").parameters()) == 5_288_548


def test_b0_uses_swish_and_se_on_the_block_input_channels():
    model = en.efficientnet("b0")
    block = model.stages[1][0]                   # 16 -> 24 channels, expanded to 96
    assert isinstance(block.depthwise[2], torch.nn.SiLU)
    assert block.squeeze_excite.reduce.out_channels == 4   # 16 input channels * 0.25, not 96 * 0.25
    assert block.squeeze_excite.reduce.in_channels == 96


def test_lite_has_no_squeeze_excite_and_relu6():
    model = en.efficientnet("lite0")
    assert not any(isinstance(m, en.SqueezeExcite) for m in model.modules())
    assert any(isinstance(m, torch.nn.ReLU6) for m in model.modules())


def test_batchnorm_uses_the_reference_constants():
    bn = en.efficientnet("b0").stem[0][1]
    assert bn.eps == 1e-3 and bn.momentum == 0.01   # TF's decay 0.99 is PyTorch momentum 0.01


def test_output_shape_and_dropout_before_classifier():
    model = en.efficientnet("b0", num_classes=10).eval()
    assert model(torch.randn(2, 3, 64, 64)).shape == (2, 10)
    assert model.dropout.p == 0.2 and en.efficientnet("b7", 10).dropout.p == 0.5


def test_small_b0_keeps_a_4x4_map_at_32_px():
    model = en.efficientnet("small-b0", num_classes=10).eval()
    assert model.features(torch.randn(1, 1, 32, 32)).shape[-2:] == (4, 4)


def test_stochastic_depth_keeps_the_expectation_and_is_off_in_eval():
    x = torch.ones(20000, 1, 1, 1)
    dropped = stochastic_depth(x, 0.2, training=True)
    assert set(dropped.unique().tolist()) == {0.0, 1.25}
    assert dropped.mean().item() == pytest.approx(1.0, abs=0.03)
    assert torch.equal(stochastic_depth(x, 0.2, training=False), x)


def test_same_padding_is_asymmetric_at_stride_2():
    conv = Conv2d(1, 1, 3, stride=2, padding="same")
    torch.nn.init.ones_(conv.weight)
    out = conv(torch.ones(1, 1, 4, 4))
    # TensorFlow pads one pixel at the bottom/right only, so the top-left window holds no padding
    # (symmetric padding would put the zeros there and give 4 in that corner).
    assert out[0, 0].tolist() == [[9.0, 6.0], [6.0, 4.0]]


def test_kaiming_init_of_convolutions():
    model = en.efficientnet("b0")
    weight = model.stages[3][0].expand[0].weight      # 1x1 conv, fan-out = out channels
    assert weight.std().item() == pytest.approx((2 / weight.shape[0]) ** 0.5, rel=0.1)


def test_wrong_input_channels_are_explained():
    model = en.efficientnet("small-b0", num_classes=10)
    with pytest.raises(ValueError, match=r"expects images shaped \(batch, 1, H, W\)"):
        model(torch.randn(1, 3, 32, 32))


def test_unknown_override_is_explained():
    with pytest.raises(ValueError, match="unknown field"):
        en.efficientnet("b0", widht=2)


def test_bad_num_classes_is_refused():
    with pytest.raises(ValueError, match="num_classes"):
        en.efficientnet("b0", num_classes=0)
