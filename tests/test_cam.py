"""Class activation maps (Figure 7): the wrapper explains the right class at the right place,
measures object mass correctly, refuses bad input clearly, and the shipped models are what
their records say."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("pytorch_grad_cam")

import effnet_lib
from effnet_lib.explain import cam
from effnet_lib.rules.cost import cost

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "cam_models"


def tiny_net(channels: int = 1, image_size: int = 16, num_classes: int = 4) -> effnet_lib.EfficientNet:
    spec = effnet_lib.scale(effnet_lib.SMALL_B0, depth=0.3, width=0.25).with_(
        image_size=image_size, in_channels=channels, head_channels=32)
    return effnet_lib.efficientnet(spec, num_classes=num_classes).eval()


class TwoBlobs(nn.Module):
    """Class 0 is the mean of the positive pixels, class 1 of the negative ones: the answer is known."""

    def __init__(self):
        super().__init__()
        self.features = nn.Conv2d(1, 2, 1, bias=False)
        with torch.no_grad():
            self.features.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        self.relu = nn.ReLU()
        self.classifier = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.classifier.weight.copy_(torch.eye(2))

    def forward(self, x):
        return self.classifier(self.relu(self.features(x)).mean((2, 3)))


def two_blob_image():
    image = torch.zeros(1, 1, 16, 16)
    image[..., 1:6, 1:6] = 1.0       # evidence for class 0, top left
    image[..., 10:15, 10:15] = -1.0  # evidence for class 1, bottom right
    top_left = np.zeros((1, 16, 16), bool)
    top_left[:, 1:6, 1:6] = True
    return image, top_left, top_left[:, ::-1, ::-1].copy()


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "layercam"])
def test_map_lies_on_the_evidence_for_the_class_asked(method):
    model = TwoBlobs()
    image, top_left, bottom_right = two_blob_image()
    for target, region in ((0, top_left), (1, bottom_right)):
        maps = cam.class_activation_maps(model, image, [target], method=method, layer="relu")
        assert cam.object_mass(maps, region)[0] > 0.95, (method, target)


def test_predicted_class_is_explained_when_none_is_given():
    model = TwoBlobs()
    image, top_left, _ = two_blob_image()
    image[..., 10:15, 10:15] = -0.2  # class 0 now wins
    maps = cam.class_activation_maps(model, image, classes=None, layer="relu")
    assert cam.object_mass(maps, top_left)[0] > 0.95


@pytest.mark.parametrize("method", list(cam.METHODS))
def test_every_method_gives_maps_in_unit_range_at_input_size(method):
    model = tiny_net()
    maps = cam.class_activation_maps(model, torch.randn(2, 1, 16, 16), [0, 3], method=method)
    assert maps.shape == (2, 16, 16)
    assert maps.dtype == np.float32
    assert maps.min() >= 0.0 and maps.max() <= 1.0 + 1e-6


def test_hooks_are_removed_after_the_maps():
    model = tiny_net()
    cam.class_activation_maps(model, torch.randn(1, 1, 16, 16), [1])
    assert not model.head._forward_hooks


def test_object_mass_of_an_even_map_is_the_object_area():
    masks = np.zeros((1, 8, 8), bool)
    masks[0, 2:6, 1:7] = True
    shares = cam.object_mass(np.ones((1, 8, 8)), masks)
    assert shares[0] == pytest.approx(masks.mean())


def test_object_mass_resizes_maps_and_marks_empty_maps():
    masks = np.zeros((2, 28, 28), bool)
    masks[:, :, :14] = True
    maps = np.zeros((2, 4, 4), np.float32)
    maps[0, :, :2] = 1.0                         # left half at 4 px is the left half at 28 px
    shares = cam.object_mass(maps, masks)
    assert shares[0] > 0.85
    assert np.isnan(shares[1])


def test_object_masks_are_the_nonzero_pixels():
    images = torch.zeros(2, 1, 5, 5, dtype=torch.uint8)
    images[0, 0, 1, 2] = 7
    masks = cam.object_masks(images)
    assert masks.shape == (2, 5, 5) and masks.sum() == 1 and masks[0, 1, 2]


# -- clear errors at the edge -------------------------------------------------------------------

def test_wrong_channels_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"grey \(1 channel\).*3 channel"):
        cam.class_activation_maps(tiny_net(), torch.randn(1, 3, 16, 16), [0])


def test_wrong_size_is_refused_with_the_expected_size():
    with pytest.raises(ValueError, match=r"expects 16 x 16 px.*got 28 x 28"):
        cam.class_activation_maps(tiny_net(), torch.randn(1, 1, 28, 28), [0])


def test_missing_layer_is_refused_with_suggestions():
    with pytest.raises(ValueError, match=r"no layer named 'haed'.*Did you mean 'head'"):
        cam.class_activation_maps(tiny_net(), torch.randn(1, 1, 16, 16), [0], layer="haed")


@pytest.mark.parametrize("bad", [4, -1])
def test_class_index_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match=rf"class index {bad} is out of range.*4 classes, numbered 0 to 3"):
        cam.class_activation_maps(tiny_net(), torch.randn(1, 1, 16, 16), [bad])


def test_one_class_per_image_and_known_methods():
    with pytest.raises(ValueError, match="one class index per image"):
        cam.class_activation_maps(tiny_net(), torch.randn(2, 1, 16, 16), [0, 1, 2])
    with pytest.raises(ValueError, match="unknown CAM method 'gradcamm'"):
        cam.class_activation_maps(tiny_net(), torch.randn(1, 1, 16, 16), [0], method="gradcamm")
    with pytest.raises(ValueError, match="uint8"):
        cam.class_activation_maps(tiny_net(), torch.zeros(1, 1, 16, 16, dtype=torch.uint8), [0])


# -- saved models, the Table 7 analogue and the grid -------------------------------------------

def save_tiny(folder: Path, strategy: str, seed: int, accuracy: float) -> None:
    spec_args = {"base": "small-b0", "depth": 0.3, "width": 0.25, "resolution": 16 / 24}
    spec = effnet_lib.scale(effnet_lib.SMALL_B0, 0.3, 0.25, 16 / 24)
    torch.manual_seed(seed)
    model = effnet_lib.efficientnet(spec, num_classes=10)
    c = cost(spec, num_classes=10)
    cam.save_cam_model(model, {
        "strategy": strategy, "seed": seed, "spec": spec_args,
        "multipliers": {"depth": 1.0, "width": 1.0, "resolution": 1.0},
        "num_classes": 10, "classes": [f"class {i}" for i in range(10)], "mean": [0.3], "std": [0.35],
        "multiply_adds": c.multiply_adds, "parameters": c.parameters, "test_accuracy": accuracy}, folder)


def test_saved_models_load_back_with_their_weights(tmp_path):
    save_tiny(tmp_path, "compound", 1, 0.5)
    save_tiny(tmp_path, "baseline", 0, 0.7)
    models = cam.load_cam_models(tmp_path)
    assert [(m.strategy, m.seed) for m in models] == [("baseline", 0), ("compound", 1)]
    torch.manual_seed(0)
    original = effnet_lib.efficientnet(effnet_lib.scale(effnet_lib.SMALL_B0, 0.3, 0.25, 16 / 24), num_classes=10)
    loaded = models[0].model.state_dict()["classifier.weight"]
    assert torch.allclose(loaded, original.state_dict()["classifier.weight"], atol=1e-3)
    assert models[0].image_size == 16


def test_missing_models_say_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="benchmarks/train_cam_models.py"):
        cam.load_cam_models(tmp_path / "nowhere")


def test_scaling_table_and_object_mass_summary_give_mean_and_seed_spread(tmp_path):
    for seed, accuracy in ((0, 0.6), (1, 0.8)):
        save_tiny(tmp_path, "baseline", seed, accuracy)
    table = cam.scaling_table(cam.load_cam_models(tmp_path))
    assert table[0]["accuracy"] == pytest.approx(0.7)
    assert table[0]["accuracy_std"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    rows = [{"strategy": "width", "method": "gradcam", "object_mass": v, "area": 0.5} for v in (0.6, 0.7)]
    summary = cam.summarise_object_mass(rows)[0]
    assert summary["object_mass"] == pytest.approx(0.65)
    assert summary["lift"] == pytest.approx(1.3)
    assert summary["object_mass_std"] == pytest.approx(np.std([0.6, 0.7], ddof=1))


def test_figure7_titles_each_column_with_flops_and_accuracy(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    save_tiny(tmp_path, "baseline", 0, 0.75)
    save_tiny(tmp_path, "width", 0, 0.8125)
    models = cam.load_cam_models(tmp_path)
    images = torch.zeros(3, 1, 28, 28, dtype=torch.uint8)
    images[:, :, 6:22, 8:20] = 200
    fig = cam.figure7(models, images, torch.tensor([0, 1, 2]))
    assert len(fig.axes) == 3 * 3
    titles = [ax.get_title() for ax in fig.axes[1:3]]
    flops = f"{models[0].multiply_adds / 1e6:.1f}M FLOPS"
    assert flops in titles[0] and "75.0%" in titles[0] and "81.2%" in titles[1]
    rows = cam.object_mass_table(models, images, torch.tensor([0, 1, 2]), methods=("gradcam",))
    assert len(rows) == 2 and all(0 <= r["object_mass"] <= 1 for r in rows)
    assert rows[0]["area"] == pytest.approx(16 * 12 / 28 ** 2)
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_top_class_maps_follow_the_probabilities():
    model = tiny_net(channels=3, num_classes=6)
    classes, probabilities, maps = cam.top_class_maps(model, torch.randn(1, 3, 16, 16), k=3)
    assert len(set(classes)) == 3 and probabilities == sorted(probabilities, reverse=True)
    assert maps.shape == (3, 16, 16)


# -- the models notebook 6 ships ----------------------------------------------------------------

def shipped_records() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(SHIPPED.glob("*.json"))]


@pytest.mark.skipif(not shipped_records(), reason="no models in data/cam_models yet")
def test_shipped_models_are_small_and_their_costs_are_recomputed():
    total = sum(p.stat().st_size for p in SHIPPED.iterdir())
    assert total < 20 * 2 ** 20, f"data/cam_models holds {total / 2**20:.1f} MiB; keep it well under 20"
    for m in cam.load_cam_models(SHIPPED):
        c = cost(m.model.spec, num_classes=m.model.num_classes)
        assert (c.parameters, c.multiply_adds) == (m.parameters, m.multiply_adds)
        assert sum(p.numel() for p in m.model.parameters()) == m.parameters


@pytest.mark.skipif(not shipped_records(), reason="no models in data/cam_models yet")
def test_shipped_scaled_models_match_the_compound_model_flops():
    records = shipped_records()
    compound = next(r["multiply_adds"] for r in records if r["strategy"] == "compound")
    baseline = next(r["multiply_adds"] for r in records if r["strategy"] == "baseline")
    assert compound > 2 * baseline
    for r in records:
        if r["strategy"] != "baseline":
            assert abs(r["multiply_adds"] / compound - 1) < 0.1, r["strategy"]


@pytest.mark.slow
@pytest.mark.skipif(not shipped_records(), reason="no models in data/cam_models yet")
def test_shipped_accuracies_are_reproduced():
    from effnet_lib.learn.datasets import DataNotFoundError, load_dataset
    from effnet_lib.learn.train import evaluate

    try:
        full = None
        models = cam.load_cam_models(SHIPPED, seeds=[0])
        record = models[0].record["data"]
        full = load_dataset("fashion-mnist", train=record["train_images"], test=record["test_images"],
                            seed=record["subset_seed"])
    except DataNotFoundError:
        pytest.skip("Fashion-MNIST is not installed")
    for m in models:
        measured = evaluate(m.model, full, m.image_size)["test_accuracy"]
        assert measured == pytest.approx(m.accuracy, abs=1e-9), m.strategy


def test_gradcam_at_the_head_is_the_class_activation_map_of_zhou_et_al():
    # With global average pooling then one linear layer, d(score)/d(feature) is the class weight
    # over the number of positions: Grad-CAM's channel weights are CAM's, up to a constant.
    from dataclasses import replace
    spec = tiny_net().spec
    spec = spec.with_(image_size=8, stem_stride=1, stages=tuple(replace(s, stride=1) for s in spec.stages))
    model = effnet_lib.efficientnet(spec, num_classes=4).eval()
    images = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        features = model.features(images)                       # (2, K, 8, 8), no resizing needed
    weights = model.classifier.weight[[2, 1]].detach()          # the classes asked for
    expected = torch.relu(torch.einsum("nk,nkhw->nhw", weights, features)).numpy()
    expected -= expected.min(axis=(1, 2), keepdims=True)
    expected /= expected.max(axis=(1, 2), keepdims=True)
    maps = cam.class_activation_maps(model, images, [2, 1], method="gradcam")
    np.testing.assert_allclose(maps, expected, atol=1e-3)  # the package adds 1e-7 to each maximum


def test_each_strategy_names_a_row_of_the_papers_table_7():
    from effnet_lib.rules.paper import TABLE_7

    assert set(cam.PAPER_TABLE_7_ROWS) == set(cam.STRATEGIES)
    assert set(cam.PAPER_TABLE_7_ROWS.values()) == set(TABLE_7)
    rows = {s: TABLE_7[name] for s, name in cam.PAPER_TABLE_7_ROWS.items()}
    scaled = [row.flops_billions for s, row in rows.items() if s != "baseline"]
    assert max(scaled) / min(scaled) < 1.1 and min(scaled) / rows["baseline"].flops_billions > 4
    assert max(rows, key=lambda s: rows[s].top1) == "compound"


def test_maps_do_not_depend_on_how_the_images_are_batched():
    model = tiny_net()
    images = torch.randn(5, 1, 16, 16)
    together = cam.class_activation_maps(model, images, [0, 1, 2, 3, 0])
    one_by_one = cam.class_activation_maps(model, images, [0, 1, 2, 3, 0], batch_size=2)
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
