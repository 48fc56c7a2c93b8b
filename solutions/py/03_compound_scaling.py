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
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's own `compound`, `multiply_adds_growth` and
# `phi_for_budget` (`cost` and `scale` stay on: you need them), so only your own code can pass them.
# The cell that says *YOUR ANSWER HERE* asks for a few sentences; it is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

from effnet_lib import B0, compound, cost, multiply_adds_growth, phi_for_budget, scale

# %% [markdown]
# ## 1. The rule
#
# Write `my_compound(phi, alpha=1.2, beta=1.1, gamma=1.15)` returning `(depth, width, resolution)`
# multipliers, and `growth(alpha, beta, gamma)`, the factor by which FLOPS grow per unit of phi.

# %% nbgrader={"grade": false, "grade_id": "rule", "locked": false, "schema_version": 3, "solution": true}
def my_compound(phi, alpha=1.2, beta=1.1, gamma=1.15):
    ### BEGIN SOLUTION
    return alpha ** phi, beta ** phi, gamma ** phi
    ### END SOLUTION


def growth(alpha, beta, gamma):
    ### BEGIN SOLUTION
    return alpha * beta ** 2 * gamma ** 2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rule", "locked": true, "points": 3, "schema_version": 3, "solution": false}
assert all(math.isclose(a, b) for a, b in zip(my_compound(1), (1.2, 1.1, 1.15)))
print(f"alpha * beta^2 * gamma^2 = {growth(1.2, 1.1, 1.15):.3f} for the paper's coefficients")
assert abs(growth(1.2, 1.1, 1.15) - 2) < 0.1
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_rule")
cases = [(phi, 1.2, 1.1, 1.15) for phi in (0, 0.5, 2, 3.7, 7)]
cases += [(round(rng.uniform(0, 8), 3), *(round(rng.uniform(1.0, 1.6), 3) for _ in range(3))) for _ in range(30)]
with switched_off("effnet_lib.rules.scaling", "effnet_lib.rules.cost", "effnet_lib.rules.search",
                  "effnet_lib.rules.inferences"):
    for phi, a, b, g in cases:
        rule = tuple(float(x) for x in my_compound(phi, a, b, g))
        assert len(rule) == 3 and all(math.isclose(x, y) for x, y in zip(rule, (a ** phi, b ** phi, g ** phi))), \
            f"my_compound{(phi, a, b, g)} gave {rule}"
        grown = float(growth(a, b, g))
        assert math.isclose(grown, a * b ** 2 * g ** 2), f"growth{(a, b, g)} gave {grown}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Predicting phi from the rule
#
# If FLOPS grew by exactly `growth(alpha, beta, gamma)` per unit of phi, which phi would multiply
# them by `ratio`? Write `predicted_phi(ratio, alpha=1.2, beta=1.1, gamma=1.15)`.

# %% nbgrader={"grade": false, "grade_id": "predicted_phi", "locked": false, "schema_version": 3, "solution": true}
def predicted_phi(ratio, alpha=1.2, beta=1.1, gamma=1.15):
    ### BEGIN SOLUTION
    return math.log(ratio) / math.log(growth(alpha, beta, gamma))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_predicted_phi", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert math.isclose(predicted_phi(growth(1.2, 1.1, 1.15) ** 3), 3)
assert math.isclose(predicted_phi(1.0), 0.0, abs_tol=1e-12)
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_predicted_phi")
cases = [(16, 2, 1, 1), (10, 1.2, 1.1, 1.15)]
cases += [(round(rng.uniform(1.1, 500), 2), *(round(rng.uniform(1.05, 1.6), 3) for _ in range(3))) for _ in range(30)]
with switched_off("effnet_lib.rules.scaling", "effnet_lib.rules.cost", "effnet_lib.rules.search",
                  "effnet_lib.rules.inferences"):
    for ratio, a, b, g in cases:
        answer = float(predicted_phi(ratio, a, b, g))
        assert math.isclose(answer, math.log(ratio) / math.log(a * b ** 2 * g ** 2)), \
            f"predicted_phi{(ratio, a, b, g)} gave {answer}"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The real phi for a budget
#
# Rounding (exercise 1) makes the real cost a staircase in phi. Write
# `largest_phi(budget, precision=0.01)`: the largest phi, to within `precision`, such that B0
# scaled by `my_compound(phi)` costs at most `budget` multiply-adds. Cost a candidate with
# `cost(scale(B0, *my_compound(phi))).multiply_adds`. A scan in steps of `precision` or a
# bisection both work; B0 itself (phi = 0) always fits the budgets tested here.

