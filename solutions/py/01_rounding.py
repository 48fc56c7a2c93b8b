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
# # Exercise 1: rounding channels and layers
#
# *Goes with course notebook 1, the problem formulation (Eq. 2: what scaling may change).*
#
# Scaling a network by width `w` multiplies every stage's channels by `w`, and scaling by depth `d`
# multiplies every stage's layer count by `d`. Neither product is a whole number in general, so
# EfficientNet rounds them, and the rounding decides the exact shape of B1 ... B7:
#
# * **channels** go to the nearest multiple of a divisor (8), never below one divisor, and if
#   that rounding lost more than 10% of the exact value, one divisor is added back;
# * **layers** are always rounded **up**, so no stage loses its last layer.
#
# You will write both rules, then rebuild a scaled stage table with them.
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's own version of what you write (here
# `round_filters`, `round_repeats` and `scale`), so only your own code can pass them. Cells that say
# *YOUR ANSWER HERE* ask for a few sentences; they are graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
from effnet_lib import B0, EFFICIENTNET, network, round_filters, round_repeats

# %% [markdown]
# ## 1. Channels
#
# Write `my_round_filters(channels, width, divisor=8)`. Worked example: B3 has `width = 1.2`, so
# its first stage's 16 channels become 19.2. The nearest multiple of 8 is 16, but 16 is more than
# 10% below 19.2, so the rule adds 8: the answer is 24. (Round half up: 20.0 goes to 24.) Return an `int`.

