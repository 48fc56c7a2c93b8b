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
# # Exercise 6: the grid search for alpha, beta, gamma
#
# *Goes with course notebook 3, compound scaling.*
#
# The paper fixes `phi = 1`, assumes twice the resources, and searches a small grid for the
# `alpha, beta, gamma` that give the best accuracy under `alpha * beta^2 * gamma^2 ~ 2`. Each point
# of that grid is a B0 trained at a new size: GPU-days. Here a made-up **proxy** stands in for
# "train and measure top-1", so the search runs in a blink; the code of the search is the same.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

from effnet_lib import constrained_grid, flops_growth


def proxy_accuracy(depth, width, resolution):
    """An invented stand-in for the top-1 accuracy of B0 scaled by (depth, width, resolution).

    Each dimension helps with diminishing returns (the paper's Observation 1). It is not data.
    """
    return (77.0 + 2.5 * (1 - depth ** -3) + 3.0 * (1 - width ** -5) + 3.0 * (1 - resolution ** -4))


# %% [markdown]
# ## 1. The candidates
#
# Write `candidates(step=0.05, upper=2.0, target=2.0, tolerance=0.1)`: every `(alpha, beta, gamma)`
# with each value on the grid `1 + step, 1 + 2 * step, ..., upper` and
# `|alpha * beta^2 * gamma^2 - target| <= tolerance`. Round each grid value to 6 decimals (so that
# `1 + 3 * 0.05` is exactly 1.15), and list them in the order of three nested loops over alpha,
# beta, gamma.

# %% nbgrader={"grade": false, "grade_id": "candidates", "locked": false, "schema_version": 3, "solution": true}
def candidates(step=0.05, upper=2.0, target=2.0, tolerance=0.1):
    ### BEGIN SOLUTION
    count = int(round((upper - 1.0) / step))
    values = [round(1.0 + step * i, 6) for i in range(1, count + 1)]
    return [(a, b, g) for a in values for b in values for g in values
            if abs(a * b ** 2 * g ** 2 - target) <= tolerance]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_candidates", "locked": true, "points": 3, "schema_version": 3, "solution": false}
found = candidates()
print(f"{len(found)} candidates on the default grid")
assert (1.2, 1.1, 1.15) in found
assert all(abs(flops_growth(*c) - 2) <= 0.1 for c in found)
### BEGIN HIDDEN TESTS
assert [tuple(c) for c in constrained_grid()] == candidates()
for options in (dict(step=0.1), dict(tolerance=0.05), dict(target=3.0, upper=2.5, step=0.1)):
    assert [tuple(c) for c in constrained_grid(**options)] == candidates(**options), options
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The search
#
# Write `grid_search(accuracy, **grid)`: the candidate (from `candidates(**grid)`) with the highest
# `accuracy(depth, width, resolution)` at `phi = 1`, where depth = alpha, width = beta and
# resolution = gamma. Return it as a tuple `(alpha, beta, gamma)`.

# %% nbgrader={"grade": false, "grade_id": "grid_search", "locked": false, "schema_version": 3, "solution": true}
def grid_search(accuracy, **grid):
    ### BEGIN SOLUTION
    return max(candidates(**grid), key=lambda c: accuracy(*c))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_grid_search", "locked": true, "points": 4, "schema_version": 3, "solution": false}
best = grid_search(proxy_accuracy)
print(f"best on the proxy: alpha, beta, gamma = {best}, proxy accuracy {proxy_accuracy(*best):.2f}")
assert best in candidates()
assert proxy_accuracy(*best) == max(proxy_accuracy(*c) for c in constrained_grid())
### BEGIN HIDDEN TESTS


def width_loving(depth, width, resolution):
    return 70 + 6 * math.log(width) + 2 * math.log(depth) + 3 * math.log(resolution) - 4 * math.log(width) ** 2


assert width_loving(*grid_search(width_loving)) == max(width_loving(*c) for c in constrained_grid())
coarse = grid_search(width_loving, step=0.1)
assert width_loving(*coarse) == max(width_loving(*c) for c in constrained_grid(step=0.1))
### END HIDDEN TESTS

# %% [markdown]
# ## What you found
#
# The search needs one accuracy per candidate: a few dozen trainings at `phi = 1`. The paper then
# keeps `alpha, beta, gamma` fixed and only turns `phi`, which is what makes the method cheap
# (the search at larger sizes would cost more per point, which is why it is done once, small).
