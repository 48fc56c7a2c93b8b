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
# # 8. Latency on your machine, and transfer learning
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/08_latency_and_transfer.ipynb)
#
# Everything so far has measured cost in FLOPS, counted from the stage table. A user waiting for an
# answer cares about seconds, and a practitioner cares whether the network is useful beyond ImageNet.
# The paper checks both (Section 5.2, Table 4; Section 5.3, Table 5). In this notebook you will
#
# - time B0 to B3 and two ResNets on **your** device, one image at a time, the way Table 4 does, and set
#   the measured speed-up beside the paper's;
# - see why a network with a fraction of the FLOPS is not always faster by the same fraction;
# - fine-tune the ImageNet-pretrained EfficientNet-Lite0 on Fashion-MNIST and race it against the same
#   network trained from random weights.

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
# The latency part follows the paper's protocol: batch 1, a few untimed warm-up passes, then the mean of
# 20 timed runs, on one CPU thread (the paper used one core of a Xeon E5-2690). `THREADS = None` uses all
# your cores instead; `LATENCY_DEVICE = "cuda"` times your GPU. `RESOLUTION = None` keeps each network's
# own input size.
#
# The transfer part picks its size from your hardware: on a GPU the whole of Fashion-MNIST at Lite0's
# 224 px; on a CPU a 1,024-image subset at 64 px for 3 epochs (several minutes on two cores). Set
# `DATASET = "cifar10"` to fine-tune on CIFAR-10 instead, if your machine is online (it downloads once).
#
# `SMOKE` (set by the test suite) shrinks both to a few seconds: 3 runs at 64 px, and a few training
# steps whose accuracies mean nothing.

# %%
import os

import torch

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
RUNS, WARMUP, THREADS = (3, 1, 1) if SMOKE else (20, 3, 1)
RESOLUTION = 64 if SMOKE else None
LATENCY_DEVICE = "cpu"
DATASET = "fashion-mnist"
SEED = 0

from effnet_lib.learn import transfer

TRANSFER = transfer.SMOKE_MODE if SMOKE else (transfer.GPU_MODE if torch.cuda.is_available() else transfer.CPU_MODE)
print(TRANSFER)

# %%

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import effnet_lib as en
from effnet_lib.learn import latency

# %% [markdown]
# ## Part 1: Table 4 on your device
#
# ### Why FLOPS are not seconds
#
# A multiply-add count says how much arithmetic a network does, not how fast a machine can do it.
# A big dense $3\times3$ convolution reuses every weight and every input many times, so it keeps the
# processor's arithmetic units busy. A depthwise convolution does very little arithmetic per byte it
# reads, so memory, not arithmetic, sets its pace. EfficientNets are built from depthwise convolutions;
# ResNets from dense ones. The paper's Table 4 is the check that the FLOPS savings survive on real hardware.
#
# ### The protocol
#
# Each network gets one random image (batch size 1; the weights do not change the time, so random ones
# do), a few untimed warm-up passes, then $n = 20$ timed passes $t_1, \dots, t_n$. We report their mean and
# their spread,
#
# $$\bar t = \frac{1}{n} \sum_{i=1}^{n} t_i, \qquad s = \sqrt{\frac{1}{n-1} \sum_{i=1}^{n} (t_i - \bar t)^2},$$
#
# and the speed-up of one network over another is the ratio of their means.
#
# ### The pairs
#
# Table 4 pairs networks of similar ImageNet accuracy: ResNet-152 (77.8%) with B1 (78.8%), and GPipe
# (84.3%, a 557M-parameter giant we cannot build here) with B7 (84.4%). We time B0 to B3, ResNet-152, and
# ResNet-50, whose 76.0% sits near B0's 77.1%. The library has ResNet-50 as a table; ResNet-152 is the
# same table with more bottlenecks per stage, (3, 8, 36, 3) instead of (3, 4, 6, 3):

# %%
RESNET_152 = en.RESNET_152   # in effnet_lib/baselines.py: RESNET_50 with repeats (3, 8, 36, 3)
print([stage.repeats for stage in en.RESNET_50.stages], "->", [stage.repeats for stage in RESNET_152.stages])
print(f"ResNet-152: {en.cost(RESNET_152).parameters / 1e6:.1f}M parameters, "
      f"{en.cost(RESNET_152).multiply_adds / 1e9:.1f}B multiply-adds")

