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
# # 9. After EfficientNet: what the next papers changed, and why
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/09_after_efficientnet.ipynb)
#
# **CPU time:** 1 min 11 s on an idle 2-core CPU (no busy run measured yet).
#
# EfficientNet counted cost in FLOPS and scaled by one rule. Within two years four papers questioned both:
# FLOPS are not time, the training recipe decides which dimension pays, and the test image is not the training
# image. This notebook takes each paper's main change and, wherever the course's library can, computes or
# measures it instead of quoting it. You will
#
# - build EfficientNetV2's **Fused-MBConv** block from the library, fuse B0's early stages, and measure whether a
#   network with more multiply-adds can run faster on your CPU, and why the fusing stops half way;
# - cost EfficientNetV2-S from its stage table and lay out **progressive learning**, where image size and
#   augmentation grow together during training;
# - compute **FixRes**'s train-test discrepancy: how much larger objects look in training crops than in the test
#   crop, and watch the pretrained Lite0 react when only the test size changes;
# - read **Bello et al.**'s finding that the training regime decides which dimension to scale, beside the course's
#   own small study;
# - write **fast scaling** (Dollár et al.) as Eq. 3 with other constants, and measure whether its smaller
#   activations buy speed at equal multiply-adds.
#
# Every number quoted from these papers is theirs, with where it is printed; everything else is computed here.

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
# Latency is measured as in notebook 8: batch 1, `WARMUP` untimed passes, the mean of `RUNS` timed ones, on
# `THREADS` CPU thread(s) (`None`: all cores) of `LATENCY_DEVICE`. `IMAGE_SIZE` is B0's input for the Fused-MBConv
# timing; `PHIS` are the compound steps at which fast scaling is matched and timed; `TEST_SIZES` are the sizes at
# which the pretrained Lite0 looks at `PHOTOS`. `SMOKE` (set by the test suite) shrinks everything to seconds; its
# numbers mean nothing.

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
RUNS, WARMUP, THREADS = (2, 1, 1) if SMOKE else (20, 3, 1)
LATENCY_DEVICE = "cpu"
IMAGE_SIZE = 64 if SMOKE else 224
PHIS = [1] if SMOKE else [1, 2, 3]
TEST_SIZES = [160, 224, 288] if SMOKE else [128, 160, 192, 224, 256, 288, 320, 384]
PHOTOS = ["chelsea", "coffee"] if SMOKE else ["chelsea", "coffee", "rocket", "astronaut"]
CROPS = 2_000 if SMOKE else 20_000       # training crops drawn for FixRes's picture
SEED = 0

# %%
import math
import statistics

import matplotlib.pyplot as plt
import torch

import effnet_lib as en
from effnet_lib.face import after, plots
from effnet_lib.face.static import progress
from effnet_lib.learn import latency
from effnet_lib.rules import fixres, matching, memory, paper, scaling
from effnet_lib.rules.blocks import block_kind
from effnet_lib.rules.efficientnetv2 import V2_S, fuse, progressive_learning

# %% [markdown]
# ## The four papers
#
# `effnet_lib.rules.paper.AFTER_EFFICIENTNET` names them; each section below quotes only numbers printed in a
# place it names (an abstract, a table, the official code or README), and tells the rest in words.

# %%
plots.table(["paper", "authors", "where", "arXiv"],
            [(s.title, s.authors, s.venue, s.arxiv) for s in paper.AFTER_EFFICIENTNET.values()])

# %% [markdown]
# ## 1. EfficientNetV2 (Tan & Le, 2021): train faster, not only run cheaper
#
# The same authors returned to their family two years later with a new question: how long does it take to
# **train**? Their abstract names three changes:
#
# 1. **Training-aware search and scaling.** The architecture search and the scaling optimise training speed and
#    parameter efficiency together, where EfficientNet's search (notebook 3, Section 4 of the 2019 paper) weighed
#    accuracy against FLOPS.
# 2. **Fused-MBConv**, a new block in the search space. The searched network (below) uses it in its early stages.
# 3. **Progressive learning with adaptive regularisation**: train on small images first and on larger ones later,
#    and strengthen the regularisation as the images grow.
#
# ### Fused-MBConv, block by block
#
# MBConv (notebook 4) expands with a $1\times1$ convolution, filters each channel with a depthwise $k\times k$
# convolution, and projects back with a $1\times1$. Fused-MBConv replaces the first two by **one dense $k\times k$
# convolution** that expands and filters at once (and carries the stride), then projects. A dense $k\times k$ over
# $C_\text{in}$ inputs costs $k^2 C_\text{in}$ multiply-adds per output value where the $1\times1$ and depthwise
# pair cost $C_\text{in} + k^2$, so a fused block always does more arithmetic. The library has it as a block kind,
# `"fused_mbconv"` (`effnet_lib.rules.blocks`, module `effnet_lib.model.layers.FusedMBConv`), and
# `effnet_lib.rules.efficientnetv2.fuse(B0, k)` turns B0's first `k` stages into Fused-MBConv stages. For the first
# block of each of B0's stages, both kinds costed at the same shape:

