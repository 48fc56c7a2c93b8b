"""The phi explorer: move phi, alpha, beta, gamma and watch B0 grow by Eq. 3 (Table 2, live).

Everything the widget shows comes from plain functions: `snapshot` (the numbers for one setting),
`summary_html` and `stages_html` (those numbers as tables), `fit_budget` (the phi a FLOPS budget
allows) and `CostPlot` (the picture). `PhiExplorer` only wires widgets to them, and its callbacks
are ordinary methods, so tests set a slider's value in Python and read the table back, no browser
needed. Displayed, the explorer carries a static rendering of its first state beside the live
widget (`face.static`), so a reader without a kernel sees its table and plot, not widget text.

Costs come from `effnet_lib.cost`, which counts the stage table without building a model, and the
plot redraws only what moved, so the explorer follows a dragged slider: tests/test_browser.py
measures how fast, in JupyterLab.
"""
from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from typing import NamedTuple

from ..rules.architecture import B0, Network
from ..rules.cost import Cost, cost, phi_for_budget
from ..rules.families import EFFICIENTNET, network
from ..rules.paper import ALPHA, BETA, GAMMA, TABLE_2
from ..rules.scaling import Multipliers, compound, multiply_adds_growth, scale
from .static import img_tag, side_by_side, static_bundle, widget_bundle

PHI_MAX = 7.0          # B7; the slider stops here


def table_2_points() -> dict:
    """Table 2's parameters and multiply-adds as printed (`effnet_lib.paper`), B`k` placed at phi = k.

    The paper does not print phi for each model; B`k` at phi = `k` is the usual reading and what
    the explorer's B0..B7 buttons do.
    """
    names = list(TABLE_2)
    return {"phi": [float(i) for i in range(len(names))],
            "labels": [n.upper() for n in names],
            "parameters": [TABLE_2[n].parameters_millions * 1e6 for n in names],
            "multiply_adds": [TABLE_2[n].multiply_adds_billions * 1e9 for n in names]}


@dataclass(frozen=True)
class Snapshot:
    """Everything the explorer shows for one (phi, alpha, beta, gamma): plain data, no widgets."""

    phi: float
    alpha: float
    beta: float
    gamma: float
    multipliers: Multipliers
    network: Network          # B0 scaled by Eq. 3
    cost: Cost
    base: Network             # B0
    base_cost: Cost
    published: str | None     # "b3" when phi is a whole number from 0 to 7, else None

    @property
    def growth(self) -> float:
        """alpha * beta^2 * gamma^2: the FLOPS factor Eq. 3 promises per unit of phi."""
        return multiply_adds_growth(self.alpha, self.beta, self.gamma)

    @property
    def predicted_ratio(self) -> float:
        """(alpha * beta^2 * gamma^2)^phi: the multiply-add ratio to B0 the rule predicts."""
        return self.growth ** self.phi

    @property
    def ratio(self) -> float:
        """The real multiply-add ratio to B0, rounding included."""
        return self.cost.multiply_adds / self.base_cost.multiply_adds


def snapshot(phi: float, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
             base: Network = B0) -> Snapshot:
    """The network Eq. 3 makes from `base` at this phi, and its cost (checks its inputs).

    >>> s = snapshot(1.0)
    >>> s.network.image_size, s.published, round(s.growth, 2)
    (258, 'b1', 1.92)
    """
    multipliers = compound(phi, alpha, beta, gamma)
    scaled = scale(base, *multipliers)
    nearest = round(phi)
    published = f"b{nearest}" if base is B0 and abs(phi - nearest) < 1e-9 and 0 <= nearest <= 7 else None
    return Snapshot(float(phi), float(alpha), float(beta), float(gamma), multipliers, scaled,
                    cost(scaled), base, cost(base), published)


def cost_curve(alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA, base: Network = B0,
               phi_max: float = PHI_MAX, points: int = 71) -> dict:
    """Parameters and multiply-adds of Eq. 3's network on `points` values of phi from 0 to phi_max.

    Also "predicted": B0's multiply-adds times (alpha * beta^2 * gamma^2)^phi, the smooth promise
    that rounding turns into a staircase.
    """
    if points < 2:
        raise ValueError(f"a curve needs at least 2 points, got {points}.")
    phis = [phi_max * i / (points - 1) for i in range(points)]
    costs = [cost(scale(base, *compound(phi, alpha, beta, gamma))) for phi in phis]
    growth, start = multiply_adds_growth(alpha, beta, gamma), cost(base).multiply_adds
    return {"phi": phis, "parameters": [c.parameters for c in costs],
            "multiply_adds": [c.multiply_adds for c in costs],
            "predicted": [start * growth ** phi for phi in phis]}


