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
# # Exercise 1: rounding channels and layers
#
# *Goes with course notebook 3, compound scaling.*
#
# Scaling a network by width `w` multiplies every stage's channels by `w`, and scaling by depth `d`
# multiplies every stage's layer count by `d`. Neither product is a whole number in general, so
# EfficientNet rounds them, and the rounding decides the exact shape of B1 ... B7:
#
# * **channels** go to the nearest multiple of a divisor (8), never below one divisor, and if
#   that rounding lost more than 10% of the exact value, one divisor is added back;
# * **layers** are always rounded **up**, so no stage loses its last layer.
#
# You will write both rules, then rebuild a scaled stage table with them. The tests compare your
# code with `effnet_lib`. Cells with `raise NotImplementedError()` are yours to fill in; run the
# test cell below each one to check your work (graders run more tests than you see).

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "checksum": "36285b0a8e391826543065e37a7e8bcd", "cell_type": "code"} deletable=false editable=false
import effnet_lib as en
from effnet_lib import B0, EFFICIENTNET, network, round_filters, round_repeats

# %% [markdown]
# ## 1. Channels
#
# Write `my_round_filters(channels, width, divisor=8)`. Worked example: B3 has `width = 1.2`, so
# its first stage's 16 channels become 19.2. The nearest multiple of 8 is 16, but 16 is more than
# 10% below 19.2, so the rule adds 8: the answer is 24. (Round half up: 20.0 goes to 24.)

# %% nbgrader={"grade": false, "grade_id": "my_round_filters", "locked": false, "schema_version": 3, "solution": true, "checksum": "4b5a6f043f4d5cdece2291cc8373643b", "cell_type": "code"} deletable=false
def my_round_filters(channels, width, divisor=8):
    """Channels after width scaling: a multiple of `divisor`, never more than 10% low."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_round_filters", "locked": true, "points": 3, "schema_version": 3, "solution": false, "checksum": "71f65005c315e3fe493d9abf6afdeab2", "cell_type": "code"} deletable=false editable=false
assert my_round_filters(32, 1.0) == 32
assert my_round_filters(16, 1.2) == 24, "19.2 rounds to 16, which is more than 10% low"
assert my_round_filters(40, 1.1) == round_filters(40, 1.1)

# %% [markdown]
# ## 2. Layers
#
# Write `my_round_repeats(repeats, depth)`: the number of layers of a stage after depth scaling.
# B1 has `depth = 1.1`; a stage of 3 layers becomes 3.3 and must keep all its work, so 4 layers.

# %% nbgrader={"grade": false, "grade_id": "my_round_repeats", "locked": false, "schema_version": 3, "solution": true, "checksum": "aee05611e60d85aa2b166144d936619b", "cell_type": "code"} deletable=false
import math


def my_round_repeats(repeats, depth):
    """Layers after depth scaling: always rounded up."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_round_repeats", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "4adf782e72d41fb4220a0c2e38123daa", "cell_type": "code"} deletable=false editable=false
assert my_round_repeats(3, 1.1) == 4
assert my_round_repeats(2, 1.0) == 2


# %% [markdown]
# ## 3. A whole scaled table
#
# Write `scaled_stages(width, depth)`: for each of B0's seven stages (`B0.stages`, each with
# `.channels` and `.repeats`), the pair `(channels, repeats)` after scaling. The test checks your
# table against the library's B1 ... B7, whose published coefficients are in `EFFICIENTNET`.

# %% nbgrader={"grade": false, "grade_id": "scaled_stages", "locked": false, "schema_version": 3, "solution": true, "checksum": "5bbd0e5c4d163c83bce46244fb4c280c", "cell_type": "code"} deletable=false
def scaled_stages(width, depth):
    """[(channels, repeats), ...] for every stage of B0 scaled by `width` and `depth`."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_scaled_stages", "locked": true, "points": 3, "schema_version": 3, "solution": false, "checksum": "3ea764d58f6b190036658323b76b13c7", "cell_type": "code"} deletable=false editable=false
b3 = EFFICIENTNET["b3"]
assert scaled_stages(b3.width, b3.depth) == [(s.channels, s.repeats) for s in network("b3").stages]

# %% [markdown]
# ## What you found
#
# Channels may lose at most 10% to rounding, and layers never lose anything: a stage of one layer
# scaled by depth 1.2 gets two layers, two-thirds more than the exact 1.2. So the real cost of a
# scaled network drifts away from the simple rule FLOPS ~ `d * w^2 * r^2`; exercises 2 and 3
# measure by how much.