# %%
rows = []
mbconv_blocks, fused_blocks = list(en.blocks(en.B0)), list(en.blocks(fuse(en.B0, len(en.B0.stages))))
first = 0
for stage, row in enumerate(en.B0.stages, start=1):
    m, f = mbconv_blocks[first], fused_blocks[first]
    (mp, mm), (fp, fm) = block_kind(m.kind).cost(m), block_kind(f.kind).cost(f)
    rows.append((stage, f"{m.in_channels} -> {m.out_channels}, x{row.expand_ratio:g}, k{m.kernel}",
                 f"{m.in_size} -> {m.out_size} px", f"{mm / 1e6:.1f}M", f"{fm / 1e6:.1f}M", f"x{fm / mm:.1f}",
                 f"{mp:,}", f"{fp:,}"))
    first += row.repeats
plots.table(["stage", "channels, expansion, kernel", "map", "MBConv multiply-adds", "Fused multiply-adds",
             "fused / MBConv", "MBConv parameters", "Fused parameters"], rows)

# %% [markdown]
# Fused costs more in every stage, by a factor that depends on the kernel and the widths. Two things change along the
# network. The dense $k\times k$ grows with the product of the input and hidden channels, the depthwise one only with
# the hidden channels, so in the wide late stages (5 to 7) a fused block adds far more multiply-adds than in the early
# ones (compare the two multiply-add columns). And in every stride-2 stage the fused block strides inside its
# expansion, where MBConv expands at the input's full size before its stride.
#
# ### Fusing B0's early stages: counted, then timed
#
# Now whole networks: B0 with none, one, two, ... all seven stages fused, costed by the library and timed on this
# machine, one image at a time. (It takes under a minute on one CPU thread.)

# %%
fused = {k: fuse(en.B0, k).with_(image_size=IMAGE_SIZE) for k in range(len(en.B0.stages) + 1)}
timings = latency.compare({f"fused 1-{k}": spec for k, spec in fused.items()}, runs=RUNS, warmup=WARMUP,
                          threads=THREADS, device=LATENCY_DEVICE, bar=None if SMOKE else progress,
                          label="B0 with k stages fused")
machine = timings[0].machine
load = timings[0].hardware.get("load_average")
print(f"measured on: {machine}; load average when the timing started: {load}")
fused_rows = [dict(fused=k, multiply_adds=t.multiply_adds, parameters=en.cost(fused[k]).parameters,
                   seconds=t.mean, spread=t.std) for k, t in zip(fused, timings)]
after.fused_stages(fused_rows, machine=f"{machine}; {IMAGE_SIZE} px, {RUNS} runs" + ("; smoke mode" if SMOKE else ""))
plt.show()

# %%
base = fused_rows[0]
plots.table(["stages fused", "parameters", "multiply-adds", "x B0", "latency", "x B0", "ms per billion multiply-adds"],
            [(after.fused_label(r["fused"]), f"{r['parameters']:,}", f"{r['multiply_adds'] / 1e9:.2f}B",
              f"{r['multiply_adds'] / base['multiply_adds']:.2f}", f"{r['seconds'] * 1e3:.1f} +- {r['spread'] * 1e3:.1f} ms",
              f"{r['seconds'] / base['seconds']:.2f}", f"{r['seconds'] * 1e3 / (r['multiply_adds'] / 1e9):.0f}")
             for r in fused_rows])

# %%
fastest = min(fused_rows, key=lambda r: r["seconds"])
everything = fused_rows[-1]
print(f"Fastest here: stages {after.fused_label(fastest['fused'])} fused, at {fastest['seconds'] / base['seconds']:.2f}x "
      f"B0's latency with {fastest['multiply_adds'] / base['multiply_adds']:.2f}x its multiply-adds.")
