"""The search-objective widget: w and T move the scores; bad values get a message and change nothing."""
import pytest

from effnet_lib.face import objective

pytest.importorskip("ipywidgets")


@pytest.fixture
def widget():
    return objective.ObjectiveExplorer(plot=False)


def test_default_state_is_the_papers_and_prefers_b0(widget):
    assert widget.current.target == 400e6 and widget.current.w == -0.07
    assert widget.current.preferred == "b0"
    assert "<b>B0</b>" in widget.table.value and widget.message.value == ""


def test_w_near_zero_prefers_the_biggest_model(widget):
    widget.w.value = 0.0
    assert widget.current.preferred == "b7" and "<b>B7</b>" in widget.table.value


def test_moving_t_changes_the_scores_not_the_winner(widget):
    before = dict(widget.current.candidates)
    widget.target.value = 5e9
    assert widget.typed_target.value == pytest.approx(5000)           # the box follows the slider
    assert widget.current.target == pytest.approx(5e9)
    assert widget.current.preferred == "b0"
    assert widget.current.candidates["b0"]["score"] > before["b0"]["score"]


def test_t_is_shown_once_in_millions(widget):
    # The slider's own readout printed "4.00e+8" beside a box in millions: the box is the only readout.
    assert widget.target.readout is False
    assert "millions" in widget.typed_target.description and widget.typed_target.value == 400


def test_typed_t_moves_the_slider(widget):
    widget.typed_target.value = 2000
    assert widget.target.value == pytest.approx(2e9) and widget.current.target == pytest.approx(2e9)


@pytest.mark.parametrize("control, value, message", [
    ("w", 0.03, "reward FLOPS"), ("typed_target", 0, "positive"), ("typed_target", -400, "positive")])
def test_bad_values_get_a_message_and_keep_the_last_view(widget, control, value, message):
    table, previous = widget.table.value, widget.current
    getattr(widget, control).value = value
    assert message in widget.message.value and "Still showing" in widget.message.value
    assert widget.table.value == table and widget.current is previous
    getattr(widget, control).value = -0.07 if control == "w" else 400     # a good value clears the message
    assert widget.message.value == ""


def test_bad_starting_values_are_refused_in_words():
    with pytest.raises(ValueError, match="positive"):
        objective.ObjectiveExplorer(target=0, plot=False)


def test_static_rendering_holds_the_table_and_a_png():
    static = objective.render_static()
    bundle = static._repr_mimebundle_()
    assert static.png.startswith(b"\x89PNG")
    assert "<b>B0</b>" in bundle["text/html"] and "data:image/png;base64," in bundle["text/html"]


def test_displayed_widget_carries_a_static_picture_of_its_state(widget):
    bundle = widget._repr_mimebundle_()
    assert "<b>B0</b>" in bundle["text/html"] and "data:image/png;base64," in bundle["text/html"]
    assert "VBox" not in bundle["text/plain"]
