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
# # Exercise 3: compound scaling and a FLOPS budget
#
# *Goes with course notebook 3, compound scaling.*
#
# The paper's Eq. 3 grows all three dimensions with one coefficient `phi`:
# depth `d = alpha^phi`, width `w = beta^phi`, resolution `r = gamma^phi`, under the constraint
# `alpha * beta^2 * gamma^2 ~ 2`. Since FLOPS grow like `d * w^2 * r^2` (exercise 2), each unit
# of `phi` about doubles them. You will write the rule, check the constraint, predict the `phi`
# for a budget from the rule alone, and then find the real largest `phi` that fits the budget by
# costing the scaled tables with `effnet_lib`.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "checksum": "f35d6346e7c8aa765ea86df6b884d14e", "cell_type": "code"} deletable=false editable=false
import math

import effnet_lib as en
from effnet_lib import B0, compound, cost, flops_growth, phi_for_budget, scale

# %% [markdown]
# ## 1. The rule
#
# Write `my_compound(phi, alpha=1.2, beta=1.1, gamma=1.15)` returning `(depth, width, resolution)`
# multipliers, and `growth(alpha, beta, gamma)`, the factor by which FLOPS grow per unit of phi.

# %% nbgrader={"grade": false, "grade_id": "rule", "locked": false, "schema_version": 3, "solution": true, "checksum": "fbe4e1ab998cc9998cc9bdfee49a7e09", "cell_type": "code"} deletable=false
def my_compound(phi, alpha=1.2, beta=1.1, gamma=1.15):
    # YOUR CODE HERE
    raise NotImplementedError()


def growth(alpha, beta, gamma):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_rule", "locked": true, "points": 3, "schema_version": 3, "solution": false, "checksum": "ef1b2abcaf2d69ff5aefb9f0e1196028", "cell_type": "code"} deletable=false editable=false
assert all(math.isclose(a, b) for a, b in zip(my_compound(1), (1.2, 1.1, 1.15)))
print(f"alpha * beta^2 * gamma^2 = {growth(1.2, 1.1, 1.15):.3f} for the paper's coefficients")
assert abs(growth(1.2, 1.1, 1.15) - 2) < 0.1


# %% [markdown]
# ## 2. Predicting phi from the rule
#
# If FLOPS grew by exactly `growth(alpha, beta, gamma)` per unit of phi, which phi would multiply
# them by `ratio`? Write `predicted_phi(ratio, alpha=1.2, beta=1.1, gamma=1.15)`.

# %% nbgrader={"grade": false, "grade_id": "predicted_phi", "locked": false, "schema_version": 3, "solution": true, "checksum": "3083b7d4a918af07b3b2ce1473b7403e", "cell_type": "code"} deletable=false
def predicted_phi(ratio, alpha=1.2, beta=1.1, gamma=1.15):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_predicted_phi", "locked": true, "points": 2, "schema_version": 3, "solution": false, "checksum": "fa66a304678493d4d6263e9efd22636e", "cell_type": "code"} deletable=false editable=false
assert math.isclose(predicted_phi(growth(1.2, 1.1, 1.15) ** 3), 3)
assert math.isclose(predicted_phi(1.0), 0.0, abs_tol=1e-12)


# %% [markdown]
# ## 3. The real phi for a budget
#
# Rounding (exercise 1) makes the real cost a staircase in phi. Write
# `largest_phi(budget, precision=0.01)`: the largest phi, to within `precision`, such that B0
# scaled by `my_compound(phi)` costs at most `budget` multiply-adds. Cost a candidate with
# `cost(scale(B0, *my_compound(phi))).multiply_adds`. A scan in steps of `precision` or a
# bisection both work; B0 itself (phi = 0) always fits the budgets tested here.

# %% nbgrader={"grade": false, "grade_id": "largest_phi", "locked": false, "schema_version": 3, "solution": true, "checksum": "a1ff2a89fe3c79cd64442b22cab3f238", "cell_type": "code"} deletable=false
def largest_phi(budget, precision=0.01):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "test_largest_phi", "locked": true, "points": 3, "schema_version": 3, "solution": false, "checksum": "d0638e57558c56b46700c4e953e99b9c", "cell_type": "code"} deletable=false editable=false
budget = 4.2e9  # B4's multiply-adds in Table 2
phi = largest_phi(budget)
print(f"largest phi for {budget:.2g} multiply-adds: {phi:.2f}; the rule alone predicts "
      f"{predicted_phi(budget / cost(B0).multiply_adds):.2f}")
assert cost(scale(B0, *my_compound(phi))).multiply_adds <= budget
assert abs(phi - phi_for_budget(budget)) <= 0.02

# %% [markdown]
# ## What you found
#
# For the budgets above, the real phi comes out smaller than the rule predicts: rounding layers up
# (a stage of one layer becomes two as soon as phi > 0) makes the scaled networks more expensive
# than `growth ** phi` says.