beyond = {"faster": [], "slower": []}
for r in fused_rows[1:]:
    if abs(r["seconds"] - base["seconds"]) > max(r["spread"], base["spread"]):
        beyond["faster" if r["seconds"] < base["seconds"] else "slower"].append(after.fused_label(r["fused"]))
print(f"Against B0, beyond the larger of the two spreads: faster with stages {', '.join(beyond['faster']) or 'none'} "
      f"fused, slower with {', '.join(beyond['slower']) or 'none'}; the rest within the spread.")
print(f"Everything fused: {everything['multiply_adds'] / base['multiply_adds']:.1f}x the multiply-adds, "
      f"{everything['seconds'] / base['seconds']:.2f}x the latency.")
for earlier, later in zip(fused_rows, fused_rows[1:]):
    change = later["seconds"] - earlier["seconds"]
    noise = max(earlier["spread"], later["spread"])
    verdict = "faster" if change < -noise else "slower" if change > noise else "within the spread"
    print(f"  fusing stage {later['fused']}: {(later['multiply_adds'] - earlier['multiply_adds']) / 1e6:+7.1f}M multiply-adds, "
          f"{change * 1e3:+6.1f} ms ({verdict})")

# %% [markdown]
# **Why can more arithmetic take less time?** Read the last column of the table: the time per billion multiply-adds.
# A depthwise convolution does $k^2$ multiply-adds for each value it reads, a $1\times1$ convolution as many as it
# has input channels; in B0's early stages both are small numbers, the maps are large, and the processor spends its
# time moving tensors in and out of memory rather than multiplying. A dense $3\times3$ over the same channels reuses
# every value it reads $9 C_\text{in}$ times, keeps the arithmetic units busy, and writes one expanded tensor where
# MBConv writes two (after the expansion and after the depthwise filter). Late in the network the channels are many:
# the dense convolution's extra arithmetic grows with their square, and it no longer pays. EfficientNetV2's search
# made the same choice on its hardware: its searched network (below) is fused in the first three stages only.
#
# What this measurement is and is not: one CPU, batch 1, inference, a loaded machine (see the load average). The
# paper's argument is about training on accelerators; your ratios will differ, and rerunning the cell shows how much
# they move.
#
# ### EfficientNetV2-S as a stage table
#
# The V2 paper's Table 4 lists EfficientNetV2-S stage by stage; the library holds it as `V2_S`, a table like B0's with
# three Fused-MBConv stages first:

# %%
print(V2_S)
v2 = en.cost(V2_S)
published = paper.V2_S_PUBLISHED
print(f"\nlibrary: {v2.parameters:,} parameters, {v2.multiply_adds / 1e9:.3f}B multiply-adds at {V2_S.image_size} px")
print(f"official README (google/automl efficientnetv2): {published.parameters_millions}M parameters, "
      f"{published.multiply_adds_billions}B FLOPs, top-1 {published.top1}%")

# %% [markdown]
# The library's count rounds to the README's figures; `tests/test_after_efficientnet.py` also checks it against the
# network torchvision builds (the same 21,458,488 parameters). Note its width: the fused stages use expansion 4 and
# few channels (24 to 64), exactly where the table above shows fusing is cheapest.
#
# ### Progressive learning with adaptive regularisation
#
# Training cost per image grows with the square of the image size (notebook 1). Progressive learning cuts training
# into a few stages that run on growing images; the paper's observation is that small images call for weak
# regularisation and large images for strong, so augmentation strength rises with the size. The reference code
# trains EfficientNetV2-S in 4 equal stages up to 300 px (and evaluates at 384 px), raising RandAugment's magnitude
# from 5 to 10 (mixup stays off for S). `progressive_learning` computes the schedule as that code does, and the
# library costs each stage:

# %%
training = paper.V2_S_TRAINING
schedule = progressive_learning(training["train_size"], training["randaugment"], training["mixup"])
final_cost = en.cost(V2_S, image_size=training["train_size"]).multiply_adds
stages = [dict(image_size=s.image_size, randaugment=s.randaugment, mixup=s.mixup,
               relative_cost=en.cost(V2_S, image_size=s.image_size).multiply_adds / final_cost) for s in schedule]
plots.table(["stage", "image size", "RandAugment magnitude", "mixup", "steps done at its end", "multiply-adds per image"],
            [(i + 1, f"{s.image_size} px", f"{s.randaugment:.2f}", f"{s.mixup:g}", f"{s.ends_at:.0%}",
              f"{st['relative_cost']:.2f} x {training['train_size']} px") for i, (s, st) in enumerate(zip(schedule, stages))])

