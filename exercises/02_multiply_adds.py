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

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "checksum": "c9719c2aec2ad5a66f3cdd0ff12a46a5", "cell_type": "code"} deletable=false editable=false
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

# %% nbgrader={"grade": false, "grade_id": "conv_multiply_adds", "locked": false, "schema_version": 3, "solution": true, "checksum": "950916ceb5dabbccbc24a9d8c7ebc193", "cell_type": "code"} deletable=false
def conv_multiply_adds(in_channels, out_channels, kernel, out_size, groups=1):
    """Multiply-adds of a 2-D convolution producing an out_size x out_size map."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_conv", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "3315fa49866976aab25419df65f133a4", "cell_type": "code"} deletable=false editable=false
conv = nn.Conv2d(16, 32, 3, padding=1, bias=False)
assert conv_multiply_adds(16, 32, 3, 8) == counted_multiply_adds(conv, torch.zeros(1, 16, 8, 8))


# %% [markdown]
# ## 2. Depthwise convolution and squeeze-and-excitation
#
# A depthwise convolution filters each channel on its own (`groups = channels`). A
# squeeze-and-excitation block averages each channel to one number, then applies two 1x1
# convolutions to that 1x1 map: `channels -> squeeze_channels -> channels`. Count both.

# %% nbgrader={"grade": false, "grade_id": "depthwise_and_se", "locked": false, "schema_version": 3, "solution": true, "checksum": "8f5873073c8a18cc53cb94208b2bb8fb", "cell_type": "code"} deletable=false
def depthwise_multiply_adds(channels, kernel, out_size):
    # YOUR CODE HERE
    raise NotImplementedError()


def squeeze_excite_multiply_adds(channels, squeeze_channels):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_depthwise_and_se", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "9479c553c1dafa523f1a131ca93e4a50", "cell_type": "code"} deletable=false editable=false
depthwise = nn.Conv2d(96, 96, 3, padding=1, groups=96, bias=False)
assert depthwise_multiply_adds(96, 3, 56) == counted_multiply_adds(depthwise, torch.zeros(1, 96, 56, 56))
assert squeeze_excite_multiply_adds(96, 4) == counted_multiply_adds(en.SqueezeExcite(96, 4), torch.zeros(1, 96, 56, 56))


# %% [markdown]
# ## 3. A whole MBConv block, and B0
#
# `effnet_lib.blocks(spec)` lists every block of a network with its shapes: `in_channels`,
# `hidden_channels` (after the expansion), `out_channels`, `se_channels` (0: no SE), `kernel`,
# `stride`, `in_size` and `out_size`. An MBConv block is: a 1x1 expansion convolution (only when
# `hidden_channels != in_channels`, at the input size), the depthwise convolution (its stride
# gives the output size), squeeze-and-excitation (when `se_channels > 0`) and a 1x1 projection.
# Write `block_multiply_adds(block)`; the helper below adds the stem, the head and the classifier.

# %% nbgrader={"grade": false, "grade_id": "block_multiply_adds", "locked": false, "schema_version": 3, "solution": true, "checksum": "1378e80d7d71fc4380abbd7dc067df05", "cell_type": "code"} deletable=false
def block_multiply_adds(block):
    """Multiply-adds of one MBConv block of `effnet_lib.blocks`."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": false, "grade_id": "network_helper", "locked": true, "schema_version": 3, "solution": false, "checksum": "abc9fb34f938e727379305a45f4a6255", "cell_type": "code"} deletable=false editable=false
def network_multiply_adds(spec, classes=1000):
    """Stem + every block (your function) + head + classifier."""
    stem_size = -(-spec.image_size // spec.stem_stride)
    total = conv_multiply_adds(spec.in_channels, spec.stem_channels, spec.stem_kernel, stem_size)
    every = list(blocks(spec))
    total += sum(block_multiply_adds(b) for b in every)
    total += conv_multiply_adds(every[-1].out_channels, spec.head_channels, 1, every[-1].out_size)
    return total + spec.head_channels * classes


# %% nbgrader={"grade": true, "grade_id": "test_b0_total", "locked": true, "points": 3, "schema_version": 3, "solution": false, "checksum": "92c001c9780df152d1b9b90730915078", "cell_type": "code"} deletable=false editable=false
print(f"B0: {network_multiply_adds(B0) / 1e9:.3f} billion multiply-adds (the paper says 0.39B)")
assert network_multiply_adds(B0) == cost(B0).multiply_adds


# %% [markdown]
# ## 4. Why FLOPS grow like d * w^2 * r^2
#
# Doubling the depth doubles the number of layers. Doubling the width doubles both the input and
# the output channels of every convolution. Doubling the resolution doubles both the height and
# the width of every map. Write `flops_ratio(depth, width, resolution)`, the factor by which the
# multiply-adds grow according to this argument. The test compares it with B0 really scaled:
# the two agree within 10%. The rest comes from rounding and from the layers whose cost grows only
# linearly with width (the depthwise convolutions, the classifier).

# %% nbgrader={"grade": false, "grade_id": "flops_ratio", "locked": false, "schema_version": 3, "solution": true, "checksum": "fa5a49997d2ad24644bdaa83ffa1ad2c", "cell_type": "code"} deletable=false
def flops_ratio(depth, width, resolution):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_flops_ratio", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "ab3bf58d8b25fd0237fd4e8938879017", "cell_type": "code"} deletable=false editable=false
assert flops_ratio(2, 1, 1) == 2 and flops_ratio(1, 2, 1) == 4 and flops_ratio(1, 1, 2) == 4


def measured_ratio(depth, width, resolution):
    return cost(scale(B0, depth, width, resolution)).multiply_adds / cost(B0).multiply_adds


for d, w, r in ((2, 1, 1), (1, 2, 1), (1, 1, 2)):
    assert abs(measured_ratio(d, w, r) / flops_ratio(d, w, r) - 1) < 0.1, (d, w, r)
