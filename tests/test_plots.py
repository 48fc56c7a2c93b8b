"""The figures: they take plain data, draw what they are given, and name the paper's figure or table."""
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import effnet_lib as en  # noqa: E402
from effnet_lib.face import phi_state  # noqa: E402
from effnet_lib.face import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _titles(fig):
    return " ".join([ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""])


def test_cost_against_phi_draws_the_library_curve_and_table_2():
    curve = phi_state.cost_curve(points=8)
    fig = plots.cost_against_phi(curve, paper=phi_state.table_2_points(),
                                 current={"phi": 1.0, "parameters": 1e7, "multiply_adds": 1e9})
    assert "Table 2" in _titles(fig)
    line = fig.axes[0].lines[0]
    assert list(line.get_ydata()) == pytest.approx([p / 1e6 for p in curve["parameters"]])
    squares = fig.axes[1].collections[0].get_offsets()
    assert list(squares[:, 1]) == pytest.approx([0.39, 0.70, 1.0, 1.8, 4.2, 9.9, 19, 37])


def test_cost_against_phi_draws_into_given_axes_without_pyplot():
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plots.cost_against_phi(phi_state.cost_curve(points=3), axes=axes) is fig
    with pytest.raises(ValueError, match="2 panel"):
        plots.cost_against_phi(phi_state.cost_curve(points=3), axes=[axes[0]])


def test_dimension_costs_show_each_dimension_with_its_power_law():
    sweeps = {name: {"multiplier": [1.0, 2.0],
                     "multiply_adds": [en.cost(en.B0).multiply_adds, en.cost(en.scale(en.B0, **{name: 2.0})).multiply_adds]}
              for name in ("width", "depth", "resolution")}
    fig = plots.dimension_costs(sweeps, log=True)
    assert [ax.get_title() for ax in fig.axes] == [
        "Cost of scaling width alone ($w$)", "Cost of scaling depth alone ($d$)",
        "Cost of scaling resolution alone ($r$)"]
    assert "Figure 3" not in _titles(fig)      # the paper's Figure 3 is accuracy against FLOPS, not cost
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
    drawn = fig.axes[0].collections[0].get_offsets()
    assert len(drawn) == len(candidates)
    assert len({tuple(p) for p in drawn}) == len(candidates)      # none hidden behind another
    assert "53 candidates" in _titles(fig)
    promised = [c["growth"] for c in candidates]
    low, high = fig.axes[1].get_xlim()                               # the right panel
    assert low <= min(promised) and max(promised) <= high and high - low < 2 * (max(promised) - min(promised))
    with pytest.raises(ValueError, match="no candidates"):
        plots.candidate_grid([])


def test_table_renders_markdown_and_checks_row_lengths():
    t = plots.table(["network", "parameters"], [("b0", f"{en.cost('b0').parameters:,}")])
    assert t._repr_markdown_().splitlines() == ["| network | parameters |", "| --- | --- |", "| b0 | 5,288,548 |"]
    assert "5,288,548" in str(t)
    with pytest.raises(ValueError, match="2 cells"):
        plots.table(["a", "b"], [(1,)])



# --------------------------------------------------------------------------- the study's figures

from effnet_lib.face import study_plots  # noqa: E402
from tests.test_results import record  # noqa: E402


def _run(strategy, group, d=1.0, w=1.0, r=1.0, seed=0, accuracy=0.8, madds=1_000_000):
    return record(strategy, group, seed=seed, test=accuracy, validation=accuracy, madds=madds,
                  depth=d, width=w, resolution=r)


@pytest.fixture
def study_records():
    out = []
    for seed, noise in ((0, 0.0), (1, 0.004), (2, 0.002)):
        out += [_run("baseline", "baseline", seed=seed, accuracy=0.80 + noise),
                _run("compound", "phi=1", 1.2, 1.1, 1.15, seed, 0.86 + noise, 2_000_000),
                _run("depth", "phi=1", 2.5, seed=seed, accuracy=0.82 + noise, madds=2_000_000),
                _run("width", "phi=1", w=1.9, seed=seed, accuracy=0.84 + noise, madds=2_000_000),
                _run("resolution", "phi=1", r=1.75, seed=seed, accuracy=0.85 + noise, madds=2_000_000),
                _run("width", "phi=2", w=2.7, seed=seed, accuracy=0.845 + noise, madds=4_000_000),
                _run("depth", "phi=2", 5.5, seed=seed, accuracy=0.83 + noise, madds=4_000_000),
                _run("resolution", "phi=2", r=2.5, seed=seed, accuracy=0.851 + noise, madds=4_000_000),
                _run("compound", "phi=2", 1.44, 1.21, 1.32, seed, 0.853 + noise, 4_000_000)]
    for (d, r), acc in (((1.0, 1.3), 0.83), ((2.0, 1.0), 0.82), ((2.0, 1.3), 0.86)):
        for w, gain, madds in ((1.0, 0.0, 2e6 * d * r), (1.5, 0.02, 4.5e6 * d * r)):
            out.append(_run("grid", f"Figure 4 (d={d:g}, r={r:g}, w={w:g})", d, w, r, 0, acc + gain, int(madds)))
    return out


