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
# # 5. Training scaled variants: the scaling study
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/05_training_scaling_study.ipynb)
#
# Notebooks 2 and 3 counted what scaling *costs*. This one measures what it *buys*: we train a small
# EfficientNet and its depth-, width-, resolution- and compound-scaled variants on Fashion-MNIST and
# compare them at equal multiply-adds, as the paper's Figures 3, 4 and 8 do on ImageNet. You will
#
# - meet a baseline sized for 28 px images, and see why B0's own strides would not do;
# - train it live with the library's one training loop (the same one the command line and `torchrun` use);
# - see how the study picks variants at about 2x, 4x and 8x the baseline's multiply-adds;
# - plot Figures 3, 4 and 8 from stored results, with the spread over seeds, and read what they show,
#   including where compound scaling does **not** win at this scale;
# - rerun any part of the study yourself.

# %% [markdown]
# ## On Colab: install the course
#
# This cell only acts on Google Colab, where the course is not installed yet. Anywhere else it does nothing.

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
# `SMOKE` (set by the test suite) trains on a generated data set for one epoch, just to prove every cell
# runs. Without it the notebook picks its size from the hardware: on a GPU the live run trains the real
# baseline on all 60,000 images; on a CPU it trains the CPU study's small baseline on a subset, which takes
# under a minute on two idle cores (several on a busy machine). `RERUN` names study strategies to train again live (e.g. `["baseline", "width"]`);
# the empty list only plots stored results.

# %%
import os

import torch

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
ON_GPU = DEVICE == "cuda"
DATA = "fashion-mnist"
DOWNLOAD = False                  # True: let torchvision fetch Fashion-MNIST if it is not on this machine
LIVE_EPOCHS = 1 if SMOKE else (20 if ON_GPU else 3)
LIVE_TRAIN_IMAGES = None if ON_GPU else 1200   # None: all 60,000
SEED = 0
STUDIES = ["gpu", "cpu"]          # stored results to plot, best first (data/results/<study>/)
RERUN: list[str] = []             # strategies to retrain live, e.g. ["baseline", "compound"]

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt

import effnet_lib as en
from effnet_lib.learn import datasets as course_data
from effnet_lib.model.inputs import prepare_images
from effnet_lib.learn import experiments
from effnet_lib.face import plots
from effnet_lib.face import study_plots
from effnet_lib.learn.train import recipe, train

# %% [markdown]
# ## A baseline for 28 px images
#
# B0 halves its input five times: a 224 px photo ends as a 7x7 map. Fed a 28 px Fashion-MNIST image, the same
# strides leave a 1x1 map after the third stage, and every layer after that sees one pixel. Small-image
# ConvNets keep an *output stride* near 8 instead. The library's `SMALL_B0` is B0's Table 1 with two stride-2
# steps removed (the stem and one stage), every other field unchanged:

# %%
print(en.SMALL_B0)
print(f"total stride: B0 {en.B0.total_stride}, SMALL_B0 {en.SMALL_B0.total_stride}")

# %% [markdown]
# Its base resolution, 24 px, sits *below* Fashion-MNIST's native 28 px. That is deliberate. On ImageNet,
# going from 224 px to 300 px shows the network detail that the photos really contain; if our baseline
# already saw every pixel, "resolution scaling" could only interpolate. Here is the same image at the sizes the
# study uses (the resolution dimension at work, done by `effnet_lib.model.inputs.prepare_images`, the transform
# training uses too):

# %%
try:
    data = course_data.load_dataset("tiny" if SMOKE else DATA, download=DOWNLOAD)
except course_data.DataNotFoundError as error:
    print(error)
    print("\nFalling back to the generated 'tiny' data set so the rest of the notebook still runs.")
    data = course_data.load_dataset("tiny")
print(data)

sizes = [12, 16, 24, 28, 32, 48]
fig, axes = plt.subplots(1, len(sizes), figsize=(2 * len(sizes), 2.3))
for ax, size in zip(axes, sizes):
    image = prepare_images(data.train_images[:1], size, data.mean, data.std)[0, 0]
    ax.imshow(image, cmap="gray")
    ax.set_title(f"{size} px", fontsize=9)
    ax.axis("off")
fig.suptitle(f"One {data.name} training image at the study's resolutions", fontsize=10)
plt.show()