# %%
after.progressive_schedule(stages)
plt.show()
saving = statistics.fmean(s["relative_cost"] for s in stages)
print(f"Averaged over the four equal stages, a training step costs {saving:.2f} of a step at "
      f"{training['train_size']} px throughout: {1 - saving:.0%} fewer multiply-adds for the same number of steps.")
print(f"Train {training['train_size']} px, test {training['test_size']} px: the test image is "
      f"{training['test_size'] / training['train_size']:.2f}x larger, the direction FixRes (next section) argues for.")

# %% [markdown]
# Two notes on the sources. The arXiv abstract's first version named dropout among the regularisers that grow with the
# image; the ICML version names data augmentation. The released code (`main.py`) schedules RandAugment, mixup and
# cutmix, and computes a dropout schedule that it then discards. The savings above are multiply-adds per training
# image; the paper's claims are measured training times on TPUs and GPUs, which this notebook does not reproduce.
#
# ## 2. FixRes (Touvron et al., 2019): the test image is not the training image
#
# The usual ImageNet recipe trains on **RandomResizedCrop**: a random region covering a share $\sigma$ of the
# image's area (drawn uniformly from 8% to 100%), at a random aspect ratio, resized to $K_\text{train}$ pixels. It
# tests on a **centre crop**: the short side resized to $K_\text{test}/0.875$ (256 for 224) and the middle
# $K_\text{test}$ cut out. An object spanning a fraction $f$ of a square image's side is
#
# $$\underbrace{\frac{f\,K_\text{train}}{\sqrt{\sigma}}}_{\text{in a training crop}} \quad\text{pixels wide, but}
# \quad \underbrace{f\,K_\text{test} / 0.875}_{\text{in the test crop}} .$$
#
# Averaging $1/\sqrt{\sigma}$ over $\sigma \sim U(a, b)$ gives $2(\sqrt b - \sqrt a)/(b - a)$, so the mean ratio of
# apparent sizes, train over test, is
#
# $$\rho = \frac{K_\text{train}}{K_\text{test}} \cdot 0.875 \cdot \frac{2(\sqrt b - \sqrt a)}{b - a} .$$
#
# `effnet_lib.rules.fixres` computes it. Real crops are a little smaller than this idealised mean says: torchvision
# rejects a crop that does not fit inside the image (large, elongated ones) and draws again, which
# `fixres.sample_magnifications` copies (a test checks it against torchvision's own sampler).

# %%
idealised = fixres.apparent_size_ratio(224, 224)
draws = fixres.sample_magnifications(CROPS, seed=SEED)
sampled = statistics.fmean(draws) * paper.CENTRE_CROP_FRACTION
print(f"E[1/sqrt(sigma)] for sigma ~ U(0.08, 1): {fixres.mean_magnification():.3f}")
print(f"train 224, test 224: objects look {idealised:.2f}x larger in training (idealised), "
      f"{sampled:.2f}x with crops drawn as torchvision draws them ({CROPS:,} crops)")
print(f"test crop at which they match on average: {fixres.matching_test_size(224)} px (idealised), "
      f"{round(224 * sampled)} px (sampled)")
print(f"or, testing at 224 px, the training size that matches: {round(224 / idealised)} px (idealised)")

# %%
sizes = list(range(160, 401, 16))
curve = dict(test_sizes=sizes, idealised=[fixres.apparent_size_ratio(224, s) for s in sizes],
             sampled=[sampled * 224 / s for s in sizes])
ratios = [d * paper.CENTRE_CROP_FRACTION for d in draws]
after.apparent_sizes(ratios, idealised, curve)
plt.show()
print(f"{sum(r >= 2 for r in ratios) / len(ratios):.0%} of the training crops show objects at least twice their test size, "
      f"{sum(r < 1 for r in ratios) / len(ratios):.0%} smaller than the test crop does.")

# %% [markdown]
# The mean hides a wide spread (left; the shares are printed above): many training crops show objects twice their
# test size or more, while crops near the whole image show them smaller than the test crop does. On average a
# network trained at 224 px has learned objects about a third larger than it meets at 224 px. FixRes's abstract
# states the consequence: a *lower* training resolution than the test resolution classifies better. With its method
# (a higher test resolution and a cheap fine-tuning at it) it reports 77.1% top-1 for a ResNet-50 trained on 128 px
# images and 79.8% for one trained on 224 px images. The library prices the first choice:

