# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 7: class activation maps of a trained network, by hand
#
# *Goes with course notebook 6, class activation maps (the paper's Figure 7).*
#
# The networks here are the course's trained ones: small EfficientNets scaled from the same baseline
# and trained on Fashion-MNIST, the models of notebook 6 (the scaling study's kept models). Each
# ends in a 1x1 "head" convolution, global average pooling and one linear layer, so it scores class `c` as
# `score_c = sum_k W[c, k] * mean(A_k) + b_c`, where `A_k` is the k-th channel of the head's output.
# Keeping the positions instead of averaging them gives the **class activation map** (Zhou et al.
# 2016), `CAM_c(i, j) = sum_k W[c, k] * A_k(i, j)`: where the evidence for `c` lies. Grad-CAM
# (Selvaraju et al. 2017), which notebook 6 uses through the `grad-cam` package, weights each channel by
# the average gradient of the score instead; for this kind of network that gradient is
# `W[c, k] / (H * W)`, so after Grad-CAM's last steps (drop negative values, scale to [0, 1], enlarge
# to the image) the two maps are the same. You will compute it by hand, check it against the package,
# and measure where the maps of the baseline and the compound-scaled model fall.
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the `grad-cam` package and the library's `effnet_lib.explain`,
# so only your own computation can pass them (the model itself runs as usual). The cell that says
# *YOUR ANSWER HERE* asks for a few sentences; it is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import warnings

import cv2
import numpy as np
import torch

warnings.filterwarnings("ignore")  # keep the test cells' output clean
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from effnet_lib.explain import cam
from effnet_lib.learn.study_results import load_trained_models

# The base and the compound-scaled model, every seed stored, as notebook 6 finds them.
WANTED = ("baseline", "compound")
trained = [m for m in cam.from_study(load_trained_models("figures")) if m.strategy in WANTED]
models = {(m.strategy, m.seed): m for m in trained}
images, labels, classes = cam.load_sample()   # uint8 Fashion-MNIST test images (N, 1, 28, 28), their labels
for m in models.values():
    grid = m.model.features(m.inputs(images[:1])).shape[-1]
    print(f"{m.label}, seed {m.seed}: {m.image_size} px in, a {grid} x {grid} map at the head, accuracy {m.accuracy:.1%}")


def package_cam(model, image, target):
    """The grad-cam package's map for `target` at the head, enlarged to the image's size."""
    with GradCAM(model=model, target_layers=[model.head]) as cam:
        return cam(input_tensor=image, targets=[ClassifierOutputTarget(target)])[0]


def enlarge(cam, size):
    """A feature-grid map made comparable with the package's: scaled to [0, 1], resized to size x size
    pixels (bilinear, as the package does it with OpenCV), and scaled to [0, 1] again."""
    def unit(a):
        a = a - a.min()
        return a / (1e-7 + a.max())

    return unit(cv2.resize(np.float32(unit(np.asarray(cam, dtype=np.float32))), (size, size)))


baseline = models["baseline", min(seed for strategy, seed in models if strategy == "baseline")]
image = baseline.inputs(images[:1])     # the first test image, at the baseline's size, normalised

# %% [markdown]
# ## 1. The map
#
# Write `class_activation_map(model, image, target)` for one of these models and one image of shape
# `(1, 1, H, W)`. Take the head's output `model.features(image)` (shape `(1, K, h, w)`, a few pixels
# across) and the classifier's weights `model.classifier.weight` (shape `(classes, K)`), form the weighted
# sum over channels for `target`, set negative values to 0, and scale the result to [0, 1] (subtract the
# minimum, divide by `1e-7 + maximum`). Return a NumPy array of shape `(h, w)`. No gradients are needed.

# %% nbgrader={"grade": false, "grade_id": "class_activation_map", "locked": false, "schema_version": 3, "solution": true}
def class_activation_map(model, image, target):
    ### BEGIN SOLUTION
    with torch.no_grad():
        features = model.features(image)[0]
        weights = model.classifier.weight[target]
        cam = torch.relu(torch.einsum("k,khw->hw", weights, features)).numpy()
    cam = cam - cam.min()
    return cam / (1e-7 + cam.max())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_cam", "locked": true, "points": 5, "schema_version": 3, "solution": false}
mine = class_activation_map(baseline.model, image, int(labels[0]))
grid = tuple(baseline.model.features(image).shape[-2:])
assert mine.shape == grid, f"the baseline's head gives a {grid} map, not {mine.shape}"
assert np.allclose(enlarge(mine, baseline.image_size), package_cam(baseline.model, image, int(labels[0])), atol=1e-3)
### BEGIN HIDDEN TESTS
import numpy as np

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_cam")
cases = []   # (name, model, image, target, the head's grid, the package's map), made before the switch
for strategy in ("baseline", "compound"):
    entry = models[strategy, rng.choice(sorted(seed for s, seed in models if s == strategy))]
    for index in rng.sample(range(len(images)), 4):
        x = entry.inputs(images[index:index + 1])
        for target in (int(labels[index]), rng.randrange(10)):
            grid = tuple(entry.model.features(x).shape[-2:])
            cases.append((entry.label, entry.model, x, target, grid, package_cam(entry.model, x, target)))
