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
# Beyond 12 points away a thin line joins the label to its point.
_OFFSETS = [(5, 4), (5, -11), (-5, 4), (-5, -11), (6, -3.5), (-6, -3.5), (5, 13), (5, -20), (-5, 13), (-5, -20),
            (14, 4), (-14, 4), (14, -11), (-14, -11), (5, 22), (5, -29), (-5, 22), (-5, -29),
            (25, 14), (-25, 14), (25, -21), (-25, -21), (10, 32), (-10, 32), (10, -39), (-10, -39),
            (40, -3.5), (-40, -3.5), (35, 28), (-35, 28), (35, -35), (-35, -35), (15, -50), (-15, -50)]


def place_labels(ax, points: Sequence[tuple[float, float, str]], fontsize: float = 8, colour: str = "black") -> list:
    """Annotate each (x, y, text) at the first nearby offset where the label overlaps no marker or
    earlier label and lies inside the axes. Call it once everything else in the figure is drawn: it
    fixes the figure's layout where it stands."""
    fig = ax.figure
    fig.draw_without_rendering()          # settle the layout, then freeze it: labels are placed in points
    if fig.get_layout_engine() is not None:      # from their data, so the axes must not move afterwards
        fig.set_layout_engine("none")
    renderer = fig._get_renderer()
    frame = ax.get_window_extent(renderer)
    markers = [ax.transData.transform((x, y)) for x, y, _ in points] + _marker_positions(ax)
    legend = ax.get_legend()
    taken = [legend.get_window_extent(renderer)] if legend is not None else []
    taken += [words_box(t, renderer) for t in ax.texts if t.get_text()]   # labels placed before
    labels = []
    for x, y, text in points:
        chosen = _OFFSETS[0]             # if nowhere is free, the first offset rather than no label
        for dx, dy in _OFFSETS:
            trial = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                                ha="left" if dx >= 0 else "right")
            box = trial.get_window_extent(renderer)
            trial.remove()
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            clear = not any(box.overlaps(other) for other in taken) and not any(
                box.x0 - 4 <= mx <= box.x1 + 4 and box.y0 - 4 <= my <= box.y1 + 4 for mx, my in markers)
            if inside and clear:
                chosen = (dx, dy)
                break
        dx, dy = chosen
        far = dict(arrowprops=dict(arrowstyle="-", color=colour, linewidth=0.5, shrinkA=0, shrinkB=3)) \
            if abs(dx) + abs(dy) > 24 else {}        # a thin line joins a far label to its point
        label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                            ha="left" if dx >= 0 else "right", color=colour, **far)
        label.set_in_layout(False)
        taken.append(words_box(label, renderer))
        labels.append(label)
    return labels


def words_box(text, renderer):
    """The box of a label's words, without the line that may join it to its point: Text's own
    extent, once an annotation has worked out where its words sit (its extent adds the line)."""
    if isinstance(text, Annotation):
        text.update_positions(renderer)
    return Text.get_window_extent(text, renderer)


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
