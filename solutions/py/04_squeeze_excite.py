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
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's model layers (`effnet_lib.model`: its
# `SqueezeExcite`, `MBConv` and the networks built from them) and its table walk, so only a module
# built from `torch.nn` pieces by you can pass them. The cell that says *YOUR ANSWER HERE* asks for a
# few sentences; it is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
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

# %% nbgrader={"grade": false, "grade_id": "squeeze_channels", "locked": false, "schema_version": 3, "solution": true}
def squeeze_channels(in_channels, se_ratio=0.25):
    ### BEGIN SOLUTION
    return max(1, int(in_channels * se_ratio))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_squeeze_channels", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert squeeze_channels(32) == 8 and squeeze_channels(16) == 4
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

network, every_block = library("effnet_lib.rules.families.network"), library("effnet_lib.rules.architecture.blocks")
rng = hidden_random("test_squeeze_channels")
cases = [(b.in_channels, 0.25, b.se_channels) for name in ("b0", "b4") for b in every_block(network(name))]
for _ in range(40):
    channels, ratio = rng.randint(1, 2000), rng.choice((0.25, 0.5, 0.125, 0.0625))
    spec = network("b0").with_(stem_channels=channels, se_ratio=ratio)
    cases.append((channels, ratio, next(every_block(spec)).se_channels))
with switched_off("effnet_lib.rules.architecture.blocks", "effnet_lib.model"):
    for channels, ratio, want in cases:   # checked inside too: nothing the answer returns runs unswitched
        answer = float(squeeze_channels(channels, ratio))
        assert answer == want, f"squeeze_channels({channels}, {ratio}) gave {answer:g}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The module
#
# Write `SqueezeExcitation(channels, squeeze_channels)` with `torch.nn` layers. Create its layers in
# the order the forward pass uses them (the reducing convolution, then the expanding one), so that
# the test can copy the library's weights into yours.

# %% nbgrader={"grade": false, "grade_id": "module", "locked": false, "schema_version": 3, "solution": true}
class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze_channels):
        super().__init__()
        ### BEGIN SOLUTION
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.expand = nn.Conv2d(squeeze_channels, channels, 1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        gate = x.mean((2, 3), keepdim=True)
        gate = self.expand(nn.functional.silu(self.reduce(gate)))
        return x * torch.sigmoid(gate)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_module", "locked": true, "points": 4, "schema_version": 3, "solution": false}
torch.manual_seed(0)
x = torch.randn(2, 96, 7, 7)
mine, library_module = SqueezeExcitation(96, 4), en.SqueezeExcite(96, 4)
assert mine(x).shape == x.shape
assert sum(p.numel() for p in mine.parameters()) == sum(p.numel() for p in library_module.parameters())
same_weights(library_module, mine)
assert torch.allclose(mine(x), library_module(x), atol=1e-6)
### BEGIN HIDDEN TESTS
import torch

from effnet_grading.own_work import hidden_random, library, switched_off

Reference = library("effnet_lib.model.layers.SqueezeExcite")
rng = hidden_random("test_module")
cases = [(16, 4), (240, 10), (1152, 48)] + [(rng.randint(2, 400), rng.randint(1, 30)) for _ in range(4)]
prepared = []
for channels, squeeze in cases:
    reference = Reference(channels, squeeze)
    for p in reference.parameters():
        torch.nn.init.uniform_(p, -0.2, 0.2)
    x = torch.rand(3, channels, 5, 5) + 0.1
    with torch.no_grad():
        prepared.append((channels, squeeze, reference.state_dict(), x, reference(x)))
with switched_off("effnet_lib.model", "effnet_lib.rules.architecture.blocks"):
    for channels, squeeze, state, x, want in prepared:
        mine = SqueezeExcitation(channels, squeeze)
        keys = list(mine.state_dict().keys())
        assert len(keys) == len(state), f"{len(keys)} tensors, the library's module has {len(state)}"
        mine.load_state_dict(dict(zip(keys, state.values())))
        with torch.no_grad():
            out = mine(x)
        assert type(out) is torch.Tensor and out.shape == want.shape, f"channels {channels}: output {type(out)}"
        assert torch.allclose(out, want, atol=1e-5), f"channels {channels}, squeeze {squeeze}: different outputs"
        gate = out / x
        assert bool((gate >= 0).all() and (gate <= 1).all()), "gates must lie between 0 and 1"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Its parameters, by formula
#
# Write `se_parameters(channels, squeeze_channels)`: weights and biases of both convolutions.

# %% nbgrader={"grade": false, "grade_id": "se_parameters", "locked": false, "schema_version": 3, "solution": true}
def se_parameters(channels, squeeze_channels):
    ### BEGIN SOLUTION
    return 2 * channels * squeeze_channels + squeeze_channels + channels
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_se_parameters", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert se_parameters(96, 4) == sum(p.numel() for p in en.SqueezeExcite(96, 4).parameters())
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

Reference = library("effnet_lib.model.layers.SqueezeExcite")
rng = hidden_random("test_se_parameters")
cases = [(rng.randint(1, 3000), rng.randint(1, 200)) for _ in range(30)]
expected = [sum(p.numel() for p in Reference(c, q).parameters()) for c, q in cases]
with switched_off("effnet_lib.model", "effnet_lib.rules.blocks", "effnet_lib.rules.cost"):
    for (c, q), want in zip(cases, expected):
        answer = float(se_parameters(c, q))
        assert answer == want, f"se_parameters{(c, q)} gave {answer:g}, the module has {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 4. In your own words
#
# Squeeze-and-excitation is cheap in multiply-adds (two 1x1 convolutions on a 1x1 map) but not
# free in parameters. The cell below counts, with your function, the share of B0's weights that sit
# in its SE layers.

# %% nbgrader={"grade": false, "grade_id": "se_share", "locked": true, "schema_version": 3, "solution": false}
every = sum(se_parameters(b.hidden_channels, b.se_channels) for b in blocks(B0))
print(f"squeeze-and-excitation: {every:,} of B0's {en.cost(B0).parameters:,} parameters "
      f"({every / en.cost(B0).parameters:.1%})")

# %% [markdown]
# EfficientNet-Lite, the version for phones and edge accelerators, drops squeeze-and-excitation
# altogether. In three or four sentences: **what does the SE gate add to a block that its
# convolutions cannot, and why might a network built for mobile accelerators leave it out anyway?**

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_lite_drops_se", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** Every convolution in a block sees only a local window, so no channel can react to
# what the rest of the image contains. The SE gate pools each channel over the whole image and rescales
# every channel by a learned function of that global summary: channels are weighted by the image's
# content. It costs few multiply-adds but a noticeable share of the weights (printed above), and it needs
# a global average pool and a sigmoid gate in the middle of every block: a step that must wait for the
# whole feature map, which edge accelerators and their quantised kernels support poorly. The
# EfficientNet-Lite release says it removed SE because it was not well supported on some mobile
# accelerators (and swapped swish for ReLU6 to quantise better).
#
# **Rubric (2 points).** 1 point: SE brings global context, a per-channel weight computed from the whole
# image, which local convolutions lack. 1 point: a sound reason for dropping it on mobile hardware: poor
# accelerator or quantisation support for the pooling-and-gating step (the reason the Lite release
# gives), the latency of a global pool inside every block, or its parameters. Counting multiply-adds alone
# as the reason earns no point: they are negligible.
