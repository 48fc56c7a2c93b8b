"""What the paper leaves unsaid, computed: the phi each published model implies, Table 3's multipliers."""
import math

import pytest

from effnet_lib.rules.inferences import implied_phi, table_3_compound_multipliers
from effnet_lib.rules.paper import TABLE_3


def test_b0_is_phi_zero_in_every_dimension():
    assert implied_phi("b0") == (0.0, 0.0, 0.0)


def test_b7_implies_a_different_phi_per_dimension():
    phi = implied_phi("b7")
    assert phi.depth == pytest.approx(math.log(3.1) / math.log(1.2))
    assert phi.width == pytest.approx(math.log(2.0) / math.log(1.1))
    assert phi.resolution == pytest.approx(math.log(600 / 224) / math.log(1.15))
    assert phi.spread > 1.0


def test_b1_keeps_b0s_width_and_b2_is_about_phi_one():
    assert implied_phi("b1").width == 0.0
    assert all(0.95 < p < 1.1 for p in implied_phi("b2"))


def test_no_published_model_is_phi_equal_k():
    for k in range(1, 8):
        assert max(abs(p - k) for p in implied_phi(f"b{k}")) > 0.4


def test_table_3_multipliers_are_eq_3_at_phi_2_rounded():
    assert table_3_compound_multipliers() == (1.4, 1.2, 1.3)
    printed = [r for r in TABLE_3 if r.printed_multipliers and r.scaling.startswith("compound")]
    assert [(r.depth, r.width, r.resolution) for r in printed] == [tuple(table_3_compound_multipliers())]
    inferred = [r for r in TABLE_3 if not r.printed_multipliers]
    assert inferred and all((r.depth, r.width, r.resolution) == (1.4, 1.2, 1.3) for r in inferred)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="published family"):
        implied_phi("lite0")
