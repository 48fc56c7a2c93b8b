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
# EfficientNet and its depth-, width-, resolution- and compound-scaled variants on Fashion-MNIST and compare
# them at equal multiply-adds, as the paper's Figures 3, 4 and 8 do on ImageNet. You will
#
# - meet a baseline sized for small images, and see why B0's own strides would not do;
# - see the paper's protocol as data: compound models at $\phi = 1, 2, 3$ and rivals matched to their real cost;
# - see why a short schedule needs a recipe that does not fail the deeper networks, and train the baseline live;
# - plot Figures 3, 4 and 8 from the stored study, with the spread over seeds, and read sentences computed
#   from it, beside the paper's claims;
# - put Table 7's printed models on the analytic cost model and find they were not compared at equal FLOPS.

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
# `SMOKE` (set by the test suite) trains on a generated data set for a few seconds, just to prove every cell
# runs. Otherwise the live cell trains the baseline of the CPU study (or, on a GPU, of the GPU study) exactly
# as the stored study did, and compares the two. `RERUN` names strategies of the study to train again into a
# fresh file (e.g. `["baseline", "compound"]`); the empty list only plots what is stored.

# %%
import os

import torch

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
PRESET = "smoke" if SMOKE else ("gpu" if DEVICE == "cuda" else "cpu")   # the size of the live run
DOWNLOAD = False                  # True: let torchvision fetch Fashion-MNIST if it is not on this machine
SHOW = ["gpu", "cpu"]             # stored studies to plot, best first
RERUN: list[str] = []             # strategies to retrain live, e.g. ["baseline", "compound"]
THREADS = 1 if DEVICE == "cpu" else None   # CPU threads: 1 is fastest on a busy shared machine

# %%
import time

import matplotlib.pyplot as plt
from IPython.display import display

import effnet_lib as en
from effnet_lib.face import plots, static, study_plots
from effnet_lib.learn import datasets, experiments, studies
from effnet_lib.learn.hardware import describe
from effnet_lib.model.inputs import prepare_images
from effnet_lib.rules import paper

if THREADS:
    torch.set_num_threads(THREADS)

# %% [markdown]
# ## A baseline for small images
#
# B0 halves its input five times: a 224 px photo ends as a 7x7 map. Fed a 28 px Fashion-MNIST image, the same
# strides leave a 1x1 map after the third stage. Small-image ConvNets keep an *output stride* near 8 instead.
# The library's `SMALL_B0` is B0's Table 1 with two stride-2 steps removed (the stem and one stage):

# %%
print(en.SMALL_B0)
print(f"total stride: B0 {en.B0.total_stride}, SMALL_B0 {en.SMALL_B0.total_stride}")

# %% [markdown]
# The studies scale a smaller copy of it, at 16 px: a whole number of 8 px cells, so every stride halves the map
# exactly. Below the native 28 px on purpose: then the compound models (18, 21 and 24 px at $\phi = 1, 2, 3$)
# see real detail the baseline threw away, as going past 224 px does on ImageNet. Only the resolution-only
# rivals go above 28 px; those are **upsampled** images and gain nothing new to see. The two baselines:

# %%
for preset in ("cpu", "gpu"):
    s = studies.study("figures", preset)
    c = en.cost(s.base, num_classes=s.num_classes)
    print(f"{preset}: {s.base.name}, {s.base.image_size} px, repeats {[x.repeats for x in s.base.stages]}, "
          f"{c.parameters:,} parameters, {c.multiply_adds / 1e6:.2f}M multiply-adds -- {s.note}")

# %%
try:
    data = datasets.load_dataset("tiny" if SMOKE else "fashion-mnist", download=DOWNLOAD)
except datasets.DataNotFoundError as error:
    print(error, "\nFalling back to the generated 'tiny' data set so the rest of the notebook still runs.")
    data = datasets.load_dataset("tiny")
    PRESET = "smoke"

sizes = [16, 18, 21, 24, 28, 40, 48]
fig, axes = plt.subplots(1, len(sizes), figsize=(2 * len(sizes), 2.4))
for ax, size in zip(axes, sizes):
    ax.imshow(prepare_images(data.train_images[:1], size, data.mean, data.std)[0, 0], cmap="gray")
    ax.set_title(f"{size} px" + (" (upsampled)" if size > data.native_size else ""), fontsize=9)
    ax.axis("off")
fig.suptitle(f"One {data.name} training image at the study's sizes (native: {data.native_size} px)", fontsize=10)
plt.show()

