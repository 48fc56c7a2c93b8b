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
# # Exercise 2: counting multiply-adds
#
# *Goes with course notebook 2, scaling dimensions (what each knob costs).*
#
# The paper's "FLOPS" are multiply-adds: one multiplication and one addition, counted once. You
# will count them for the three kinds of layer in an MBConv block, add them up for a whole block,
# check your total for B0 against the library's cost model, and see why FLOPS grow like
# `d * w^2 * r^2`.
#
# The tests also compare with PyTorch's own counter, `FlopCounterMode`, which counts **two** FLOPs
# per multiply-add.
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's cost model (`effnet_lib.rules.cost`,
# `effnet_lib.rules.blocks`, `multiply_adds_growth`) and PyTorch's FLOP counter, so only your own counting can
# pass them. The cell that says *YOUR ANSWER HERE* asks for a few sentences; it is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import effnet_lib as en
from effnet_lib import B0, blocks, cost, scale


def counted_multiply_adds(module, x):
    """Multiply-adds of one forward pass, as PyTorch's counter sees them."""
    with FlopCounterMode(display=False) as counter:
        module(x)
    return counter.get_total_flops() // 2


# %% [markdown]
# ## 1. A convolution
#
# A convolution with `in_channels` inputs, `out_channels` outputs, a `kernel x kernel` window and
# an `out_size x out_size` output computes, for every output value, one dot product over its
# window of `in_channels / groups` input channels. Write `conv_multiply_adds`. (Bias additions are
# not counted, as in the paper.)

# %% nbgrader={"grade": false, "grade_id": "conv_multiply_adds", "locked": false, "schema_version": 3, "solution": true}
def conv_multiply_adds(in_channels, out_channels, kernel, out_size, groups=1):
    """Multiply-adds of a 2-D convolution producing an out_size x out_size map."""
    ### BEGIN SOLUTION
    return (in_channels // groups) * kernel * kernel * out_channels * out_size * out_size
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv", "locked": true, "points": 2, "schema_version": 3, "solution": false}
conv = nn.Conv2d(16, 32, 3, padding=1, bias=False)
assert conv_multiply_adds(16, 32, 3, 8) == counted_multiply_adds(conv, torch.zeros(1, 16, 8, 8))
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_conv")
cases = [(24, 40, 5, 2, 14, 1), (32, 64, 3, 1, 6, 4)]   # (in, out, kernel, stride, input size, groups)
for _ in range(12):
    groups = rng.choice((1, 1, 2, 4))
    cases.append((groups * rng.randint(1, 12), groups * rng.randint(1, 12), rng.choice((1, 3, 5, 7)),
                  rng.choice((1, 2)), rng.randint(3, 17), groups))
expected = []
for cin, cout, k, stride, size, groups in cases:
    layer = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=rng.random() < 0.5)
    expected.append(counted_multiply_adds(layer, torch.zeros(1, cin, size, size)))
with switched_off("effnet_lib.rules.blocks", "effnet_lib.rules.cost", "torch.utils.flop_counter"):
    for (cin, cout, k, stride, size, groups), want in zip(cases, expected):
        answer = float(conv_multiply_adds(cin, cout, k, math.ceil(size / stride), groups))
        assert answer == want, f"(in, out, kernel, stride, size, groups) = {(cin, cout, k, stride, size, groups)}: " \
                               f"you counted {answer:.0f}, PyTorch {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Depthwise convolution and squeeze-and-excitation
#
# A depthwise convolution filters each channel on its own (`groups = channels`). A
# squeeze-and-excitation block averages each channel to one number, then applies two 1x1
# convolutions to that 1x1 map: `channels -> squeeze_channels -> channels`. Count both.

# %% nbgrader={"grade": false, "grade_id": "depthwise_and_se", "locked": false, "schema_version": 3, "solution": true}
def depthwise_multiply_adds(channels, kernel, out_size):
    ### BEGIN SOLUTION
    return conv_multiply_adds(channels, channels, kernel, out_size, groups=channels)
    ### END SOLUTION


