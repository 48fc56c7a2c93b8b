"""Class activation maps (Figure 7): the maps explain the right class at the right place and equal
the grad-cam package's, object mass is measured and summarised correctly, bad input is refused
clearly, the figures carry what they promise, and the shipped models are what their records say."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("pytorch_grad_cam")

import effnet_lib
from effnet_lib.explain import cam, focus, maps
from effnet_lib.face import cam_figures
from effnet_lib.rules.cost import cost
from effnet_lib.results.records import DataSplit
from effnet_lib.rules.paper import TABLE_7
from effnet_lib.rules.vocabulary import SCALINGS

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
        found = maps.class_activation_maps(model, image, [target], method=method, layer="relu")
        assert focus.object_mass(found, region)[0] > 0.95, (method, target)


def test_predicted_class_is_explained_when_none_is_given():
    model = TwoBlobs()
    image, top_left, _ = two_blob_image()
    image[..., 10:15, 10:15] = -0.2  # class 0 now wins
    found = maps.class_activation_maps(model, image, classes=None, layer="relu")
    assert focus.object_mass(found, top_left)[0] > 0.95


@pytest.mark.parametrize("method", list(maps.METHODS))
def test_every_method_gives_maps_in_unit_range_at_input_size(method):
    model = tiny_net()
    found = maps.class_activation_maps(model, torch.randn(2, 1, 16, 16), [0, 3], method=method)
    assert found.shape == (2, 16, 16)
    assert found.dtype == np.float32
    assert found.min() >= 0.0 and found.max() <= 1.0 + 1e-6


def test_hooks_are_removed_after_the_maps():
    model = tiny_net()
    maps.class_activation_maps(model, torch.randn(1, 1, 16, 16), [1])
    assert not model.head._forward_hooks


def test_object_mass_of_an_even_map_is_the_object_area():
    masks = np.zeros((1, 8, 8), bool)
    masks[0, 2:6, 1:7] = True
    shares = focus.object_mass(np.ones((1, 8, 8)), masks)
    assert shares[0] == pytest.approx(masks.mean())


def test_object_mass_resizes_maps_and_marks_empty_maps():
    masks = np.zeros((2, 28, 28), bool)
    masks[:, :, :14] = True
    found = np.zeros((2, 4, 4), np.float32)
    found[0, :, :2] = 1.0                         # left half at 4 px is the left half at 28 px
    shares = focus.object_mass(found, masks)
    assert shares[0] > 0.85
    assert np.isnan(shares[1])


def test_object_masks_are_the_nonzero_pixels():
    images = torch.zeros(2, 1, 5, 5, dtype=torch.uint8)
    images[0, 0, 1, 2] = 7
    masks = focus.object_masks(images)
    assert masks.shape == (2, 5, 5) and masks.sum() == 1 and masks[0, 1, 2]


# -- clear errors at the edge -------------------------------------------------------------------

def test_wrong_channels_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"grey \(1 channel\).*3 channel"):
        maps.class_activation_maps(tiny_net(), torch.randn(1, 3, 16, 16), [0])


def test_wrong_size_is_refused_with_the_expected_size():
    with pytest.raises(ValueError, match=r"expects 16 x 16 px.*got 28 x 28"):
        maps.class_activation_maps(tiny_net(), torch.randn(1, 1, 28, 28), [0])


def test_missing_layer_is_refused_with_suggestions():
    with pytest.raises(ValueError, match=r"no layer named 'haed'.*Did you mean 'head'"):
        maps.class_activation_maps(tiny_net(), torch.randn(1, 1, 16, 16), [0], layer="haed")


@pytest.mark.parametrize("bad", [4, -1])
def test_class_index_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match=rf"class index {bad} is out of range.*4 classes, numbered 0 to 3"):
        maps.class_activation_maps(tiny_net(), torch.randn(1, 1, 16, 16), [bad])


def test_one_class_per_image_and_known_methods():
    with pytest.raises(ValueError, match="one class index per image"):
        maps.class_activation_maps(tiny_net(), torch.randn(2, 1, 16, 16), [0, 1, 2])
    with pytest.raises(ValueError, match="unknown CAM method 'gradcamm'"):
        maps.class_activation_maps(tiny_net(), torch.randn(1, 1, 16, 16), [0], method="gradcamm")
    with pytest.raises(ValueError, match="uint8"):
        maps.class_activation_maps(tiny_net(), torch.zeros(1, 1, 16, 16, dtype=torch.uint8), [0])


@pytest.mark.parametrize("images, message", [
    (torch.randn(1, 1, 16, 16, dtype=torch.float64), r"torch.float64 but the model's weights are torch.float32"),
    (torch.zeros(0, 1, 16, 16), r"no pixels .*images\[:1\]"),
    (torch.full((2, 1, 16, 16), float("nan")), r"NaN or infinite, in image\(s\) \[0, 1\]"),
    (torch.tensor([0.0, float("inf")]).repeat_interleave(128).view(1, 1, 16, 16), r"NaN or infinite"),
], ids=["float64", "empty", "nan", "inf"])
def test_bad_batches_are_refused_before_the_model_sees_them(images, message):
    with pytest.raises(ValueError, match=message):
        maps.class_activation_maps(tiny_net(), images, 0)


def test_a_plain_torch_model_is_checked_by_its_first_convolution():
    with pytest.raises(ValueError, match=r"grey \(1 channel\) images, got 3 channel"):
        maps.class_activation_maps(TwoBlobs(), torch.randn(1, 3, 16, 16), [0], layer="relu")


def test_a_model_with_nan_weights_gets_a_clear_error_not_nan_maps():
    model = tiny_net()
    with torch.no_grad():
        model.head[0].weight.fill_(float("nan"))
    with pytest.raises(ValueError, match=r"maps are NaN.*'head'.*weights"):
        maps.class_activation_maps(model, torch.randn(2, 1, 16, 16), [0, 1])


def test_no_method_is_refused():
    with pytest.raises(ValueError, match="at least one method"):
        maps.maps_for_methods(tiny_net(), torch.randn(1, 1, 16, 16), [0], methods=())


@pytest.mark.parametrize("method", list(maps.METHODS))
def test_maps_equal_the_packages_own_call(method):
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model = tiny_net(num_classes=6)
    images, classes = torch.randn(3, 1, 16, 16), [5, 0, 2]
    ours = maps.class_activation_maps(model, images, classes, method=method)
    with getattr(pytorch_grad_cam, maps.METHODS[method])(model=model, target_layers=[model.head]) as package:
        package.batch_size = 64
        theirs = package(input_tensor=images, targets=[ClassifierOutputTarget(c) for c in classes])
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_methods_sharing_one_pass_give_each_methods_own_maps():
    model, images = tiny_net(), torch.randn(4, 1, 16, 16)
    together = maps.maps_for_methods(model, images, [0, 1, 2, 3], methods=maps.GRADIENT_METHODS)
    for method in maps.GRADIENT_METHODS:
        alone = maps.class_activation_maps(model, images, [0, 1, 2, 3], method=method)
        np.testing.assert_allclose(together[method], alone, atol=1e-6)
    assert not np.allclose(together["gradcam"], together["layercam"])


def test_explain_imports_neither_learn_nor_face():
    import subprocess
    import sys
    code = ("import sys, effnet_lib.explain.maps, effnet_lib.explain.focus, effnet_lib.explain.cam; "
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('effnet_lib.')}))")
    layers = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "learn" not in layers and "face" not in layers, layers


# -- saved models, the Table 7 analogue and the grid -------------------------------------------

def study_record(strategy: str, seed: int, accuracy: float, classes: int = 4):
    """A run record as the experiment engine writes it (results.records), with the fields CamModel reads."""
    from tests.test_results import record

    data = DataSplit("fashion-mnist", 50_000, 10_000, 10_000, (0.29,), (0.35,), tuple(f"class {i}" for i in range(classes)))
    group = "baseline" if strategy == "baseline" else "phi=2"
    return record(strategy, group, seed=seed, test=accuracy, data=data, madds=1000 if strategy == "baseline" else 2000,
                  hardware={"device": "cpu", "cpu": "a test CPU"})


def test_models_of_the_engine_become_cam_models_in_table_order():
    trained = [(study_record("compound", 0, 0.9), tiny_net()), (study_record("baseline", 1, 0.7), tiny_net()),
               (study_record("baseline", 0, 0.8), tiny_net())]
    models = cam.from_study(trained)
    assert [(m.strategy, m.seed) for m in models] == [("baseline", 0), ("baseline", 1), ("compound", 0)]
    assert models[0].accuracy == 0.8 and models[0].classes[3] == "class 3" and models[0].image_size == 16
    assert "50,000 fashion-mnist training images, 2 epoch(s) of 128" in models[0].training
    assert models[0].inputs(torch.zeros(2, 1, 28, 28, dtype=torch.uint8)).shape == (2, 1, 16, 16)


def test_a_missing_sample_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="effnet_lib.learn.datasets fashion-mnist --sample"):
        cam.load_sample(tmp_path)


def test_object_mass_is_judged_over_seeds_by_the_one_interval_rule():
    records = [study_record(s, seed, 0.8) for s in ("baseline", "compound") for seed in (0, 1, 2)]
    rows = [{"strategy": s, "seed": seed, "method": "gradcam", "object_mass": mass + seed / 1000, "area": 0.5}
            for s, mass in (("baseline", 0.50), ("compound", 0.60)) for seed in (0, 1, 2)]
    points = cam_figures.object_mass_points(records, rows)
    summaries, noise = points["gradcam"]
    assert [round(s.mean, 3) for s in summaries] == [0.501, 0.601]
    line, = cam_figures.object_mass_findings(points, area=0.5)
    assert line.startswith("gradcam: compound 0.601 (1.20x the object's area) > baseline 0.501 (1.00x")
    assert "Compound against baseline: +0.100 [" in line and "beyond noise" in line


def test_figure7_titles_columns_names_predictions_and_has_a_colour_bar(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    torch.manual_seed(0)
    models = cam.from_study([(study_record("baseline", 0, 0.75), tiny_net(num_classes=10)),
                             (study_record("width", 0, 0.8125), tiny_net(num_classes=10))])
    images = torch.zeros(3, 1, 28, 28, dtype=torch.uint8)
    images[:, :, 6:22, 8:20] = 200
    fig = cam_figures.figure7(models, images, torch.tensor([0, 1, 2]))
    grid, bar = fig.axes[:9], fig.axes[9:]
    assert len(bar) == 1 and "map" in bar[0].get_ylabel()
    titles = [ax.get_title() for ax in grid[1:3]]
    flops = f"{models[0].multiply_adds / 1e6:.1f}M"
    assert flops in titles[0] and "75.0%" in titles[0] and "81.2%" in titles[1]
    said = maps.predict(models[0].model, models[0].inputs(images))
    assert grid[1].get_xlabel() == f"says class {said[0]}"
    assert grid[1].xaxis.label.get_color() == ("tab:green" if said[0] == 0 else "tab:red")
    width, height = fig.get_size_inches()
    assert width <= 14 and height <= 9, "the grid must fit a laptop screen"
    plt.close(fig)
    rows = focus.object_mass_table(models, images, torch.tensor([0, 1, 2]), methods=("gradcam",))
    assert len(rows) == 2 and all(0 <= r["object_mass"] <= 1 for r in rows)
    assert rows[0]["area"] == pytest.approx(16 * 12 / 28 ** 2)


def test_object_mass_legend_sits_beside_the_bars_not_over_them():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    records = [study_record(s, seed, 0.8) for s in ("baseline", "compound") for seed in (0, 1)]
    rows = [{"strategy": s, "seed": seed, "method": m, "object_mass": 0.9 - seed / 100, "area": 0.5}
            for s in ("baseline", "compound") for seed in (0, 1) for m in ("gradcam", "gradcam++")]
    fig = cam_figures.plot_object_mass(cam_figures.object_mass_points(records, rows), area=0.5)
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1, "the legend overlaps the plotting area"
    plt.close(fig)


def test_models_side_by_side_on_photos_name_size_grid_and_top_class():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from effnet_lib.model.weights import Pretrained, lite_preprocess

    family = {}
    for name, size in (("small", 16), ("large", 32)):
        model = tiny_net(channels=3, image_size=size, num_classes=3)
        family[name] = Pretrained(model, lambda photo, size=size: lite_preprocess(photo, size), ["a", "b", "c"])
    photos = {"noise": np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)}
    fig = cam_figures.compare_on_photos(family, photos)
    titles = [ax.get_title() for ax in fig.axes[1:3]]
    # SMALL_B0 strides by 8 in all: 16 px end on a 2x2 grid, 32 px on 4x4.
    assert titles[0].startswith("small: 16 px, 2x2 map") and titles[1].startswith("large: 32 px, 4x4 map")
    assert all(t.split("\n")[1].split(" (")[0] in {"a", "b", "c"} for t in titles)
    assert len(fig.axes) == 4 and "map" in fig.axes[3].get_ylabel()   # photo, two maps, the colour bar
    plt.close(fig)


def test_the_papers_table_7_models_are_not_at_equal_flops_by_our_count():
    rows = {r["strategy"]: r for r in cam_figures.paper_table7_costs()}
    assert set(rows) == set(TABLE_7) == {"baseline", *SCALINGS}
    assert {r["paper_row"] for r in rows.values()} == {row.label for row in TABLE_7.values()}
    billions = {s: r["multiply_adds"] / 1e9 for s, r in rows.items()}
    assert billions == pytest.approx({"baseline": 0.385, "depth": 1.575, "width": 1.450, "resolution": 1.538,
                                      "compound": 1.800}, abs=0.001)
    for single in ("depth", "width", "resolution"):   # compound costs 14-24% more than each rival
        assert 1.14 < billions["compound"] / billions[single] < 1.25
    assert rows["resolution"]["pixels"] == 448 and rows["compound"]["pixels"] == 291


def test_top_class_maps_follow_the_probabilities():
    model = tiny_net(channels=3, num_classes=6)
    classes, probabilities, found = maps.top_class_maps(model, torch.randn(1, 3, 16, 16), k=3)
    assert len(set(classes)) == 3 and probabilities == sorted(probabilities, reverse=True)
    assert found.shape == (3, 16, 16)


# -- the models notebook 6 ships (the figures study's base and phi = 2 set) -------------------------

def shipped_models() -> list[cam.CamModel]:
    from effnet_lib.learn.study_results import load_trained_models
    return cam.from_study(load_trained_models("figures", "cpu"))


def test_shipped_models_are_small_and_their_costs_are_recomputed():
    from effnet_lib.results.locations import results_dir
    kept = sum(p.stat().st_size for p in results_dir().glob("figures-*.weights.pt"))
    assert kept < 20 * 2 ** 20, f"the kept weights take {kept / 2**20:.1f} MiB; keep them well under 20"
    for m in shipped_models():
        c = cost(m.model.spec, num_classes=m.model.num_classes)
        assert (c.parameters, c.multiply_adds) == (m.record.parameters, m.multiply_adds)
        assert sum(p.numel() for p in m.model.parameters()) == m.record.parameters


def test_shipped_scaled_models_match_the_compound_model_and_end_on_7x7_maps_or_finer():
    models = shipped_models()
    assert {m.strategy for m in models} == {"baseline", *SCALINGS}
    compound = next(m.multiply_adds for m in models if m.strategy == "compound")
    for m in models:
        assert m.record.network.final_map >= 7, m.record.label
        if m.strategy != "baseline":
            assert abs(m.multiply_adds / compound - 1) <= 0.1, m.strategy


@pytest.mark.slow
def test_shipped_accuracies_are_reproduced_from_the_kept_float16_weights():
    from effnet_lib.learn.datasets import DataNotFoundError, load_dataset
    from effnet_lib.learn.train import evaluate

    try:
        test_set = load_dataset("fashion-mnist", train=1000)     # every record is tested on all 10,000
    except DataNotFoundError:
        pytest.skip("Fashion-MNIST is not installed")
    for m in shipped_models():
        assert m.record.data.test_images == 10_000
        as_trained = replace(test_set, mean=m.record.data.mean, std=m.record.data.std)   # its normalisation
        measured = evaluate(m.model, as_trained, m.image_size)["test_accuracy"]
        # float16 storage moves a few of 10,000 predictions at most
        assert measured == pytest.approx(m.accuracy, abs=0.003), (m.strategy, m.seed)
