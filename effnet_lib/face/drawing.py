"""What every figure of the face layer needs before it draws: panels, checked data, placed labels.

    figure_panels the caller's axes, or a new pyplot figure with that many panels side by side
    require       refuse, in words, data that lacks the keys a figure reads
    place_labels  label points where no label overlaps another label or a marker
    words_box     the box of a label's words (without the line that may join it to its point)

`plots`, `lessons` and the notebooks draw with these; none of them draws anything itself.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from matplotlib.text import Annotation, Text


def figure_panels(axes, count: int, size: tuple[float, float]):
    """(figure, [axes]): the caller's `axes` (one Axes, a list, or what Figure.subplots returns), or a
    new pyplot figure of `size` inches with `count` panels side by side."""
    if axes is None:
        import matplotlib.pyplot as plt

        fig, made = plt.subplots(1, count, figsize=size, squeeze=False, layout="tight")
        return fig, list(made[0])
    if hasattr(axes, "ravel"):          # what Figure.subplots returns: a numpy array of Axes
        axes = list(axes.ravel())
    elif not isinstance(axes, (list, tuple)):
        axes = [axes]
    axes = list(axes)
    if len(axes) != count:
        raise ValueError(f"this figure draws {count} panel(s); got {len(axes)} axes.")
    return axes[0].figure, axes


def require(data: Mapping, keys: Sequence[str], what: str) -> None:
    """Refuse `data` that lacks one of `keys`, or whose list values differ in length, naming `what` it is."""
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{what} needs the keys {list(keys)}; missing {missing}.")
    lengths = {k: len(data[k]) for k in keys if isinstance(data[k], (list, tuple))}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{what}: the lists must have the same length, got {lengths}.")


# Offsets (points) tried in turn for a label, nearest first.
# Further than FAR points (|dx| + |dy|) a thin line joins the label to its point; nearer, a label
# must sit closer to its own point than to any other marker, or a reader pairs it with the wrong one.
FAR = 24
_OFFSETS = [(5, 4), (5, -11), (-5, 4), (-5, -11), (6, -3.5), (-6, -3.5), (5, 13), (5, -20), (-5, 13), (-5, -20),
            (14, 4), (-14, 4), (14, -11), (-14, -11), (5, 22), (5, -29), (-5, 22), (-5, -29),
            (25, 14), (-25, 14), (25, -21), (-25, -21), (10, 32), (-10, 32), (10, -39), (-10, -39),
            (40, -3.5), (-40, -3.5), (35, 28), (-35, 28), (35, -35), (-35, -35), (15, -50), (-15, -50)]


def place_labels(ax, points: Sequence[tuple[float, float, str]], fontsize: float = 8, colour: str = "black") -> list:
    """Annotate each (x, y, text) at the first nearby offset where the label overlaps no marker or
    earlier label, crosses no drawn line, lies inside the axes and, unless a line joins it to its
    point, sits nearer its own point than any other marker. Call it once everything else in the figure is drawn: it fixes the
    figure's layout where it stands."""
    fig = ax.figure
    fig.draw_without_rendering()          # settle the layout, then freeze it: labels are placed in points
    if fig.get_layout_engine() is not None:      # from their data, so the axes must not move afterwards
        fig.set_layout_engine("none")
    renderer = fig._get_renderer()
    frame = ax.get_window_extent(renderer)
    markers = [ax.transData.transform((x, y)) for x, y, _ in points] + _marker_positions(ax)
    lines = _line_positions(ax)
    legend = ax.get_legend()
    taken = [legend.get_window_extent(renderer)] if legend is not None else []
    taken += [words_box(t, renderer) for t in ax.texts if t.get_text()]   # labels placed before
    labels = []
    for x, y, text in points:
        own = ax.transData.transform((x, y))
        others = [m for m in markers if abs(m[0] - own[0]) + abs(m[1] - own[1]) > 0.5]
        chosen = None
        # First where neither its words nor its line touch another label; else where its words do not.
        for strict in (True, False):
            for dx, dy in _OFFSETS:
                trial = _label(ax, text, (x, y), (dx, dy), fontsize, colour)
                box = words_box(trial, renderer)
                reach = trial.get_window_extent(renderer) if strict else box      # with the line, if any
                trial.remove()
                inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
                clear = not any(reach.overlaps(other) for other in taken) and not any(
                    box.x0 - 4 <= mx <= box.x1 + 4 and box.y0 - 4 <= my <= box.y1 + 4 for mx, my in markers) and not any(
                    box.x0 <= lx <= box.x1 and box.y0 <= ly <= box.y1 for lx, ly in lines)
                if inside and clear and abs(dx) + abs(dy) <= FAR:   # no line: it must name the nearest marker
                    clear = _distance(box, own) <= min((_distance(box, m) for m in others), default=1e9)
                if inside and clear:
                    chosen = (dx, dy)
                    break
            if chosen is not None:
                break
        chosen = chosen or _OFFSETS[0]      # if nowhere is free, the first offset rather than no label
        label = _label(ax, text, (x, y), chosen, fontsize, colour)
        label.set_in_layout(False)
        taken.append(words_box(label, renderer))
        if label.arrow_patch is not None:
            taken.append(label.get_window_extent(renderer))    # later labels keep off its line where they can
        labels.append(label)
    return labels


def _label(ax, text: str, point, offset, fontsize: float, colour: str) -> Annotation:
    """`text` at `offset` points from `point`; beyond FAR points, with a thin line to the point."""
    dx, dy = offset
    far = dict(arrowprops=dict(arrowstyle="-", color=colour, linewidth=0.5, shrinkA=0, shrinkB=3)) \
        if abs(dx) + abs(dy) > FAR else {}
    return ax.annotate(text, point, xytext=offset, textcoords="offset points", fontsize=fontsize,
                       ha="left" if dx >= 0 else "right", color=colour, **far)


def words_box(text, renderer):
    """The box of a label's words, without the line that may join it to its point: Text's own
    extent, once an annotation has worked out where its words sit (its extent adds the line)."""
    if isinstance(text, Annotation):
        text.update_positions(renderer)
    return Text.get_window_extent(text, renderer)


def _distance(box, point) -> float:
    """Display pixels from a point to the nearest edge of a box (0 inside it)."""
    px, py = point
    dx = max(box.x0 - px, 0.0, px - box.x1)
    dy = max(box.y0 - py, 0.0, py - box.y1)
    return (dx * dx + dy * dy) ** 0.5


def _line_positions(ax, every: float = 3.0) -> list:
    """Display positions every `every` pixels along the drawn lines of the axes, so a label keeps off them."""
    import numpy as np

    found = []
    for line in ax.lines:
        if line.get_linestyle() in ("None", "", " ") or not line.get_visible():
            continue
        xy = line.get_transform().transform(line.get_xydata())
        for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:]):
            steps = max(int(np.hypot(x1 - x0, y1 - y0) // every), 1)
            found += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(steps + 1)]
    return [p for p in found if np.isfinite(p).all()]


def _marker_positions(ax) -> list:
    """Display positions of every marker already drawn in the axes (lines with markers, scatters)."""
    found = []
    for line in ax.lines:
        if line.get_marker() not in (None, "None", "", " "):
            found += list(ax.transData.transform(line.get_xydata()))
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if len(offsets):
            found += list(ax.transData.transform(offsets))
    return found
