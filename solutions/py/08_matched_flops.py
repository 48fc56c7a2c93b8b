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
# # Exercise 8: designing a comparison at matched FLOPS
#
# *Goes with course notebook 5, the scaling study (variants at equal multiply-adds).*
#
# "Compound scaling beats scaling one dimension" is only a fair claim when the rivals cost the same.
# The paper compares at equal FLOPS (Figure 8, Table 7), and so does the course's study. You will design
# such a comparison for the course's small-image baseline, `SMALL_B0` (Fashion-MNIST, 10 classes): find,
# for each way of scaling, the network whose real, rounded cost is nearest a target, then line up
# rivals for the compound models at the rule's own points `phi = 1, 2, 3`.
#
# Rounding makes cost a staircase in every multiplier (repeats up, channels to multiples of 8, pixels
# to whole numbers), so no formula inverts it: you walk the staircase and cost each step with
# `cost(spec, num_classes=10).multiply_adds`. Nothing is built or trained.
#
# **How this exercise works.** Cells with `raise NotImplementedError()` are yours: replace that line
# with your code and run the test cell below it. The tests you see are a first check. The grader runs
# more, and while they run it switches off the library's own matcher (`effnet_lib.rules.matching`) and
# the study planner (`effnet_lib.learn`), so only your own search can pass them (`cost`, `scale` and
# `compound` stay on: you need them). The cell that says *YOUR ANSWER HERE* asks for a few sentences; it
# is graded by hand.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

from effnet_lib import SMALL_B0, compound, cost, scale

CLASSES = 10


def ratio(spec, base=SMALL_B0):
    """Real multiply-adds of `spec` as a multiple of the baseline's (10 classes)."""
    return cost(spec, num_classes=CLASSES).multiply_adds / cost(base, num_classes=CLASSES).multiply_adds


print(f"SMALL_B0: {SMALL_B0.image_size} px, {SMALL_B0.num_blocks} blocks, "
      f"{cost(SMALL_B0, num_classes=CLASSES).multiply_adds / 1e6:.1f}M multiply-adds")

# %% [markdown]
# ## 1. The nearest network of one strategy
#
# Write `nearest(base, strategy, target)`: the network scaled from `base` by one `strategy` whose cost
# `ratio(spec, base)` is nearest `target` on a log scale (smallest `abs(log(ratio / target))`). Walk the
# multiplier upwards from the baseline:
#
# * `"depth"` or `"width"`: the multiplier 1.00, 1.01, 1.02, ... (`scale(base, depth=m)` or `width=m`);
# * `"resolution"`: whole pixels, `base.image_size + k` for k = 0, 1, 2, ... (`resolution=pixels / base.image_size`);
# * `"compound"`: phi = 0, 0.01, 0.02, ..., scaled by `compound(phi)` with its resolution rounded to whole
#   pixels the same way.
#
# Cost never falls as a multiplier grows, so you may stop once a step costs more than twice the target.
# Return the scaled network (a `Network`); of two steps that cost the same, either will do.

# %% nbgrader={"grade": false, "grade_id": "nearest", "locked": false, "schema_version": 3, "solution": true}
def nearest(base, strategy, target):
    ### BEGIN SOLUTION
    def step(k):
        if strategy == "depth":
            return scale(base, depth=1 + k / 100)
        if strategy == "width":
            return scale(base, width=1 + k / 100)
        if strategy == "resolution":
            return scale(base, resolution=(base.image_size + k) / base.image_size)
        d, w, r = compound(k / 100)
        return scale(base, d, w, round(base.image_size * r) / base.image_size)

    best, best_error, k = None, math.inf, 0
    while True:
        spec = step(k)
        got = ratio(spec, base)
        error = abs(math.log(got / target))
        if error < best_error:
            best, best_error = spec, error
        if got > 2 * target:
            return best
        k += 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_nearest", "locked": true, "points": 4, "schema_version": 3, "solution": false}
wider = nearest(SMALL_B0, "width", 2.0)
print(f"width x2 FLOPS: {[s.channels for s in wider.stages]}, {ratio(wider):.3f}x")
assert [s.repeats for s in wider.stages] == [s.repeats for s in SMALL_B0.stages] and wider.image_size == SMALL_B0.image_size
assert abs(math.log(ratio(wider) / 2.0)) < 0.05
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, library, switched_off

