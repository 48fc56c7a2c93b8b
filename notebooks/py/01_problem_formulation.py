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
# # 1. The problem: a ConvNet as stages, and what scaling may change
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/01_problem_formulation.ipynb)
#
# **CPU time:** 8 s on an idle 2-core CPU, 13 s on a busy one (load average 2.7, run at nice 15).
#
# Before asking *how* to make a network bigger, the paper (Tan & Le, 2019, Section 3.1) writes down
# *what* a network is, so that "bigger" has a precise meaning. In this notebook you will
#
# - write a ConvNet as a short list of stages (the paper's Eq. 1) and print EfficientNet-B0's list (Table 1);
# - read the optimisation problem of Eq. 2: which parts of the network scaling keeps fixed, which
#   three numbers it leaves free;
# - see, by counting, why the cost in FLOPS grows in proportion to depth, but to the *square* of width
#   and of resolution;
# - see why Eq. 2's *memory* limit is not the parameter count: the tensors a network computes grow with $r^2$;
# - meet the other way the paper writes "accurate and cheap": the search objective that found B0 (Section 4),
#   with a widget for its trade-off, applied to Table 2's models.

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
# `SMOKE` is switched on by the test suite to run every notebook quickly. This notebook only counts,
# so it is fast either way; `CONV_SIZE` is the feature map used in the one-layer experiment below.

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
CONV_SIZE = 28 if SMOKE else 56       # height = width of the feature map in the one-layer experiment
MULTIPLIERS = [1.0, 1.5, 2.0, 3.0, 4.0]

# %%
import math

import matplotlib.pyplot as plt
from IPython.display import display
import torch
from torch.utils.flop_counter import FlopCounterMode

import effnet_lib as en
from effnet_lib.face import plots

# %% [markdown]
# ## A network is a list of stages (Eq. 1)
#
# Any layer $i$ of a ConvNet is a function $Y_i = \mathcal{F}_i(X_i)$ that maps an input tensor of shape
# $\langle H_i, W_i, C_i \rangle$ (height, width, channels) to an output tensor. A network is these
# functions composed one after the other. Real networks repeat themselves: they come in **stages**, and
# inside a stage every layer has the same kind (only the first may shrink the image). So a network with
# $s$ stages is written, as in the paper's Eq. 1,
#
# $$\mathcal{N} = \bigodot_{i=1 \ldots s} \mathcal{F}_i^{L_i}\left(X_{\langle H_i, W_i, C_i \rangle}\right),$$
#
# where $\mathcal{F}_i^{L_i}$ means "layer $\mathcal{F}_i$ repeated $L_i$ times" and $\langle H_i, W_i, C_i\rangle$
# is the shape of the stage's input. Five numbers per stage (the operator, $L_i$, $H_i$, $W_i$, $C_i$) describe
# the whole network. That is exactly how the library stores EfficientNet-B0: as data, one row per stage.

# %%
en.B0.stages[:2]

# %% [markdown]
# Printed as the paper prints it, this is **Table 1**: the stem convolution, seven stages of MBConv blocks
# (notebook 4 opens one up), and the head. The resolution and layer columns are computed from the rows,
# not typed in.

# %%
print(en.B0)

# %% [markdown]
# The shape of the tensor entering each stage follows from the strides: each stride-2 stage halves
# $H$ and $W$. Multiplying the strides gives the network's total reduction.

# %%
print(f"total stride: {en.B0.total_stride} (a {en.B0.image_size} px image leaves the last stage as "
      f"{math.ceil(en.B0.image_size / en.B0.total_stride)} x {math.ceil(en.B0.image_size / en.B0.total_stride)})")
print(f"layers (MBConv blocks) in all stages: sum of L_i = {en.B0.num_blocks}")

# %% [markdown]
# ## What scaling is allowed to change (Eq. 2)
#
# Designing the layer $\mathcal{F}_i$ is hard (B0 came from an architecture search). *Scaling* takes a good
# $\mathcal{F}_i$ as given and only changes how often it is repeated and on what tensor. To keep the search
# small, the paper changes every stage by the same three factors: depth $d$ multiplies the repeats, width
# $w$ the channels, resolution $r$ the height and width. With the baseline's values written with hats,
# the problem of Eq. 2 is
#
# $$
# \max_{d, w, r} \; \mathrm{Accuracy}\big(\mathcal{N}(d, w, r)\big)
# \quad\text{s.t.}\quad
# \mathcal{N}(d, w, r) = \bigodot_{i=1 \ldots s} \hat{\mathcal{F}}_i^{\,d \cdot \hat{L}_i}\left(X_{\langle r \hat{H}_i,\; r \hat{W}_i,\; w \hat{C}_i \rangle}\right),
# $$
# $$
# \mathrm{Memory}(\mathcal{N}) \le \text{target memory}, \qquad \mathrm{FLOPS}(\mathcal{N}) \le \text{target FLOPS}.
# $$
#
# Fixed: the operators $\hat{\mathcal{F}}_i$, the number of stages, their order and their strides. Free: the
# three scalars $d, w, r$, shared by all stages. `effnet_lib.scale` implements exactly this map from one table
# to another. Let us check the claim on a table scaled in all three dimensions at once.

