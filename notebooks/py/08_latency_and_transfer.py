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
# **CPU time:** 1 min 41 s on an idle 2-core CPU (no busy run measured yet).
#
# Everything so far has measured cost in FLOPS, counted from the stage table. A user waiting for an
# answer cares about seconds, and a practitioner cares whether the network is useful beyond ImageNet.
# The paper checks both (Section 5.2, Table 4; Section 5.3, Table 5). In this notebook you will
#
# - time B0 to B3, Lite0 to Lite2 and two ResNets on **your** device, one image at a time, the way Table 4
#   does, and set the measured speed-up beside the paper's;
# - see why a network with a fraction of the FLOPS is not always faster by the same fraction;
# - draw Figure 1 for your own machine (published accuracy against the latency you measured) and decide,
#   under a latency or FLOPS budget, which model you would deploy;
# - fine-tune the ImageNet-pretrained EfficientNet-Lite0 on Fashion-MNIST, race it against the same
#   network trained from random weights, and set the result beside the paper's Table 5.

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
# The latency part follows Table 4's protocol, the mean of 20 runs with batch 1 on one CPU thread (the paper
# used one core of a Xeon E5-2690), and adds a few untimed warm-up passes before them, which the paper does
# not mention (`WARMUP`; 0 leaves them out). `THREADS = None` uses all
# your cores instead; `LATENCY_DEVICE = "cuda"` times your GPU. `RESOLUTION = None` keeps each network's
# own input size. `LATENCY_BUDGETS_MS` and `FLOPS_BUDGETS` are the budgets of the decision activity: set your own.
#
# The transfer part picks its size from your hardware: on a GPU the whole of Fashion-MNIST at Lite0's
# 224 px; on a CPU a 1,024-image subset at 64 px for 3 epochs. Set `DATASET = "cifar10"` to fine-tune on
# CIFAR-10 instead, if your machine is online (it downloads once).
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
LATENCY_BUDGETS_MS = [75, 150, 300, 600]
FLOPS_BUDGETS = [0.5e9, 1e9, 2e9, 5e9]
DATASET = "fashion-mnist"
SEED = 0

from effnet_lib.learn import transfer

TRANSFER = transfer.SMOKE_MODE if SMOKE else (transfer.GPU_MODE if torch.cuda.is_available() else transfer.CPU_MODE)
print(TRANSFER)

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import effnet_lib as en
from effnet_lib.face import drawing, lessons, plots
from effnet_lib.face.static import progress
from effnet_lib.face.style import plain_log_labels
from effnet_lib.learn import latency
from effnet_lib.rules import paper

# %% [markdown]
# ## Part 1: Table 4 on your device
#
# ### Why FLOPS are not seconds
#
# A multiply-add count says how much arithmetic a network does, not how fast a machine can do it.
# A big dense $3\times3$ convolution reuses every weight and every input many times, so it keeps the
# processor's arithmetic units busy. A depthwise convolution does very little arithmetic per byte it
# reads, so moving data, not arithmetic, tends to set its pace. EfficientNets are built from depthwise
# convolutions; ResNets from dense ones. The paper's Table 4 is the check that the FLOPS savings survive on
# real hardware; below you make the same check on yours.
#
# ### The protocol
#
# Each network gets one random image (batch size 1; the weights do not change the time, so random ones
# do), a few untimed warm-up passes (the course's addition: the first passes are slower while PyTorch picks
# its kernels), then $n = 20$ timed passes $t_1, \dots, t_n$, as Table 4 averages 20 runs. We report their mean and
# their spread,
#
# $$\bar t = \frac{1}{n} \sum_{i=1}^{n} t_i, \qquad s = \sqrt{\frac{1}{n-1} \sum_{i=1}^{n} (t_i - \bar t)^2},$$
#
# and the speed-up of one network over another is the ratio of their means.
#
# ### The pairs, and which version of the paper they come from
#
# Table 4 pairs networks of similar ImageNet accuracy: ResNet-152 (77.8%) with B1 (78.8%), and GPipe
# (84.3%, a 556M-parameter giant we cannot build here) with B7 (84.4%).
#
# > **Two versions of the paper.** The course quotes arXiv v5 (September 2020). Its Table 2 prints B1 at
# > 79.1% and B7 at 84.3%, but its Table 4 keeps the first version's (v1, May 2019) 78.8% and 84.4%. Below,
# > Table 4's comparison uses Table 4's numbers; everything else (the figure, the decision) uses Table 2's.

