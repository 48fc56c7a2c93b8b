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
# # Exercise 13: after EfficientNet, computed
#
# *Goes with course notebook 9, after EfficientNet.*
#
# Three papers that followed EfficientNet changed what is counted. EfficientNetV2 added **Fused-MBConv**, a
# block with more multiply-adds that runs faster early in the network. Dollár et al.'s **fast scaling** grows
# FLOPS mostly through width, to keep **activations** small. FixRes showed that training crops show objects
# larger than the **test crop** does. You will cost a Fused-MBConv block, write fast scaling and count
# activations, compute FixRes's apparent-size ratio, and explain a latency measurement.
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's own versions (the Fused-MBConv kind and module,
# `effnet_lib.rules.efficientnetv2`, `scaling.fast`, `effnet_lib.rules.memory`, `effnet_lib.rules.fixres`,
# and the cost model), so only your own code can pass them. The cell that says *YOUR ANSWER HERE* asks for a
# few sentences; it is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

import effnet_lib as en
from effnet_lib.rules.architecture import output_size
from effnet_lib.rules.blocks import block_kind, conv_cost
from effnet_lib.rules.efficientnetv2 import V2_S, fuse

# %% [markdown]
# ## 1. The cost of a Fused-MBConv block
#
# A Fused-MBConv block with input `in_channels`, output `out_channels` and expansion `expand_ratio` has
# `hidden = int(in_channels * expand_ratio)` channels inside. If `hidden` differs from `in_channels`, it is a dense
# `kernel` x `kernel` convolution from `in_channels` to `hidden` that carries the `stride`, then a 1x1 convolution
# from `hidden` to `out_channels`; otherwise it is one `kernel` x `kernel` convolution from `in_channels` to
# `out_channels`, with the stride. Each convolution has no bias and is followed by a BatchNorm, whose scale and
# shift count as 2 parameters per channel (as `sum(p.numel())` counts them) but no multiply-adds. Every
# convolution's output map is `output_size(in_size, stride)` pixels square.
#
# Write `fused_mbconv_cost(in_channels, out_channels, expand_ratio, kernel, stride, in_size)` returning
# `(parameters, multiply_adds)`. `conv_cost` (one convolution) is yours to use.

# %% nbgrader={"grade": false, "grade_id": "fused_cost", "locked": false, "schema_version": 3, "solution": true}
def fused_mbconv_cost(in_channels, out_channels, expand_ratio, kernel, stride, in_size):
    ### BEGIN SOLUTION
    hidden = int(in_channels * expand_ratio)
    size = output_size(in_size, stride)
    if hidden == in_channels:
        return conv_cost(in_channels, out_channels, kernel, size)
    expand = conv_cost(in_channels, hidden, kernel, size)
    project = conv_cost(hidden, out_channels, 1, size)
    return expand[0] + project[0], expand[1] + project[1]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_fused_cost", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# B0's stage 2 as Fused-MBConv: its first block, 16 -> 24 channels, expansion 6, 3x3, stride 2, on a 112 px map.
parameters, multiply_adds = fused_mbconv_cost(16, 24, 6, 3, 2, 112)
print(f"{parameters:,} parameters, {multiply_adds:,} multiply-adds")
assert parameters == 16 * 96 * 9 + 2 * 96 + 96 * 24 + 2 * 24
assert multiply_adds == (16 * 96 * 9 + 96 * 24) * 56 * 56
first = next(b for b in en.blocks(V2_S) if b.kind == "fused_mbconv")
assert fused_mbconv_cost(first.in_channels, first.out_channels, 1, first.kernel, first.stride, first.in_size) == \
    block_kind("fused_mbconv").cost(first)
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

reference = library("effnet_lib.rules.blocks.conv_cost")
rng = hidden_random("test_fused_cost")
cases = [(b.in_channels, b.out_channels, b.hidden_channels / b.in_channels, b.kernel, b.stride, b.in_size)
         for b in en.blocks(fuse(en.B0, 7))][::3]