# %% nbgrader={"grade": false, "grade_id": "my_round_filters", "locked": false, "schema_version": 3, "solution": true}
def my_round_filters(channels, width, divisor=8):
    """Channels after width scaling: a multiple of `divisor`, never more than 10% low."""
    ### BEGIN SOLUTION
    exact = channels * width
    rounded = max(divisor, int(exact + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * exact:
        rounded += divisor
    return int(rounded)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_round_filters", "locked": true, "points": 3, "schema_version": 3, "solution": false}
assert my_round_filters(32, 1.0) == 32
assert my_round_filters(16, 1.2) == 24, "19.2 rounds to 16, which is more than 10% low"
assert my_round_filters(40, 1.1) == round_filters(40, 1.1)
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

reference = library("effnet_lib.rules.rounding.round_filters")
rng = hidden_random("test_round_filters")
cases = [(c, w, 8) for c in (16, 24, 32, 40, 80, 112, 192, 320, 1280)
         for w in (0.25, 0.5, 0.75, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 3.8, 5.0)]
cases += [(4, 0.5, 8), (20, 1.3, 4)]   # never fewer than one divisor; another divisor
cases += [(rng.randint(1, 2000), round(rng.uniform(0.1, 6.0), 3), rng.choice((4, 8, 16))) for _ in range(300)]
expected = [reference(*case) for case in cases]
with switched_off("effnet_lib.rules.rounding", "effnet_lib.rules.scaling", "effnet_lib.rules.blocks"):
    for case, want in zip(cases, expected):   # checked inside too: nothing the answer returns runs unswitched
        answer = my_round_filters(*case)
        assert type(answer) is int and answer == want, f"my_round_filters{case} gave {answer!r}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Layers
#
# Write `my_round_repeats(repeats, depth)`: the number of layers of a stage after depth scaling.
# B1 has `depth = 1.1`; a stage of 3 layers becomes 3.3 and must keep all its work, so 4 layers.

# %% nbgrader={"grade": false, "grade_id": "my_round_repeats", "locked": false, "schema_version": 3, "solution": true}
import math


def my_round_repeats(repeats, depth):
    """Layers after depth scaling: always rounded up."""
    ### BEGIN SOLUTION
    return int(math.ceil(repeats * depth))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_round_repeats", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert my_round_repeats(3, 1.1) == 4
assert my_round_repeats(2, 1.0) == 2
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

reference = library("effnet_lib.rules.rounding.round_repeats")
rng = hidden_random("test_round_repeats")
cases = [(n, d) for n in (1, 2, 3, 4) for d in (1.0, 1.1, 1.2, 1.4, 1.8, 2.2, 2.6, 3.1, 4.0)]
cases += [(rng.randint(1, 40), round(rng.uniform(0.3, 8.0), 3)) for _ in range(300)]
expected = [reference(*case) for case in cases]
with switched_off("effnet_lib.rules.rounding", "effnet_lib.rules.scaling"):
    for case, want in zip(cases, expected):
        answer = my_round_repeats(*case)
        assert type(answer) is int and answer == want, f"my_round_repeats{case} gave {answer!r}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. A whole scaled table
#
# Write `scaled_stages(width, depth)`: for each of B0's seven stages (`B0.stages`, each with
# `.channels` and `.repeats`), the pair `(channels, repeats)` after scaling, using your two
# functions. The test checks your table against the library's B1 ... B7, whose published
# coefficients are in `EFFICIENTNET`.

# %% nbgrader={"grade": false, "grade_id": "scaled_stages", "locked": false, "schema_version": 3, "solution": true}
def scaled_stages(width, depth):
    """[(channels, repeats), ...] for every stage of B0 scaled by `width` and `depth`."""
    ### BEGIN SOLUTION
    return [(my_round_filters(s.channels, width), my_round_repeats(s.repeats, depth)) for s in B0.stages]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_scaled_stages", "locked": true, "points": 3, "schema_version": 3, "solution": false}
b3 = EFFICIENTNET["b3"]
assert scaled_stages(b3.width, b3.depth) == [(s.channels, s.repeats) for s in network("b3").stages]
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

scale = library("effnet_lib.rules.scaling.scale")
base = library("effnet_lib.rules.architecture.B0")
rng = hidden_random("test_scaled_stages")
cases = [(c.width, c.depth) for c in library("effnet_lib.rules.families.EFFICIENTNET").values()]
cases += [(1.0, 1.0)] + [(round(rng.uniform(0.5, 4.0), 2), round(rng.uniform(0.5, 4.0), 2)) for _ in range(40)]
expected = [[(s.channels, s.repeats) for s in scale(base, depth=d, width=w).stages] for w, d in cases]
with switched_off("effnet_lib.rules.rounding", "effnet_lib.rules.scaling", "effnet_lib.rules.blocks",
                  "effnet_lib.rules.families"):
    for (w, d), want in zip(cases, expected):
        answer = [tuple(row) for row in scaled_stages(w, d)]
        assert all(type(x) is int for row in answer for x in row) and answer == want, \
            f"scaled_stages({w}, {d}) gave {answer}, expected {want}"
### END HIDDEN TESTS

# %% [markdown]
# ## 4. In your own words
#
# The printout below compares what scaling asks for with what your rules give, for B0's stages at
# `depth = 1.1` (B1) and `width = 1.2` (B3). Use it to answer, in three or four sentences: **why are
# layers always rounded up while channels are rounded to the nearest multiple of 8, and what does
# rounding up do to the cost of a slightly deeper network?**

# %% nbgrader={"grade": false, "grade_id": "rounding_printout", "locked": true, "schema_version": 3, "solution": false}
for s in B0.stages:
    print(f"{s.operator:>16}: layers {s.repeats} x 1.1 = {s.repeats * 1.1:4.1f} -> {my_round_repeats(s.repeats, 1.1)}"
          f"   channels {s.channels:>3} x 1.2 = {s.channels * 1.2:5.1f} -> {my_round_filters(s.channels, 1.2)}")

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_round_up", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** A layer cannot be cut in part: rounding a stage's repeats down could leave it with
# fewer layers than the baseline (or none), so the rule rounds up and every stage keeps at least all
# its work. Channels can be rounded either way, because hardware runs multiples of 8 efficiently; the
# 10% guard stops a small stage from losing much of its width. Rounding up makes small depth factors
# expensive: at `d = 1.1` a one-layer stage gets two layers (+100%, not +10%), so the real cost of a
# slightly deeper network grows much faster than `d`.
#
# **Rubric (2 points).** 1 point: layers are rounded up so that no stage loses (part of) its layers,
# while channels round to multiples of 8 for the hardware, with the 10% floor. 1 point: rounding up
# turns a small `d` into a whole extra layer for short stages (e.g. 1 -> 2 layers at `d = 1.1`), so
# depth, and with it FLOPS, grow more than the multiplier says. No point for restating the rules
# without a reason.

# %% [markdown]
# ## What you found
#
# Channels may lose at most 10% to rounding, and layers never lose anything: a stage of one layer
# scaled by depth 1.2 gets two layers, two-thirds more than the exact 1.2. So the real cost of a
# scaled network drifts away from the simple rule FLOPS ~ `d * w^2 * r^2`; exercises 2 and 3
# measure by how much.
