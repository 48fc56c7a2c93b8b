# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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
# *Goes with course notebook 2, scaling dimensions.*
#
# The paper's "FLOPS" are multiply-adds: one multiplication and one addition, counted once. You
# will count them for the three kinds of layer in an MBConv block, add them up for a whole block,
# check your total for B0 against `effnet_lib.rules.cost`, and see why FLOPS grow like `d * w^2 * r^2`.
#
# The tests also compare with PyTorch's own counter, `FlopCounterMode`, which counts **two** FLOPs
# per multiply-add.

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
strided = nn.Conv2d(24, 40, 5, stride=2, padding=2, bias=False)
assert conv_multiply_adds(24, 40, 5, 7) == counted_multiply_adds(strided, torch.zeros(1, 24, 14, 14))
grouped = nn.Conv2d(32, 64, 3, padding=1, groups=4, bias=False)
assert conv_multiply_adds(32, 64, 3, 6, groups=4) == counted_multiply_adds(grouped, torch.zeros(1, 32, 6, 6))
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
wide = nn.Conv2d(240, 240, 5, stride=2, padding=2, groups=240, bias=False)
assert depthwise_multiply_adds(240, 5, 14) == counted_multiply_adds(wide, torch.zeros(1, 240, 28, 28))
assert squeeze_excite_multiply_adds(1152, 48) == counted_multiply_adds(en.SqueezeExcite(1152, 48), torch.zeros(1, 1152, 7, 7))
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
for name in ("b3", "lite0", "small-b0"):
    spec = en.network(name)
    assert network_multiply_adds(spec) == cost(spec).multiply_adds, name
first = next(blocks(B0))
assert block_multiply_adds(first) == counted_multiply_adds(en.MBConv(first, B0).eval(), torch.zeros(1, 32, 112, 112))
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Why FLOPS grow like d * w^2 * r^2
#
# Doubling the depth doubles the number of layers. Doubling the width doubles both the input and
# the output channels of every convolution. Doubling the resolution doubles both the height and
# the width of every map. Write `flops_ratio(depth, width, resolution)`, the factor by which the
# multiply-adds grow according to this argument. The test compares it with B0 really scaled:
# the two agree within 10%. The rest comes from rounding and from the layers whose cost grows only
# linearly with width (the depthwise convolutions, the classifier).

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
assert abs(flops_ratio(1.2, 1.1, 1.15) - 1.2 * 1.1 ** 2 * 1.15 ** 2) < 1e-12
for d, w, r in ((4, 1, 1), (1, 3, 1), (1, 1, 3), (2, 2, 2)):
    assert abs(measured_ratio(d, w, r) / flops_ratio(d, w, r) - 1) < 0.1, (d, w, r)
### END HIDDEN TESTS