matcher = library("effnet_lib.rules.matching.nearest")
real_cost, real_scale = library("effnet_lib.rules.cost.cost"), library("effnet_lib.rules.scaling.scale")
small_b0, Network = library("effnet_lib.rules.architecture.SMALL_B0"), library("effnet_lib.rules.architecture.Network")
base = real_scale(small_b0, depth=0.5, width=0.5)   # a cheaper baseline than the visible test's
rng = hidden_random("test_nearest")
wanted = [("depth", 2.0), ("width", round(rng.uniform(1.3, 4.0), 2)), ("resolution", round(rng.uniform(1.3, 4.0), 2)),
          ("compound", round(rng.uniform(1.5, 4.0), 2)), ("depth", round(rng.uniform(1.3, 3.0), 2))]


def cost_of(spec):
    return real_cost(spec, num_classes=10).multiply_adds


best_errors = [abs(math.log(matcher(base, s, t * cost_of(base), num_classes=10).multiply_adds / (t * cost_of(base))))
               for s, t in wanted]
with switched_off("effnet_lib.rules.matching", "effnet_lib.learn"):
    for (strategy, target), best in zip(wanted, best_errors):   # checked inside too
        answer = nearest(base, strategy, target)
        assert type(answer) is Network, f"nearest returned a {type(answer).__name__}, not a Network"
        error = abs(math.log(cost_of(answer) / (target * cost_of(base))))
        assert error <= best + 1e-9, f"{strategy} at {target}x: yours is {math.exp(error):.4f} off, {math.exp(best):.4f} is reachable"
        same = {"depth": ("channels", "image_size"), "width": ("repeats", "image_size"),
                "resolution": ("repeats", "channels")}.get(strategy, ())
        for field in same:
            mine = answer.image_size if field == "image_size" else [getattr(s, field) for s in answer.stages]
            theirs = base.image_size if field == "image_size" else [getattr(s, field) for s in base.stages]
            assert mine == theirs, f"{strategy} scaling changed the {field}: {mine} instead of {theirs}"
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Rivals for a compound model
#
# Matching every strategy to an exact 2x, 4x, 8x has a catch: on the staircase, the compound network
# nearest 2x may barely differ from the baseline. The study therefore puts its compound models at the
# rule's own points and matches the rivals to each one's **real** cost. Write `rivals(base, phi)`: a
# dict with the compound network at `phi` (scaled by `compound(phi)`, pixels rounded to whole numbers)
# under `"compound"`, and under `"depth"`, `"width"` and `"resolution"` the network of that strategy whose
# cost is nearest the compound network's real ratio (your `nearest`).

# %% nbgrader={"grade": false, "grade_id": "rivals", "locked": false, "schema_version": 3, "solution": true}
def rivals(base, phi):
    ### BEGIN SOLUTION
    d, w, r = compound(phi)
    model = scale(base, d, w, round(base.image_size * r) / base.image_size)
    target = ratio(model, base)
    return {"compound": model, **{s: nearest(base, s, target) for s in ("depth", "width", "resolution")}}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rivals", "locked": true, "points": 3, "schema_version": 3, "solution": false}
line_up = rivals(SMALL_B0, 1)
for strategy, spec in line_up.items():
    print(f"{strategy:>10}: {ratio(spec):.3f}x, {spec.num_blocks} blocks, {spec.image_size} px")
assert set(line_up) == {"compound", "depth", "width", "resolution"}
assert all(abs(math.log(ratio(s) / ratio(line_up["compound"]))) < 0.1 for s in line_up.values())
### BEGIN HIDDEN TESTS
import math

from effnet_grading.own_work import hidden_random, library, switched_off