# %%
low, high = sorted(paper.FIXRES_RESNET_50)
ratio = en.cost("resnet-50", image_size=low).multiply_adds / en.cost("resnet-50", image_size=high).multiply_adds
print(f"ResNet-50 at {low} px costs {ratio:.2f} of its multiply-adds per image at {high} px; FixRes reports "
      f"{paper.FIXRES_RESNET_50[low]}% and {paper.FIXRES_RESNET_50[high]}% top-1 for the two (abstract), "
      f"{paper.FIXRES_RESNET_50[high] - paper.FIXRES_RESNET_50[low]:.1f} points apart.")

# %% [markdown]
# ### Only the test size changes: the pretrained Lite0
#
# Why the fine-tuning? The paper's second point (in words): changing the test size also changes the statistics of
# the features that the global average pooling hands to the classifier, so a classifier trained at one size reads
# shifted inputs at another. The course can watch that on the EfficientNet-Lite0 that notebook 4 loaded (trained at
# 224 px by the reference code, whose training crops are drawn much like RandomResizedCrop's), on photos
# scikit-image ships: the same photo, prepared
# as Lite0's evaluation does (`lite_preprocess`: the short side to $S + 32$, the centre $S$ pixels), at several test
# sizes $S$, with no fine-tuning.

# %%
from skimage import data as photos

try:
    lite0 = en.lite_pretrained("lite0")
except ImportError as error:
    lite0 = None
    print("The pretrained Lite0 is not available here, so this part is skipped:\n", error)

from effnet_lib.model.weights import lite_preprocess

test_rows = {}
if lite0 is not None:
    for photo in PHOTOS:
        image = getattr(photos, photo)()
        with torch.inference_mode():
            results = {}
            for size in TEST_SIZES:
                features = lite0.model.features(lite_preprocess(image, size))
                pooled = features.mean((2, 3))
                results[size] = (pooled[0], lite0.model.classifier(pooled).softmax(1)[0])
        answer = int(results[224][1].argmax())
        test_rows[photo] = [dict(test_size=size, pooled_mean=float(pooled.mean()), pooled_zeros=float((pooled == 0).float().mean()),
                                 reference_probability=float(probabilities[answer]),
                                 top1=lite0.categories[int(probabilities.argmax())])
                            for size, (pooled, probabilities) in results.items()]
        test_rows[photo][0]["answer"] = lite0.categories[answer]

# %%
if test_rows:
    plots.table(["photo", "Lite0's answer at 224 px", *[f"{s} px" for s in TEST_SIZES]],
                [(photo, points[0]["answer"], *[f"{p['top1']} ({p['reference_probability']:.0%})" for p in points])
                 for photo, points in test_rows.items()])

# %%
if test_rows:
    after.test_resolution_effects(test_rows, trained_at=224)
    plt.show()
    top = max(TEST_SIZES)
    shift = [next(p for p in pts if p["test_size"] == top)["pooled_mean"] / next(p for p in pts if p["test_size"] == 224)["pooled_mean"]
             for pts in test_rows.values()]
    zeros = [(next(p for p in pts if p["test_size"] == 224)["pooled_zeros"], next(p for p in pts if p["test_size"] == top)["pooled_zeros"])
             for pts in test_rows.values()]
    kept = sum(next(p for p in pts if p["test_size"] == top)["top1"] == pts[0]["answer"] for pts in test_rows.values())
    print(f"From 224 to {top} px the mean pooled feature changes by {min(shift) - 1:+.0%} to {max(shift) - 1:+.0%} "
          f"across the {len(test_rows)} photos; the share of pooled features that are exactly zero goes from "
          f"{min(z[0] for z in zeros):.0%}-{max(z[0] for z in zeros):.0%} to {min(z[1] for z in zeros):.0%}-{max(z[1] for z in zeros):.0%}.")
    print(f"{kept} of {len(test_rows)} photos keep their 224 px answer at {top} px.")

