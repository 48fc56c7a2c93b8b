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
# The usual way to make a ConvNet stronger is to turn one knob: more layers (ResNet-18 to ResNet-200),
# more channels (wide ResNets, MobileNet's width multiplier), or larger input images. Section 3.2 of the paper
# turns each knob of B0 on its own and finds the same pattern every time: accuracy rises, then flattens
# (**Observation 1**, Figure 3). In this notebook you will
#
# - draw the paper's Figure 2 from real stage tables: the baseline, and networks scaled in width, depth,
#   resolution, and all three;
# - cost each dimension at exactly the multipliers of Figure 3 with the library's analytic model;
# - see what doubling the FLOPS buys in each dimension;
# - plot the accuracy side of Figure 3 from the course's own training study, when its results are there.

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
# Nothing here trains, so smoke mode changes little. `STUDIES` says which of notebook 5's studies to read
# accuracies from, best first (the GPU study trains on all of Fashion-MNIST; the CPU study is a small
# rehearsal whose accuracies mean little).

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
STUDIES = ["gpu", "cpu"]          # folders under data/results/, in order of preference
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
# settings are those of the paper's Table 7 (each about four times B0's FLOPS), and $\phi = 2$ for the compound
# one, which Eq. 3 promises at $1.92^2 \approx 3.7$ times B0. The table under the picture gives the real
# ratios; the compound network overshoots its promise, and notebook 3 shows why (rounding).

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
# the cell below searches each dimension (in steps of 0.01) for the largest multiplier that still fits.

# %%
def largest_within(dimension: str, ratio: float, step: float = 0.01) -> float:
    """The largest multiplier of one dimension whose network costs at most `ratio` times B0."""
    m = 1.0
    while en.cost(en.scale(en.B0, **{dimension: m + step})).multiply_adds <= ratio * b0.multiply_adds:
        m += step
    return round(m, 2)


budget_rows = []
for dimension in ("width", "depth", "resolution"):
    m = largest_within(dimension, TARGET)
    spec = en.scale(en.B0, **{dimension: m})
    budget_rows.append((dimension, f"{m:.2f}", f"{spec.image_size} px", spec.num_blocks,
                        f"{en.cost(spec).multiply_adds / b0.multiply_adds:.2f}"))
plots.table([f"knob (budget {TARGET:g} x B0)", "multiplier", "resolution", "layers", "x B0"], budget_rows)

# %% [markdown]
# Twice the FLOPS buys about 1.4 times the width or the resolution (close to $\sqrt{2}$), but about twice the
# *layers*. The depth multiplier itself is smaller than 2 because repeats are rounded up stage by stage: a stage
# of one layer gets a second one as soon as $d > 1$, so depth moves in jumps.
#
# ## The accuracy side: where each knob saturates
#
# Figure 3 of the paper plots ImageNet top-1 accuracy against FLOPS for these networks: each knob gains a lot
# at first, then little (all three flatten near 80%). Reproducing that on ImageNet is far beyond a course
# budget, so notebook 5 runs the same experiment in small: the small-image B0 (`effnet_lib.SMALL_B0`) on
# Fashion-MNIST, scaled in each dimension at matched FLOPS. Its results are JSON files under `data/results/`,
# read by `effnet_lib.learn.experiments.load_results`. The next cell plots them if they exist, and says so if not.

# %%
from effnet_lib.learn.experiments import RESULTS_DIR, load_results

study_sweeps, results = {}, []
for study in STUDIES:
    if (RESULTS_DIR / study).is_dir():
        results = load_results(RESULTS_DIR / study)
        study_sweeps = plots.study_sweeps(results)
        if study_sweeps:
            break

if not study_sweeps:
    print(f"No results of single-dimension training runs yet under {RESULTS_DIR} (looked for {STUDIES}).\n"
          "The accuracy side of Figure 3 is therefore NOT shown: run notebook 5 (or\n"
          "`python -m effnet_lib.learn.experiments --study cpu`) to make them, then rerun this cell.")
else:
    setup = results[0]["study"]
    print(f"Study '{setup['name']}': {setup['epochs']} epochs on {setup['train_subset'] or 'all'} training images "
          f"of {setup['data']}; accuracies averaged over seeds, runs so far: {len(results)}.")
    plots.dimension_accuracy(study_sweeps)
    plt.show()

# %% [markdown]
# Why should a single knob saturate? Each has its own limit. A deeper network can in principle represent more,
# but its gradients have to pass through more layers, and past some depth the extra layers barely change the
# answer. A wider network sees more kinds of patterns at each level, but with few layers it never builds the
# large, abstract features that need many levels of composition. A finer image shows more detail, but only up
# to the detail the network's few layers and channels can use. Each knob runs into a wall the *other* knobs
# control, which is the intuition behind notebook 3.
#
# ## Summary
#
# - Figure 2's five networks are five stage tables; at Table 7's settings each costs about four times B0.
# - At Figure 3's multipliers, the library's cost model shows FLOPS growing as $w^2$ (a little less on B0), $d$
#   and $r^2$; twice the FLOPS buys about $\sqrt 2$ in width or resolution, or about twice the layers.
# - Accuracy (Observation 1) saturates in every dimension alone; the course's own measurement of this comes
#   from notebook 5's study, plotted above when its results exist.
#
# **Exercise:** `exercises/02_multiply_adds` (count the multiply-adds of a convolution, a depthwise convolution
# and squeeze-and-excitation yourself, and check them against the library). Next: notebook 3, all three knobs
# at once.
