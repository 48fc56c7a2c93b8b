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
# # Exercise 12: the search objective ACC x (FLOPS / T)^w
#
# *Goes with course notebook 3, compound scaling (the baseline the rule starts from).*
#
# Compound scaling needs a good baseline, and B0 came out of an architecture search (Section 4 of the
# paper) that scored every candidate network `m` by
#
# `ACC(m) x [FLOPS(m) / T] ^ w`, with the target `T = 400M` multiply-adds and `w = -0.07`.
#
# A negative `w` makes a model pay for its FLOPS in accuracy. You will write the score, rank models with
# it, find the `w` at which two models tie, and apply it to the EfficientNets of Table 2 (the paper's
# printed accuracies, the library's multiply-adds).
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's own version (`effnet_lib.rules.search`), so only
# your own code can pass them. The cell that says *YOUR ANSWER HERE* asks for a few sentences; it is
# graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

from effnet_lib import cost
from effnet_lib.rules.paper import TABLE_2

TARGET, W = 400e6, -0.07
# B0 ... B7 as (top-1 accuracy as printed in Table 2, multiply-adds counted by the library)
EFFICIENTNETS = {name: (row.top1, cost(name).multiply_adds) for name, row in TABLE_2.items()}

# %% [markdown]
# ## 1. The score
#
# Write `objective(accuracy, flops, target=TARGET, w=W)`: `accuracy * (flops / target) ** w`.

# %% nbgrader={"grade": false, "grade_id": "objective", "locked": false, "schema_version": 3, "solution": true}
def objective(accuracy, flops, target=TARGET, w=W):
    ### BEGIN SOLUTION
    return accuracy * (flops / target) ** w
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_objective", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert math.isclose(objective(77.1, 400e6), 77.1), "at the target, the score is the accuracy"
assert math.isclose(objective(80.0, 800e6) / objective(80.0, 400e6), 2 ** -0.07)
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_objective")
cases = [(rng.uniform(50, 90), rng.uniform(1e7, 4e10), rng.uniform(1e8, 1e9), rng.uniform(-0.3, 0.0)) for _ in range(30)]
with switched_off("effnet_lib.rules.search", "effnet_lib.face"):   # checked as numbers inside
    answers = [float(objective(*case)) for case in cases]
for (a, f, t, w), answer in zip(cases, answers):
    assert math.isclose(answer, a * (f / t) ** w), f"objective{(a, f, t, w)} gave {answer}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Ranking, and where two models tie
#
# Write `preferred(models, target=TARGET, w=W)`: the name of the model (a dict of `name: (accuracy,
# flops)`) with the highest score. Then write `break_even_w(cheaper, dearer)` for two `(accuracy, flops)`
# pairs, the dearer one having more FLOPS: the `w` at which both score the same. (Set the two scores
# equal and solve for `w`; `target` cancels.) For `w` closer to 0 than that, the dearer model wins.

# %% nbgrader={"grade": false, "grade_id": "preferred_and_break_even", "locked": false, "schema_version": 3, "solution": true}
def preferred(models, target=TARGET, w=W):
    ### BEGIN SOLUTION
    return max(models, key=lambda name: objective(*models[name], target, w))
    ### END SOLUTION


def break_even_w(cheaper, dearer):
    ### BEGIN SOLUTION
    return -math.log(dearer[0] / cheaper[0]) / math.log(dearer[1] / cheaper[1])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_preferred_and_break_even", "locked": true, "points": 3, "schema_version": 3, "solution": false}
print("the paper's objective prefers", preferred(EFFICIENTNETS), "among B0 ... B7")
w01 = break_even_w(EFFICIENTNETS["b0"], EFFICIENTNETS["b1"])
print(f"B0 and B1 tie at w = {w01:.4f}")
assert math.isclose(objective(*EFFICIENTNETS["b0"], w=w01), objective(*EFFICIENTNETS["b1"], w=w01))
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, switched_off

rng = hidden_random("test_preferred_and_break_even")
worlds = [{f"m{i}": (rng.uniform(60, 90), rng.uniform(1e8, 4e10)) for i in range(rng.randint(2, 8))} for _ in range(6)]
settings = [(rng.uniform(1e8, 1e9), rng.uniform(-0.3, 0.0)) for _ in worlds]
pairs = [((rng.uniform(60, 80), rng.uniform(1e8, 1e9)), (rng.uniform(80, 90), rng.uniform(2e9, 4e10))) for _ in range(6)]
with switched_off("effnet_lib.rules.search", "effnet_lib.face"):   # names and numbers only come out
    picks = [preferred(models, t, w) for models, (t, w) in zip(worlds, settings)]
    assert all(type(pick) is str for pick in picks), "preferred returns a name"
    ties = [float(break_even_w(a, b)) for a, b in pairs]
for models, (t, w), pick in zip(worlds, settings, picks):
    best = max(a * (f / t) ** w for a, f in models.values())
    assert math.isclose(models[pick][0] * (models[pick][1] / t) ** w, best), f"preferred gave {pick} (w = {w})"
for (a, b), w in zip(pairs, ties):
    assert math.isclose(a[0] * a[1] ** w, b[0] * b[1] ** w, rel_tol=1e-9), f"at w = {w} the scores of {a} and {b} differ"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. What the objective says about the EfficientNets
#
# The cell below asks your functions which of B0 ... B7 each `w` prefers, and whether the target `T`
# changes the choice.

# %% nbgrader={"grade": false, "grade_id": "objective_on_table_2", "locked": true, "schema_version": 3, "solution": false}
for w in (0.0, -0.01, -0.03, -0.05, -0.07, -0.15):
    print(f"w = {w:+.2f}: prefers {preferred(EFFICIENTNETS, w=w)}")
print("the same choice for every target T:",
      len({preferred(EFFICIENTNETS, target=t) for t in (1e8, 4e8, 4e9, 37e9)}) == 1)
names = list(EFFICIENTNETS)
for cheaper, dearer in zip(names, names[1:]):
    print(f"{cheaper} and {dearer} tie at w = {break_even_w(EFFICIENTNETS[cheaper], EFFICIENTNETS[dearer]):.4f}")

# %% [markdown]
# In four to six sentences: **why does the paper's search use FLOPS rather than latency in this score,
# what does the target `T` change in the ranking, and what does `w = -0.07` say about the trade it is
# willing to make between accuracy and cost?**

# %% [markdown] nbgrader={"grade": true, "grade_id": "reading_the_objective", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** The paper optimises FLOPS because it targets no particular hardware device: latency is
# a property of a network on one device, FLOPS of the network alone (MnasNet, whose search this is, used
# measured phone latency instead). With one `w` for all models, `T` multiplies every score by the same
# factor `T^-w`, so it sets the scale of the scores but never their order: the printout shows the same
# choice for every `T`. The exponent sets the price of compute: twice the FLOPS multiplies the score by
# `2^-0.07`, about 0.953, so a model must be about 5% more accurate (relatively) to be worth twice the
# cost. At `w = -0.07` that price is high enough for the cheapest model, B0, to win among B0 ... B7; only
# for `w` closer to 0 than the printed break-even values do bigger models win.
#
# **Rubric (2 points).** 1 point: FLOPS because no specific device is targeted (latency depends on the
# device), and `T` only rescales all scores, leaving the ranking unchanged. 1 point: reads `w` as a price,
# e.g. twice the FLOPS must buy about 5% relative accuracy, tied to the printed choices or break-even `w`.
