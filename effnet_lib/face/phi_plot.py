"""The phi explorer's picture: a still background (PNG) and what moves drawn over it as SVG.

`CostPlot` draws parameters and multiply-adds against phi with `plots.cost_against_phi`, keeps the
axes, labels and Table 2's points as a background, and renders the curves, the marker, the reading
and a budget line either as a few lines of SVG in the same pixels (`overlay`, fast enough to follow a
dragged slider) or into one PNG (`render`, for readers without a kernel).
"""
from __future__ import annotations

import html
import io
import math

from .phi_state import PHI_MAX, Snapshot, table_2_points


def _axis_top(value: float) -> float:
    """The smallest 1 or 3 x 10^k at or above `value`: axis ends that move rarely, half a decade at a time.

    >>> _axis_top(60), _axis_top(100), _axis_top(101), _axis_top(301)
    (100, 100, 300, 1000)
    """
    decade = 10 ** math.floor(math.log10(value) + 1e-12)
    return next(step * decade for step in (1, 3, 10) if step * decade >= value * (1 - 1e-12))


_DASHES = {"-": "", "--": "6,4", ":": "1.5,3"}


class CostPlot:
    """The explorer's picture: parameters (top) and multiply-adds (bottom) against phi, log scale.

    `plots.cost_against_phi` draws it: the compound rule's curve, B0 x (alpha beta^2 gamma^2)^phi
    dashed, Table 2's printed points. What moves with the sliders (the two curves, the marker, the
    reading, a budget line) is kept apart from what does not (axes, labels, points, legends):

    - `background()`: a PNG of what does not move, redrawn only when the curves outgrow the
      y-axes (which then grow ahead of them, to 1 or 3 x 10^k, so that is rare);
    - `overlay(s, budget)`: what moves, as a few lines of SVG in the same pixels, drawn over the
      background by the widget; it takes a millisecond where a full draw takes a few hundred on a
      busy 2-core machine, so the picture follows a dragged slider;
    - `render(s, budget)`: both as one PNG, for readers without a kernel.
    """

    SIZE_INCHES = (4.7, 5.2)
    DPI = 90

    def __init__(self, curve: dict):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from .plots import cost_against_phi
        from .style import COLOURS

        self.figure = Figure(figsize=self.SIZE_INCHES, dpi=self.DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(2, 1, sharex=True)
        self.figure.subplots_adjust(left=0.16, right=0.97, bottom=0.09, top=0.95, hspace=0.22)
        cost_against_phi(curve, paper=table_2_points(), predicted=curve["predicted"], axes=self.axes)
        self.keys = ("parameters", "multiply_adds")
        for ax in self.axes:
            ax.title.set_fontsize(10)
        self.axes[0].set_xlabel("")
        # Which curve series each drawn line shows, and in what unit: found from the data itself.
        self.series = []
        for ax, key in zip(self.axes, self.keys):
            for line in ax.lines:
                self.series.append((line, *self._match(line, curve, key)))
                line.set_animated(True)
        self.marker = [ax.scatter([], [], s=90, color=COLOURS["compound"], edgecolor="black", zorder=4,
                                  animated=True) for ax in self.axes]
        self.reading = [ax.text(0.98, 0.05, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=9,
                                animated=True, bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
                        for ax in self.axes]
        self.budget_line = self.axes[1].axhline(1.0, color="black", linestyle=":", linewidth=1.2, animated=True)
        self.axes[0].set_xlim(-0.3, PHI_MAX + 0.3)
        self.width, self.height = self.canvas.get_width_height()
        self._limits = None
        self._background, self._background_png = None, None
        self.set_curve(curve)

    @staticmethod
    def _match(line, curve: dict, key: str) -> tuple[str, float]:
        """(series, unit) such that the line's y = curve[series] / unit."""
        ys = line.get_ydata()
        for name in (key, "predicted"):
            unit = curve[name][-1] / ys[-1]
            if all(math.isclose(v / unit, y, rel_tol=1e-9) for v, y in zip(curve[name], ys)):
                return name, unit
        raise ValueError(f"a line of the {key} panel follows no series of the curve")

    def unit(self, key: str) -> float:
        return next(unit for _, name, unit in self.series if name == key)

    def set_curve(self, curve: dict) -> None:
        """New alpha, beta, gamma: new curves; the y-axes grow when the curves outgrow them."""
        for line, name, unit in self.series:
            line.set_ydata([v / unit for v in curve[name]])
        paper = table_2_points()
        limits = []
        for i, (ax, key) in enumerate(zip(self.axes, self.keys)):
            shown = [y for line, _, _ in self.series if line.axes is ax for y in line.get_ydata()]
            printed = [v / self.unit(key) for v in paper[key]]
            needed = max(shown + printed) * 1.2
            top = self._limits[i][1] if self._limits else _axis_top(needed)
            if top < needed:                 # outgrown: a slider is moving up, so leave room for more
                top = _axis_top(needed * 3)
            elif top > 10 * needed:          # far too tall: the curves came back down
                top = _axis_top(needed)
            limits.append((min(shown + printed) * 0.6, top))
        if limits != self._limits:
            for ax, (low, high) in zip(self.axes, limits):
                ax.set_ylim(low, high)
            self._limits, self._background, self._background_png = limits, None, None

    # -- what moves ---------------------------------------------------------------------------------

    def _readings(self, s: Snapshot | None, budget: float | None) -> list[str]:
        texts = []
        for key in self.keys:
            if s is None:
                text = "no network fits the budget"
            else:
                value = getattr(s.cost, key)
                shown = f"{value / 1e6:.1f} M parameters" if key == "parameters" else f"{value / 1e9:.2f} B multiply-adds"
                text = f"phi = {s.phi:.2f}: {shown}"
            if budget is not None and key == "multiply_adds":
                text += f"\nbudget (dotted): {budget / 1e9:g} B"
            texts.append(text)
        return texts

    def _budget_shown(self, budget: float | None) -> bool:
        return budget is not None and budget > 0 and math.isfinite(budget)

    def _pixels(self, ax, xs, ys) -> list[tuple[float, float]]:
        """Data coordinates to the picture's pixels (SVG's y runs down)."""
        return [(x, self.height - y) for x, y in ax.transData.transform(list(zip(xs, ys)))]

    def overlay(self, s: Snapshot | None, budget: float | None = None) -> str:
        """What moves, as SVG over the background: the curves, `s` marked, the reading, a budget line."""
        from matplotlib.colors import to_hex

        parts = []
        for i, (ax, key, marker, text) in enumerate(zip(self.axes, self.keys, self.marker,
                                                        self._readings(s, budget))):
            x0, y0, x1, y1 = ax.bbox.extents
            parts.append(f"<clipPath id='panel{i}'><rect x='{x0:.1f}' y='{self.height - y1:.1f}' "
                         f"width='{x1 - x0:.1f}' height='{y1 - y0:.1f}'/></clipPath><g clip-path='url(#panel{i})'>")
            for line, _, _ in self.series:
                if line.axes is ax:
                    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in self._pixels(ax, line.get_xdata(), line.get_ydata()))
                    parts.append(f"<polyline points='{points}' fill='none' stroke='{to_hex(line.get_color())}' "
                                 f"stroke-width='{line.get_linewidth() * self.DPI / 72:.1f}' "
                                 f"stroke-dasharray='{_DASHES.get(line.get_linestyle(), '')}'/>")
            if key == "multiply_adds" and self._budget_shown(budget):
                (_, y), = self._pixels(ax, [0], [budget / self.unit(key)])
                parts.append(f"<line x1='{x0:.1f}' x2='{x1:.1f}' y1='{y:.1f}' y2='{y:.1f}' stroke='black' "
                             f"stroke-width='1.5' stroke-dasharray='{_DASHES[':']}'/>")
            if s is not None:
                (x, y), = self._pixels(ax, [s.phi], [getattr(s.cost, key) / self.unit(key)])
                radius = math.sqrt(marker.get_sizes()[0]) / 2 * self.DPI / 72
                parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{radius:.1f}' "
                             f"fill='{to_hex(marker.get_facecolor()[0])}' stroke='black'/>")
            parts.append("</g>")
            right, bottom = ax.transAxes.transform((0.98, 0.05))
            lines = text.split("\n")
            spans = "".join(f"<tspan x='{right:.1f}' y='{self.height - bottom - 13 * (len(lines) - 1 - j) - 3:.1f}'>"
                            f"{html.escape(line)}</tspan>" for j, line in enumerate(lines))
            parts.append(f"<text text-anchor='end' font-family='DejaVu Sans, sans-serif' font-size='11.5' "
                         f"stroke='white' stroke-width='4' paint-order='stroke'>{spans}</text>")
        return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{self.height}' "
                f"viewBox='0 0 {self.width} {self.height}'>{''.join(parts)}</svg>")

    # -- as pictures ----------------------------------------------------------------------------------

    def _draw_background(self) -> None:
        if self._background is None:
            self.canvas.draw()                    # everything but the animated artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)

    def _png(self) -> bytes:
        from PIL import Image

        image = Image.frombuffer("RGBA", (self.width, self.height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def background(self) -> bytes:
        """What does not move, as PNG bytes (the same bytes until the y-axes change)."""
        if self._background_png is None:
            self._draw_background()
            self.canvas.restore_region(self._background)
            self._background_png = self._png()
        return self._background_png

    def render(self, s: Snapshot | None, budget: float | None = None) -> bytes:
        """The whole picture as one PNG: the background with what `overlay` would draw over it."""
        self._draw_background()
        self.canvas.restore_region(self._background)
        for line, _, _ in self.series:
            line.axes.draw_artist(line)
        for ax, marker, reading, text in zip(self.axes, self.marker, self.reading, self._readings(s, budget)):
            if s is not None:
                key = self.keys[list(self.axes).index(ax)]
                marker.set_offsets([[s.phi, getattr(s.cost, key) / self.unit(key)]])
                ax.draw_artist(marker)
            reading.set_text(text)
            ax.draw_artist(reading)
        if self._budget_shown(budget):
            self.budget_line.set_ydata([budget / self.unit("multiply_adds")] * 2)
            self.axes[1].draw_artist(self.budget_line)
        return self._png()