# %%
MODELS = {"b0": "b0", "b1": "b1", "b2": "b2", "b3": "b3", "resnet-50": en.RESNET_50, "resnet-152": RESNET_152}
timings = latency.compare(MODELS, image_size=RESOLUTION, runs=RUNS, warmup=WARMUP, threads=THREADS,
                          device=LATENCY_DEVICE)
print("measured on:", timings[0].machine, f"({timings[0].threads} thread(s))" if timings[0].threads else "")
for t in timings:
    print(t)

# %%
lines = ["| network | input | multiply-adds | mean latency | spread (s) | runs | ms per GFLOP |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
for t in timings:
    lines.append(f"| {t.name} | {t.image_size} px | {t.multiply_adds / 1e9:.2f}B | {t.mean * 1e3:.1f} ms "
                 f"| {t.std * 1e3:.1f} ms | {t.runs} | {t.mean * 1e3 / (t.multiply_adds / 1e9):.0f} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# The last column is the time per billion multiply-adds: how efficiently your machine turns each network's
# arithmetic into results. Compare the EfficientNets' with the ResNets': that gap is the depthwise
# convolutions' poor arithmetic intensity at work.

# %%
by_name = {t.name: t for t in timings}
rows = ["| comparison | FLOPS ratio (library) | speed-up, paper (Table 4) | speed-up, measured here |",
        "| --- | ---: | ---: | ---: |"]
for slow, fast, printed in latency.TABLE_4_PAIRS + (("resnet-50", "b0", None),):
    if slow in by_name and fast in by_name:
        flops = f"{by_name[slow].multiply_adds / by_name[fast].multiply_adds:.1f}x"
        measured = f"{by_name[slow].mean / by_name[fast].mean:.1f}x"
    else:
        flops = measured = "not measured (no table for GPipe)"
    paper = (f"{latency.paper_speedup(slow, fast):.1f}x ({latency.TABLE_4[slow].seconds} s / "
             f"{latency.TABLE_4[fast].seconds} s)" if printed else "(not in the paper)")
    rows.append(f"| {fast} vs {slow} | {flops} | {paper} | {measured} |")
display(Markdown("\n".join(rows)))

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
names = [t.name for t in timings]
left.bar(names, [t.mean * 1e3 for t in timings], yerr=[t.std * 1e3 for t in timings], capsize=4,
         color=["tab:blue"] * 4 + ["tab:gray"] * 2)
left.set(ylabel="latency (ms), mean of runs +- spread", title="Table 4 on your device: batch 1")
for t in timings:
    right.scatter(t.multiply_adds / 1e9, t.mean * 1e3, color="tab:gray" if t.name.startswith("resnet") else "tab:blue")
    right.annotate(t.name, (t.multiply_adds / 1e9, t.mean * 1e3), textcoords="offset points", xytext=(5, 3))
right.set(xlabel="multiply-adds (billions)", ylabel="latency (ms)", xscale="log", yscale="log",
          title="latency against FLOPS")
setting = f"{timings[0].runs} runs after {timings[0].warmup} warm-up, {timings[0].threads or 'all'} thread(s)"
fig.suptitle(f"{timings[0].machine}; {setting}" + ("; smoke mode, 64 px" if SMOKE else ""), fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Reading your numbers.** The paper's machine is not yours, so its absolute seconds will not match;
# the ratio is the comparable figure. Expect EfficientNets to lose some of their FLOPS advantage in
# latency: compare the FLOPS ratio of B1 and ResNet-152 in the table above with the 5.7x the paper
# measured, and with yours. On a busy machine (a shared server, a laptop running other things) the spread
# grows, and the mean with it; rerun the cell and see how stable your ratio is. On a GPU at batch 1 the
# small networks are so quick that launching the kernels, not computing them, sets the time.

# %% [markdown]
# ## Part 2: transfer learning with the pretrained Lite0
#
# The paper's Table 5 takes ImageNet-trained EfficientNets and fine-tunes them on eight smaller data sets,
# where they match or beat the best published results with far fewer parameters. The reason to fine-tune
# at all: the first layers of a network trained on a million photos detect edges, textures and parts that
# are useful for almost any image, so a new task needs to learn much less.
#
# We do this with the one EfficientNet whose ImageNet weights the course can load offline,
# **EfficientNet-Lite0** (B0 without squeeze-and-excitation, with ReLU6). Three things change:
#
# 1. the 1000-way ImageNet classifier is swapped for a fresh 10-way one;
# 2. Fashion-MNIST's grey images are copied into three channels, since the stem expects colour;
# 3. inputs are scaled to $[-1, 1]$, as Lite0 was trained.
#
# The comparison is the same network, the same data, recipe and seed, started from **random weights**.

# %%
data = transfer.load_transfer_data(TRANSFER, DATASET, seed=SEED, download=DATASET != "fashion-mnist")
print(data)

fig, axes = plt.subplots(1, 8, figsize=(12, 1.8))
for ax, image, label in zip(axes, data.train_images[:8], data.train_labels[:8]):
    ax.imshow(image.permute(1, 2, 0).numpy())
    ax.set_title(data.classes[int(label)], fontsize=8)
    ax.axis("off")
fig.suptitle("what Lite0 sees: grey clothes as three-channel images")
plt.show()

# %%
result = transfer.compare_transfer(data, TRANSFER, seed=SEED, progress=not SMOKE)
curves = result.curves()
for arm, accuracy in curves.items():
    print(f"{arm:10} test accuracy by epoch: {[round(a, 3) for a in accuracy]}")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for arm, accuracy in curves.items():
    ax.plot(range(1, len(accuracy) + 1), [100 * a for a in accuracy], marker="o",
            label=f"Lite0 {'ImageNet-pretrained' if arm == 'pretrained' else 'from random weights'}")
ax.set(xlabel="epoch", ylabel="test accuracy (%)",
       title=f"Transfer (Section 5.3) in miniature: {data.name}, {TRANSFER.image_size} px")
ax.set_xticks(range(1, TRANSFER.epochs + 1))
ax.legend()
note = ("smoke mode: a few steps, the numbers mean nothing" if SMOKE else
        f"{len(data.train_labels):,} training images, {result.pretrained.device}")
fig.text(0.01, 0.01, note, fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# **What to look for.** The pretrained network should start far ahead and stay ahead: after one epoch it
# already knows how to see, and only has to learn what separates a sneaker from a sandal. The network from
# random weights has to learn edges first. On a CPU the run is short and the images small (64 px, while
# Lite0 was trained at 224 px), which handicaps the pretrained features; on a GPU, at 224 px on all of
# Fashion-MNIST, both curves climb higher and the gap narrows as the scratch network catches up with data.

# %% [markdown]
# ## Summary
#
# - Latency is measured, not counted: batch 1, warm-up, the mean (and spread) of 20 runs, on your device.
#   The speed-up that matters is a ratio of means, and EfficientNets keep less of their FLOPS advantage
#   in seconds, because depthwise convolutions do little arithmetic per byte they move.
# - The paper's Table 4 ratios (5.7x for B1 against ResNet-152) come from one core of a server CPU; your
#   ratio depends on your hardware and its load, which is why the course measures rather than quotes.
# - Fine-tuning the ImageNet-pretrained Lite0 (new classifier, grey copied to three channels, inputs in
#   $[-1, 1]$) learns Fashion-MNIST much faster than the same network from random weights: the paper's
#   transfer results (Table 5), in miniature.
#
# **Exercises:** there is no graded exercise for this notebook. Try these: set `THREADS = None` and see how
# the ratio moves with all your cores; time B0 at 112, 224 and 448 px and check whether latency grows like
# $r^2$ as FLOPS do; freeze everything but the new classifier in the pretrained Lite0
# (`p.requires_grad_(False)` for `model.stem`, `model.stages`, `model.head`) and compare its curve with
# full fine-tuning. `exercises/04_squeeze_excite` and `exercises/05_mbconv` build the blocks whose speed
# you measured here.
