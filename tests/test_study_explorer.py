"""The explorable on the accuracy side: budgets from the study, predictions judged by the interval rule."""
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from effnet_lib.face import study_explorer  # noqa: E402
from tests.test_results import record  # noqa: E402


@pytest.fixture
def runs():
    out = []
    for seed, jitter in ((0, 0.0), (1, 0.002), (2, 0.001)):
        out.append(record("baseline", seed=seed, test=0.80 + jitter))
        for strategy, accuracy in (("compound", 0.86), ("depth", 0.82), ("width", 0.859), ("resolution", 0.85)):
            out.append(record(strategy, "phi=1", seed=seed, test=accuracy + jitter, madds=2_000_000))
        for strategy, accuracy in (("compound", 0.87), ("depth", 0.83), ("width", 0.86), ("resolution", 0.88)):
            out.append(record(strategy, "phi=2", seed=seed, test=accuracy + jitter, madds=4_000_000))
    return out


def test_budgets_are_the_compound_points_cheapest_first(runs):
    assert study_explorer.budgets(runs) == ["phi=1", "phi=2"]


def test_a_prediction_within_noise_of_the_best_is_called_not_separable(runs):
    view = study_explorer.budget_view(runs, "phi=1")
    assert view.best == "compound" and view.tied == ("width",)
    assert view.judge("compound").startswith("Right")
    assert view.judge("width").startswith("Not separable")
    assert view.judge("depth").startswith("Not this time: compound")
    with pytest.raises(ValueError, match="predict one of"):
        view.judge("height")


def test_the_question_shows_costs_but_never_the_accuracies(runs):
    view = study_explorer.budget_view(runs, "phi=2")
    assert view.best == "resolution"
    question = view.question_html()
    assert "2.00x" not in question and "4.00x" in question and "%" not in question
    assert "88.10%" in view.answer_html("compound")


def test_an_unknown_budget_names_the_ones_there_are(runs):
    with pytest.raises(ValueError, match=r"\['phi=1', 'phi=2'\]"):
        study_explorer.budget_view(runs, "phi=3")


def test_the_static_rendering_asks_without_answering(runs):
    static = study_explorer.render_static(runs)
    bundle = static._repr_mimebundle_()
    assert "Which of these ends most accurate?" in bundle["text/html"] and "data:image/png" in bundle["text/html"]
    assert "86.00%" not in bundle["text/html"]


def test_the_widget_reveals_only_after_a_prediction(runs):
    explorer = study_explorer.StudyExplorer(runs)
    assert explorer.reveal.disabled and explorer.answer.value == ""
    explorer.prediction.value = "width"
    assert not explorer.reveal.disabled
    explorer.show()
    assert "Not separable" in explorer.answer.value and explorer.picture.value
    explorer.budget.value = "phi=2"                   # a new budget asks again
    assert explorer.answer.value == "" and explorer.prediction.value is None
    explorer.show_saturation.value = True
    assert explorer.saturation in explorer.box.children


def test_a_study_without_compound_models_has_no_budget(runs):
    only_base = [replace(r) for r in runs if r.strategy == "baseline"]
    with pytest.raises(ValueError, match="no compound models"):
        study_explorer.StudyExplorer(only_base)