# %%
plots.table(["model", "top-1 in Table 4 (v1's, kept in v5)", "top-1 in Table 2 (v5)", "arXiv v1's Table 2"],
            [(name.upper(), f"{paper.TABLE_4[name].top1:g}%", f"{paper.TABLE_2[name].top1:g}%",
              f"{paper.V1_TOP1[name]:g}%") for name in ("b1", "b7")])

# %% [markdown]
# We time B0 to B3, the Lite family that notebook 4 ran on photos, ResNet-50 (76.0% in Table 2, near B0's 77.1%)
# and ResNet-152. The library has ResNet-50 as a table; ResNet-152 is the same table with more bottlenecks per
# stage, (3, 8, 36, 3) instead of (3, 4, 6, 3):

# %%
print([stage.repeats for stage in en.RESNET_50.stages], "->", [stage.repeats for stage in en.RESNET_152.stages])
print(f"ResNet-152: {en.cost(en.RESNET_152).parameters / 1e6:.1f}M parameters, "
      f"{en.cost(en.RESNET_152).multiply_adds / 1e9:.1f}B multiply-adds")

# %% [markdown]
# The timing is one of the two slow parts of this notebook (ResNet-152 takes longest); the course's benchmark
# measures the whole notebook's CPU time (notebook 0's table). The bar counts passes, warm-up ones included.

# %%
MODELS = {"b0": "b0", "b1": "b1", "b2": "b2", "b3": "b3", "lite0": "lite0", "lite1": "lite1", "lite2": "lite2",
          "resnet-50": en.RESNET_50, "resnet-152": en.RESNET_152}
timings = latency.compare(MODELS, image_size=RESOLUTION, runs=RUNS, warmup=WARMUP, threads=THREADS,
                          device=LATENCY_DEVICE, bar=None if SMOKE else progress, label="latency, 9 models")
load, cores = timings[0].hardware.get("load_average"), timings[0].hardware.get("cpu_count") or 1
print("measured on:", timings[0].machine, f"; load average when the timing started: {load}" if load else "")
if load and load[0] > cores:
    print(f"This machine was busy (a load of {load[0]:g} on {cores} cores): other programs shared the processor, "
          "so expect wide spreads and slower means. Rerun this cell when it is quieter.")