# %% [markdown]
# A handful of photos measures no accuracy, but it shows the mechanism: at a larger test size the objects in these
# photos come closer to the size Lite0 saw in training, yet what the classifier reads has shifted, and its
# confidence in its own 224 px answer drops without any fine-tuning. FixRes's remedy (its abstract) is a cheap
# fine-tuning of the network at the test size. EfficientNetV2's habit of training at 300 px and testing at 384 px
# takes the same lesson into the training recipe.
#
# ## 3. Revisiting ResNets (Bello et al., 2021): the training regime picks the winner
#
# Bello and co-authors revisited the ResNet with improved training methods and scaling strategies, to separate
# what the architecture contributes from what training and scaling do. Their abstract gives two scaling rules, in
# words here:
#
# - **which dimension to scale depends on the regime**: scale **depth** when training runs long enough for
#   overfitting to be possible, and **width** otherwise (short training);
# - grow the **image size more slowly** than EfficientNet's $\gamma$ does.
#
# Note the direction of the first rule: depth where overfitting *can* occur, width where it cannot. It follows
# that a rule chosen in one regime (small models, short schedules) need not hold in another. Name the regime first,
# then the winner. The course's first pilot (notebook 5, stored with the course) is a short regime: how far does its
# training accuracy run ahead of its validation accuracy (the sign of overfitting), at two epochs and at four, and
# at $\phi = 1$, is the width-scaled or the depth-scaled network ahead beyond the seeds' noise (the course's one
# rule, `effnet_lib.results.analysis`)?

# %%
from effnet_lib.learn import studies, study_results
from effnet_lib.results import analysis

pilot = study_results.load_results(studies.study("first-pilot", "cpu"), warn=False)
study_runs = [r for r in pilot if not r.recipe_changes]
four_epochs = [r for r in pilot if r.recipe_changes == {"epochs": 4}]


def overfitting_gap(record):
    """Training minus validation accuracy after the last epoch (training's is a running mean over that epoch)."""
    return record.epochs[-1].train_accuracy - record.epochs[-1].validation_accuracy


gaps = [overfitting_gap(r) for r in study_runs]
print(f"first pilot: {study_runs[0].data.train_images:,} {study_runs[0].data.name} training images, "
      f"{len(study_runs[0].epochs)} epochs, {len(study_runs)} runs")
print(f"training minus validation accuracy after the last epoch: {min(gaps):+.1%} to {max(gaps):+.1%}; "
      + "; ".join(f"the base trained {len(r.epochs)} epochs: {overfitting_gap(r):+.1%}" for r in four_epochs))
summaries = analysis.summarize(study_runs)
noise = analysis.noise(summaries)
rivals = {s.strategy: s for s in summaries if s.group == "phi=1"}
for a, b in (("width", "depth"), ("resolution", "width")):
    gap = analysis.difference(rivals[a], rivals[b], noise)
    print(f"phi = 1, test accuracy: {a} {rivals[a].mean:.2%} ({rivals[a].n} seed), {b} {rivals[b].mean:.2%} "
          f"({rivals[b].n} seed); {a} minus {b} {gap.estimate:+.2%}, 95% interval {gap.low:+.2%} to {gap.high:+.2%}: "
          + ("beyond the noise" if gap.beyond_noise else "within the noise"))

# %% [markdown]
# Read the lines together. A training accuracy that does not run ahead of the validation accuracy says this short
# regime is not limited by overfitting, the case where Bello et al.'s rule favours width; whether width then leads
# depth beyond the noise here, and how another dimension fares, is what the last lines say. One small pilot with one
# seed per rival cannot confirm or refute an ImageNet finding, but it shows the habit the paper asks for: a verdict
# on a scaling rule belongs to a regime.
#
# ## 4. Fast and Accurate Model Scaling (Dollár et al., 2021): activations, not FLOPS, predict time
#
# Dollár, Singh and Girshick count three things for every scaled network: FLOPS, parameters, and **activations**
# (the values in the tensors the layers write). Scaling by $s$ in FLOPS multiplies them differently by dimension:
#
# | scale by $s$ in FLOPS | FLOPS | parameters | activations |
# | --- | --- | --- | --- |
# | depth $d = s$ | $s$ | $s$ | $s$ |
# | width $w = \sqrt{s}$ | $s$ | $s$ | $\sqrt{s}$ |
# | resolution $r = \sqrt{s}$ | $s$ | $1$ | $s$ |
#
# Their finding is that, on memory-bound hardware such as GPUs, runtime follows activations more closely than FLOPS,
# and they propose **fast compound scaling**: give a share $a$ of the FLOPS growth to width and split the rest equally
# between depth and resolution, $d = s^{(1-a)/2}$, $w = s^{a/2}$, $r = s^{(1-a)/4}$. Activations then grow as
# $s^{1 - a/2}$. Their Table 4 settles on $a = 0.8$ ($a = 1$ is width alone, $a = 1/3$ shares equally), so
# activations grow as $s^{0.6}$; their abstract contrasts this, close to $O(\sqrt{s})$, with about $O(s)$ for the
# strategies in common use. In the library this is `scaling.fast(s)`, and since one doubling of FLOPS is `fast(2)`,
# fast scaling **is Eq. 3 with other constants**:

# %%
fast_constants = scaling.fast(2)
print(f"fast scaling's alpha, beta, gamma: {tuple(round(c, 4) for c in fast_constants)}; "
      f"alpha * beta^2 * gamma^2 = {scaling.multiply_adds_growth(*fast_constants):.4f}")
print(f"EfficientNet's: {(paper.ALPHA, paper.BETA, paper.GAMMA)}; alpha * beta^2 * gamma^2 = {scaling.multiply_adds_growth():.4f}")
print("compound(3, *fast(2)) =", tuple(round(m, 4) for m in en.compound(3, *fast_constants)),
      "= fast(8) =", tuple(round(m, 4) for m in scaling.fast(8)))

# %% [markdown]
# So the course's one cost matcher (`effnet_lib.rules.matching`) can place a fast-scaled B0 at exactly the cost of
# each compound model, beside the single-dimension rivals notebook 5 trains. For each $\phi$ in `PHIS`, every
# network below costs what `scale(B0, *compound(phi))` costs, to within the rounding staircase; `memory.activations`
# counts the tensors between its blocks for one image.

# %%
scaling_base = en.B0.with_(image_size=IMAGE_SIZE)
b0_cost, b0_values = en.cost(scaling_base).multiply_adds, memory.activations(scaling_base).total
networks = {}
for phi in PHIS:
    budget = en.cost(en.scale(scaling_base, *en.compound(phi))).multiply_adds
    networks[f"compound phi={phi}"] = ("compound", phi, matching.nearest(scaling_base, "compound", budget).network)
    networks[f"fast phi={phi}"] = ("fast", phi, matching.nearest(scaling_base, "compound", budget, 1000, *fast_constants).network)
    for strategy in ("width", "depth", "resolution"):
        networks[f"{strategy} phi={phi}"] = (strategy, phi, matching.nearest(scaling_base, strategy, budget).network)
scaled_rows = []
for name, (strategy, phi, spec) in networks.items():
    c, a = en.cost(spec), memory.activations(spec)
    scaled_rows.append(dict(name=name, strategy=strategy, phi=phi, spec=spec, multiply_adds=c.multiply_adds,
                            parameters=c.parameters, activations=a.total))
plots.table(["network", "d, w, px", "multiply-adds (x B0)", "parameters", "activations (x B0)", "activation growth exponent"],
            [(r["name"], f"{r['spec'].depth:.2f}, {r['spec'].width:.2f}, {r['spec'].image_size}",
              f"{r['multiply_adds'] / 1e9:.2f}B ({r['multiply_adds'] / b0_cost:.2f})", f"{r['parameters'] / 1e6:.1f}M",
              f"{r['activations'] / 1e6:.2f}M ({r['activations'] / b0_values:.2f})",
              f"{math.log(r['activations'] / b0_values) / math.log(r['multiply_adds'] / b0_cost):.2f}")
             for r in scaled_rows])

# %% [markdown]
# The last column is $\log(\text{activations ratio}) / \log(\text{FLOPS ratio})$: the exponent of $s$. With the
# library's rounding and its count of block outputs, width alone stays near $0.5$, resolution alone near $1$, and fast
# scaling sits between width and compound scaling, as the formulas say. Fast scaling pays for it in parameters:
#
# %%
for phi in PHIS:
    group = {r["strategy"]: r for r in scaled_rows if r["phi"] == phi}
    print(f"phi = {phi}: fast scaling has {group['fast']['parameters'] / group['compound']['parameters']:.2f}x compound "
          f"scaling's parameters and {group['fast']['activations'] / group['compound']['activations']:.2f}x its activations.")

# %% [markdown]
# Now the time. Each network is timed as above (batch 1, one thread); the bar counts networks.

# %%
scaled_timings = latency.compare({r["name"]: r["spec"] for r in scaled_rows}, runs=RUNS, warmup=WARMUP,
                                 threads=THREADS, device=LATENCY_DEVICE, bar=None if SMOKE else progress,
                                 label="scaled networks")
for r, t in zip(scaled_rows, scaled_timings):
    r["seconds"], r["spread"] = t.mean, t.std