cases += [(rng.choice((8, 16, 24, 40)), rng.choice((16, 24, 48)), rng.choice((1, 2, 4, 6)), rng.choice((3, 5)),
           rng.choice((1, 2)), rng.randint(7, 120)) for _ in range(20)]
with switched_off("effnet_lib.rules.blocks.FusedMBConvKind", "effnet_lib.rules.efficientnetv2", "effnet_lib.rules.cost",
                  "effnet_lib.model.layers.FusedMBConv", "effnet_lib.face"):   # checked as numbers inside
    answers = [tuple(int(x) for x in fused_mbconv_cost(*case)) for case in cases]
for (cin, cout, ratio, k, s, size), answer in zip(cases, answers):
    hidden, out = int(cin * ratio), math.ceil(size / s)
    if hidden == cin:
        want = reference(cin, cout, k, out)
    else:
        a, b = reference(cin, hidden, k, out), reference(hidden, cout, 1, out)
        want = (a[0] + b[0], a[1] + b[1])
    assert answer == want, f"fused_mbconv_cost{(cin, cout, ratio, k, s, size)} gave {answer}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Fast scaling, and the activations it saves
#
# Dollár et al. grow a network's FLOPS by a factor `s` and give a share `a` of that growth (their alpha, 0.8)
# to width, splitting the rest equally between depth and resolution: since FLOPS grow as `d * w^2 * r^2`,
#
# `d = s^((1 - a) / 2)`,  `w = s^(a / 2)`,  `r = s^((1 - a) / 4)`.
#
# Write `fast_multipliers(flops_ratio, width_share=0.8)` returning `(depth, width, resolution)`.

# %% nbgrader={"grade": false, "grade_id": "fast", "locked": false, "schema_version": 3, "solution": true}
def fast_multipliers(flops_ratio, width_share=0.8):
    ### BEGIN SOLUTION
    a = width_share
    return flops_ratio ** ((1 - a) / 2), flops_ratio ** (a / 2), flops_ratio ** ((1 - a) / 4)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_fast", "locked": true, "points": 2, "schema_version": 3, "solution": false}
d, w, r = fast_multipliers(4)
print(f"fast scaling to 4x FLOPS: depth {d:.3f}, width {w:.3f}, resolution {r:.3f}")
assert math.isclose(d * w ** 2 * r ** 2, 4)
assert all(math.isclose(x, y) for x, y in zip(fast_multipliers(4, width_share=1), (1, 2, 1)))
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_fast")
cases = [(2, 0.8), (8, 1 / 3), (16, 0.0)] + [(rng.uniform(1, 40), rng.uniform(0, 1)) for _ in range(30)]
with switched_off("effnet_lib.rules.scaling", "effnet_lib.rules.matching", "effnet_lib.face"):
    answers = [tuple(float(x) for x in fast_multipliers(s, a)) for s, a in cases]
for (s, a), answer in zip(cases, answers):
    want = (s ** ((1 - a) / 2), s ** (a / 2), s ** ((1 - a) / 4))
    assert len(answer) == 3 and all(math.isclose(x, y) for x, y in zip(answer, want)), \
        f"fast_multipliers({s}, {a}) gave {answer}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# Activations are the values in the tensors that flow between layers. Count them as the course's
# `effnet_lib.rules.memory` does, for one image: the input image (`spec.in_channels` channels at
# `spec.image_size` pixels square), the stem's output (`spec.stem_channels` channels, the image shrunk by
# `spec.stem_reduction`, i.e. `output_size(spec.image_size, spec.stem_reduction)` pixels), and every block's
# output (`en.blocks(spec)` walks them: `out_channels` at `out_size` pixels square).
#
# Write `activation_count(spec)`.