# %% nbgrader={"grade": false, "grade_id": "largest_phi", "locked": false, "schema_version": 3, "solution": true}
def largest_phi(budget, precision=0.01):
    ### BEGIN SOLUTION
    def fits(phi):
        return cost(scale(B0, *my_compound(phi))).multiply_adds <= budget

    low, high = 0.0, 1.0
    while fits(high):
        low, high = high, 2 * high
    while high - low > precision:
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_largest_phi", "locked": true, "points": 3, "schema_version": 3, "solution": false}
budget = 4.2e9  # B4's multiply-adds in Table 2
phi = largest_phi(budget)
print(f"largest phi for {budget:.2g} multiply-adds: {phi:.2f}; the rule alone predicts "
      f"{predicted_phi(budget / cost(B0).multiply_adds):.2f}")
assert cost(scale(B0, *my_compound(phi))).multiply_adds <= budget
assert abs(phi - phi_for_budget(budget)) <= 0.02
### BEGIN HIDDEN TESTS
from effnet_grading.own_work import hidden_random, library, switched_off

reference = library("effnet_lib.rules.cost.phi_for_budget")
real_cost, real_scale = library("effnet_lib.rules.cost.cost"), library("effnet_lib.rules.scaling.scale")
b0, rule = library("effnet_lib.rules.architecture.B0"), library("effnet_lib.rules.scaling.compound")
rng = hidden_random("test_largest_phi")
budgets = [0.5e9, 1.8e9, 37e9, round(rng.uniform(0.45e9, 20e9), -6)]
expected = [reference(budget) for budget in budgets]
coarse = reference(4.2e9, precision=0.1)
with switched_off("effnet_lib.rules.scaling.compound", "effnet_lib.rules.scaling.multiply_adds_growth",
                  "effnet_lib.rules.cost.phi_for_budget", "effnet_lib.rules.search", "effnet_lib.rules.inferences"):
    answers = [float(largest_phi(budget)) for budget in budgets]
    coarse_answer = float(largest_phi(4.2e9, precision=0.1))
for budget, answer, want in zip(budgets, answers, expected):
    assert real_cost(real_scale(b0, *rule(answer))).multiply_adds <= budget, f"phi {answer} exceeds {budget:.3g}"
    assert abs(answer - want) <= 0.02, f"budget {budget:.3g}: your phi {answer:.3f}, the largest that fits {want:.3f}"
assert abs(coarse_answer - coarse) <= 0.2, f"precision 0.1: your phi {coarse_answer}, expected about {coarse}"
### END HIDDEN TESTS

# %% [markdown]
# ## 4. In your own words
#
# For each budget below, the rule's prediction and the real largest phi from your functions:

# %% nbgrader={"grade": false, "grade_id": "predicted_against_real", "locked": true, "schema_version": 3, "solution": false}
for budget in (0.8e9, 1.8e9, 4.2e9, 37e9):
    predicted = predicted_phi(budget / cost(B0).multiply_adds)
    print(f"budget {budget / 1e9:5.1f}B: the rule predicts phi = {predicted:.2f}, the largest that fits is "
          f"{largest_phi(budget):.2f}")

# %% [markdown]
# Explain, in three or four sentences, **why the real phi is smaller than the rule predicts, and why the
# gap matters less for large budgets.**

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_phi_is_smaller", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** The prediction assumes FLOPS grow by exactly `alpha * beta^2 * gamma^2 = 1.92` per unit
# of phi. The real networks are rounded: every stage's layers are rounded up, so as soon as `d > 1` each
# short stage gains a whole layer, and channels and pixels are rounded too. The real network at a given
# phi therefore costs more than the rule says, so a budget is used up at a smaller phi. For large budgets
# one extra layer per stage is a small fraction of many layers, so the real cost follows the rule more
# closely and the gap in phi shrinks (in relative terms).
#
# **Rubric (2 points).** 1 point: rounding, especially rounding repeats up (a whole extra layer per stage at
# small phi), makes the real cost higher than `growth ** phi`, so the budget is reached at a smaller phi.
# 1 point: at large phi the extra layer per stage is a small share of each stage, so the relative gap shrinks.
