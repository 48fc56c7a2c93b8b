"""The phi explorer, driven from Python as a student's clicks would drive it (no browser).

Every number the explorer shows must be the library's: cost(scale(B0, *compound(phi, alpha, beta, gamma))).
"""
import re

import pytest

import effnet_lib as en
from effnet_lib.face import explorer

pytest.importorskip("ipywidgets")


def _text(html: str) -> str:
    """What a reader sees of the HTML: tags and the style block removed, entities kept readable."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html).replace("&gt;", ">")


def _cell(html: str, quantity: str, column: int = 1) -> str:
    """One cell of the summary table: the row whose first cell is `quantity`."""
    table = re.search(rf"<table class='{explorer.TABLE_CLASS}'>(.*?)</table>", html, re.S).group(1)
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", row, re.S)]
        if cells and cells[0] == quantity:
            return cells[column]
    raise AssertionError(f"no row {quantity!r} in the explorer's table")


def _expected(phi, alpha=1.2, beta=1.1, gamma=1.15):
    return en.cost(en.scale(en.B0, *en.compound(phi, alpha, beta, gamma)))


@pytest.fixture
def widget():
    return explorer.PhiExplorer(plot=False)


def test_default_state_is_b0(widget):
    assert widget.phi.value == 0.0
    assert _cell(widget.table.value, "parameters") == f"{en.cost('b0').parameters:,}"
    assert _cell(widget.table.value, "multiply-adds") == f"{en.cost('b0').multiply_adds:,}"


@pytest.mark.parametrize("phi", [1.0, 2.5, 3.0, 7.0])
def test_moving_phi_shows_the_library_cost(widget, phi):
    widget.phi.value = phi
    want = _expected(phi)
    assert _cell(widget.table.value, "parameters") == f"{want.parameters:,}"
    assert _cell(widget.table.value, "multiply-adds") == f"{want.multiply_adds:,}"
    assert _cell(widget.table.value, "resolution (px)") == str(en.scale(en.B0, *en.compound(phi)).image_size)


def test_moving_alpha_beta_gamma_changes_the_network(widget):
    widget.phi.value = 2.0
    widget.alpha.value, widget.beta.value, widget.gamma.value = 1.0, 1.0, 1.4
    want = _expected(2.0, 1.0, 1.0, 1.4)
    assert _cell(widget.table.value, "multiply-adds") == f"{want.multiply_adds:,}"
    assert _cell(widget.table.value, "depth d = alpha^phi") == "1.000"
    assert "alpha &middot; beta&sup2; &middot; gamma&sup2; = 1.960" in widget.table.value


def test_paper_button_restores_the_grid_search_result(widget):
    widget.alpha.value = 1.5
    widget.reset.click()
    assert (widget.alpha.value, widget.beta.value, widget.gamma.value) == (1.2, 1.1, 1.15)


def test_b_buttons_jump_to_whole_phi_and_show_the_published_network(widget):
    widget.buttons[3].click()
    assert widget.phi.value == 3.0
    published = en.cost("b3")
    assert _cell(widget.table.value, "parameters", column=4) == f"{published.parameters:,}"
    assert _cell(widget.table.value, "resolution (px)", column=4) == "300"
    # The compound rule at phi = 3 is not the published B3: the course shows the gap.
    assert _cell(widget.table.value, "parameters") != _cell(widget.table.value, "parameters", column=4)


def test_no_published_column_between_whole_phis(widget):
    widget.phi.value = 2.5
    assert _cell(widget.table.value, "parameters", column=4) == ""


def test_per_stage_repeats_and_channels_follow_the_scaled_table(widget):
    widget.phi.value = 3.0
    scaled = en.scale(en.B0, *en.compound(3.0))
    text = _text(widget.table.value)
    for old, new in zip(en.B0.stages, scaled.stages):
        assert f"{old.repeats} -> {new.repeats}" in text
        assert f"{old.channels} -> {new.channels}" in text


def test_ratios_and_prediction(widget):
    widget.phi.value = 2.0
    ratio = _expected(2.0).multiply_adds / en.cost("b0").multiply_adds
    assert _cell(widget.table.value, "multiply-adds", column=3) == f"{ratio:.2f}x"
    assert _cell(widget.table.value, "(alpha beta^2 gamma^2)^phi", column=3) == \
        f"{en.flops_growth() ** 2:.2f}x predicted"


@pytest.mark.parametrize("billions", [1.0, 4.0, 20.0])
def test_budget_mode_picks_the_largest_phi_that_fits(widget, billions):
    widget.budget_mode.value = True
    widget.budget.value = billions
    phi = widget.phi.value
    assert _expected(phi).multiply_adds <= billions * 1e9
    assert _expected(phi + 0.02).multiply_adds > billions * 1e9 or phi >= explorer.PHI_MAX - 0.02
    assert abs(phi - en.phi_for_budget(billions * 1e9)) < 0.011
    assert "Budget mode" in widget.table.value


def test_budget_below_b0_says_so_and_keeps_phi(widget):
    widget.phi.value = 1.0
    widget.budget.value = 0.35    # B0 needs 0.386 billion
    widget.budget_mode.value = True
    assert widget.phi.value == 1.0
    assert "below B0" in widget.table.value


def test_budget_follows_alpha_beta_gamma(widget):
    widget.budget_mode.value = True
    widget.budget.value = 4.0
    before = widget.phi.value
    widget.gamma.value = 1.3     # costlier per phi, so less phi fits
    assert widget.phi.value < before
    assert _expected(widget.phi.value, gamma=1.3).multiply_adds <= 4e9


def test_plot_redraws_when_phi_moves():
    widget = explorer.PhiExplorer()
    first = bytes(widget.plot.value)
    assert first.startswith(b"\x89PNG")
    widget.phi.value = 4.0
    assert bytes(widget.plot.value) != first


def test_explorer_refuses_bad_starting_values_in_words():
    with pytest.raises(ValueError, match="phi"):
        explorer.PhiExplorer(phi=-1, plot=False)
    with pytest.raises(ValueError, match="alpha"):
        explorer.PhiExplorer(alpha=0.5, plot=False)


def test_widget_labels_match_the_browser_contract(widget):
    assert widget.phi.description == "phi"
    assert [s.description for s in (widget.alpha, widget.beta, widget.gamma)] == ["alpha", "beta", "gamma"]
    assert not widget.budget.description.lower().startswith("phi")
    assert f"class='{explorer.TABLE_CLASS}'" in widget.table.value


def test_static_rendering_is_the_default_state():
    view = explorer.render_static()
    assert view.png.startswith(b"\x89PNG")
    assert _cell(view.html, "parameters") == f"{en.cost('b0').parameters:,}"
    assert _cell(view.html, "multiply-adds") == f"{en.cost('b0').multiply_adds:,}"


def test_table_2_points_read_the_printed_table():
    points = explorer.table_2_points()
    assert points["labels"] == ["B0", "B1", "B2", "B3", "B4", "B5", "B6", "B7"]
    assert points["parameters"][0] == pytest.approx(5.3e6)
    assert points["multiply_adds"][-1] == pytest.approx(37e9)


def test_cost_curve_is_the_library_cost_and_never_falls():
    curve = explorer.cost_curve(points=15)
    assert curve["multiply_adds"][0] == en.cost("b0").multiply_adds
    assert curve["multiply_adds"][-1] == _expected(7.0).multiply_adds
    assert all(a <= b for a, b in zip(curve["multiply_adds"], curve["multiply_adds"][1:]))
    assert curve["predicted"][-1] == pytest.approx(en.cost("b0").multiply_adds * en.flops_growth() ** 7)