# %% [markdown]
# ## The protocol, as data
#
# A `Study` is the whole experiment as one frozen value: baseline, data, one recipe for every variant, seeds,
# and the paper's protocol. `studies.plan` turns it into runs:
#
# - **Compound models at the rule's own points**, Eq. 3 at $\phi = 1, 2, 3$: $d = 1.2^\phi$, $w = 1.1^\phi$,
#   $r = 1.15^\phi$, rounded as the model rounds (the CPU study stops at $\phi = 2$ to fit a shared CPU).
#   A compound model must change all three dimensions after rounding, or `plan` refuses it: it would be a
#   single-dimension model under another name.
# - **Rivals at equal cost.** For each compound model, the depth-, width- and resolution-only networks whose
#   analytic multiply-adds are nearest its *real* cost (`rules.matching.nearest`, which walks the rounding
#   staircase). Their multipliers are also Figure 3's sweeps.
# - **Figure 4's grid**: width swept from the (depth, resolution) bases the paper names. The (1, 1) base's sweep
#   is the baseline and the width-only rivals.
#
# The runs of the CPU study, in the order they are trained (the first seed of $\phi = 1$ and $2$, then the
# second seed, then the grid; the GPU study adds $\phi = 3$ before the grid), with the cost of each:

# %%
shown_plan = studies.study("figures", "cpu")
base_cost = en.cost(shown_plan.base, num_classes=10).multiply_adds
rows = []
for run in studies.plan(shown_plan):
    if run.seed != shown_plan.seeds[0]:
        continue
    net = run.variant.network(shown_plan.base)
    c = en.cost(net, num_classes=10)
    rows.append((run.variant.strategy, run.variant.group, f"{run.variant.depth:.2f}", f"{run.variant.width:.2f}",
                 f"{run.variant.resolution:.2f} ({net.image_size} px{', upsampled' if net.image_size > 28 else ''})",
                 net.num_blocks, f"{c.multiply_adds / 1e6:.2f} ({c.multiply_adds / base_cost:.1f}x)", f"{c.parameters:,}"))
display(plots.table(["strategy", "group", "d", "w", "r", "blocks", "multiply-adds, millions (x baseline)",
                     "parameters"], rows))

# %% [markdown]
# Two things to notice. First, compound scaling at $\phi = 1$ costs more than three times the baseline, not the
# $2\times$ Eq. 3 promises. With stages of one or two blocks, $d = 1.2$ rounds up to a whole extra block in every
# stage, and at 16 px two more pixels change the size of every later feature map. The rivals are matched to this
# real cost, so the comparison stays fair. Second, to cost as much as the compound model at $\phi = 2$,
# resolution alone needs more pixels than the images have: the table marks that rival's images as upsampled.
#
# ## A recipe that does not fail the deeper networks
#
# A schedule of a few hundred steps can fail a deep network: freshly initialised, a stack of fifty blocks starts
# far from anything useful, and training may end before it gets there. A deep variant that loses then measures
# the optimiser, not scaling. So the study trains every variant (never only some) with the usual remedies for
# short schedules:
#
# - the **last BatchNorm of every residual block starts at zero** (timm's `zero_init_last`), so each block starts
#   as the identity and a network with five times the blocks starts out computing what the baseline does;
# - the learning rate **warms up** over the first 15% of the steps, then follows a cosine down;
# - **no crop-and-flip and no dropout**: in a few hundred steps they slow learning more than they regularise;
# - **enough data**: 20,000 images on the CPU, all 60,000 on a GPU, and the whole 10,000-image test set for every run.
#
# The zero start, checked on the deepest rival of the CPU study:

# %%
deepest = max((r for r in studies.plan(shown_plan) if r.variant.strategy == "depth"), key=lambda r: r.variant.depth)
model = experiments.build_model(shown_plan, deepest).eval()
residual = [m for m in model.modules() if isinstance(m, en.MBConv) and m.residual]
with torch.no_grad():
    identity = all(torch.equal(block(x), x) for block in residual
                   for x in [torch.randn(2, block.project[0].out_channels, 4, 4)])
print(f"{deepest.key}: {model.spec.num_blocks} blocks, {len(residual)} of them residual; "
      f"every residual block returns its input at the start: {identity}")

# %% [markdown]
# ## Train the baseline live
#
# The runner trains one run with `experiments.train_run`: the same call, recipe, data and seed as the stored
# study. On a CPU this is the CPU study's baseline (about a minute on two idle cores, several on a busy machine).

# %%
live = studies.study("figures", PRESET)
live_data = datasets.load_dataset(live.data, train=live.train_images, test=live.test_images) \
    if not (SMOKE or data.name == "tiny") else datasets.load_dataset("tiny", train=128, test=64)
