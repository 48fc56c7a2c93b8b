"""The search objective of Section 4, ACC(m) x [FLOPS(m)/T]^w, applied to Table 2."""
import math

import pytest

from effnet_lib.rules import paper, search


def test_paper_settings_are_section_4s():
    assert search.PAPER_W == -0.07 and search.PAPER_TARGET == 400e6


def test_at_the_target_the_score_is_the_accuracy_and_twice_the_flops_costs_2_to_the_w():
    assert search.objective(77.1, 400e6) == pytest.approx(77.1)
    assert search.objective(80.0, 800e6) / search.objective(80.0, 400e6) == pytest.approx(2 ** -0.07)
    assert search.objective(80.0, 1e9, w=0.0) == 80.0          # w = 0 ignores FLOPS


def test_the_objective_prefers_b0_over_every_published_scaled_model():
    candidates = search.table_2_candidates()
    assert [c.accuracy for c in candidates.values()] == [row.top1 for row in paper.TABLE_2.values()]
    assert search.preferred(candidates) == "b0"
    ranked = search.scores(candidates)
    assert list(ranked) == sorted(ranked, key=ranked.get, reverse=True)   # each step up scores lower


@pytest.mark.parametrize("target", [1e8, 400e6, 1e9, 37e9, 1e12])
def test_the_target_scales_every_score_and_never_changes_the_order(target):
    candidates = search.table_2_candidates()
    at_paper, here = search.scores(candidates), search.scores(candidates, target=target)
    factors = {name: here[name] / at_paper[name] for name in candidates}
    assert max(factors.values()) == pytest.approx(min(factors.values()))
    assert factors["b0"] == pytest.approx((target / 400e6) ** 0.07)
    assert search.preferred(candidates, target=target) == "b0"


def test_break_even_w_is_where_two_models_tie():
    candidates = search.table_2_candidates()
    w = search.break_even_w(candidates["b0"], candidates["b1"])
    assert -0.07 < w < 0
    tie = search.scores({k: candidates[k] for k in ("b0", "b1")}, w=w)
    assert tie["b0"] == pytest.approx(tie["b1"])
    assert search.preferred(candidates, w=w + 0.001) != "b0"
    with pytest.raises(ValueError, match="swap"):
        search.break_even_w(candidates["b1"], candidates["b0"])


def test_only_w_near_zero_prefers_the_biggest_model():
    candidates = search.table_2_candidates()
    walk = dict(search.preferred_by_w(candidates, [0.0, -0.005, -0.02, -0.04, -0.07]))
    assert walk[0.0] == "b7" and walk[-0.07] == "b0"
    order = list(candidates)
    picks = [order.index(name) for name in walk.values()]
    assert picks == sorted(picks, reverse=True)      # a more negative w never picks a bigger model


@pytest.mark.parametrize("target, w, message", [
    (0, -0.07, "positive"), (-4e8, -0.07, "positive"), (math.inf, -0.07, "positive"),
    (4e8, 0.05, "reward FLOPS"), (4e8, math.nan, "finite"), ("400M", -0.07, "positive")])
def test_bad_settings_are_refused_in_words(target, w, message):
    with pytest.raises(ValueError, match=message):
        search.objective(77.1, 4e8, target=target, w=w)


def test_no_candidates_and_no_flops_are_refused():
    with pytest.raises(ValueError, match="no candidates"):
        search.preferred({})
    with pytest.raises(ValueError, match="FLOPS must be positive"):
        search.objective(77.1, 0)