# %% nbgrader={"grade": false, "grade_id": "activations", "locked": false, "schema_version": 3, "solution": true}
def activation_count(spec):
    ### BEGIN SOLUTION
    stem = output_size(spec.image_size, spec.stem_reduction)
    total = spec.in_channels * spec.image_size ** 2 + spec.stem_channels * stem ** 2
    return total + sum(b.out_channels * b.out_size ** 2 for b in en.blocks(spec))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_activations", "locked": true, "points": 2, "schema_version": 3, "solution": false}
print(f"B0 at 224 px: {activation_count(en.B0):,} values per image")
assert activation_count(en.B0) == 1_132_096
assert activation_count(en.B0.with_(image_size=448)) == 4 * activation_count(en.B0)
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

reference = library("effnet_lib.rules.memory.activations")
rng = hidden_random("test_activations")
specs = [en.B0, en.RESNET_50, en.MOBILENET_V1, V2_S, fuse(en.B0, 3), en.network("lite2"), en.SMALL_B0]
specs += [en.scale(en.B0, rng.uniform(1, 3), rng.uniform(1, 2.5), rng.uniform(1, 2)) for _ in range(6)]
expected = [reference(spec).total for spec in specs]
with switched_off("effnet_lib.rules.memory", "effnet_lib.rules.cost", "effnet_lib.face"):
    answers = [int(activation_count(spec)) for spec in specs]
for spec, answer, want in zip(specs, answers, expected):
    assert answer == want, f"activation_count({spec.name} at {spec.image_size} px) gave {answer:,}, expected {want:,}"
### END HIDDEN TESTS

# %% [markdown]
# The cell below uses your two functions: it scales B0 by fast scaling and by width alone and resolution alone
# to 4 and 16 times the FLOPS, and prints how fast the activations grow: the exponent of the real FLOPS ratio,
# which rounding (a stage's repeats are rounded up) moves off 4 and 16.

# %% nbgrader={"grade": false, "grade_id": "activation_growth", "locked": true, "schema_version": 3, "solution": false}
base_cost, base_values = en.cost(en.B0).multiply_adds, activation_count(en.B0)
for s in (4, 16):
    for name, (d, w, r) in {"fast": fast_multipliers(s), "width": (1, s ** 0.5, 1), "resolution": (1, 1, s ** 0.5)}.items():
        network = en.scale(en.B0, d, w, r)
        real = en.cost(network).multiply_adds / base_cost
        growth = math.log(activation_count(network) / base_values) / math.log(real)
        print(f"s = {s:2d}, {name:>10}: FLOPS x{real:5.2f}, activations grow as s^{growth:.2f}")

# %% [markdown]
# ## 3. FixRes: how large objects look in training
#
# Training crops a random share `sigma` of the image's area, drawn uniformly from `scale = (a, b)`, and resizes it
# to `train_size`; the test resizes the short side to `test_size / crop_fraction` and keeps the centre
# `test_size`. For a square image, an object looks `1 / sqrt(sigma)` times larger in a training crop than in
# the whole image at the same size, and on average `E[1 / sqrt(sigma)] = 2 (sqrt(b) - sqrt(a)) / (b - a)`.
#
# Write `apparent_size_ratio(train_size, test_size, crop_fraction=0.875, scale=(0.08, 1.0))`: the mean
# apparent size of an object in training over its apparent size in the test crop.

# %% nbgrader={"grade": false, "grade_id": "apparent", "locked": false, "schema_version": 3, "solution": true}
def apparent_size_ratio(train_size, test_size, crop_fraction=0.875, scale=(0.08, 1.0)):
    ### BEGIN SOLUTION
    a, b = scale
    magnification = 2 * (math.sqrt(b) - math.sqrt(a)) / (b - a)
    return train_size * magnification / (test_size / crop_fraction)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_apparent", "locked": true, "points": 2, "schema_version": 3, "solution": false}