# %%
scaled = en.scale(en.B0, depth=2.0, width=1.5, resolution=1.3)
print(scaled)

same_operators = [a.operator for a in en.B0.stages] == [b.operator for b in scaled.stages]
same_strides = [a.stride for a in en.B0.stages] == [b.stride for b in scaled.stages]
print("operators unchanged:", same_operators, "| strides unchanged:", same_strides)

# %% [markdown]
# Two details of real scaling show up already: channels are rounded to a multiple of 8 (hardware prefers it)
# and repeats are rounded **up**, so $d = 2$ doubles every stage exactly, while an odd factor such as 1.1 adds a
# whole layer to every stage. The exercise of this notebook asks you to write these two rules yourself.

# %%
print("channels of B0 x 1.5:", [s.channels for s in en.B0.stages], "->", [s.channels for s in scaled.stages])
print("repeats of B0 x 1.1: ", [s.repeats for s in en.B0.stages], "->",
      [s.repeats for s in en.scale(en.B0, depth=1.1).stages])

# %% [markdown]
# ## Why FLOPS grow with $d$, $w^2$ and $r^2$
#
# A plain $k \times k$ convolution from $C_{in}$ to $C_{out}$ channels on an $H \times W$ output does one
# multiply-add per weight per output position:
#
# $$\text{multiply-adds} = H \cdot W \cdot C_{in} \cdot C_{out} \cdot k^2 .$$
#
# Widening multiplies *both* $C_{in}$ and $C_{out}$ by $w$, so the cost grows by $w^2$; a finer input multiplies
# both $H$ and $W$ by $r$, so again $r^2$; more layers just add copies, so $d$. Rather than trust the formula,
# let PyTorch's own FLOP counter measure one convolution (it counts 2 FLOPs per multiply-add, so we halve it).

