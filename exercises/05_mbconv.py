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
# # Exercise 5: an MBConv block
#
# *Goes with course notebook 4, the architecture.*
#
# EfficientNet's block is the mobile inverted bottleneck, MBConv:
#
# 1. **expand**: a 1x1 convolution from `in_channels` to `in_channels * expand_ratio`, then
#    BatchNorm and SiLU (left out when `expand_ratio == 1`);
# 2. **depthwise**: a `kernel x kernel` convolution with `groups` equal to its channels, padding
#    `kernel // 2` and the block's `stride`, then BatchNorm and SiLU;
# 3. **squeeze-and-excitation** (exercise 4) with `max(1, int(in_channels * se_ratio))` channels;
# 4. **project**: a 1x1 convolution to `out_channels`, then BatchNorm and **no** activation;
# 5. the **residual**: the input is added back when `stride == 1` and `in_channels == out_channels`.
#
# Convolutions other than the SE ones have no bias. BatchNorm uses the constants of the B0 table:
# `eps = B0.bn_eps` and `momentum = B0.bn_momentum`. You will check your block against
# `effnet_lib.MBConv` with the same weights.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "checksum": "4c728a6e83246045db2e913571089c2c", "cell_type": "code"} deletable=false editable=false
import torch
from torch import nn

import effnet_lib as en
from effnet_lib import B0

print(f"B0 BatchNorm: eps = {B0.bn_eps}, momentum = {B0.bn_momentum}")


def library_block(in_channels, out_channels, expand_ratio, kernel, stride, se_ratio=0.25):
    """effnet_lib's MBConv with these shapes, its BatchNorm statistics made non-trivial."""
    block = en.Block("mbconv", in_channels, out_channels, in_channels * expand_ratio,
                     max(1, int(in_channels * se_ratio)), kernel, stride, in_size=8, drop_rate=0.0)
    module = en.MBConv(block, B0)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return module.eval()


def same_weights(source, target):
    """Copy source's parameters and buffers into target, in order, checking every shape."""
    values = list(source.state_dict().values())
    keys = list(target.state_dict().keys())
    assert len(values) == len(keys), f"{len(keys)} tensors, the library's block has {len(values)}"
    for key, value in zip(keys, values):
        assert target.state_dict()[key].shape == value.shape, f"{key}: shape differs from the library's"
    target.load_state_dict(dict(zip(keys, values)))


def check_block(in_channels, out_channels, expand_ratio, kernel, stride, size=8):
    torch.manual_seed(0)
    library = library_block(in_channels, out_channels, expand_ratio, kernel, stride)
    mine = MyMBConv(in_channels, out_channels, expand_ratio, kernel, stride).eval()
    same_weights(library, mine)
    x = torch.randn(2, in_channels, size, size)
    with torch.no_grad():
        assert mine(x).shape == library(x).shape, (mine(x).shape, library(x).shape)
        assert torch.allclose(mine(x), library(x), atol=1e-5), "same weights, different outputs"


# %% [markdown]
# ## 1. The block
#
# Write `MyMBConv`. Create the layers in the order the forward pass uses them (expand
# convolution, its BatchNorm, depthwise convolution, its BatchNorm, SE reduce, SE expand, project
# convolution, its BatchNorm), so that the test can copy the library's weights into yours.

# %% nbgrader={"grade": false, "grade_id": "mbconv", "locked": false, "schema_version": 3, "solution": true, "checksum": "5c858c74112d25afe1633969890dac81", "cell_type": "code"} deletable=false
class MyMBConv(nn.Module):
    def __init__(self, in_channels, out_channels, expand_ratio, kernel, stride, se_ratio=0.25):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_mbconv_shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "b0ad1b3147ae2328d3486d762b2ec8f1", "cell_type": "code"} deletable=false editable=false
block = MyMBConv(16, 24, 6, 3, 2)
assert block(torch.zeros(1, 16, 8, 8)).shape == (1, 24, 4, 4)
assert sum(p.numel() for p in block.parameters()) == sum(p.numel() for p in library_block(16, 24, 6, 3, 2).parameters())

# %% nbgrader={"grade": true, "grade_id": "test_mbconv_same_output", "locked": true, "points": 4, "schema_version": 3, "solution": false, "checksum": "ca083da124d6bae5c3ee4bc3ff8b181d", "cell_type": "code"} deletable=false editable=false
check_block(16, 24, 6, 3, 2)

# %% [markdown]
# ## What you found
#
# With the same weights your block and the library's compute the same function. The library's
# block (`effnet_lib.model.network.MBConv`) adds one thing you left out: stochastic depth, which during
# training drops the whole residual branch for some samples.