def squeeze_excite_multiply_adds(channels, squeeze_channels):
    ### BEGIN SOLUTION
    return 2 * conv_multiply_adds(channels, squeeze_channels, 1, 1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_depthwise_and_se", "locked": true, "points": 2, "schema_version": 3, "solution": false}
depthwise = nn.Conv2d(96, 96, 3, padding=1, groups=96, bias=False)
assert depthwise_multiply_adds(96, 3, 56) == counted_multiply_adds(depthwise, torch.zeros(1, 96, 56, 56))
assert squeeze_excite_multiply_adds(96, 4) == counted_multiply_adds(en.SqueezeExcite(96, 4), torch.zeros(1, 96, 56, 56))
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, library, switched_off

SqueezeExcite = library("effnet_lib.model.layers.SqueezeExcite")
rng = hidden_random("test_depthwise_and_se")
depthwise_cases = [(240, 5, 2, 28)] + [(rng.randint(1, 300), rng.choice((3, 5, 7)), rng.choice((1, 2)),
                                         rng.randint(3, 20)) for _ in range(8)]
se_cases = [(1152, 48)] + [(rng.randint(8, 600), rng.randint(1, 40)) for _ in range(8)]
depthwise_expected = [counted_multiply_adds(nn.Conv2d(c, c, k, stride=s, padding=k // 2, groups=c, bias=False),
                                            torch.zeros(1, c, size, size)) for c, k, s, size in depthwise_cases]
se_expected = [counted_multiply_adds(SqueezeExcite(c, q), torch.zeros(1, c, 5, 5)) for c, q in se_cases]
with switched_off("effnet_lib.rules.blocks", "effnet_lib.rules.cost", "effnet_lib.model", "torch.utils.flop_counter"):
    for (c, k, s, size), want in zip(depthwise_cases, depthwise_expected):
        answer = float(depthwise_multiply_adds(c, k, math.ceil(size / s)))
        assert answer == want, f"depthwise (channels, kernel, stride, size) = {(c, k, s, size)}: you counted {answer:.0f}, PyTorch {want}"
    for (c, q), want in zip(se_cases, se_expected):
        answer = float(squeeze_excite_multiply_adds(c, q))
        assert answer == want, f"squeeze-excite (channels, squeeze) = {(c, q)}: you counted {answer:.0f}, PyTorch {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. A whole MBConv block, and B0
#
# `effnet_lib.blocks(spec)` lists every block of a network with its shapes: `in_channels`,
# `hidden_channels` (after the expansion), `out_channels`, `se_channels` (0: no SE), `kernel`,
# `stride`, `in_size` and `out_size`. An MBConv block is: a 1x1 expansion convolution (only when
# `hidden_channels != in_channels`, at the input size), the depthwise convolution (its stride
# gives the output size), squeeze-and-excitation (when `se_channels > 0`) and a 1x1 projection.
# Write `block_multiply_adds(block)`; the helper below adds the stem, the head and the classifier.

# %% nbgrader={"grade": false, "grade_id": "block_multiply_adds", "locked": false, "schema_version": 3, "solution": true}
def block_multiply_adds(block):
    """Multiply-adds of one MBConv block of `effnet_lib.blocks`."""
    ### BEGIN SOLUTION
    total = 0
    if block.hidden_channels != block.in_channels:
        total += conv_multiply_adds(block.in_channels, block.hidden_channels, 1, block.in_size)
    total += depthwise_multiply_adds(block.hidden_channels, block.kernel, block.out_size)
    if block.se_channels:
        total += squeeze_excite_multiply_adds(block.hidden_channels, block.se_channels)
    total += conv_multiply_adds(block.hidden_channels, block.out_channels, 1, block.out_size)
    return total
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "network_helper", "locked": true, "schema_version": 3, "solution": false}
def network_multiply_adds(spec, classes=1000):
    """Stem + every block (your function) + head + classifier."""
    stem_size = -(-spec.image_size // spec.stem_stride)
    total = conv_multiply_adds(spec.in_channels, spec.stem_channels, spec.stem_kernel, stem_size)
    every = list(blocks(spec))
    total += sum(block_multiply_adds(b) for b in every)
    total += conv_multiply_adds(every[-1].out_channels, spec.head_channels, 1, every[-1].out_size)
    return total + spec.head_channels * classes


# %% nbgrader={"grade": true, "grade_id": "test_b0_total", "locked": true, "points": 3, "schema_version": 3, "solution": false}
print(f"B0: {network_multiply_adds(B0) / 1e9:.3f} billion multiply-adds (the paper says 0.39B)")
assert network_multiply_adds(B0) == cost(B0).multiply_adds
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import library, switched_off

every_block = library("effnet_lib.rules.architecture.blocks")
kind = library("effnet_lib.rules.blocks.KINDS")["mbconv"]
network = library("effnet_lib.rules.families.network")
MBConv = library("effnet_lib.model.layers.MBConv")
specs = [network(name) for name in ("b0", "b3", "b7", "lite0", "small-b0", "mobilenet-v2")]
tables = [list(every_block(spec)) for spec in specs]
expected = [[kind.cost(b)[1] for b in table] for table in tables]
first = tables[0][0]
counted_first = counted_multiply_adds(MBConv(first, specs[0]).eval(), torch.zeros(1, 32, 112, 112))
with switched_off("effnet_lib.rules.blocks", "effnet_lib.rules.cost", "effnet_lib.model", "torch.utils.flop_counter"):
    for spec, table, want in zip(specs, tables, expected):
        for index, (block, theirs) in enumerate(zip(table, want)):
            mine = float(block_multiply_adds(block))
            assert mine == theirs, f"{spec.name}, block {index}: you counted {mine:.0f}, the cost model {theirs}"
    assert float(block_multiply_adds(first)) == counted_first, "B0's first block disagrees with PyTorch's counter"
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Why FLOPS grow like d * w^2 * r^2
#
# Doubling the depth doubles the number of layers. Doubling the width doubles both the input and
# the output channels of every convolution. Doubling the resolution doubles both the height and
# the width of every map. Write `flops_ratio(depth, width, resolution)`, the factor by which the
# multiply-adds grow according to this argument. The test compares it with B0 really scaled:
# the two agree within 10%.

# %% nbgrader={"grade": false, "grade_id": "flops_ratio", "locked": false, "schema_version": 3, "solution": true}
def flops_ratio(depth, width, resolution):
    ### BEGIN SOLUTION
    return depth * width ** 2 * resolution ** 2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_flops_ratio", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert flops_ratio(2, 1, 1) == 2 and flops_ratio(1, 2, 1) == 4 and flops_ratio(1, 1, 2) == 4


def measured_ratio(depth, width, resolution):
    return cost(scale(B0, depth, width, resolution)).multiply_adds / cost(B0).multiply_adds


for d, w, r in ((2, 1, 1), (1, 2, 1), (1, 1, 2)):
    assert abs(measured_ratio(d, w, r) / flops_ratio(d, w, r) - 1) < 0.1, (d, w, r)
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_flops_ratio")
cases = [(1.2, 1.1, 1.15)] + [tuple(round(rng.uniform(0.5, 4.0), 3) for _ in range(3)) for _ in range(20)]
with switched_off("effnet_lib.rules.scaling", "effnet_lib.rules.cost", "effnet_lib.rules.search"):
    for d, w, r in cases:
        answer = float(flops_ratio(d, w, r))
        assert math.isclose(answer, d * w ** 2 * r ** 2), f"flops_ratio{(d, w, r)} gave {answer}"
### END HIDDEN TESTS

# %% [markdown]
# ## 5. In your own words
#
# Notebook 1 measured B0's multiply-adds growing as about `w^1.8`, not `w^2`. The cell below uses your
# functions to split B0's multiply-adds by kind of layer. Explain, in three or four sentences, **which
# layers make width cheaper than `w^2`, and why their cost grows only linearly with the width.**

# %% nbgrader={"grade": false, "grade_id": "share_by_layer", "locked": true, "schema_version": 3, "solution": false}
every = list(blocks(B0))
parts = {
    "depthwise": sum(depthwise_multiply_adds(b.hidden_channels, b.kernel, b.out_size) for b in every),
    "squeeze-excite": sum(squeeze_excite_multiply_adds(b.hidden_channels, b.se_channels) for b in every),
    "classifier": B0.head_channels * 1000,
}
total = network_multiply_adds(B0)
for name, value in parts.items():
    print(f"{name:>15}: {value / 1e6:6.1f}M multiply-adds, {value / total:5.1%} of B0's {total / 1e6:.0f}M")

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_width_is_cheaper", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** A normal convolution's cost is in x out channels x kernel area x positions, so
# widening both its input and its output by `w` multiplies it by `w^2`. A depthwise convolution has one
# filter per channel (`groups = channels`): its cost is channels x kernel area x positions, linear in `w`.
# Squeeze-and-excitation runs on a 1x1 map and the classifier maps a fixed 1000 classes from the head's
# channels, so both grow linearly too. In B0 these linear parts are a sizeable share of the total (the
# depthwise convolutions alone are the largest of them, as printed), which pulls the exponent below 2.
#
# **Rubric (2 points).** 1 point: names the depthwise convolutions (with SE and/or the classifier) as the
# layers whose cost is linear in width. 1 point: the reason: one filter per channel (no sum over input
# channels), or a fixed number of outputs for the classifier, so only one factor of `w` enters; and that
# their share of B0's total is large enough to lower the exponent.