# %% [markdown]
# ## Train the baseline live
#
# `effnet_lib.learn.train.train` is the loop everything in the course uses. It keeps the data on the device and
# augments it there (random crop and flip), uses bf16 and channels-last on a GPU, shows a progress bar,
# and returns the history as data. Two recipes are built in: `"paper"` is Section 5.2's ImageNet recipe
# (RMSProp, learning rate 0.256 per 4,096 images decayed 0.97 every 2.4 epochs, ...), tuned for 350 epochs;
# `"short"` (AdamW, one warm-up-then-cosine cycle, label smoothing) suits a few epochs of small images:

# %%
for name in ("paper", "short"):
    print(recipe(name, batch_size=512))

# %% [markdown]
# On a GPU we train the real baseline; on a CPU, the CPU study's smaller one (a quarter of the width, half
# the depth, 16 px), so that this cell takes seconds to minutes rather than an hour.

# %%
if ON_GPU and not SMOKE:
    live_study = experiments.STUDIES["gpu"]
    live_data = data
else:
    live_study = experiments.STUDIES["smoke" if SMOKE or data.name == "tiny" else "cpu"]
    live_data = data.subset(train=LIVE_TRAIN_IMAGES, test=600, seed=0) if data.name != "tiny" else data
spec = live_study.base.with_(in_channels=live_data.channels)
torch.manual_seed(SEED)
model = en.efficientnet(spec, num_classes=live_data.num_classes)
live_recipe = recipe(live_study.recipe, epochs=LIVE_EPOCHS, batch_size=live_study.batch_size,
                     **({"lr": live_study.lr} if live_study.lr else {}))
