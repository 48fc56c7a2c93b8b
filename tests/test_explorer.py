"""The phi explorer, driven from Python as a student's clicks would drive it (no browser).

Every number the explorer shows must be the library's: cost(scale(B0, *compound(phi, alpha, beta, gamma))).
"""
import re
from html import unescape

import pytest

import effnet_lib as en
from effnet_lib.face import explorer, phi_budget, phi_plot, phi_state, phi_tables

pytest.importorskip("ipywidgets")


def _text(html: str) -> str:
    """What a reader sees of the HTML: tags and the style block removed, entities kept readable."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _cell(html: str, quantity: str, column: int = 1) -> str:
    """One cell of the summary table: the row whose first cell is `quantity`."""
    table = re.search(rf"<table class='{phi_tables.TABLE_CLASS}'>(.*?)</table>", html, re.S).group(1)
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
    assert _cell(widget.table.value, "image size (px)") == str(en.scale(en.B0, *en.compound(phi)).image_size)


def test_moving_alpha_beta_gamma_changes_the_network(widget):
    widget.phi.value = 2.0
    widget.alpha.value, widget.beta.value, widget.gamma.value = 1.0, 1.0, 1.4
    want = _expected(2.0, 1.0, 1.0, 1.4)
    assert _cell(widget.table.value, "multiply-adds") == f"{want.multiply_adds:,}"
    assert _cell(widget.table.value, "depth d = α^φ") == "1.000"
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
    assert _cell(widget.table.value, "image size (px)", column=4) == "300"
    # The compound rule at phi = 3 is not the published B3: the course shows the gap.
    assert _cell(widget.table.value, "parameters") != _cell(widget.table.value, "parameters", column=4)


def test_no_published_column_between_whole_phis(widget):
    widget.phi.value = 2.5
    assert _cell(widget.table.value, "parameters", column=4) == ""


def test_per_stage_repeats_and_channels_follow_the_scaled_table(widget):
    widget.phi.value = 3.0
    scaled = en.scale(en.B0, *en.compound(3.0))
    text = _text(widget.stages.value)
    for old, new in zip(en.B0.stages, scaled.stages):
        assert f"{old.repeats} -> {new.repeats}" in text
        assert f"{old.channels} -> {new.channels}" in text


def test_ratios_and_prediction(widget):
    widget.phi.value = 2.0
    ratio = _expected(2.0).multiply_adds / en.cost("b0").multiply_adds
    assert _cell(widget.table.value, "multiply-adds", column=3) == f"{ratio:.2f}x"
    assert _cell(widget.table.value, "(αβ²γ²)^φ", column=3) == \
        f"{en.multiply_adds_growth() ** 2:.2f}x predicted"


@pytest.mark.parametrize("billions", [1.0, 4.0, 20.0])
def test_budget_mode_picks_the_largest_phi_that_fits(widget, billions):
    widget.budget_mode.value = True
    widget.budget.value = billions
    phi = widget.phi.value
    assert _expected(phi).multiply_adds <= billions * 1e9
    assert _expected(phi + 0.01).multiply_adds > billions * 1e9
    assert abs(phi - en.phi_for_budget(billions * 1e9)) < 0.011
    assert f"Budget {billions:g} billion multiply-adds" in widget.message.value


def test_a_typed_budget_is_used_exactly_and_the_note_agrees_with_the_table(widget):
    widget.budget.value = 4.0            # typing a budget switches budget mode on
    assert widget.budget_mode.value and widget.budget.value == 4.0
    phi = widget.phi.value
    assert phi == phi_budget.fit_budget(4e9)
    madds = _cell(widget.table.value, "multiply-adds")
    assert f"phi = {phi:.2f} is the largest" in widget.message.value
    assert f"a network of {madds} multiply-adds" in widget.message.value
    assert f"Eq. 3 at phi = {phi:.2f}" in widget.table.value


def test_budget_mode_holds_phi_and_the_b_buttons_leave_it(widget):
    widget.budget.value = 4.0
    assert widget.phi.disabled
    widget.buttons[2].click()
    assert not widget.budget_mode.value and not widget.phi.disabled and widget.phi.value == 2.0
    assert widget.message.value == ""


@pytest.mark.parametrize("billions", [0.35, 0.0, -2.0, float("nan"), float("inf")])
def test_a_budget_nothing_fits_clears_the_table_and_says_why(widget, billions):
    widget.phi.value = 1.0
    widget.budget.value = billions       # never a traceback: a message in the widget
    assert widget.table.value == "" and widget.stages.value == ""
    assert "B0" in widget.message.value and "budget" in widget.message.value.lower()
    widget.budget.value = 1.0            # a good budget brings the tables back
    assert _cell(widget.table.value, "multiply-adds") == f"{_expected(widget.phi.value).multiply_adds:,}"


def test_budget_below_b0_names_b0s_cost(widget):
    widget.budget.value = 0.35           # B0 needs 0.386 billion
    assert "below B0" in widget.message.value
    assert f"{en.cost('b0').multiply_adds:,}" in widget.message.value


def test_budget_beyond_b7_stops_at_the_sliders_end(widget):
    widget.budget.value = 1000.0
    assert widget.phi.value == phi_state.PHI_MAX
    assert "slider's end" in _text(widget.message.value)


def test_fit_budget_refuses_what_is_not_a_budget():
    for bad in (0, -1.0, float("nan"), "4"):
        with pytest.raises(ValueError, match="positive number"):
            phi_budget.fit_budget(bad)
    with pytest.raises(ValueError, match="below B0"):
        phi_budget.fit_budget(1e8)


def test_budget_follows_alpha_beta_gamma(widget):
    widget.budget.value = 4.0
    before = widget.phi.value
    widget.gamma.value = 1.3     # costlier per phi, so less phi fits
    assert widget.phi.value < before
    assert _expected(widget.phi.value, gamma=1.3).multiply_adds <= 4e9


def test_sliders_report_while_dragged(widget):
    assert all(s.continuous_update for s in (widget.phi, widget.alpha, widget.beta, widget.gamma))


def test_plot_redraws_when_phi_or_the_coefficients_move():
    widget = explorer.PhiExplorer()
    background, first = bytes(widget.plot_background.value), widget.plot_overlay.value
    assert background.startswith(b"\x89PNG") and first.startswith("<svg")
    widget.phi.value = 4.0
    moved = widget.plot_overlay.value
    assert moved != first and bytes(widget.plot_background.value) == background   # only what moves is redrawn
    widget.alpha.value = 1.9             # a curve far above the paper's: the axes grow to hold it
    assert widget.plot_overlay.value != moved and bytes(widget.plot_background.value) != background
    top = widget._plot.axes[1].get_ylim()[1]
    assert top >= max(widget._curve["multiply_adds"]) / 1e9


def test_the_overlay_marks_the_network_where_the_full_picture_does():
    s = phi_state.snapshot(3.0)
    plot = phi_plot.CostPlot(phi_state.cost_curve(points=15))
    svg = plot.overlay(s)
    for ax, key in zip(plot.axes, plot.keys):
        x, y = ax.transData.transform((3.0, getattr(s.cost, key) / plot.unit(key)))
        assert f"cx='{x:.1f}' cy='{plot.height - y:.1f}'" in svg
    assert "phi = 3.00: " in svg and plot.overlay(None).count("<circle") == 0
    assert plot.render(s) != plot.render(None)


def test_plot_sits_beside_the_table_below_the_controls():
    widget = explorer.PhiExplorer()
    controls, (table, tabs) = widget.widget.children[0], widget.widget.children[1].children
    assert widget.phi in controls.children[0].children and widget.alpha in controls.children[1].children
    assert widget.table in table.children
    assert tabs.children[0] is widget.plot and tabs.selected_index == 0
    assert widget.plot_background in widget.plot.children and widget.plot_overlay in widget.plot.children


def test_the_display_carries_a_static_rendering_of_the_first_state():
    widget = explorer.PhiExplorer()
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    static = bundle["text/html"]
    assert _cell(static, "multiply-adds") == f"{en.cost('b0').multiply_adds:,}"
    assert "<img src='data:image/png;base64," in static
    assert "VBox" not in bundle["text/plain"]


def test_explorer_refuses_bad_starting_values_in_words():
    with pytest.raises(ValueError, match="phi"):
        explorer.PhiExplorer(phi=-1, plot=False)
    with pytest.raises(ValueError, match="alpha"):
        explorer.PhiExplorer(alpha=0.5, plot=False)


def test_widget_labels_match_the_browser_contract(widget):
    assert widget.phi.description == "phi"
    assert [s.description for s in (widget.alpha, widget.beta, widget.gamma)] == ["alpha", "beta", "gamma"]
    assert not widget.budget.description.lower().startswith("phi")
    assert f"class='{phi_tables.TABLE_CLASS}'" in widget.table.value
    assert f"class='{phi_tables.STAGES_CLASS}'" in widget.stages.value


def test_static_rendering_is_the_default_state():
    view = explorer.render_static()
    assert view.png.startswith(b"\x89PNG")
    assert _cell(view.html, "parameters") == f"{en.cost('b0').parameters:,}"
    assert _cell(view.html, "multiply-adds") == f"{en.cost('b0').multiply_adds:,}"


def test_table_2_points_read_the_printed_table():
    points = phi_state.table_2_points()
    assert points["labels"] == ["B0", "B1", "B2", "B3", "B4", "B5", "B6", "B7"]
    assert points["parameters"][0] == pytest.approx(5.3e6)
    assert points["multiply_adds"][-1] == pytest.approx(37e9)


def test_cost_curve_is_the_library_cost_and_never_falls():
    curve = phi_state.cost_curve(points=15)
    assert curve["multiply_adds"][0] == en.cost("b0").multiply_adds
    assert curve["multiply_adds"][-1] == _expected(7.0).multiply_adds
    assert all(a <= b for a, b in zip(curve["multiply_adds"], curve["multiply_adds"][1:]))
    assert curve["predicted"][-1] == pytest.approx(en.cost("b0").multiply_adds * en.multiply_adds_growth() ** 7)


def test_the_published_column_keeps_its_room_however_far_the_sliders_go():
    # At alpha = beta = 2 the counts had 17 digits and pushed "B7 as published" out of the column.
    s = phi_state.snapshot(7.0, alpha=2.0, beta=2.0)
    rows = phi_tables.summary_rows(s)
    assert all(len(cell.removesuffix(" predicted")) <= 14 for row in rows for cell in row[1:]), rows
    assert [row[-1] for row in rows][5:7] == [f"{en.cost('b7').parameters:,}", f"{en.cost('b7').multiply_adds:,}"]