def test_findings_give_every_gap_its_interval_and_verdict(study_records):
    text = "\n".join(study_plots.findings(study_records))
    assert "Seed noise, pooled over the 9 networks" in text
    # phi = 1: compound 86.2% against resolution 85.2%: +1.0 points, far outside seed noise of 0.2 points
    assert "resolution (2.00x) 85.2%: +1.0 points [" in text and "Compound scaling beats every single dimension here" in text
    # phi = 2: +0.2 points over resolution, inside the interval
    phi2 = text.split("At phi=2")[1].split("\n")[0]
    assert "resolution (4.00x) 85.3%: +0.2 points" in phi2 and "within noise" in phi2
    assert "not separable from resolution alone" in phi2
    assert "Scaling width alone" in text and "it pays, then pays less" in text


def test_a_rival_that_beats_compound_is_named(study_records):
    flipped = [replace(r, test_accuracy=r.test_accuracy + 0.05) if (r.strategy, r.group) == ("depth", "phi=2") else r
               for r in study_records]
    phi2 = "\n".join(study_plots.findings(flipped)).split("At phi=2")[1].split("\n")[0]
    assert "depth alone beats compound scaling here, beyond noise" in phi2


def test_the_pilots_findings_say_whether_the_design_passes(study_records):
    pilot = [replace(r, study="pilot") for r in study_records if r.strategy != "compound" and r.strategy != "grid"]
    lines = study_plots.pilot_findings(pilot)
    assert lines[-1].startswith("The design passes")
    stalled = [replace(r, validation_accuracy=0.80) if r.strategy == "depth" else r for r in pilot]
    first_step_short = ("The design does not pass: depth does not pay beyond noise from 1x to about 2x the cost, "
                        "whatever a second step shows.")
    assert study_plots.pilot_findings(stalled)[-1] == first_step_short
    # The first step alone decides that half of the rule: a pilot without its second step is judged already.
    assert study_plots.pilot_findings([r for r in stalled if r.group != "phi=2"])[-1] == first_step_short
    # One that pays at the first step and more at the second has not flattened.
    steep = [replace(r, validation_accuracy=r.validation_accuracy + 0.05) if (r.strategy, r.group) == ("depth", "phi=2")
             else r for r in pilot]
    assert study_plots.pilot_findings(steep)[-1] == ("The design does not pass: depth does not both pay beyond "
                                                     "noise and then pay less.")


def test_table_rows_carry_the_interval_and_every_seed(study_records):
    rows = {(r[0], r[1]): r for r in study_plots.table_rows(study_records)}
    width = rows[("width", "phi=1")]
    assert width[7].startswith("84.20 [") and width[8] == "84.0, 84.4, 84.2"


def test_study_figures_draw_all_four_bases_and_every_strategy(study_records):
    fig3 = study_plots.figure_3(study_records)
    assert "Figure 3" in _titles(fig3) and all(ax.lines for ax in fig3.axes)
    fig4 = study_plots.figure_4(study_records)
    labels = [t.get_text() for t in fig4.axes[0].get_legend().get_texts()]
    assert len(labels) == 4 and labels[0].startswith("d=1, r=1 ")
    assert "Figure 8" in _titles(study_plots.figure_8(study_records))
    assert study_plots.learning_curves(study_records).axes[0].lines
    assert "millions" in fig4.axes[0].get_xlabel()
    fig8 = study_plots.figure_8(study_records)
    assert len(fig8.axes[0].get_legend().get_texts()) == 4


def test_results_of_two_studies_are_not_drawn_on_one_axis(study_records):
    other = replace(study_records[0], preset="gpu", seed=9)
    with pytest.raises(ValueError, match="several studies"):
        study_plots.figure_8(study_records + [other])
    with pytest.raises(ValueError, match="no results"):
        study_plots.figure_8([])


def test_the_last_epochs_rise_says_whether_the_base_was_still_rising():
    from effnet_lib.results.records import Epoch

    def base(seed, accuracies):
        epochs = tuple(Epoch(epoch=i + 1, train_loss=1.0, train_accuracy=a, validation_loss=1.0, validation_accuracy=a,
                             lr=1e-3, seconds=1.0, images_per_second=100.0) for i, a in enumerate(accuracies))
        return replace(_run("baseline", "baseline", seed=seed, accuracy=accuracies[-1], madds=1_000_000), epochs=epochs)

    rising = [base(0, (0.80, 0.85)), base(1, (0.81, 0.84))]
    assert study_plots.last_epoch_rise(rising) == ("Over its last epoch (1 to 2) the base's validation accuracy moved "
                                                   "+3.0 to +5.0 points (2 seeds): still rising in every seed: "
                                                   "no plateau yet.")
    mixed = [base(0, (0.80, 0.81)), base(1, (0.81, 0.80))]
    assert study_plots.last_epoch_rise(mixed).endswith("rising in some seeds and falling in others.")
    with pytest.raises(ValueError, match="two epochs or more"):
        study_plots.last_epoch_rise([base(0, (0.80,))])
