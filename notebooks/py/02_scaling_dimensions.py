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
# # 2. Scaling one dimension at a time
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/02_scaling_dimensions.ipynb)
#
# **CPU time:** 6 s on an idle 2-core CPU (no busy run measured yet).
#
# The usual way to make a ConvNet stronger is to turn one knob: more layers (ResNet-18 to ResNet-200),
# more channels (wide ResNets, MobileNet's width multiplier), or larger input images. Section 3.2 of the paper
# turns each knob of B0 on its own and reports the same pattern every time: accuracy rises, then flattens
# (the paper's **Observation 1**, Figure 3). In this notebook you will
#
# - draw the paper's Figure 2 from real stage tables: the baseline, and networks scaled in width, depth,
#   resolution, and all three;
# - cost each dimension at exactly the multipliers of Figure 3 with the library's analytic model;
# - see what doubling the FLOPS buys in each dimension;
# - plot the accuracy side of Figure 3 from the course's own training study (notebook 5), and read what it
#   shows beside what the paper shows.

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
# Nothing here trains, so smoke mode changes little. `SHOW` says which of notebook 5's stored studies to read
# accuracies from, best first (the GPU study, when it has been run; the CPU study, which ships with the course).

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
SHOW = ["gpu", "cpu"]             # stored studies (data/results/figures-<preset>.jsonl), best first
TARGET = 2.0                      # "what does this FLOPS ratio buy in each dimension?"

# %%
import matplotlib.pyplot as plt

import effnet_lib as en
from effnet_lib.rules import paper
from effnet_lib.face import plots

# %% [markdown]
# ## Figure 2, drawn from stage tables
#
# The paper's Figure 2 sketches five networks. Here they are drawn from the tables `effnet_lib.scale` makes,
# one bar per layer (longer bar, more channels) above a square the size of the input image. The single-dimension
# settings are those of the paper's Table 7, and $\phi = 2$ for the compound one, which Eq. 3 promises at
# $1.92^2 \approx 3.7$ times B0. The table under the picture gives the real ratios, and the sentence after it
# says how far apart they are (notebook 3 shows why compound overshoots: rounding).

# %%
networks = {
    "(a) baseline B0": en.B0,
    "(b) width w = 2": en.scale(en.B0, width=2.0),
    "(c) depth d = 4": en.scale(en.B0, depth=4.0),
    "(d) resolution r = 2": en.scale(en.B0, resolution=2.0),
    "(e) compound phi = 2": en.scale(en.B0, *en.compound(2)),
}
plots.scaling_picture({title: spec.rows() for title, spec in networks.items()})
plt.show()

b0 = en.cost(en.B0)
plots.table(["network", "resolution", "layers", "parameters", "multiply-adds", "x B0"],
            [(title, f"{spec.image_size} px", spec.num_blocks, f"{en.cost(spec).parameters:,}",
              f"{en.cost(spec).multiply_adds:,}", f"{en.cost(spec).multiply_adds / b0.multiply_adds:.2f}")
             for title, spec in networks.items()])

# %%
ratios = {title: en.cost(spec).multiply_adds / b0.multiply_adds for title, spec in networks.items() if spec is not en.B0}
print(f"The four scaled networks cost {min(ratios.values()):.1f} to {max(ratios.values()):.1f} times B0's "
      f"multiply-adds; the cheapest is {min(ratios, key=ratios.get)}, the dearest {max(ratios, key=ratios.get)}.")

# %% [markdown]
# ## The three knobs at Figure 3's settings
#
# Figure 3 scales B0 with $w \in \{1.0, 1.4, 1.8, 2.6, 3.8, 5.0\}$, $d \in \{1, 2, 3, 4, 6, 8\}$ and
# $r \in \{1.0, 1.3, \ldots, 2.5\}$, where $r = 1$ is 224 px and $r = 2.5$ is 560 px (the settings are in
# `effnet_lib.rules.paper.FIGURE_3`). Its x-axes are FLOPS. Below, each of those networks is built as a table and
# costed; nothing is trained.

# %%
sweeps = {}
rows = []
for dimension, multipliers in paper.FIGURE_3.items():
    specs = [en.scale(en.B0, **{dimension: m}) for m in multipliers]
    costs = [en.cost(spec) for spec in specs]
    sweeps[dimension] = {"multiplier": list(multipliers), "multiply_adds": [c.multiply_adds for c in costs]}
    for m, spec, c in zip(multipliers, specs, costs):
        rows.append((f"{dimension[0]} = {m:g}", f"{spec.image_size} px", spec.num_blocks, f"{c.parameters:,}",
                     f"{c.multiply_adds / 1e9:.2f} B", f"{c.multiply_adds / b0.multiply_adds:.1f}"))
plots.table(["network", "resolution", "layers", "parameters", "multiply-adds", "x B0"], rows)

# %% [markdown]
# The same numbers as curves. The dashed line is the pure power law of notebook 1 ($w^2$, $d$, $r^2$) started at
# B0: resolution follows it, depth follows it, width falls below it as the multiplier grows, because B0's
# depthwise convolutions and classifier grow only linearly with width.

# %%
plots.dimension_costs(sweeps)
plt.show()

# %% [markdown]
# ## What does doubling the FLOPS buy?
#
# Turn the question around: how far can each knob go for a fixed budget? For `TARGET` times B0's multiply-adds,
# `effnet_lib.rules.matching.largest_within` walks each dimension's rounding staircase (steps of 0.01, whole
# pixels for resolution) to the largest multiplier that still fits. It is the one matcher the course uses
# everywhere: the explorer's budget mode and notebook 5's matched rivals call it too.