baseline_run = studies.plan(live)[0]
print(live.recipe)
started = time.perf_counter()
record, _ = experiments.train_run(live, baseline_run, live_data, device=DEVICE, bar=static.progress)
print(f"{baseline_run.key}: test accuracy {record['final_accuracy']:.2%} on {record['data']['test_images']:,} "
      f"test images, {time.perf_counter() - started:.0f} s on {describe(record['hardware'])}")
stored = {r["key"]: r for r in experiments.load_results(live, warn=False)}
if baseline_run.key in stored:
    before = stored[baseline_run.key]["final_accuracy"]
    print(f"the stored study's run with the same settings: {before:.2%} "
          + ("(the same)" if before == record["final_accuracy"] else
             f"({100 * (record['final_accuracy'] - before):+.2f} points here: arithmetic differs a little "
             "between machines, thread counts and library versions)"))

# %% [markdown]
# ## The stored study
#
# The runner appends one JSON line per finished run to `data/results/<study>-<preset>.jsonl` (the study's
# settings, the variant and the network it rounds to, multiply-adds, parameters, the seed, test accuracy per
# epoch, time, hardware, library version). A record made with other settings or another library version is
# skipped with the reason, never mixed into a plot. The whole CPU study is one command, resumable at any
# point (rerun it and it continues where it stopped):
#
# ```
# python -m effnet_lib.learn.experiments run table7 figures --preset cpu --threads 1
# ```
#
# The cell below loads the best stored study (the GPU one when it exists) and says what made it.

# %%
shown, results = experiments.best_results("figures", SHOW)
if shown is None:
    raise FileNotFoundError("no stored study under data/results; run the command above first.")
print(study_plots.describe_study(results))
print(f"{len(results)} runs; {shown.note}")
if shown.preset != "gpu":
    print("CPU scale: a quarter-width, half-depth baseline at 16 px and 312 steps per run. Its rankings are this "
          "study's, not the paper's ImageNet ones; the GPU study (all 60,000 images) has not been run yet.")

# %% [markdown]
# ### Figure 3: one dimension at a time
#
# Each panel scales one dimension of the baseline alone: the three rivals and any Figure 4 point that changes
# that dimension only. Dots are the mean over seeds, bars span the lowest and highest seed.

# %%
study_plots.figure_3(results)
plt.show()

# %% [markdown]
# ### Figure 8: every strategy at matched cost
#
# At each compound point, the compound model and its three rivals cost about the same. A curve above the others
# means more accuracy for the same multiply-adds. The table lists every network with its seed range.

# %%
study_plots.figure_8(results)
plt.show()
display(plots.table(["strategy", "group", "d", "w", "r", "multiply-adds, millions (x)", "parameters",
                     "accuracy % mean [lowest, highest seed]", "seeds"], study_plots.table_rows(results)))

# %% [markdown]
# ### Figure 4: width from four (depth, resolution) bases
#
# The paper's Observation 2: the dimensions are not independent; at the same cost, widening a network that is
# already deeper and sees more pixels reaches higher accuracy than widening the baseline. Each line is a width
# sweep from one base; the (1, 1) line is the baseline with the width-only rivals.

# %%
study_plots.figure_4(results)
plt.show()

# %% [markdown]
# ### What the data shows, beside what the paper shows
#
# The paper (arXiv v5), on ImageNet with B0 trained to convergence: scaling any one dimension helps but the gain
# saturates (Observation 1, Figure 3); width helps more from a deeper, higher-resolution base (Observation 2,
# Figure 4); and compound scaling beats every single dimension at equal FLOPS, by up to 2.5 points (Figure 8).
#
# The sentences below are computed from the stored study named above, not written in advance. Each difference is
# set against the largest spread between seeds of any network in the study; a difference that is not larger is
# called noise.

# %%
for line in study_plots.findings(results):
    print("-", line)

# %% [markdown]
# Read them with the scale in mind. The CPU study is a baseline of 200,000 parameters trained for 312 steps, and
# a network that learns faster in 312 steps is not the same as one that ends better after 350 epochs. The
# paper's gap comes from networks trained to convergence on ImageNet's 224 px photos; here the images are
# 28 px, so resolution past 28 px only upsamples.
#
# ## Table 7, twice
#
# Table 7 lists the models of Figure 7: B0 scaled to about 1.8B FLOPS four ways. Put the printed multipliers on
# the library's analytic cost model and they are not at equal cost:

# %%
b0 = en.cost(en.B0).multiply_adds
printed = {"depth (d=4)": (4.0, 1.0, 1.0), "width (w=2)": (1.0, 2.0, 1.0), "resolution (r=2)": (1.0, 1.0, 2.0),
           "compound (d=1.4, w=1.2, r=1.3)": studies.TABLE_7_COMPOUND}
