# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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
# # Exercise 7: a class activation map by hand
#
# *Goes with course notebook 6, class activation maps (the paper's Figure 7).*
#
# A network that ends in global average pooling and one linear layer scores class `c` as
# `score_c = sum_k W[c, k] * mean(A_k) + b_c`, where `A_k` is the k-th channel of the last feature
# map. Keeping the spatial positions instead of averaging them gives the **class activation
# map** (Zhou et al. 2016): `CAM_c(i, j) = sum_k W[c, k] * A_k(i, j)`, which shows where the
# evidence for `c` lies. Grad-CAM (Selvaraju et al. 2017), which the course uses through the
# `grad-cam` package, weights each channel by the average gradient of the score instead; for this
# kind of network that gradient is `W[c, k] / (H * W)`, so after Grad-CAM's final steps (drop
# negative values, then scale to [0, 1]) the two maps are the same. You will compute it by hand and
# check it against the package.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import warnings

import numpy as np
import torch
from torch import nn

warnings.filterwarnings("ignore")  # keep the test cells' output clean
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget


class TinyNet(nn.Module):
    """Two convolutions (no downsampling), global average pooling, a linear classifier."""

    def __init__(self, classes=3, channels=16):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(8, channels, 3, padding=1), nn.ReLU())
        self.classifier = nn.Linear(channels, classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


def make_image(seed, top, left):
    """A 16 x 16 grey image with faint noise and one bright rectangle."""
    generator = torch.Generator().manual_seed(seed)
    image = 0.2 * torch.rand(1, 1, 16, 16, generator=generator)
    image[..., top:top + 5, left:left + 6] += 1.0
    return image


def package_cam(model, image, target):
    """The grad-cam package's map for `target`, on the last feature layer."""
    with GradCAM(model=model, target_layers=[model.features[-1]]) as cam:
        return cam(input_tensor=image, targets=[ClassifierOutputTarget(target)])[0]


torch.manual_seed(0)
model = TinyNet().eval()
image = make_image(seed=1, top=4, left=6)

# %% [markdown]
# ## 1. The map
#
# Write `class_activation_map(model, image, target)` for a `TinyNet` and one image of shape
# `(1, 1, H, W)`. Take the feature map `model.features(image)` (shape `(1, K, H, W)`) and the
# classifier's weights `model.classifier.weight` (shape `(classes, K)`), form the weighted sum
# over channels for `target`, set negative values to 0, subtract the minimum, and divide by
# `1e-7 + maximum` (Grad-CAM's scaling). Return a NumPy array of shape `(H, W)`. No gradients
# are needed.

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
mine = class_activation_map(model, image, 1)
assert mine.shape == (16, 16)
assert np.allclose(mine, package_cam(model, image, 1), atol=1e-4)
### BEGIN HIDDEN TESTS
for target in (0, 2):
    assert np.allclose(class_activation_map(model, image, target), package_cam(model, image, target), atol=1e-4), target
torch.manual_seed(5)
other = TinyNet(classes=4, channels=24).eval()
elsewhere = make_image(seed=7, top=9, left=2)
for target in range(4):
    assert np.allclose(class_activation_map(other, elsewhere, target), package_cam(other, elsewhere, target), atol=1e-4), target
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Where does it look?
#
# Write `peak(cam)`: the `(row, column)` of the largest value of a map.

# %% nbgrader={"grade": false, "grade_id": "peak", "locked": false, "schema_version": 3, "solution": true}
def peak(cam):
    ### BEGIN SOLUTION
    row, column = np.unravel_index(np.argmax(cam), cam.shape)
    return int(row), int(column)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_peak", "locked": true, "points": 1, "schema_version": 3, "solution": false}
reference = package_cam(model, image, 1)
print("the package's map peaks at", peak(reference))
assert reference[peak(reference)] == reference.max()
### BEGIN HIDDEN TESTS
grid = np.zeros((5, 7))
grid[3, 6] = 2.0
assert peak(grid) == (3, 6)
other_map = package_cam(model, image, 0)
assert other_map[peak(other_map)] == other_map.max()
### END HIDDEN TESTS

# %% [markdown]
# ## What you found
#
# For a network that ends in pooling and one linear layer, a class activation map needs no
# gradients at all: the classifier's weights already say how much each channel counts. Grad-CAM
# generalises the idea to any layer of any network, which is how the course draws Figure 7 for
# EfficientNets.
