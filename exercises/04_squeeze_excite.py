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
# # Exercise 4: a squeeze-and-excitation module
#
# *Goes with course notebook 4, the architecture.*
#
# Squeeze-and-excitation (Hu et al. 2018) lets a block reweight its channels using a summary of
# the whole image: **squeeze** each channel to its spatial mean, **excite** through a small
# bottleneck (a 1x1 convolution down to `squeeze_channels`, SiLU, a 1x1 convolution back up,
# both with bias), and multiply every channel by the sigmoid of its result, a gate in (0, 1).
# In EfficientNet the bottleneck width is a quarter of the **block's input** channels, not of the
# expanded channels the module sits on. You will write the module and check it against
# `effnet_lib.SqueezeExcite` with the same weights.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "checksum": "70d56834bf7ef8ebfbf185344a72f2a1", "cell_type": "code"} deletable=false editable=false
import torch
from torch import nn

import effnet_lib as en
from effnet_lib import B0, blocks


def same_weights(source, target):
    """Copy source's parameters and buffers into target, in order, checking every shape."""
    values = list(source.state_dict().values())
    keys = list(target.state_dict().keys())
    assert len(values) == len(keys), f"{len(keys)} tensors, the library's module has {len(values)}"
    for key, value in zip(keys, values):
        assert target.state_dict()[key].shape == value.shape, f"{key}: shape differs from the library's"
    target.load_state_dict(dict(zip(keys, values)))


# %% [markdown]
# ## 1. How wide is the squeeze?
#
# Write `squeeze_channels(in_channels, se_ratio=0.25)`: the block's input channels times the
# ratio, rounded down to a whole number, but at least 1.

# %% nbgrader={"grade": false, "grade_id": "squeeze_channels", "locked": false, "schema_version": 3, "solution": true, "checksum": "39a83cea1ff51a8a8714bbd7fe58bd1e", "cell_type": "code"} deletable=false
def squeeze_channels(in_channels, se_ratio=0.25):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_squeeze_channels", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "ae1a8411fb23f6637e95953297749853", "cell_type": "code"} deletable=false editable=false
assert squeeze_channels(32) == 8 and squeeze_channels(16) == 4


# %% [markdown]
# ## 2. The module
#
# Write `SqueezeExcitation(channels, squeeze_channels)`. Create its layers in the order the
# forward pass uses them (the reducing convolution, then the expanding one), so that the test can
# copy the library's weights into yours.

# %% nbgrader={"grade": false, "grade_id": "module", "locked": false, "schema_version": 3, "solution": true, "checksum": "77b90f8762a6ed0ad65c8121566165f8", "cell_type": "code"} deletable=false
class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze_channels):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_module", "locked": true, "points": 4, "schema_version": 3, "solution": false, "checksum": "ca2910ff0e92d98ce6f74005658fdcb0", "cell_type": "code"} deletable=false editable=false
torch.manual_seed(0)
x = torch.randn(2, 96, 7, 7)
mine, library = SqueezeExcitation(96, 4), en.SqueezeExcite(96, 4)
assert mine(x).shape == x.shape
assert sum(p.numel() for p in mine.parameters()) == sum(p.numel() for p in library.parameters())
same_weights(library, mine)
assert torch.allclose(mine(x), library(x), atol=1e-6)


# %% [markdown]
# ## 3. Its parameters, by formula
#
# Write `se_parameters(channels, squeeze_channels)`: weights and biases of both convolutions.

# %% nbgrader={"grade": false, "grade_id": "se_parameters", "locked": false, "schema_version": 3, "solution": true, "checksum": "665fdf36b5cedf00986ac0788f6aa8e5", "cell_type": "code"} deletable=false
def se_parameters(channels, squeeze_channels):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_se_parameters", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "9a0d5087ab73a534c4ac0e7563247d58", "cell_type": "code"} deletable=false editable=false
assert se_parameters(96, 4) == sum(p.numel() for p in en.SqueezeExcite(96, 4).parameters())

# %% [markdown]
# ## What you found
#
# Squeeze-and-excitation is cheap in multiply-adds (two 1x1 convolutions on a 1x1 map) but not
# free in parameters. The cell below counts the share of B0's weights that sit in its SE layers;
# EfficientNet-Lite drops them altogether.

# %% nbgrader={"grade": false, "grade_id": "se_share", "locked": true, "schema_version": 3, "solution": false, "checksum": "f9f3bde4b8c5d297435db2256cac0329", "cell_type": "code"} deletable=false editable=false
every = sum(se_parameters(b.hidden_channels, b.se_channels) for b in blocks(B0))
print(f"squeeze-and-excitation: {every:,} of B0's {en.cost(B0).parameters:,} parameters "
      f"({every / en.cost(B0).parameters:.1%})")