matcher = library("effnet_lib.rules.matching.nearest")
real_cost, real_scale = library("effnet_lib.rules.cost.cost"), library("effnet_lib.rules.scaling.scale")
rule, small_b0 = library("effnet_lib.rules.scaling.compound"), library("effnet_lib.rules.architecture.SMALL_B0")
Network = library("effnet_lib.rules.architecture.Network")
base = real_scale(small_b0, depth=0.5, width=0.5)
phi = hidden_random("test_rivals").choice((1, 2, 1.5))
d, w, r = rule(phi)
model = real_scale(base, d, w, round(base.image_size * r) / base.image_size)
madds = real_cost(model, num_classes=10).multiply_adds
best = {s: abs(math.log(matcher(base, s, madds, num_classes=10).multiply_adds / madds)) for s in ("depth", "width", "resolution")}
with switched_off("effnet_lib.rules.matching", "effnet_lib.learn"):
    answer = dict(rivals(base, phi))   # checked inside too: nothing the answer returns runs unswitched
    assert sorted(answer) == ["compound", "depth", "resolution", "width"], f"keys {sorted(answer)}"
    assert all(type(spec) is Network for spec in answer.values()), "rivals returns Networks"
    assert (answer["compound"].stages, answer["compound"].image_size) == (model.stages, model.image_size), \
        f"the compound network at phi = {phi} differs"
    for strategy, error in best.items():
        mine = abs(math.log(real_cost(answer[strategy], num_classes=10).multiply_adds / madds))
        assert mine <= error + 1e-9, f"phi = {phi}, {strategy}: your rival is further from the compound cost than need be"
### END HIDDEN TESTS

# %% [markdown]
# ## 3. What "equal FLOPS" leaves unequal
#
# The cell below lines up your rivals at `phi = 1, 2, 3` and prints what else they cost.

# %% nbgrader={"grade": false, "grade_id": "line_up", "locked": true, "schema_version": 3, "solution": false}
for phi in (1, 2, 3):
    print(f"phi = {phi}")
    for strategy, spec in rivals(SMALL_B0, phi).items():
        print(f"  {strategy:>10}: {ratio(spec):5.2f}x multiply-adds, {cost(spec, num_classes=CLASSES).parameters:>10,} "
              f"parameters, {spec.num_blocks:>3} blocks, {spec.image_size:>3} px")
nearest_2x = nearest(SMALL_B0, "compound", 2.0)
print(f"the compound network nearest exactly 2x: {nearest_2x.image_size} px, {nearest_2x.num_blocks} blocks, "
      f"channels {[s.channels for s in nearest_2x.stages]} (baseline: {SMALL_B0.image_size} px, "
      f"{SMALL_B0.num_blocks} blocks, {[s.channels for s in SMALL_B0.stages]})")

# %% [markdown]
# In four to six sentences: **why does the study match the rivals to each compound model's real cost
# instead of matching every strategy to exactly 2x, 4x and 8x? And name two ways in which rivals at equal
# multiply-adds can still be unequal, so that one of them is favoured for reasons other than how it was
# scaled.**

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_match_to_compound", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# **Model answer.** Cost is a staircase: repeats round up, channels to multiples of 8, pixels to whole
# numbers. The smallest compound step already adds a layer to every short stage, so the compound network
# nearest an exact 2x may be little more than a slightly deeper baseline, not a balanced scaling of all
# three dimensions (the last line of the printout shows which network it is); and the four strategies'
# nearest steps to 2x land at different real costs. Taking the compound model where the rule puts it and
# giving each rival the same real cost keeps the compound model honest and the comparison tight. Equal
# multiply-adds still leave (1) different parameter counts: resolution adds none, width adds about `w^2`
# times, so capacity differs; (2) different memory and latency: larger images and more layers cost more
# time per multiply-add on real hardware; (3) different training difficulty: with the same short
# schedule deeper or wider networks may not converge, which measures the optimiser, not the scaling.
#
# **Rubric (3 points).** 1 point: the staircase makes exact targets degenerate or unequal (compound at an
# exact ratio may hardly be compound; the rivals' steps land at different costs). 1 point: matching to
# the compound model's real cost keeps it at the rule's own point and puts the rivals as close to it as
# the staircase allows. 1 point: two valid inequalities left at equal FLOPS (parameters, activation
# memory, latency, training speed or convergence within a fixed budget, the stochastic rounding of
# small stages).
