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
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's model layers (all of `effnet_lib.model`:
# `MBConv`, `SqueezeExcite`, `ConvBNAct` and the networks built from them), so only a block built from
# `torch.nn` pieces by you can pass them. The cell that says *YOUR ANSWER HERE* asks for a few
# sentences; it is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
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

# %% nbgrader={"grade": false, "grade_id": "mbconv", "locked": false, "schema_version": 3, "solution": true}
class MyMBConv(nn.Module):
    def __init__(self, in_channels, out_channels, expand_ratio, kernel, stride, se_ratio=0.25):
        super().__init__()
        ### BEGIN SOLUTION
        hidden = in_channels * expand_ratio
        squeeze = max(1, int(in_channels * se_ratio))
        norm = dict(eps=B0.bn_eps, momentum=B0.bn_momentum)
        self.expand = None
        if expand_ratio != 1:
            self.expand = nn.Sequential(nn.Conv2d(in_channels, hidden, 1, bias=False),
                                        nn.BatchNorm2d(hidden, **norm), nn.SiLU())
        self.depthwise = nn.Sequential(
            nn.Conv2d(hidden, hidden, kernel, stride, padding=kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden, **norm), nn.SiLU())
        self.se_reduce = nn.Conv2d(hidden, squeeze, 1)
        self.se_expand = nn.Conv2d(squeeze, hidden, 1)
        self.project = nn.Sequential(nn.Conv2d(hidden, out_channels, 1, bias=False),
                                     nn.BatchNorm2d(out_channels, **norm))
        self.residual = stride == 1 and in_channels == out_channels
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        out = self.expand(x) if self.expand is not None else x
        out = self.depthwise(out)
        gate = self.se_expand(nn.functional.silu(self.se_reduce(out.mean((2, 3), keepdim=True))))
        out = self.project(out * torch.sigmoid(gate))
        return x + out if self.residual else out
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mbconv_shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false}
block = MyMBConv(16, 24, 6, 3, 2)
assert block(torch.zeros(1, 16, 8, 8)).shape == (1, 24, 4, 4)
assert sum(p.numel() for p in block.parameters()) == sum(p.numel() for p in library_block(16, 24, 6, 3, 2).parameters())
### BEGIN HIDDEN TESTS
import torch

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_mbconv_shapes")
shapes = [(40, 40, 6, 5, 1), (32, 16, 1, 3, 1), (80, 112, 6, 5, 1), (112, 192, 6, 5, 2)]
shapes += [(rng.randint(2, 48), rng.randint(2, 48), rng.choice((1, 4, 6)), rng.choice((3, 5)), rng.choice((1, 2)))
           for _ in range(4)]
expected = [sum(p.numel() for p in library_block(*shape).parameters()) for shape in shapes]
with switched_off("effnet_lib.model"):   # checked inside too: nothing the answer returns runs unswitched
    for shape, want in zip(shapes, expected):
        block = MyMBConv(*shape)
        mine = sum(p.numel() for p in block.parameters() if type(p) is torch.nn.Parameter)
        assert mine == want, f"MyMBConv{shape}: {mine} parameters, the library's block has {want}"
        out = block(torch.zeros(1, shape[0], 7, 7))
        size = 4 if shape[4] == 2 else 7
        assert type(out) is torch.Tensor and tuple(out.shape) == (1, shape[1], size, size), f"MyMBConv{shape}: output {tuple(out.shape)}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_mbconv_same_output", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check_block(16, 24, 6, 3, 2)
### BEGIN HIDDEN TESTS
import torch

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_mbconv_same_output")
cases = [(32, 16, 1, 3, 1, 8), (40, 40, 6, 5, 1, 8), (80, 112, 6, 5, 1, 7), (112, 192, 6, 5, 2, 7)]
cases += [(rng.randint(2, 48), rng.randint(2, 48), rng.choice((1, 4, 6)), rng.choice((3, 5)), rng.choice((1, 2)),
           rng.randint(3, 9)) for _ in range(4)]
prepared = []   # the library's block, its weights and its output, all made before the library is switched off
for cin, cout, expand, kernel, stride, size in cases:
    reference = library_block(cin, cout, expand, kernel, stride)
    x = torch.randn(2, cin, size, size)
    with torch.no_grad():
        prepared.append((reference.state_dict(), x, reference(x)))
with switched_off("effnet_lib.model"):
    for case, (state, x, want) in zip(cases, prepared):
        mine = MyMBConv(*case[:5]).eval()
        keys = list(mine.state_dict().keys())
        assert len(keys) == len(state), f"{len(keys)} tensors, the library's block has {len(state)}"
        mine.load_state_dict(dict(zip(keys, state.values())))
        with torch.no_grad():
            out = mine(x)
        assert type(out) is torch.Tensor and out.shape == want.shape, \
            f"(in, out, expand, kernel, stride, size) = {case}: output {type(out).__name__} {tuple(out.shape)}"
        assert torch.allclose(out, want, atol=1e-5), f"(in, out, expand, kernel, stride, size) = {case}: different outputs"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. In your own words
#
# Two choices in the block look arbitrary: the projection back to `out_channels` has **no** activation,
# and the input is added back only when `stride == 1` and `in_channels == out_channels`. In three or four
# sentences: **why is each of them made that way?**

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_linear_projection", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** The projection squeezes the wide expanded features into a narrow output. An activation
# there (ReLU in MobileNetV2's analysis) would zero part of a low-dimensional signal and lose information
# that the next block cannot recover, so the bottleneck is kept linear (MobileNetV2's "linear bottleneck").
# The residual adds the input to the output element by element, which needs both to have the same shape:
# a stride of 2 halves the height and width, and a change of channels changes the depth, so in those
# blocks there is nothing of matching shape to add (MBConv uses no projection shortcut).
#
# **Rubric (2 points).** 1 point: the linear projection avoids destroying information in the narrow
# output (a non-linearity in a low-dimensional bottleneck discards part of it). 1 point: the addition
# needs equal shapes; stride 2 or a change of channels breaks that.

# %% [markdown]
# ## What you found
#
# With the same weights your block and the library's compute the same function. The library's
# block (`effnet_lib.model.layers.MBConv`) adds one thing you left out: stochastic depth, which during
# training drops the whole residual branch for some samples.