print(f"measured on: {scaled_timings[0].machine}; load average when the timing started: "
      f"{scaled_timings[0].hardware.get('load_average')}")
after.activations_and_latency(scaled_rows, machine=f"{scaled_timings[0].machine}; base B0 at {IMAGE_SIZE} px, batch 1"
                              + ("; smoke mode" if SMOKE else ""))
plt.show()

# %%
compound_seconds = {r["phi"]: r["seconds"] for r in scaled_rows if r["strategy"] == "compound"}
plots.table(["network", "multiply-adds", "activations", "latency", "x the compound model's latency"],
            [(r["name"], f"{r['multiply_adds'] / 1e9:.2f}B", f"{r['activations'] / 1e6:.2f}M",
              f"{r['seconds'] * 1e3:.1f} +- {r['spread'] * 1e3:.1f} ms", f"{r['seconds'] / compound_seconds[r['phi']]:.2f}")
             for r in scaled_rows])

# %%
log_seconds = [math.log(r["seconds"]) for r in scaled_rows]
by_flops = statistics.correlation([math.log(r["multiply_adds"]) for r in scaled_rows], log_seconds)
by_values = statistics.correlation([math.log(r["activations"]) for r in scaled_rows], log_seconds)
print(f"Across these {len(scaled_rows)} networks, the correlation of log latency with log multiply-adds is {by_flops:.2f}, "
      f"with log activations {by_values:.2f}.")
for phi in PHIS:
    group = {r["strategy"]: r for r in scaled_rows if r["phi"] == phi}
    print(f"phi = {phi}: fast / compound latency {group['fast']['seconds'] / group['compound']['seconds']:.2f}, "
          f"multiply-adds {group['fast']['multiply_adds'] / group['compound']['multiply_adds']:.2f}")

# %% [markdown]
# Read your own numbers. Dollár et al. measured on GPUs, with large batches, where moving activations through memory
# is what takes the time; here it is one CPU thread and one image, where other costs (depthwise convolutions, the
# many small layers of a deep network) weigh more. Whatever the correlations above say on your machine, the lesson is
# the method: count what your hardware pays for, then measure, and compare strategies at equal cost.
#
# ## Summary
#
# - **EfficientNetV2**: Fused-MBConv trades multiply-adds for hardware efficiency. Fusing B0's first three stages
#   about doubles its multiply-adds; where the hardware is memory-bound early, that can still save time, while fused
#   late stages cost far more arithmetic than they save (your measurement above says what your machine did). Its
#   search and its schedule aim at training time: progressive learning grows the image and the augmentation together.
# - **FixRes**: RandomResizedCrop shows objects about a third larger than the centre crop at the same size (more with
#   torchvision's clipping), so test larger than you train, and fine-tune at the test size.
# - **Bello et al.**: the best scaling rule depends on the training regime: depth when overfitting is possible, width
#   otherwise, and resolution more slowly than EfficientNet's $\gamma$.
# - **Dollár et al.**: activations, not FLOPS, predict runtime on memory-bound hardware; fast scaling, mostly width,
#   is Eq. 3 with constants $(1.072, 1.320, 1.035)$ and grows activations as $s^{0.6}$.
#
# ## Questions
#
# 1. In every stage of B0, a Fused-MBConv block costs more multiply-adds than the MBConv it replaces. Why can a
#    network with fused early stages still run faster, and why does the advantage vanish in the late stages?
# 2. EfficientNetV2 trains its S model at 300 px and tests it at 384 px. Which section of this notebook explains why
#    that is not a mismatch, and what would you expect if it tested at 300 px?
# 3. Compute, with `fixres.apparent_size_ratio`, the training size that matches a 224 px test crop. Why does
#    torchvision's crop sampler make the true answer smaller still?
# 4. A colleague picks the scaling rule for a 350-epoch ImageNet run from ten-epoch pilot runs. What does Bello et al.'s
#    finding say about that choice?
# 5. Fast scaling and compound scaling cost the same multiply-adds. Which one needs more memory to train, and which
#    one more to store? Use the table of section 4.
#
# **Answers:** try the questions first, then compare with the worked answers in
# [solutions/answers/09_after_efficientnet.md](../solutions/answers/09_after_efficientnet.md).
#
# **Exercise:** [exercise 13, after EfficientNet](../exercises/13_after_efficientnet.ipynb) (cost a Fused-MBConv
# block, write fast scaling, an activation count and FixRes's apparent-size ratio yourself, and explain a measured
# result).
