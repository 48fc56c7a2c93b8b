"""The figures: they take plain data, draw what they are given, and name the paper's figure or table."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import effnet_lib as en  # noqa: E402
from effnet_lib.face import explorer
from effnet_lib.face import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _titles(fig):
    return " ".join([ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""])


def test_cost_against_phi_draws_the_library_curve_and_table_2():
    curve = explorer.cost_curve(points=8)
    fig = plots.cost_against_phi(curve, paper=explorer.table_2_points(),
                                 current={"phi": 1.0, "parameters": 1e7, "multiply_adds": 1e9})
    assert "Table 2" in _titles(fig)
    line = fig.axes[0].lines[0]
    assert list(line.get_ydata()) == pytest.approx([p / 1e6 for p in curve["parameters"]])
    squares = fig.axes[1].collections[0].get_offsets()
    assert list(squares[:, 1]) == pytest.approx([0.39, 0.70, 1.0, 1.8, 4.2, 9.9, 19, 37])


def test_cost_against_phi_draws_into_given_axes_without_pyplot():
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plots.cost_against_phi(explorer.cost_curve(points=3), axes=axes) is fig
    with pytest.raises(ValueError, match="2 panel"):
        plots.cost_against_phi(explorer.cost_curve(points=3), axes=[axes[0]])


def test_dimension_costs_show_each_dimension_with_its_power_law():
    sweeps = {name: {"multiplier": [1.0, 2.0],
                     "multiply_adds": [en.cost(en.B0).multiply_adds, en.cost(en.scale(en.B0, **{name: 2.0})).multiply_adds]}
              for name in ("width", "depth", "resolution")}
    fig = plots.dimension_costs(sweeps, log=True)
    assert [ax.get_title() for ax in fig.axes] == [
        "Figure 3 (width): cost of $w$ alone", "Figure 3 (depth): cost of $d$ alone",
        "Figure 3 (resolution): cost of $r$ alone"]
    law = fig.axes[0].lines[1].get_ydata()
    assert law[1] / law[0] == pytest.approx(4.0)   # w^2
    law = fig.axes[1].lines[1].get_ydata()
    assert law[1] / law[0] == pytest.approx(2.0)   # d


def test_dimension_costs_reject_unknown_dimensions():
    with pytest.raises(ValueError, match="width"):
        plots.dimension_costs({"height": {"multiplier": [1], "multiply_adds": [1]}})


def test_stage_diagram_draws_one_box_per_row_of_table_1():
    rows = en.B0.rows()
    fig = plots.stage_diagram(rows)
    boxes = fig.axes[0].patches
    assert len(boxes) == len(rows)
    assert [b.get_width() for b in boxes] == [r["layers"] for r in rows]
    assert [b.get_height() for b in boxes] == [r["channels"] for r in rows]
    assert "Table 1" in _titles(fig)


def test_scaling_picture_draws_one_bar_per_layer_and_names_figure_2():
    deeper = en.scale(en.B0, depth=2)
    fig = plots.scaling_picture({"baseline": en.B0.rows(), "deeper": deeper.rows()})
    layers = [sum(r["layers"] for r in spec.rows()) for spec in (en.B0, deeper)]
    assert [len(ax.patches) - 1 for ax in fig.axes] == layers   # minus the input square
    assert "Figure 2" in _titles(fig)


def test_candidate_grid_plots_every_candidate():
    candidates = [dict(alpha=c.alpha, beta=c.beta, gamma=c.gamma, growth=c.growth, ratio=c.growth)
                  for c in en.constrained_grid()]
    fig = plots.candidate_grid(candidates, chosen=dict(candidates[0]))
    assert len(fig.axes[0].collections[0].get_offsets()) == len(candidates)
    assert "Section 3.3" in _titles(fig)
    with pytest.raises(ValueError, match="no candidates"):
        plots.candidate_grid([])


def test_top_predictions_needs_matching_lists():
    import numpy as np
    fig = plots.top_predictions(np.zeros((4, 4, 3)), ["cat", "dog"], [0.7, 0.2])
    assert len(fig.axes[1].patches) == 2
    with pytest.raises(ValueError, match="as many labels"):
        plots.top_predictions(np.zeros((4, 4, 3)), ["cat"], [0.7, 0.2])


def test_table_renders_markdown_and_checks_row_lengths():
    t = plots.table(["network", "parameters"], [("b0", f"{en.cost('b0').parameters:,}")])
    assert t._repr_markdown_().splitlines() == ["| network | parameters |", "| --- | --- |", "| b0 | 5,288,548 |"]
    assert "5,288,548" in str(t)
    with pytest.raises(ValueError, match="2 cells"):
        plots.table(["a", "b"], [(1,)])