# %%
def measured_multiply_adds(channels: int, size: int, layers: int = 1, kernel: int = 3) -> int:
    """Multiply-adds of `layers` k x k convolutions, counted by PyTorch while they run."""
    stack = torch.nn.Sequential(*[torch.nn.Conv2d(channels, channels, kernel, padding=kernel // 2, bias=False)
                                  for _ in range(layers)])
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        stack(torch.zeros(1, channels, size, size))
    return counter.get_total_flops() // 2


base = measured_multiply_adds(32, CONV_SIZE)
rows = []
for factor in (2, 3):
    rows.append((f"x{factor}",
                 f"{measured_multiply_adds(32, CONV_SIZE, layers=factor) / base:.2f}",
                 f"{measured_multiply_adds(32 * factor, CONV_SIZE) / base:.2f}",
                 f"{measured_multiply_adds(32, CONV_SIZE * factor) / base:.2f}"))
plots.table(["factor", "cost ratio, deeper", "cost ratio, wider", "cost ratio, finer"], rows)

# %% [markdown]
# Deeper by 2 costs 2 times more, wider or finer by 2 costs 4 times more: $d$, $w^2$, $r^2$.
#
# The number of **weights** (parameters) behaves differently: it grows with $d$ and $w^2$ but not at all with $r$
# (the same kernels slide over a larger image). The library's analytic count shows it for B0.

# %%
b0 = en.cost(en.B0)
rows = []
for name, kwargs in (("depth d = 2", dict(depth=2.0)), ("width w = 2", dict(width=2.0)),
                     ("resolution r = 2", dict(resolution=2.0))):
    c = en.cost(en.scale(en.B0, **kwargs))
    rows.append((name, f"{c.parameters:,}", f"{c.parameters / b0.parameters:.2f}",
                 f"{c.multiply_adds:,}", f"{c.multiply_adds / b0.multiply_adds:.2f}"))
plots.table(["B0 scaled by", "parameters", "x B0", "multiply-adds", "x B0"], rows)

# %% [markdown]
# On the whole of B0 the exponents are close to, but not exactly, 1, 2 and 2. The cell below measures them as
# slopes on a log-log scale. Width grows a little slower than $w^2$: B0 is full of **depthwise** convolutions
# (each channel filtered on its own, cost $H \cdot W \cdot C \cdot k^2$, linear in $w$) and its classifier is
# linear in $w$ too. Depth is a little above 1: the layers a stage gains run on its *output* channels, which
# are wider than the channels its first layer reads.

# %%
sweeps = {}
for dimension in ("width", "depth", "resolution"):
    costs = [en.cost(en.scale(en.B0, **{dimension: m})).multiply_adds for m in MULTIPLIERS]
    sweeps[dimension] = {"multiplier": MULTIPLIERS, "multiply_adds": costs}
    slope = math.log(costs[-1] / costs[0]) / math.log(MULTIPLIERS[-1] / MULTIPLIERS[0])
    print(f"{dimension:>10}: multiply-adds grow as {dimension[0]}^{slope:.2f}")

plots.dimension_costs(sweeps, log=True)
plt.show()

# %% [markdown]
# ## Eq. 2's memory is not the parameter count
#
# Eq. 2 limits two things: FLOPS and *memory*. It is tempting to read "memory" as the size of the weights, but
# the parameter table above shows that resolution leaves the weights alone. What grows with $r$ is everything the
# network *computes*: every tensor $\langle H_i, W_i, C_i \rangle$ of Eq. 1 that flows from one layer to the next
# has $r^2$ times more positions. Training keeps these activations for the backward pass, once per image of the
# batch, so they are what fills an accelerator's memory. `effnet_lib.rules.memory.activations` counts them from the
# stage table (the input, the stem's output and every block's output, for one image).

# %%
from effnet_lib.rules.memory import activations

base_memory = activations(en.B0)
rows = []
for name, kwargs in (("B0", {}), ("depth d = 2", dict(depth=2.0)), ("width w = 2", dict(width=2.0)),
                     ("resolution r = 2", dict(resolution=2.0))):
    spec = en.scale(en.B0, **kwargs)
    memory, weights = activations(spec), en.cost(spec).parameters
    rows.append((name, f"{weights / b0.parameters:.2f}", f"{memory.total:,}", f"{memory.total / base_memory.total:.2f}",
                 f"{memory.total_megabytes:.1f} MB"))
plots.table(["B0 scaled by", "parameters x B0", "activation values (one image)", "activations x B0",
             "float32, one image"], rows)

# %% [markdown]
# Doubling the resolution leaves the parameters as they were and multiplies the activations by four. Along the
# published family both grow, the activations faster: the bigger models run at larger images.

# %%
rows = []
for name in en.EFFICIENTNET:
    memory, weights = activations(name), en.cost(name).parameters
    rows.append((name.upper(), f"{en.network(name).image_size} px", f"{weights * 4 / 1e6:.0f} MB",
                 f"{memory.total_megabytes:.1f} MB", f"{memory.total_megabytes * 32 / 1e3:.1f} GB"))
display(plots.table(["model", "image", "weights (float32)", "activations, one image", "activations, batch of 32"], rows))
growth_weights = en.cost("b7").parameters / en.cost("b0").parameters
growth_memory = activations("b7").total / activations("b0").total
print(f"From B0 to B7 the weights grow {growth_weights:.1f}x and the activations per image {growth_memory:.1f}x.")

# %% [markdown]
# These count only the tensors *between* blocks; inside an MBConv block the expanded tensor is six times wider
# (notebook 4), so real training memory is several times larger, and grows by the same rules.

# %% [markdown]
# ## The other way to write "accurate and cheap": the search objective (Section 4)
#
# Eq. 2 asks for the most accurate network *under* hard limits. B0 itself was found another way: an architecture
# search (the one MnasNet used, with FLOPS in place of measured latency) that scores every candidate network $m$ by
#
# $$\mathrm{ACC}(m) \times \left[\frac{\mathrm{FLOPS}(m)}{T}\right]^{w}, \qquad T = 400\text{M}, \quad w = -0.07 .$$
#
# $T$ is the FLOPS target, and the negative exponent $w$ makes the score pay for FLOPS in accuracy: a model with
# twice the FLOPS has its score multiplied by $2^w$. `effnet_lib.rules.search` computes the objective. Apply it to
# the models we know: B0 to B7 with their top-1 as printed in Table 2 (arXiv v5) and the library's multiply-adds.

# %%
from effnet_lib.rules import search

candidates = search.table_2_candidates()
ranked = search.scores(candidates)
plots.table(["model", "top-1 (Table 2)", "multiply-adds (library)", "score at T = 400M, w = -0.07"],
            [(n.upper(), f"{c.accuracy:.1f}%", f"{c.multiply_adds / 1e9:.3f}B", f"{ranked[n]:.2f}")
             for n, c in candidates.items()])

# %%
best = search.preferred(candidates)
print(f"At w = {search.PAPER_W}, doubling the FLOPS multiplies the score by 2^w = {2 ** search.PAPER_W:.3f}: a model "
      f"with twice the FLOPS must be {2 ** -search.PAPER_W - 1:.1%} more accurate (relative) to tie.")
print(f"The objective prefers {best.upper()} to every scaled model of Table 2.")
targets = [1e8, 4e8, 4e9, 4e10]
winners = {t: search.preferred(candidates, target=t) for t in targets}
print("Preferred at T =", ", ".join(f"{t / 1e6:,.0f}M: {w.upper()}" for t, w in winners.items()))

# %% [markdown]
# The target did not change the answer, and the objective itself says why: with one exponent $w$ for every model
# (as the paper writes it), $T$ multiplies every score by the same factor $T^{-w}$. It sets the scale of the scores,
# never their order. Only $w$ decides. The cell below finds, for each pair of neighbours in Table 2, the $w$ at which
# the two tie: closer to 0 than that, the bigger model wins.

# %%
names = list(candidates)
for cheaper, dearer in zip(names, names[1:]):
    w_tie = search.break_even_w(candidates[cheaper], candidates[dearer])
    print(f"{dearer.upper()} beats {cheaper.upper()} only for w > {w_tie:.4f}")

# %% [markdown]
# So at the paper's $w = -0.07$ no scaled model is worth its FLOPS by this score; the search would have had to care
# much less about FLOPS to pick even B1. That is no contradiction: the objective chose a *small* baseline, and
# compound scaling then spends more FLOPS on purpose, for accuracy the objective would not pay for.
#
# **Try it.** Move $w$ and $T$ below (or type a target in millions). The left picture draws curves of equal score
# through each model; the starred model sits on the best one. A $w$ above 0 or a target of 0 or less is refused with
# a message, and the last good view stays. (Without a running kernel you see a picture of the widget's starting
# state, $T = 400$M and $w = -0.07$.)

# %%
from effnet_lib.face import objective

objective.ObjectiveExplorer()

# %% [markdown]
# ## Summary
#
# - A ConvNet is a list of stages: operator $\mathcal{F}_i$, repeats $L_i$, input shape $\langle H_i, W_i, C_i\rangle$
#   (Eq. 1). `effnet_lib.B0` is Table 1 stored that way, and `print(en.B0)` gives the table back.
# - Scaling (Eq. 2) keeps every operator and stride and changes only three shared numbers: depth $d$, width $w$,
#   resolution $r$, searching for the most accurate network within a memory and FLOPS budget.
# - A convolution's cost grows as $d \cdot w^2 \cdot r^2$ (measured above with PyTorch's counter); on B0, depthwise
#   convolutions make width a bit cheaper than $w^2$. Parameters ignore resolution entirely.
# - Eq. 2's memory is the activations, which grow with $r^2$; the weights do not grow with $r$ at all.
# - The search objective $\mathrm{ACC} \times (\mathrm{FLOPS}/T)^w$ found B0. Applied to Table 2, its $w = -0.07$ prefers
#   B0 to every scaled model, and its $T$ rescales all scores without reordering them.
#
# ## Questions
#
# 1. Which three numbers does Eq. 2 leave free, and what does it keep fixed?
# 2. Why does doubling the width cost about four times the FLOPS, but doubling the depth only about twice?
# 3. Doubling the resolution leaves the parameter count unchanged. Why, and what does it change instead?
# 4. B0 is full of depthwise convolutions. How does that show in the measured exponent of width?
# 5. In the search objective, what does moving $T$ do to the ranking of models, and what does $w$ do?
# 6. Why does rounding repeats *up* make an odd depth factor such as 1.1 add a whole layer to every stage?
#
# **Answers:** try the questions first, then compare with the worked answers in
# [solutions/answers/01_problem_formulation.md](../solutions/answers/01_problem_formulation.md).
#
# **Exercise:** [exercise 01, rounding](../exercises/01_rounding.ipynb) (write `round_filters` and
# `round_repeats`, then B1..B7's stage tables).
#
# Next notebook: each dimension alone, and where it stops paying off.