# %%
lines = ["| network | input | multiply-adds | mean latency | spread | runs | ms per GFLOP |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
for t in timings:
    lines.append(f"| {t.name} | {t.image_size} px | {t.multiply_adds / 1e9:.2f}B | {t.mean * 1e3:.1f} ms "
                 f"| {t.std * 1e3:.1f} ms | {t.runs} | {t.mean * 1e3 / (t.multiply_adds / 1e9):.0f} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# The last column is the time per billion multiply-adds: how efficiently your machine turns each network's
# arithmetic into results.

# %%
by_name = {t.name: t for t in timings}
per_gflop = {t.name: t.mean / (t.multiply_adds / 1e9) for t in timings}
efficient = [per_gflop[n] for n in ("b0", "b1", "b2", "b3", "lite0", "lite1", "lite2")]
dense = [per_gflop[n] for n in ("resnet-50", "resnet-152")]
print(f"Time per billion multiply-adds here: EfficientNets and Lites {min(efficient) * 1e3:.0f} to "
      f"{max(efficient) * 1e3:.0f} ms, ResNets {min(dense) * 1e3:.0f} to {max(dense) * 1e3:.0f} ms.")
print("On this machine each multiply-add of an EfficientNet or Lite costs "
      + ("more" if min(efficient) > max(dense) else "not always more") + " time than a ResNet's.")

# %%
rows = ["| comparison | FLOPS ratio (library) | speed-up, paper (Table 4) | speed-up, measured here |",
        "| --- | ---: | ---: | ---: |"]
for slow, fast, printed in latency.TABLE_4_PAIRS + (("resnet-50", "b0", None),):
    if slow in by_name and fast in by_name:
        flops = f"{by_name[slow].multiply_adds / by_name[fast].multiply_adds:.1f}x"
        measured = f"{by_name[slow].mean / by_name[fast].mean:.1f}x"
    else:
        flops = measured = "not measured (no table for GPipe)"
    quoted = (f"{latency.paper_speedup(slow, fast):.1f}x ({latency.TABLE_4[slow].seconds} s / "
              f"{latency.TABLE_4[fast].seconds} s)" if printed else "(not in the paper)")
    rows.append(f"| {fast} vs {slow} | {flops} | {quoted} | {measured} |")
display(Markdown("\n".join(rows)))

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
names = [t.name for t in timings]
colours = ["tab:gray" if n.startswith("resnet") else "tab:purple" if n.startswith("lite") else "tab:blue" for n in names]
left.bar(names, [t.mean * 1e3 for t in timings], yerr=[t.std * 1e3 for t in timings], capsize=3, color=colours)
left.set(ylabel="latency (ms), mean of runs +- spread", title="Table 4 on your device: batch 1")
left.tick_params(axis="x", rotation=45, labelsize=8)
for t, colour in zip(timings, colours):
    right.scatter(t.multiply_adds / 1e9, t.mean * 1e3, color=colour)
right.set(xlabel="multiply-adds (billions, log)", ylabel="latency (ms, log)", xscale="log", yscale="log",
          title="latency against FLOPS")
plain_log_labels(right.xaxis)
plain_log_labels(right.yaxis)
right.grid(True, which="both", alpha=0.3)
drawing.place_labels(right, [(t.multiply_adds / 1e9, t.mean * 1e3, t.name) for t in timings], fontsize=8)
setting = f"{timings[0].runs} runs after {timings[0].warmup} warm-up"
fig.suptitle(f"{timings[0].machine}; {setting}" + ("; smoke mode, 64 px" if SMOKE else ""), fontsize=9)
plt.show()

# %% [markdown]
# **Reading your numbers.** The paper's machine is not yours, so its absolute seconds will not match; the ratio
# is the comparable figure. Compare the FLOPS ratio of B1 and ResNet-152 in the table above with the 5.7x the
# paper measured, and with yours. On a busy machine (a shared server, a laptop running other things) the spread
# grows, and the mean with it; rerun the cell and see how stable your ratio is.
#
# ## Figure 1 for your machine
#
# The paper's Figure 1 puts accuracy against parameters. What a user feels is latency, so here is the same picture
# with the latency *you* measured on the x axis. The accuracies are the published ImageNet top-1: Table 2 (v5) for
# the B models and the ResNets, the official Lite README for the Lite models. The weights timed above are random,
# which does not change the time; the accuracy belongs to the published weights of the same network.

# %%
ACCURACY = {**{name: (paper.TABLE_2[name].top1, "Table 2 (v5)") for name in ("b0", "b1", "b2", "b3")},
            **{name: (paper.LITE[name].top1, "Lite README") for name in ("lite0", "lite1", "lite2")},
            "resnet-50": (paper.TABLE_2_OTHERS["b0"]["ResNet-50"].top1, "Table 2 (v5)"),
            "resnet-152": (paper.TABLE_2_OTHERS["b1"]["ResNet-152"].top1, "Table 2 (v5)")}
choices = latency.options(timings, ACCURACY)
family = {"b": "EfficientNet (Table 2, v5)", "l": "EfficientNet-Lite (README)", "r": "ResNet (Table 2, v5)"}
lessons.accuracy_against_latency([dict(name=c.name, family=family[c.name[0]], seconds=c.seconds, top1=c.top1)
                                  for c in choices],
                                 machine=timings[0].machine + ("; smoke mode, 64 px" if SMOKE else ""))
plt.show()

# %% [markdown]
# ## Your decision: which model would you deploy?
#
# Say your application must answer one image within a latency budget, or your device allows a FLOPS budget. Which
# of these nine would you pick? A reasonable rule: the most accurate model that fits. `latency.pick` applies it to
# what you measured. Change `LATENCY_BUDGETS_MS` and `FLOPS_BUDGETS` in the parameters cell to your own.

# %%
rows = []
for budget in LATENCY_BUDGETS_MS:
    chosen = latency.pick(choices, seconds=budget / 1e3)
    fits = sum(c.seconds <= budget / 1e3 for c in choices)
    rows.append((f"{budget} ms", chosen.name if chosen else "nothing fits",
                 f"{chosen.top1:.1f}% ({chosen.source})" if chosen else "", f"{chosen.seconds * 1e3:.0f} ms" if chosen else "",
                 f"{fits} of {len(choices)}"))
for budget in FLOPS_BUDGETS:
    chosen = latency.pick(choices, multiply_adds=budget)
    fits = sum(c.multiply_adds <= budget for c in choices)
    rows.append((f"{budget / 1e9:g}B multiply-adds", chosen.name if chosen else "nothing fits",
                 f"{chosen.top1:.1f}% ({chosen.source})" if chosen else "",
                 f"{chosen.seconds * 1e3:.0f} ms" if chosen else "", f"{fits} of {len(choices)}"))
plots.table(["budget", "pick", "published top-1", "latency here", "models that fit"], rows)

# %% [markdown]
# Why those picks? A model is never the right pick if another one is at least as accurate *and* faster: it is
# *dominated*. The cell below lists, from your measurements, which models are dominated and by what.

# %%
for c in choices:
    better = [o.name for o in choices if o is not c and o.top1 >= c.top1 and o.seconds <= c.seconds]
    print(f"{c.name:>10} ({c.top1:.1f}%, {c.seconds * 1e3:.0f} ms): "
          + (f"dominated by {', '.join(better)}" if better else "not dominated: a possible pick"))

# %% [markdown]
# Things the table cannot decide for you: accuracy on *your* data (ImageNet top-1 is only a proxy, see Part 2),
# quantisation (the Lite models were designed to survive 8-bit integers, which this CPU test does not use), and
# batch size (a server answering many requests at once batches them, and the ranking by latency can change).
#
# ## Part 2: transfer learning with the pretrained Lite0
#
# The paper's Table 5 takes ImageNet-trained EfficientNets and fine-tunes them on eight smaller data sets,
# where they match or beat the best published results with far fewer parameters. The reason to fine-tune
# at all: the first layers of a network trained on a million photos detect edges, textures and parts that
# are useful for almost any image, so a new task needs to learn much less.
#
# We do this with EfficientNet-Lite0, whose ImageNet weights the course can load offline (B0 without
# squeeze-and-excitation, with ReLU6). Three things change:
#
# 1. the 1000-way ImageNet classifier is swapped for a fresh 10-way one;
# 2. Fashion-MNIST's grey images are copied into three channels, since the stem expects colour;
# 3. inputs are scaled to $[-1, 1]$, as Lite0 was trained.
#
# The comparison is the same network, the same data, recipe and seed, started from **random weights**.

# %%
data = transfer.load_transfer_data(TRANSFER, DATASET, seed=SEED, download=DATASET != "fashion-mnist")
print(data)

fig, axes = plt.subplots(1, 8, figsize=(11, 1.9))
for ax, image, label in zip(axes, data.train_images[:8], data.train_labels[:8]):
    ax.imshow(image.permute(1, 2, 0).numpy())
    ax.set_title(data.classes[int(label)], fontsize=8)
    ax.axis("off")
fig.suptitle("what Lite0 sees: grey clothes as three-channel images")
plt.show()

# %% [markdown]
# Training the two networks is this notebook's other slow part: each has its own bar, which counts its
# training steps.

# %%
result = transfer.compare_transfer(data, TRANSFER, seed=SEED, bar=None if SMOKE else progress)
curves = result.curves()
for arm, accuracy in curves.items():
    print(f"{arm:10} test accuracy by epoch: {[round(a, 3) for a in accuracy]}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
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

# %%
final = {arm: accuracy[-1] for arm, accuracy in curves.items()}
gap = final["pretrained"] - final["scratch"]
print(f"After {TRANSFER.epochs} epoch(s): pretrained {final['pretrained']:.1%}, from random weights "
      f"{final['scratch']:.1%}; the pretrained start is {'ahead' if gap > 0 else 'not ahead'} by {gap * 100:+.1f} points.")

# %% [markdown]
# ### Beside the paper's Table 5
#
# The paper's transfer results and ours answer different questions, so they stand side by side, not against each
# other. Table 5 fine-tunes full-size EfficientNets on whole data sets at full resolution, for as long as it takes;
# our run fine-tunes the smallest Lite on a subset of a different data set (Fashion-MNIST is not in Table 5), at
# small images, for a few epochs. The parameter counts *are* comparable: the library counts each network with its new
# classifier, and reproduces Table 5's "4M" and "64M".

# %%
rows = [(f"{r.dataset} ({r.comparison})", f"{r.ours.upper()}: {r.our_top1:.1f}%",
         f"{r.our_parameters_millions:g}M (library: {en.cost(r.ours, num_classes=paper.TABLE_5_CLASSES[r.dataset]).parameters / 1e6:.2f}M)",
         f"{r.other_model}: {r.other_top1:.1f}%, {r.other_parameters_millions:g}M", f"{r.printed_reduction:g}x")
        for r in paper.TABLE_5]
ours_parameters = en.cost("lite0", num_classes=data.num_classes).parameters / 1e6
rows.append((f"{data.name}, {len(data.train_labels):,} images, {TRANSFER.image_size} px, {TRANSFER.epochs} epoch(s)",
             f"Lite0 (this notebook): {final['pretrained']:.1%}", f"library: {ours_parameters:.2f}M",
             f"the same Lite0 from random weights: {final['scratch']:.1%}", "(same network)"))
display(plots.table(["data set", "EfficientNet", "its parameters", "compared with", "fewer parameters"], rows))
summary = paper.TABLE_5_SUMMARY
print(f"Table 5's summary: state of the art on {summary['state_of_the_art']} of {summary['datasets']} data sets; "
      f"{summary['mean_reduction_public']}x fewer parameters on average than public models (up to "
      f"{summary['largest_reduction']}x), {summary['mean_reduction_reported']}x fewer than the best reported ones.")

# %% [markdown]
# **What to look for.** How far ahead the pretrained network starts, and whether the gap closes within the
# epochs you ran. Our CPU run is short and its images small (64 px, while Lite0 was trained at 224 px), which
# handicaps the pretrained features; a longer run at 224 px (the GPU setting) would test how much of the head start
# survives. This course has not measured that run; the parameters cell lets you.

# %% [markdown]
# ## Summary
#
# - Latency is measured, not counted: batch 1, the mean (and spread) of 20 runs, on your device, after a few
#   warm-up passes that the course adds to Table 4's protocol.
#   The speed-up that matters is a ratio of means; the ms-per-GFLOP column shows how much of their FLOPS
#   advantage the EfficientNets keep on your machine.
# - The paper's Table 4 ratios (5.7x for B1 against ResNet-152) come from one core of a server CPU, with B1's
#   v1 accuracy; your ratio depends on your hardware and its load, which is why the course measures rather
#   than quotes.
# - Figure 1 for your machine turns the paper's comparison into a deployment decision: the most accurate model
#   within a budget, and never a dominated one.
# - Fine-tuning the ImageNet-pretrained Lite0 (new classifier, grey copied to three channels, inputs in
#   $[-1, 1]$) is Table 5's idea at course scale; the library's parameter counts reproduce Table 5's.
#
# ## Questions
#
# 1. Why can a network with a quarter of the FLOPS take more than a quarter of the time?
# 2. Why does the paper time batch size 1 on one core, and what would change with a batch of 64?
# 3. Table 4 and Table 2 of the same paper give B1 different accuracies. Which version is each from?
# 4. What does it mean for a model to be dominated, and can a dominated model ever be the right choice?
# 5. Why does the pretrained Lite0 need its grey images copied into three channels?
# 6. Table 5's B0 has 4M parameters, not B0's 5.3M. Where did the other 1.3M go?
#
# **Answers:** try the questions first, then compare with the worked answers in
# [solutions/answers/08_latency_and_transfer.md](../solutions/answers/08_latency_and_transfer.md).
#
# **Exercise:** [exercise 11, latency and choice](../exercises/11_latency_and_choice.ipynb) (Table 4's
# protocol on your device, then the best model under a time budget).
#
# To go further: set `THREADS = None` and see how
# the ratios move with all your cores; time B0 at 112, 224 and 448 px and check whether latency grows like
# $r^2$ as FLOPS do; freeze everything but the new classifier in the pretrained Lite0
# (`p.requires_grad_(False)` for `model.stem`, `model.stages`, `model.head`) and compare its curve with
# full fine-tuning. [Exercise 04](../exercises/04_squeeze_excite.ipynb) and
# [exercise 05](../exercises/05_mbconv.ipynb) build the blocks whose speed you measured here.
