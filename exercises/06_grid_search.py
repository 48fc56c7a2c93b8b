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

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "checksum": "d713f13fa5ba81246ccca540ed276a3b", "cell_type": "code"} deletable=false editable=false
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

# %% nbgrader={"grade": false, "grade_id": "candidates", "locked": false, "schema_version": 3, "solution": true, "checksum": "f526663ff324d06beb27e7f99fcd7755", "cell_type": "code"} deletable=false
def candidates(step=0.05, upper=2.0, target=2.0, tolerance=0.1):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_candidates", "locked": true, "points": 3, "schema_version": 3, "solution": false, "checksum": "17db1874d321ae8f6a915a709442ba9a", "cell_type": "code"} deletable=false editable=false
found = candidates()
print(f"{len(found)} candidates on the default grid")
assert (1.2, 1.1, 1.15) in found
assert all(abs(flops_growth(*c) - 2) <= 0.1 for c in found)


# %% [markdown]
# ## 2. The search
#
# Write `grid_search(accuracy, **grid)`: the candidate (from `candidates(**grid)`) with the highest
# `accuracy(depth, width, resolution)` at `phi = 1`, where depth = alpha, width = beta and
# resolution = gamma. Return it as a tuple `(alpha, beta, gamma)`.

# %% nbgrader={"grade": false, "grade_id": "grid_search", "locked": false, "schema_version": 3, "solution": true, "checksum": "b74b657efcd7b979d88bd6fbaec05d1f", "cell_type": "code"} deletable=false
def grid_search(accuracy, **grid):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_grid_search", "locked": true, "points": 4, "schema_version": 3, "solution": false, "checksum": "15948c3b7d9c085ded5a6b6bc849c5d2", "cell_type": "code"} deletable=false editable=false
best = grid_search(proxy_accuracy)
print(f"best on the proxy: alpha, beta, gamma = {best}, proxy accuracy {proxy_accuracy(*best):.2f}")
assert best in candidates()
assert proxy_accuracy(*best) == max(proxy_accuracy(*c) for c in constrained_grid())

# %% [markdown]
# ## What you found
#
# The search needs one accuracy per candidate: a few dozen trainings at `phi = 1`. The paper then
# keeps `alpha, beta, gamma` fixed and only turns `phi`, which is what makes the method cheap
# (the search at larger sizes would cost more per point, which is why it is done once, small).