ratio = apparent_size_ratio(224, 224)
print(f"train 224 px, test 224 px: objects look {ratio:.2f}x larger in training")
assert 1.3 < ratio < 1.4
assert math.isclose(apparent_size_ratio(224, 448), ratio / 2)
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_apparent")
cases = [(224, 224, 0.875, (0.08, 1.0)), (128, 224, 0.875, (0.08, 1.0)), (300, 384, 1.0, (0.25, 1.0))]
cases += [(rng.randint(64, 512), rng.randint(64, 512), rng.uniform(0.5, 1.0), (round(rng.uniform(0.01, 0.5), 3), 1.0))
          for _ in range(30)]
with switched_off("effnet_lib.rules.fixres", "effnet_lib.face"):
    answers = [float(apparent_size_ratio(*case)) for case in cases]
for (train, test, fraction, (a, b)), answer in zip(cases, answers):
    want = train * 2 * (math.sqrt(b) - math.sqrt(a)) / (b - a) * fraction / test
    assert math.isclose(answer, want), f"apparent_size_ratio{(train, test, fraction, (a, b))} gave {answer}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 4. A measurement to explain
#
# The cell below costs B0, B0 with its first two stages fused and B0 with all seven fused, with your
# `fused_mbconv_cost` summed over each network's fused blocks beside the library's total, and times them on this
# machine at 128 px, one image at a time (a few seconds). Run it twice: how much do the times move?

# %% nbgrader={"grade": false, "grade_id": "fused_on_this_machine", "locked": true, "schema_version": 3, "solution": false}
from effnet_lib.learn import latency

variants = {"B0": fuse(en.B0, 0), "stages 1-2 fused": fuse(en.B0, 2), "all 7 fused": fuse(en.B0, 7)}
timings = latency.compare({name: spec.with_(image_size=128) for name, spec in variants.items()}, runs=10, warmup=2)
for (name, spec), timing in zip(variants.items(), timings):
    yours = sum(fused_mbconv_cost(b.in_channels, b.out_channels, b.hidden_channels / b.in_channels, b.kernel, b.stride,
                                  b.in_size)[1] for b in en.blocks(spec.with_(image_size=128)) if b.kind == "fused_mbconv")
    print(f"{name:>17}: {timing.multiply_adds / 1e6:7.1f}M multiply-adds ({yours / 1e6:6.1f}M in fused blocks, by your "
          f"function), {timing.mean * 1e3:6.1f} +- {timing.std * 1e3:.1f} ms")
print("load average:", timings[0].hardware.get("load_average"))

# %% [markdown]
# In four to six sentences: **why can B0 with fused early stages have more multiply-adds and yet run as fast or
# faster, why does fusing every stage not pay, and what does your measurement (and its spread) let you conclude?**

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_fused_early", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** Multiply-adds count arithmetic, not time: early stages have large maps and few channels, so
# MBConv's 1x1 expansion and depthwise convolution do little arithmetic per value they read and write, and the
# processor waits on memory. A dense k x k convolution reuses each value it reads k^2 x C_in times, keeps the
# arithmetic units busy, does the stride inside the expansion and writes one expanded tensor instead of two, so
# its extra multiply-adds can cost less time than they add. Late stages have many channels and small maps: the
# dense convolution's cost grows with the square of the channels (the depthwise one only linearly), so fusing
# there multiplies the arithmetic several-fold and the network gets slower, which is why EfficientNetV2 fuses only
# its first stages. One run on one machine at batch 1 is a single sample: a conclusion needs the difference to be
# larger than the spread, and a rerun (or another machine, or a GPU) can change the early-stage result.
#
# **Rubric (3 points).** 1 point: arithmetic intensity or memory traffic in the early stages (large maps, few
# channels, depthwise/1x1 memory-bound; the dense kxk uses the hardware better). 1 point: late stages, the dense
# convolution's cost grows with channels squared, so fusing there costs more time than it saves. 1 point: reads the
# measurement honestly, comparing differences with the spread or noting load and hardware dependence.
