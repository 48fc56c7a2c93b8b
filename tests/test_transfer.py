"""Transfer learning: the pretrained Lite0 with a new classifier, on grey images made three-channel."""
from __future__ import annotations

import pytest
import torch

from effnet_lib.learn import transfer
from effnet_lib.learn.datasets import tiny_dataset
from effnet_lib.learn.train import History


@pytest.fixture(scope="module")
def grey():
    return tiny_dataset(train=32, test=16, image_size=16, channels=1, num_classes=4)


def test_grey_images_become_three_identical_channels_in_lite0s_range(grey):
    rgb = transfer.as_rgb(grey)
    assert rgb.channels == 3 and rgb.train_images.shape[0] == grey.train_images.shape[0]
    for c in range(3):
        assert torch.equal(rgb.train_images[:, c], grey.train_images[:, 0])
        assert torch.equal(rgb.test_images[:, c], grey.test_images[:, 0])
    assert rgb.mean == (0.5, 0.5, 0.5) and rgb.std == (0.5, 0.5, 0.5)   # (x - 0.5) / 0.5 lies in [-1, 1]


def test_colour_images_keep_their_pixels(grey):
    rgb = transfer.as_rgb(grey)
    assert transfer.as_rgb(rgb).train_images is rgb.train_images


def test_other_channel_counts_are_refused(grey):
    from dataclasses import replace
    two = replace(grey, train_images=grey.train_images.repeat(1, 2, 1, 1))
    with pytest.raises(ValueError, match="grey"):
        transfer.as_rgb(two)


def test_pretrained_lite0_keeps_its_features_and_gets_a_new_classifier():
    from effnet_lib.model.weights import lite0_pretrained
    imagenet = lite0_pretrained().model
    model = transfer.lite0_model(10, pretrained=True)
    assert model.classifier.out_features == 10 and model.num_classes == 10
    assert torch.equal(model.stem[0][0].weight, imagenet.stem[0][0].weight)
    assert torch.equal(model.stages[-1][0].project[0].weight, imagenet.stages[-1][0].project[0].weight)
    assert model.training   # ready to train
    scratch = transfer.lite0_model(10, pretrained=False)
    assert not torch.equal(scratch.stem[0][0].weight, imagenet.stem[0][0].weight)
    assert scratch.spec == model.spec   # the same network, only the starting weights differ


def test_bad_class_count_is_refused():
    with pytest.raises(ValueError, match="num_classes"):
        transfer.replace_classifier(transfer.lite0_model(10, pretrained=False), 0)


def test_both_arms_train_with_the_same_recipe_seed_and_resolution(grey, monkeypatch):
    calls = []

    def fake_train(model, data, recipe, **options):
        calls.append(dict(stem=model.stem[0][0].weight.detach().clone(), recipe=recipe, **options))
        return History(epochs=[{"epoch": 1, "test_accuracy": 0.5}], seed=options["seed"])

    monkeypatch.setattr(transfer, "train", fake_train)
    settings = transfer.TransferSettings(32, 16, image_size=32, epochs=1, batch_size=16)
    result = transfer.compare_transfer(transfer.as_rgb(grey), settings, seed=3, progress=False)
    assert len(calls) == 2
    pretrained, scratch = calls
    assert pretrained["recipe"] == scratch["recipe"] == settings.recipe()
    assert pretrained["seed"] == scratch["seed"] == 3
    assert pretrained["image_size"] == scratch["image_size"] == 32
    assert not torch.equal(pretrained["stem"], scratch["stem"])
    assert result.curves() == {"pretrained": [0.5], "scratch": [0.5]}
    assert result.to_dict()["settings"]["image_size"] == 32


def test_grey_data_must_be_made_three_channel_first(grey):
    with pytest.raises(ValueError, match="as_rgb"):
        transfer.compare_transfer(grey, transfer.SMOKE_MODE)


def test_cpu_mode_is_a_subset_and_gpu_mode_the_paper_resolution():
    assert transfer.CPU_MODE.train_images and transfer.CPU_MODE.image_size < 224
    assert transfer.GPU_MODE.train_images is None and transfer.GPU_MODE.image_size == 224


def test_each_run_gets_its_own_bar_counting_its_training_steps(grey, monkeypatch):
    # A bar over the two runs sat at 0/2 for minutes on a CPU: each run's bar counts its steps instead.
    given = []
    monkeypatch.setattr(transfer, "train", lambda model, data, recipe, **options: (
        given.append((options["label"], options["bar"], options["progress"]))
        or History(epochs=[{"epoch": 1, "test_accuracy": 0.5}])))

    def bar(iterable=None, *, label, total=None, **options):
        raise AssertionError("only the training loop calls the bar")

    settings = transfer.TransferSettings(32, 16, image_size=32, epochs=1, batch_size=16)
    transfer.compare_transfer(transfer.as_rgb(grey), settings, bar=bar)
    assert given == [("transfer: pretrained", bar, True), ("transfer: scratch", bar, True)]