started = time.perf_counter()
history = train(model, live_data, live_recipe, seed=SEED, device=DEVICE)
print(history, f"({time.perf_counter() - started:.0f} s including evaluation)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = [e["epoch"] for e in history.epochs]
ax.plot(epochs, [100 * e["train_accuracy"] for e in history.epochs], "o-", label="training (augmented)")
ax.plot(epochs, [100 * e["test_accuracy"] for e in history.epochs], "o-", label="test")
ax.set_xlabel("epoch")
ax.set_ylabel("accuracy (%)")
ax.set_title(f"{spec.name} on {live_data.name}, {len(live_data.train_labels):,} training images")
ax.legend()
ax.grid(True, alpha=0.3)
plt.show()

# %% [markdown]
# ## The study: variants at equal multiply-adds
#
# A fair comparison holds the cost fixed. For each strategy, `experiments.match_flops` scans the multiplier
# and keeps the variant whose *analytic* cost (`effnet_lib.rules.cost`, no model built) is closest to 2x, 4x and 8x
# the baseline's. Rounding makes cost a staircase (repeats are rounded up, channels to multiples of 8,
# pixels to whole numbers), so the ratios land near the targets, not on them, and the plots use each
# network's real cost. Figure 4's grid adds width sweeps from deeper and higher-resolution bases. The GPU study:

# %%
gpu_study = experiments.STUDIES["gpu"]
rows = []
for variant, seed in experiments.plan(gpu_study):
    if seed != gpu_study.seeds[0]:
        continue
    scaled = variant.spec(gpu_study.base)
    c = en.cost(scaled, num_classes=10)
    rows.append((variant.strategy, f"{variant.depth:.2f}", f"{variant.width:.2f}", f"{scaled.image_size} px",
                 f"{c.multiply_adds / en.cost(gpu_study.base, num_classes=10).multiply_adds:.2f}x",
                 f"{c.parameters:,}"))
plots.table(["strategy", "d", "w", "r", "multiply-adds vs baseline", "parameters"], rows)

# %% [markdown]
# Each run is written to `data/results/<study>/` as one JSON file: the study's settings, the variant, its
# multiply-adds and parameters, the test accuracy after every epoch, the time, the hardware and the library
# version. The runner skips runs whose file exists and resumes a run from its last epoch's checkpoint, so
# the study survives interruptions and job time limits. On a machine with one GPU, the whole study is one
# command, repeated until it says "all runs done":
#
# ```
# python -m effnet_lib.learn.experiments --study gpu --budget-minutes 9
# ```
#
# ## The stored results
#
# The next cell loads the best study that has results on disk and says where they were made.

# %%
results, shown = [], None
for name in STUDIES:
    found = experiments.load_results(experiments.RESULTS_DIR / name)
    if found:
        results, shown = found, name
        break
if not results:
    print(f"No stored results under {experiments.RESULTS_DIR}; the RERUN cell below makes some.")
else:
    devices = sorted({r["hardware"].get("gpu") or r["hardware"]["device_name"] for r in results})
    config = results[0]["study"]
    print(f"Study '{shown}': {len(results)} runs, made on {', '.join(devices)}, "
          f"library {results[0]['library_version']}.")
    print(f"Settings: {config}")
    if shown != "gpu":
        print("\nThese are CPU-scale results: a much smaller baseline, a few hundred training steps, a subset of "
              "the data.\nThey show the method end to end; their accuracies and rankings are NOT the GPU study's. "
              "The GPU study\nhas not been run for this copy of the course yet. On a GPU machine run:\n"
              "    python -m effnet_lib.learn.experiments --study gpu --budget-minutes 9   (repeat until done)")

# %% [markdown]
# ### Figure 3: one dimension at a time
#
# Each panel scales one dimension of the baseline. The dots are the mean over seeds; the bars span the lowest
# and highest seed, which tells you how much of a difference is noise.

# %%
if results:
    study_plots.figure_3(results)
    plt.show()

# %% [markdown]
# ### Figure 8: all strategies at equal cost
#
# The paper's Figure 8 puts compound scaling on the same axes as the single-dimension strategies. A curve
# above the others means more accuracy for the same multiply-adds.

# %%
if results:
    study_plots.figure_8(results)
    plt.show()
    plots.table(["strategy", "d", "w", "r", "cost", "parameters", "accuracy % mean [min, max]", "seeds"],
                   study_plots.table_rows(results))

# %% [markdown]
# ### Figure 4: width from different bases
#
# Observation 2 of the paper: widening helps more when the network is already deeper and sees more pixels.
# Each line is a width sweep from one (depth, resolution) base.

# %%
if results:
    study_plots.figure_4(results)
    plt.show()

# %% [markdown]
# ### What the data shows
#
# These sentences are computed from the results above, not written in advance: for each FLOPS target, the
# best strategy and compound scaling's margin over the best single dimension, with a note when the margin is
# inside the spread between seeds.

# %%
if results:
    for line in study_plots.findings(results):
        print("-", line)

# %% [markdown]
# Reading them, keep three things in mind. First, the CPU study trains for a few hundred steps: deeper and
# wider networks learn more slowly at the start, so at this budget "bigger" can lose to "smaller" for reasons
# that have nothing to do with how the network was scaled. Second, rounding matters at small scale: the CPU
# baseline's stages have one or two layers, so any depth multiplier above 1 adds a whole layer to every stage,
# and compound scaling at 2x is then mostly a depth change. Third, the paper's Figure 8 gap (up to 2.5 points
# on ImageNet) comes from networks trained to convergence; a study that stops early measures speed of learning
# as much as capacity.
#
# ## Rerun any part yourself
#
# `experiments.run_study` trains what is missing and skips what is done. Name strategies in `RERUN` (in the
# parameters cell) to train them again into a fresh folder, here on the same settings as the study shown
# above (or, in smoke mode, on the generated data for one epoch).

# %%
if RERUN or SMOKE:
    import tempfile

    rerun_study = experiments.STUDIES["smoke" if SMOKE else (shown or "cpu")]
    folder = Path(tempfile.mkdtemp(prefix="effnet-study-"))
    fresh = experiments.run_study(rerun_study, folder, only=RERUN or ["baseline", "width"], device=DEVICE)
    plots.table(["strategy", "d", "w", "r", "cost", "parameters", "accuracy % mean [min, max]", "seeds"],
                   study_plots.table_rows(fresh))

# %% [markdown]
# ## Summary
#
# - A small-image baseline keeps B0's table but not its strides: output stride 8 leaves a 3x3 map at 24 px.
# - One training loop serves the notebook, the command line (`python -m effnet_lib.learn.train --help`) and
#   `torchrun` for several GPUs; it checkpoints every epoch and resumes exactly.
# - The study compares strategies at matched analytic cost, stores every run as JSON with its hardware, and
#   plots Figures 3, 4 and 8 from those files, with the spread over seeds.
# - What compound scaling buys depends on training long enough to use the capacity; read the seed spread
#   before reading a ranking.
#
# Next: notebook 6 looks inside the scaled models with class activation maps (Figure 7). To try on your own:
# pick a variant for a budget with `experiments.match_flops(en.SMALL_B0, "compound", 3.0)`, predict where it
# lands on Figure 8, then train it with `run_variant` and see.