with switched_off("pytorch_grad_cam", "effnet_lib.explain"):
    for name, model, x, target, grid, want in cases:   # checked inside too: nothing returned runs unswitched
        answer = np.array(class_activation_map(model, x, target), dtype=np.float64)
        assert answer.shape == grid, f"{name}: map shaped {answer.shape}, the head's grid is {grid}"
        assert np.allclose(enlarge(answer, want.shape[-1]), want, atol=1e-3), f"{name}, class {target}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. How much of the map lies on the garment?
#
# A Fashion-MNIST garment lies on a black background, so its nonzero pixels mark the object. Write
# `object_share(cam, mask)`: the share of the map's total mass that falls where `mask` is True (`cam`
# and `mask` have the same shape). A map spread evenly scores the mask's area; a map entirely on the
# garment scores 1. Return `float("nan")` for a map whose total is 0.

# %% nbgrader={"grade": false, "grade_id": "object_share", "locked": false, "schema_version": 3, "solution": true}
def object_share(cam, mask):
    ### BEGIN SOLUTION
    cam = np.asarray(cam, dtype=np.float64)
    total = cam.sum()
    return float(cam[np.asarray(mask, dtype=bool)].sum() / total) if total > 0 else float("nan")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_object_share", "locked": true, "points": 2, "schema_version": 3, "solution": false}
half = np.zeros((4, 4))
half[:2] = 1.0
left = np.zeros((4, 4), bool)
left[:, :2] = True
assert abs(object_share(half, left) - 0.5) < 1e-9
assert np.isnan(object_share(np.zeros((4, 4)), left))
### BEGIN HIDDEN TESTS
import numpy as np

from effnet_grading.own_work import hidden_random, switched_off

rng = np.random.default_rng(hidden_random("test_object_share").getrandbits(64))
cases = [(rng.random((s, s)) * (rng.random((s, s)) > 0.3), rng.random((s, s)) > 0.5) for s in (5, 12, 28)]
cases.append((np.zeros((6, 6)), np.ones((6, 6), bool)))
corner = np.zeros((8, 8))
corner[:2, :2] = 3.0
cases.append((corner, np.eye(8, dtype=bool)))   # mass 6 of 12 on the diagonal: 0.5
expected = [float((cam * mask).sum() / cam.sum()) if cam.sum() > 0 else float("nan") for cam, mask in cases]
assert expected[-1] == 0.5
with switched_off("pytorch_grad_cam", "effnet_lib.explain"):
    for (cam, mask), want in zip(cases, expected):
        answer = float(object_share(cam, mask))
        assert (np.isnan(want) and np.isnan(answer)) or abs(answer - want) < 1e-6, f"share {answer}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Do the compound-scaled models look at more of the garment?
#
# The paper's Figure 7 shows that the compound-scaled model's maps cover more of the object than the
# maps of models scaled in one dimension. The cell below measures that with your two functions: for each
# model, the mean object share of its map for the true class over the first `SAMPLE` test images (maps
# enlarged to the 28 px picture), for every training seed stored.

# %% nbgrader={"grade": false, "grade_id": "measure_object_share", "locked": true, "schema_version": 3, "solution": false}
SAMPLE = 50
masks = images[:SAMPLE, 0].numpy() > 0
for (strategy, seed), entry in models.items():
    inputs = entry.inputs(images[:SAMPLE])
    shares = [object_share(enlarge(class_activation_map(entry.model, inputs[i:i + 1], int(labels[i])), 28), masks[i])
              for i in range(SAMPLE)]
    print(f"{entry.label:>45}, seed {seed}: {entry.multiply_adds / 1e6:4.1f}M multiply-adds, accuracy "
          f"{entry.accuracy:.1%}, mean object share {np.nanmean(shares):.3f}")
print(f"for comparison, the garments cover {masks.mean():.3f} of the pictures on average")

# %% [markdown]
# In four to six sentences: **do these numbers support the paper's claim that compound scaling makes a
# network attend to more relevant regions? Say what the seeds tell you, and name two things about this
# measurement that limit what it can show.**

# %% [markdown] nbgrader={"grade": true, "grade_id": "does_it_support_figure_7", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** Read the printout: the claim is supported only if every compound seed scores a higher
# mean object share than every baseline seed, by more than the seeds of one model differ from each other;
# a difference smaller than that spread is not evidence either way, and with one seed per model the spread
# is unknown. Limits: (1) these are small networks trained for a few epochs on a few thousand images, far
# from the paper's converged ImageNet models, and their accuracies differ, so the maps also reflect how
# well each model learned; (2) the compound model sees larger images and ends in a finer grid than the
# baseline (printed at the top), so part of any difference comes from a finer map, not from where the
# model attends; (3) "on the garment's pixels" is only a proxy for "relevant": a map can sit on the
# garment for the wrong reason, and a background can matter; (4) fifty images and a seed or two are a
# small sample.
#
# **Rubric (3 points).** 1 point: a conclusion that follows the printed numbers (support, no support or
# undecided), comparing compound with the baseline. 1 point: uses the seeds as a measure of noise (a
# gap smaller than the seed spread decides nothing). 1 point: two valid limits, e.g. small briefly-trained
# models with different accuracies, different map resolutions (the grids printed at the top), garment pixels as a
# proxy for relevance, a small sample. No point for repeating the paper's claim without the numbers.