# %%
from effnet_lib.rules import matching

budget_rows, layers = [], {}
for dimension in ("width", "depth", "resolution"):
    m = matching.largest_within(en.B0, dimension, TARGET * b0.multiply_adds)
    layers[dimension] = m.network.num_blocks
    budget_rows.append((dimension, f"{m.multiplier:.2f}", f"{m.network.image_size} px", m.network.num_blocks,
                        f"{m.multiply_adds / b0.multiply_adds:.2f}"))
plots.table([f"knob (budget {TARGET:g} x B0)", "multiplier", "resolution", "layers", "x B0"], budget_rows)

# %%
fits = {row[0]: float(row[1]) for row in budget_rows}
print(f"{TARGET:g} x the FLOPS buys {fits['width']:.2f} x the width or {fits['resolution']:.2f} x the resolution "
      f"(sqrt({TARGET:g}) = {TARGET ** 0.5:.2f}), but {layers['depth'] / en.B0.num_blocks:.2f} x the layers "
      f"({layers['depth']} instead of {en.B0.num_blocks}) at a depth multiplier of only {fits['depth']:.2f}.")

# %% [markdown]
# The depth multiplier and the number of layers disagree because repeats are rounded up stage by stage: a stage of
# one layer gets a second one as soon as $d > 1$, so depth moves in jumps.
#
# ## The accuracy side, measured at small scale
#
# Figure 3 of the paper plots ImageNet top-1 accuracy against FLOPS for these networks; the paper reads all three
# curves as rising quickly, then flattening near 80% (its Observation 1). Reproducing that on ImageNet is far
# beyond a course budget, so notebook 5 runs the same experiment in small: a 14 px B0-like base on
# Fashion-MNIST (whose images are 28 px, so no network sees an upsampled image), scaled in each dimension to
# the cost of the compound model at $\phi = 1$ (a GPU study adds $\phi = 2$ and $3$), each network trained with
# up to three seeds and tested once on the 10,000 test images. Its results ship with the course
# (`data/results/figures-cpu.jsonl`; a GPU study replaces them when it has been run). The cell below plots the
# best stored study and says which it is and how many runs it holds; notebook 5 shows the pilots that checked
# the design.

# %%
from effnet_lib.face import study_plots
from effnet_lib.learn import study_results

shown, results = study_results.best_results("figures", SHOW)
if shown is None:
    print("No stored study under data/results: run notebook 5's command to make one, then rerun this cell.")
else:
    print(study_plots.describe_study(results))
    study_plots.figure_3(results)
    plt.show()

# %% [markdown]
# What the curves show, computed from the stored results: each step's gain in accuracy points with its 95%
# interval (from the seed noise pooled over the study), and whether the later step gains less than the first:

# %%
if results:
    for line in study_plots.findings(results):
        if line.startswith(("Base", "Seed noise", "Scaling")):
            print("-", line)

# %% [markdown]
# Compare these with the paper's reading with care. The paper's curves come from B0 trained for 350 epochs on
# 224-560 px photos; ours from a network of under 200,000 parameters trained for four epochs on 14-28 px images.
# A curve that keeps rising here may only be short of training, and one that flattens may have met the data's
# 28 px rather than the network's limits. Where a curve here does not flatten, the sentences above say so; the
# paper's claim stays the paper's.
#
# The paper's intuition for why one knob alone should run out: a deeper network can in principle represent more,
# but its extra layers become hard to train and change the answer less and less; a wider network sees more kinds
# of patterns at each level but, with few layers, never composes large ones; a finer image shows more detail, but
# only as much as the network's layers and channels can use. Each knob runs into a wall the *other* knobs
# control, which is the idea behind notebook 3.
#
# ## Summary
#
# - Figure 2's five networks are five stage tables; their real costs, printed above, are not equal: the paper's
#   Table 7 settings and $\phi = 2$ land at different multiples of B0.
# - At Figure 3's multipliers, the library's cost model shows FLOPS growing as $w^2$ (a little less on B0), $d$
#   and $r^2$; a budget buys about its square root in width or resolution, but depth moves in whole layers.
# - The paper reads accuracy as saturating in every dimension alone (Observation 1). The course's own
#   measurement, at small scale, is plotted above with sentences computed from it; where it differs, both stand.
#
# ## Questions
#
# 1. Doubling the width roughly quadruples a convolution's multiply-adds. Why does B0's cost grow a little slower
#    than $w^2$?
# 2. Why does twice the budget buy about 1.4 times the width or resolution but about twice the layers?
# 3. The depth multiplier that fits twice B0's cost is well below 2. What in the rounding rules explains that?
# 4. What is the difference between the paper's Observation 1 and what the course's small study can show about it?
# 5. A resolution-only network at 40 px is trained on 28 px images. What can it gain from its extra pixels, and
#    why does notebook 5's study never go past 28 px?
#
# **Answers:** try the questions first, then compare with the worked answers in
# [solutions/answers/02_scaling_dimensions.md](../solutions/answers/02_scaling_dimensions.md).
#
# **Exercise:** [exercise 02, multiply-adds](../exercises/02_multiply_adds.ipynb) (count the multiply-adds of a
# convolution, a depthwise convolution and squeeze-and-excitation yourself, and check them against the library).
# Next: notebook 3, all three knobs at once.