compound_cost = en.cost(en.scale(en.B0, *studies.TABLE_7_COMPOUND)).multiply_adds
rows = []
for label, (d, w, r) in printed.items():
    c = en.cost(en.scale(en.B0, d, w, r)).multiply_adds
    rows.append((label, f"{paper.TABLE_7[label].multiply_adds_billions:g}B", f"{c / 1e9:.3f}B", f"{c / b0:.2f}x",
                 f"{compound_cost / c - 1:+.0%}", f"{paper.TABLE_7[label].top1:.1f}%"))
display(plots.table(["Table 7 row", "printed FLOPS", "library multiply-adds", "x B0",
                     "compound's extra cost", "printed top-1"], rows))

# %% [markdown]
# By the cost model the compound model has 14 to 24% more multiply-adds than the single-dimension models it is
# compared with (the printed FLOPS, 1.8-1.9B for all four, hide this). The course's second Table 7 compares at
# the compound model's real cost instead: the rivals are matched to it, at our scale. These are the models whose
# class activation maps notebook 6 draws (the `table7` study, its weights kept):

# %%
table7, table7_results = experiments.best_results("table7", SHOW)
rows = []
for run in studies.plan(table7 or studies.study("table7", "cpu")):
    if run.seed:
        continue
    s = table7 or studies.study("table7", "cpu")
    net = run.variant.network(s.base)
    c = en.cost(net, num_classes=10)
    accuracies = [r["final_accuracy"] for r in table7_results if r["key"].rsplit(" | seed", 1)[0] ==
                  run.key.rsplit(" | seed", 1)[0]]
    rows.append((run.variant.strategy, f"{run.variant.depth:.2f}", f"{run.variant.width:.2f}",
                 f"{run.variant.resolution:.2f} ({net.image_size} px)", f"{c.multiply_adds / 1e6:.2f}",
                 ", ".join(f"{a:.1%}" for a in accuracies) or "not trained yet"))
display(plots.table(["Table 7 at our scale", "d", "w", "r", "multiply-adds (millions)", "test accuracy per seed"],
                    rows))
if table7_results:
    print(study_plots.describe_study(table7_results))

# %% [markdown]
# ## Rerun any part yourself
#
# `experiments.run_study` trains what is missing from a results file and skips what is there. Name strategies in
# `RERUN` (in the parameters cell) to train them again into a fresh file, on the settings of the live run.

# %%
if RERUN or SMOKE:
    import tempfile
    from pathlib import Path

    fresh_file = Path(tempfile.mkdtemp(prefix="effnet-study-")) / f"{live.label}.jsonl"
    options = experiments.RunOptions(strategies=tuple(RERUN or ["baseline", "compound"]), seeds=(0,), device=DEVICE)
    fresh = experiments.run_study(live, fresh_file, data=live_data, options=options)
    display(plots.table(["strategy", "group", "d", "w", "r", "multiply-adds, millions (x)", "parameters",
                         "accuracy % mean [lowest, highest seed]", "seeds"], study_plots.table_rows(fresh)))

# %% [markdown]
# ## Summary
#
# - A small-image baseline keeps B0's table but not its strides: output stride 8 leaves a 2x2 map at 16 px.
# - A study is data: one baseline, one recipe for every variant, compound models at $\phi = 1, 2, 3$ that change
#   all three dimensions, rivals matched to their real cost, Figure 4's four bases.
# - A short schedule needs a recipe that trains deep and shallow variants alike (residual blocks that start as
#   the identity, warm-up, enough data); otherwise "depth loses" only says the optimiser ran out of steps.
# - Every sentence about the outcome above is computed from the stored results, with the seed spread as the bar
#   a difference must clear.
# - Table 7's printed models are not at equal cost by the analytic model: compound has 14-24% more.
#
# ## Questions
#
# 1. Why does compound scaling at $\phi = 1$ cost more than twice the baseline here, when Eq. 3 promises about 2?
# 2. Why are the single-dimension rivals matched to the compound model's *real* cost rather than to $2^\phi$?
# 3. What does a residual block compute at the start of training when its last BatchNorm's scale is zero, and why
#    does that help a deep network in a short schedule?
# 4. A resolution rival at 40 px sees a 28 px image upsampled. What can it gain, and what can it not?
# 5. Two strategies differ by 0.3 points and the seeds of one network differ by 0.5. What can you conclude?
# 6. Table 7 prints 1.8B FLOPS for depth, width and compound alike. What does the analytic cost model say, and why
#    does it matter for reading the table?
#
# **Exercises:** `exercises/08_matched_flops` (match single-dimension rivals to a compound model's real cost,
# as this study does) and `exercises/09_width_interaction` (Observation 2 from stored runs, with the seed
# spread). Next: notebook 6 looks inside the Table 7 models with class activation maps (Figure 7).