# --------------------------------------------------------------------------- the budget

def fit_budget(multiply_adds: float, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
               base: Network = B0) -> float:
    """The largest phi, to 0.01 and at most PHI_MAX, whose Eq. 3 network fits a multiply-add budget.

    The budget is used as given (4e9 is 4e9); a budget that is not a positive number, or that not
    even the base network fits, is refused in words.

    >>> fit_budget(4e9)
    3.43
    >>> fit_budget(1e12)      # far beyond B7's 37 billion: phi stops where the explorer's slider does
    7.0
    """
    base_cost = cost(base).multiply_adds
    if not isinstance(multiply_adds, (int, float)) or not math.isfinite(multiply_adds) or multiply_adds <= 0:
        raise ValueError(f"A FLOPS budget must be a positive number of multiply-adds, got {multiply_adds!r}; "
                         f"B0 alone needs {base_cost / 1e9:.3f} billion.")
    if multiply_adds < base_cost:
        raise ValueError(f"A budget of {multiply_adds / 1e9:g} billion multiply-adds is below B0's own "
                         f"{base_cost / 1e9:.3f} billion ({base_cost:,}): no network of the family fits. "
                         f"Type a budget of at least {math.ceil(base_cost / 1e7) / 100:g}.")

    if cost(scale(base, *compound(PHI_MAX, alpha, beta, gamma))).multiply_adds <= multiply_adds:
        return PHI_MAX
    return phi_for_budget(multiply_adds, base, alpha, beta, gamma)   # exact on the 0.01 grid


def budget_note(s: Snapshot, multiply_adds: float) -> str:
    """One sentence on what a budget allows, read off the same snapshot as the table below it."""
    network = f"a network of {s.cost.multiply_adds:,} multiply-adds ({s.cost.multiply_adds / multiply_adds:.1%} of the budget)"
    if s.phi >= PHI_MAX:
        return (f"Budget {multiply_adds / 1e9:g} billion multiply-adds: even phi = {s.phi:.2f}, the slider's end, "
                f"fits: {network}.")
    return (f"Budget {multiply_adds / 1e9:g} billion multiply-adds: phi = {s.phi:.2f} is the largest (to 0.01) "
            f"that fits, {network}.")


# --------------------------------------------------------------------------- the tables

TABLE_CLASS = "phi-explorer-table"
STAGES_CLASS = "phi-explorer-stages"
_STYLE = ("<style>.phi-explorer-table td, .phi-explorer-table th, .phi-explorer-stages td, "
          ".phi-explorer-stages th {padding: 1px 4px; text-align: right; line-height: 1.3; font-size: 11.5px;}"
          ".phi-explorer-table td:first-child, .phi-explorer-stages td:nth-child(2) {text-align: left; white-space: nowrap;}"
          ".phi-explorer-table th, .phi-explorer-stages th {border-bottom: 1px solid #999;}</style>")


