"""The lesson figures: they draw what they are given, label points without overlap, name their figure."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import effnet_lib as en  # noqa: E402
from effnet_lib.face import drawing, lessons  # noqa: E402
from effnet_lib.rules import paper, search  # noqa: E402
from effnet_lib.rules.receptive_field import stage_fields  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _boxes(fig, ax):
    renderer = fig._get_renderer()
    return [drawing.words_box(t, renderer) for t in ax.texts if t.get_text()]     # words, not a far label's line


def _no_overlaps(fig, ax):
    boxes = _boxes(fig, ax)
    return not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_place_labels_keeps_labels_apart_and_inside():
    fig, ax = plt.subplots(figsize=(4, 3))
    points = [(1.0, 1.0, "first"), (1.02, 1.0, "second"), (1.0, 1.02, "third"), (2.0, 2.0, "far corner")]
    ax.scatter([p[0] for p in points], [p[1] for p in points])
    ax.set_xlim(0.9, 2.05)
    ax.set_ylim(0.9, 2.05)
    labels = drawing.place_labels(ax, points)
    assert [label.get_text() for label in labels] == ["first", "second", "third", "far corner"]
    assert _no_overlaps(fig, ax)
    frame = ax.get_window_extent(fig._get_renderer())
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in _boxes(fig, ax))


def test_labels_pushed_far_get_a_line_to_their_point_and_later_calls_step_around_them():
    # A crowd of points: the later labels find room only far away, where a line joins them to their
    # point (notebook 8's latency plot crashed here when timings fell close together).
    fig, ax = plt.subplots(figsize=(4, 3))
    crowd = [(1.0 + 0.004 * i, 1.0 + 0.004 * (i % 3), f"model {i}") for i in range(10)]
    ax.scatter([p[0] for p in crowd], [p[1] for p in crowd])
    ax.set_xlim(0.8, 1.25)
    ax.set_ylim(0.8, 1.25)
    labels = drawing.place_labels(ax, crowd)
    assert any(label.arrow_patch is not None for label in labels)
    renderer = fig._get_renderer()
    words = [drawing.words_box(label, renderer) for label in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(words) for b in words[i + 1:])
    more = drawing.place_labels(ax, [(1.2, 1.2, "another")])     # measures the far labels already there
    assert [label.get_text() for label in more] == ["another"]


def test_figure_1_and_5_draws_every_printed_row_and_the_computed_counts():
    rows = [dict(name=k.upper(), top1=r.top1, parameters=r.parameters_millions, flops=r.multiply_adds_billions,
                 efficientnet=True, computed_parameters=en.cost(k).parameters / 1e6) for k, r in paper.TABLE_2.items()]
    rows += [dict(name=n, top1=r.top1, parameters=r.parameters_millions, flops=r.multiply_adds_billions, efficientnet=False)
             for group in paper.TABLE_2_OTHERS.values() for n, r in group.items()]
    fig = lessons.figure_1_and_5(rows)
    params, flops = fig.axes
    assert "Figure 1" in params.get_title() and "Figure 5" in flops.get_title()
    assert len(params.texts) == len(rows)                      # every row labelled on the parameters panel
    assert len(flops.texts) == len(rows)                       # GPipe's missing FLOPS are said in a note
    assert any("GPipe" in t.get_text() and "no FLOPS" in t.get_text() for t in flops.texts)
    assert _no_overlaps(fig, params) and _no_overlaps(fig, flops)
    with pytest.raises(ValueError, match="Table 2 row"):
        lessons.figure_1_and_5([{"name": "x"}])


def test_figure_5s_labels_sit_nearest_their_own_markers():
    # AmoebaNet-C and PNASNet were once labelled beside other ConvNets' markers.
    rows = [dict(name=k.upper(), top1=p.top1, parameters=p.parameters_millions, flops=p.multiply_adds_billions,
                 efficientnet=True) for k, p in paper.TABLE_2.items()]
    rows += [dict(name=n, top1=p.top1, parameters=p.parameters_millions, flops=p.multiply_adds_billions,
                  efficientnet=False) for group in paper.TABLE_2_OTHERS.values() for n, p in group.items()]
    fig = lessons.figure_1_and_5(rows)
    renderer = fig._get_renderer()
    for ax, key in zip(fig.axes, ("parameters", "flops")):
        markers = {r["name"]: ax.transData.transform((r[key], r["top1"])) for r in rows if r[key] is not None}
        for label in ax.texts:
            if label.get_text() not in markers or label.arrow_patch is not None:
                continue                     # a far label has a line to its point
            box = drawing.words_box(label, renderer)

            def gap(point):
                dx = max(box.x0 - point[0], 0, point[0] - box.x1)
                dy = max(box.y0 - point[1], 0, point[1] - box.y1)
                return (dx * dx + dy * dy) ** 0.5
            nearest = min(markers, key=lambda name: gap(markers[name]))
            assert gap(markers[label.get_text()]) <= gap(markers[nearest]), (ax.get_title(), label.get_text(), nearest)


def test_receptive_field_figure_draws_each_path_and_the_coverage():
    def point(spec, label):
        f = stage_fields(spec)[-1]
        return dict(image_size=f.image_size, receptive_field=f.receptive_field, label=label)
    paths = {"depth": [point(en.B0, "x1"), point(en.scale(en.B0, depth=2), "x2")],
             "compound": [point(en.B0, "x1"), point(en.scale(en.B0, *en.compound(1)), "x2.6")]}
    per_stage = {"baseline B0": [f.coverage for f in stage_fields(en.B0)]}
    fig = lessons.receptive_field_against_image_size(paths, per_stage)
    left, right = fig.axes
    assert len(left.lines) == 3                                 # two paths and the baseline's ratio
    assert right.lines[0].get_ydata()[-1] == pytest.approx(851 / 224)
    with pytest.raises(ValueError, match="at least one"):
        lessons.receptive_field_against_image_size({}, per_stage)


def test_objective_picture_stars_the_preferred_model():
    c = search.table_2_candidates()
    s = search.scores(c)
    fig = lessons.objective_picture({n: dict(accuracy=c[n].accuracy, multiply_adds=c[n].multiply_adds, score=s[n])
                                     for n in c}, 400e6, -0.07)
    left, right = fig.axes
    assert "preferred: B0" in [t.get_text() for t in left.get_legend().get_texts()]
    assert [p.get_height() for p in right.patches] == pytest.approx(list(s.values()))
    assert right.get_ylim()[0] == 0              # bars start at zero: no gap drawn larger than it is
    assert [t.get_text() for t in right.texts] == [f"{v:.1f}" for v in s.values()]


def test_accuracy_against_latency_labels_each_model():
    points = [dict(name="B0", family="EfficientNet", seconds=0.02, top1=77.1),
              dict(name="Lite0", family="Lite", seconds=0.015, top1=75.1)]
    fig = lessons.accuracy_against_latency(points, machine="test machine")
    assert {t.get_text() for t in fig.axes[0].texts} == {"B0", "Lite0"}
    with pytest.raises(ValueError, match="no measurements"):
        lessons.accuracy_against_latency([])


def test_predictions_by_model_gives_each_model_a_panel_with_its_classes_on_the_bars():
    import numpy as np
    fig = lessons.predictions_by_model(np.zeros((4, 4, 3)), {"Lite0": (["cat", "dog"], [0.7, 0.2]),
                                                             "Lite1": (["dog", "cat"], [0.5, 0.4])}, title="photo")
    image, first, second = fig.axes
    assert first.get_title() == "Lite0: top-2" and second.get_title() == "Lite1: top-2"
    assert [t.get_text() for t in first.texts] == ["cat (70%)", "dog (20%)"]
    with pytest.raises(ValueError, match="as many labels"):
        lessons.predictions_by_model(np.zeros((4, 4, 3)), {"Lite0": (["cat"], [0.7, 0.2])})
