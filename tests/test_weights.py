"""Weight import: torchvision's EfficientNets and the pretrained Lite0 on real photos."""
import pytest
import torch
import torchvision

import effnet_lib as en
from effnet_lib.model.weights import from_torchvision, lite0_checkpoint_path, lite0_pretrained

from . import lite0_reference


def _randomise_batchnorm(model):
    # Fresh BatchNorm is the identity; random statistics make a wrong eps or mapping show.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize("name", ["b0", "b2", pytest.param("b5", marks=pytest.mark.slow)])
def test_torchvision_import_gives_the_same_outputs(name):
    theirs = _randomise_batchnorm(getattr(torchvision.models, f"efficientnet_{name}")())
    ours = from_torchvision(theirs, name).eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)


def test_torchvision_state_dict_of_another_size_lists_the_keys():
    state = torchvision.models.efficientnet_b0().state_dict()
    with pytest.raises(ValueError, match="missing keys .*unexpected keys|wrong shape"):
        from_torchvision(state, "b1")


def test_state_dict_that_is_not_torchvision_is_explained():
    with pytest.raises(ValueError, match="classifier.1.weight"):
        from_torchvision({"fc.weight": torch.zeros(1)}, "b0")


def test_load_checked_names_missing_and_unexpected_keys():
    from effnet_lib.model.weights import load_checked
    model = en.efficientnet("small-b0", 10)
    state = dict(model.state_dict())
    state["extra.weight"] = state.pop("classifier.weight")
    with pytest.raises(ValueError, match=r"missing keys classifier.weight; unexpected keys extra.weight"):
        load_checked(model, state)


@pytest.fixture(scope="module")
def lite0():
    return lite0_pretrained()


def test_lite0_equals_the_reference_forward(lite0):
    state = torch.load(lite0_checkpoint_path(), map_location="cpu", weights_only=True)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(lite0.model(x), lite0_reference.forward(state, x), atol=1e-4)


def test_lite0_needs_tensorflow_padding(lite0):
    symmetric = en.efficientnet("lite0", padding="symmetric")
    symmetric.load_state_dict(lite0.model.state_dict())
    x = lite0.preprocess(__import__("skimage.data").data.chelsea())
    with torch.no_grad():
        assert (symmetric.eval()(x) - lite0.model(x)).abs().max() > 0.5


@pytest.mark.parametrize("photo, expected", [
    ("chelsea", {"tabby", "tiger cat", "Egyptian cat"}),
    ("coffee", {"espresso", "cup", "coffee mug"}),
    ("rocket", {"missile", "projectile", "space shuttle"}),
])
def test_lite0_classifies_real_photos(lite0, photo, expected):
    import skimage.data
    image = getattr(skimage.data, photo)()
    with torch.no_grad():
        probabilities = lite0.model(lite0.preprocess(image)).softmax(-1)[0]
    assert lite0.categories[probabilities.argmax()] in expected
    assert len(lite0.categories) == 1000


def test_preprocess_refuses_a_non_rgb_array(lite0):
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        lite0.preprocess(torch.zeros(5, 5, 5, 5).numpy())