def _row(cells, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def summary_rows(s: Snapshot) -> list[tuple]:
    """The explorer's main table as rows: (quantity, compound rule, B0, ratio to B0, published Bk)."""
    net, b0, m = s.network, s.base, s.multipliers
    published = [""] * 8
    if s.published:
        c, spec = EFFICIENTNET[s.published], network(s.published)
        paid = cost(spec)
        published = [f"{c.depth:g}", f"{c.width:g}", f"{c.image_size / b0.image_size:.3f}", f"{c.image_size}",
                     f"{spec.num_blocks}", f"{paid.parameters:,}", f"{paid.multiply_adds:,}", ""]
    rows = [
        ("depth d = α^φ", f"{m.depth:.3f}", "1", f"{m.depth:.2f}x"),
        ("width w = β^φ", f"{m.width:.3f}", "1", f"{m.width:.2f}x"),
        ("resolution r = γ^φ", f"{m.resolution:.3f}", "1", f"{m.resolution:.2f}x"),
        ("image size (px)", f"{net.image_size}", f"{b0.image_size}", f"{net.image_size / b0.image_size:.2f}x"),
        ("layers (blocks)", f"{net.num_blocks}", f"{b0.num_blocks}", f"{net.num_blocks / b0.num_blocks:.2f}x"),
        ("parameters", f"{s.cost.parameters:,}", f"{s.base_cost.parameters:,}",
         f"{s.cost.parameters / s.base_cost.parameters:.2f}x"),
        ("multiply-adds", f"{s.cost.multiply_adds:,}", f"{s.base_cost.multiply_adds:,}", f"{s.ratio:.2f}x"),
        ("(αβ²γ²)^φ", f"{s.growth:.3f}^{s.phi:.2f}", "", f"{s.predicted_ratio:.2f}x predicted"),
    ]
    return [row + (extra,) for row, extra in zip(rows, published)]


def stage_rows(s: Snapshot) -> list[tuple]:
    """Per stage: stage, operator, input resolution, and repeats and channels of B0 -> scaled."""
    rows = []
    for old, new in zip(s.base.rows(), s.network.rows()):
        rows.append((old["stage"], old["operator"], f"{new['image_size']}x{new['image_size']}",
                     f"{old['layers']} -> {new['layers']}", f"{old['channels']} -> {new['channels']}"))
    return rows


def constraint_html(s: Snapshot) -> str:
    """alpha, beta, gamma and the FLOPS growth per unit of phi they imply (Eq. 3's constraint)."""
    return (f"<p>alpha = {s.alpha:.2f}, beta = {s.beta:.2f}, gamma = {s.gamma:.2f}: "
            f"alpha &middot; beta&sup2; &middot; gamma&sup2; = {s.growth:.3f} (the paper asks for about 2)</p>")


def summary_html(s: Snapshot) -> str:
    """The explorer's main table (class `phi-explorer-table`): the scaled network against B0."""
    published = f"{s.published.upper()} as published" if s.published else ""
    head = _row(("", f"Eq. 3 at phi = {s.phi:.2f}", "B0", "ratio", published), header=True)
    return f"{_STYLE}<table class='{TABLE_CLASS}'>{head}{''.join(_row(r) for r in summary_rows(s))}</table>"


def stages_html(s: Snapshot) -> str:
    """Repeats and channels of every stage, B0 -> scaled (class `phi-explorer-stages`)."""
    head = _row(("stage", "operator", "input", "layers (B0 -> now)", "channels (B0 -> now)"), header=True)
    return f"{_STYLE}<table class='{STAGES_CLASS}'>{head}{''.join(_row(r) for r in stage_rows(s))}</table>"


def table_html(s: Snapshot, note: str = "") -> str:
    """Both tables with the constraint line (and a note) above them: what a page without widgets shows."""
    extra = f"<p>{html.escape(note)}</p>" if note else ""
    return constraint_html(s) + extra + summary_html(s) + stages_html(s)


# --------------------------------------------------------------------------- the plot

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


# --------------------------------------------------------------------------- static rendering

class StaticView(NamedTuple):
    """The explorer's tables and plot for one setting, shown without widgets (HTML, the PNG in it)."""

    html: str
    png: bytes

    def _repr_mimebundle_(self, include=None, exclude=None):
        return static_bundle(self.html, self.png, "the phi explorer, drawn without a kernel")


def render_static(phi: float = 0.0, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA) -> StaticView:
    """What the explorer shows at this setting (by default, its initial state), as HTML and a PNG."""
    s = snapshot(phi, alpha, beta, gamma)
    note = "A static picture of the phi explorer; run the notebook to move the sliders."
    return StaticView(table_html(s, note), CostPlot(cost_curve(alpha, beta, gamma)).render(s))


# --------------------------------------------------------------------------- the widget

class PhiExplorer:
    """Sliders for phi, alpha, beta, gamma; B0..B7 buttons; a typed FLOPS budget; tables; a plot.

    Display it as the last line of a cell. Controls and the main table sit on the left, the plot
    (and, in a second tab, the per-stage table) on the right, so the plot stays in view while a
    slider moves; sliders report while dragged. Callbacks are plain methods: `update()` redraws,
    `select(k)` jumps to phi = k, `reset_coefficients()` restores the paper's alpha, beta, gamma.
    In budget mode phi is not a slider but the largest value whose network fits the typed budget.
    """

    COLUMN = "470px"       # two columns and the plot fit a notebook beside JupyterLab's file browser

    def __init__(self, phi: float = 0.0, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
                 budget: float = 1.8, plot: bool = True):
        try:
            import ipywidgets as w
        except ImportError:
            raise ImportError("the phi explorer needs ipywidgets: `pip install ipywidgets` "
                              "(it is in the course's extras: `pip install -e .[notebooks]`). "
                              "Without it, `render_static()` shows the same table and plot.") from None
        snapshot(phi, alpha, beta, gamma)   # refuse bad starting values here, in words
        slider = dict(step=0.01, readout_format=".2f", continuous_update=True,
                      style={"description_width": "56px"}, layout=w.Layout(width=self.COLUMN))
        self.phi = w.FloatSlider(value=phi, min=0.0, max=PHI_MAX, description="phi", **slider)
        self.alpha = w.FloatSlider(value=alpha, min=1.0, max=2.0, description="alpha", **slider)
        self.beta = w.FloatSlider(value=beta, min=1.0, max=2.0, description="beta", **slider)
        self.gamma = w.FloatSlider(value=gamma, min=1.0, max=2.0, description="gamma", **slider)
        self.buttons = [w.Button(description=f"B{k}", layout=w.Layout(width="46px")) for k in range(8)]
        for k, button in enumerate(self.buttons):
            button.on_click(lambda _, k=k: self.select(k))
        self.reset = w.Button(description="paper's alpha, beta, gamma", layout=w.Layout(width="220px"))
        self.reset.on_click(lambda _: self.reset_coefficients())
        self.budget_mode = w.Checkbox(value=False, description="budget mode", indent=False,
                                      layout=w.Layout(width="120px"))
        self.budget = w.FloatText(value=budget, description="FLOPS budget (billions)",
                                  style={"description_width": "170px"}, layout=w.Layout(width="290px"))
        self.message = w.HTML()
        self.message.add_class("phi-explorer-message")
        self.table = w.HTML()
        self.table.add_class(TABLE_CLASS + "-widget")
        self.stages = w.HTML()
        self._curve_key, self._curve, self._plot = None, None, None
        self._shown = (None, None)        # the snapshot and budget drawn last
        self.plot = None
        if plot:                           # a still background and an SVG of what moves, stacked in one cell
            size = dict(width=f"{CostPlot.SIZE_INCHES[0] * CostPlot.DPI:.0f}px",
                        height=f"{CostPlot.SIZE_INCHES[1] * CostPlot.DPI:.0f}px")
            self.plot_background = w.Image(format="png", layout=w.Layout(grid_area="picture", **size))
            self.plot_overlay = w.HTML(layout=w.Layout(grid_area="picture", **size))
            self.plot_overlay.add_class("phi-explorer-overlay")
            self.plot = w.GridBox([self.plot_background, self.plot_overlay],
                                  layout=w.Layout(grid_template_areas='"picture"'))
            self.plot.add_class("phi-explorer-plot")
        self._busy = False

        for control in (self.phi, self.alpha, self.beta, self.gamma, self.budget_mode):
            control.observe(self.update, names="value")
        self.budget.observe(self.budget_typed, names="value")

        column = w.Layout(width=self.COLUMN)
        controls = w.HBox([
            w.VBox([self.phi, w.HBox([w.Label("jump to", layout=w.Layout(width="52px")), *self.buttons]),
                    w.HBox([self.budget_mode, self.budget])], layout=column),
            w.VBox([self.alpha, self.beta, self.gamma, self.reset], layout=column)],
            layout=w.Layout(flex_flow="row wrap", grid_gap="12px"))
        tabs = w.Tab([self.plot, self.stages] if plot else [self.stages])
        for i, title in enumerate(["cost against phi", "stages"] if plot else ["stages"]):
            tabs.set_title(i, title)
        self.tabs = tabs
        body = w.HBox([w.VBox([self.message, self.table], layout=column), tabs],
                      layout=w.Layout(flex_flow="row wrap", grid_gap="12px"))
        self.widget = w.VBox([controls, body])
        self.widget.add_class("phi-explorer")
        self.update()

    # -- the callbacks: plain methods, so tests call them directly --------------------------------

    def snapshot(self) -> Snapshot:
        return snapshot(self.phi.value, self.alpha.value, self.beta.value, self.gamma.value)

    def update(self, change=None) -> None:
        """Recompute from the widgets' values and redraw: the table first (fast), then the plot."""
        if self._busy:                   # a phi set here calls back; one redraw is enough
            return
        self._busy = True
        try:
            self._redraw()
        except ValueError as error:     # the library refuses a value in words: show them, not a traceback
            self._clear(str(error))
        finally:
            self._busy = False

    def _redraw(self) -> None:
        self.phi.disabled = self.budget_mode.value
        budget = self.budget.value * 1e9 if self.budget_mode.value else None
        note = ""
        if budget is not None:
            try:
                self.phi.value = fit_budget(budget, self.alpha.value, self.beta.value, self.gamma.value)
            except ValueError as error:
                self._clear(str(error), budget)
                return
        s = self.snapshot()
        if budget is not None:
            note = budget_note(s, budget)
        self._say(note)
        self.table.value = constraint_html(s) + summary_html(s)
        self._draw(s, s, budget)
        self.stages.value = stages_html(s)       # last: its tab is behind the plot's

    def _draw(self, s: Snapshot, marked: Snapshot | None, budget: float | None) -> None:
        """The plot for `s`'s alpha, beta, gamma, with `marked` (or no network) and the budget."""
        self._shown = (marked, budget)
        if self.plot is not None:
            cost_plot = self._cost_plot(s)
            self.plot_background.value = cost_plot.background()   # unchanged bytes are not sent again
            self.plot_overlay.value = cost_plot.overlay(marked, budget)

    def _cost_plot(self, s: Snapshot) -> CostPlot:
        key = (s.alpha, s.beta, s.gamma)
        if key != self._curve_key:
            self._curve_key, self._curve = key, cost_curve(*key)
            if self._plot is None:
                self._plot = CostPlot(self._curve)
            else:
                self._plot.set_curve(self._curve)
        return self._plot

    def _clear(self, reason: str, budget: float | None = None) -> None:
        """No network to show: say why, empty the tables, keep the curves without a marker."""
        self._say(reason, problem=True)
        self.table.value = ""
        self.stages.value = ""
        self._draw(self.snapshot(), None, budget)

    def _say(self, text: str, problem: bool = False) -> None:
        """A line above the table (a budget's result, or what is wrong); hidden when there is none."""
        text = html.escape(text)
        self.message.value = (f"<p style='color: #b00020'><b>{text}</b></p>" if problem else f"<p>{text}</p>") if text else ""
        self.message.layout.display = "" if text else "none"

    def budget_typed(self, change=None) -> None:
        """A typed budget switches budget mode on (or, when already on, refits phi)."""
        if self.budget_mode.value:
            self.update()
        else:
            self.budget_mode.value = True      # calls update()

    def select(self, k: int) -> None:
        """The B`k` button: phi = k (leaves budget mode, which would move phi back)."""
        self.budget_mode.value = False
        self.phi.value = float(k)

    def reset_coefficients(self) -> None:
        """Back to the paper's alpha = 1.2, beta = 1.1, gamma = 1.15 (one redraw)."""
        self._busy = True
        try:
            self.alpha.value, self.beta.value, self.gamma.value = ALPHA, BETA, GAMMA
        finally:
            self._busy = False
        self.update()

    # -- display: the live widget, and its first state drawn for readers without a kernel --------

    def static_html(self) -> str:
        """The widget as it is now, drawn in HTML: message and table beside the plot, the stages below."""
        picture = img_tag(self._plot.render(*self._shown), "the phi explorer's plot") if self.plot is not None else ""
        return ("<p><i>The phi explorer as first drawn; run the notebook to move its sliders.</i></p>"
                + side_by_side(self.message.value + self.table.value, picture) + self.stages.value)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {**static_bundle(html=self.static_html(), text="the phi explorer (run the notebook to use it)"),
                **widget_bundle(self.widget)}
