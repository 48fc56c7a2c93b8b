"""The phi explorer: move phi, alpha, beta, gamma and watch B0 grow by Eq. 3 (Table 2, live).

Everything the widget shows comes from two plain functions, `snapshot` (the numbers for one
setting) and `table_html` (those numbers as a table), plus the plot in `figure`. `PhiExplorer`
only wires sliders to them, and its callbacks are ordinary methods, so tests set a slider's value
in Python and read the table back, no browser needed. `render_static` draws the same table and
plot without a kernel's widgets, for readers of a saved notebook.

Costs come from `effnet_lib.cost`, which counts the stage table without building a model, so
every slider move answers at once, even for phi = 7 at 596 px.
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
from ..rules.paper import TABLE_2
from ..rules.scaling import Multipliers, compound, flops_growth, scale

PHI_MAX = 7.0          # B7; the slider stops here
PAPER_COEFFICIENTS = dict(alpha=1.2, beta=1.1, gamma=1.15)   # Section 3.3, step 1


def table_2_points() -> dict:
    """Table 2's parameters and multiply-adds as printed (`effnet_lib.paper`), B`k` placed at phi = k.

    The paper does not print phi for each model; B`k` at phi = `k` is the usual reading and what
    the explorer's B0..B7 buttons do.
    """
    names = list(TABLE_2)
    return {"phi": [float(i) for i in range(len(names))],
            "labels": [n.upper() for n in names],
            "parameters": [TABLE_2[n].parameters_millions * 1e6 for n in names],
            "multiply_adds": [TABLE_2[n].flops_billions * 1e9 for n in names]}


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
        return flops_growth(self.alpha, self.beta, self.gamma)

    @property
    def predicted_ratio(self) -> float:
        """(alpha * beta^2 * gamma^2)^phi: the multiply-add ratio to B0 the rule predicts."""
        return self.growth ** self.phi

    @property
    def ratio(self) -> float:
        """The real multiply-add ratio to B0, rounding included."""
        return self.cost.multiply_adds / self.base_cost.multiply_adds


def snapshot(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15,
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


def cost_curve(alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15, base: Network = B0,
               phi_max: float = PHI_MAX, points: int = 141) -> dict:
    """Parameters and multiply-adds of Eq. 3's network on `points` values of phi from 0 to phi_max.

    Also "predicted": B0's multiply-adds times (alpha * beta^2 * gamma^2)^phi, the smooth promise
    that rounding turns into a staircase.
    """
    if points < 2:
        raise ValueError(f"a curve needs at least 2 points, got {points}.")
    phis = [phi_max * i / (points - 1) for i in range(points)]
    costs = [cost(scale(base, *compound(phi, alpha, beta, gamma))) for phi in phis]
    growth, start = flops_growth(alpha, beta, gamma), cost(base).multiply_adds
    return {"phi": phis, "parameters": [c.parameters for c in costs],
            "multiply_adds": [c.multiply_adds for c in costs],
            "predicted": [start * growth ** phi for phi in phis]}


# --------------------------------------------------------------------------- the table

TABLE_CLASS = "phi-explorer-table"
STAGES_CLASS = "phi-explorer-stages"
_STYLE = ("<style>.phi-explorer-table td, .phi-explorer-table th, .phi-explorer-stages td, "
          ".phi-explorer-stages th {padding: 2px 8px; text-align: right;}"
          ".phi-explorer-table td:first-child, .phi-explorer-stages td:nth-child(2) {text-align: left;}</style>")


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
        ("depth d = alpha^phi", f"{m.depth:.3f}", "1", f"{m.depth:.2f}x"),
        ("width w = beta^phi", f"{m.width:.3f}", "1", f"{m.width:.2f}x"),
        ("resolution r = gamma^phi", f"{m.resolution:.3f}", "1", f"{m.resolution:.2f}x"),
        ("resolution (px)", f"{net.image_size}", f"{b0.image_size}", f"{net.image_size / b0.image_size:.2f}x"),
        ("layers (blocks)", f"{net.num_blocks}", f"{b0.num_blocks}", f"{net.num_blocks / b0.num_blocks:.2f}x"),
        ("parameters", f"{s.cost.parameters:,}", f"{s.base_cost.parameters:,}",
         f"{s.cost.parameters / s.base_cost.parameters:.2f}x"),
        ("multiply-adds", f"{s.cost.multiply_adds:,}", f"{s.base_cost.multiply_adds:,}", f"{s.ratio:.2f}x"),
        ("(alpha beta^2 gamma^2)^phi", f"{s.growth:.3f}^{s.phi:.2f}", "", f"{s.predicted_ratio:.2f}x predicted"),
    ]
    return [row + (extra,) for row, extra in zip(rows, published)]


def stage_rows(s: Snapshot) -> list[tuple]:
    """Per stage: stage, operator, input resolution, and repeats and channels of B0 -> scaled."""
    rows = []
    for old, new in zip(s.base.rows(), s.network.rows()):
        rows.append((old["stage"], old["operator"], f"{new['image_size']}x{new['image_size']}",
                     f"{old['layers']} -> {new['layers']}", f"{old['channels']} -> {new['channels']}"))
    return rows


def table_html(s: Snapshot, note: str = "") -> str:
    """The explorer's tables as HTML (class `phi-explorer-table`, then `phi-explorer-stages`)."""
    published = f"published {s.published.upper()} (Table 2's network)" if s.published else ""
    head = _row(("", f"compound rule, phi = {s.phi:.2f}", "B0", "ratio to B0", published), header=True)
    summary = "".join(_row(r) for r in summary_rows(s))
    constraint = (f"alpha = {s.alpha:.2f}, beta = {s.beta:.2f}, gamma = {s.gamma:.2f}: "
                  f"alpha &middot; beta&sup2; &middot; gamma&sup2; = {s.growth:.3f} (the paper asks for about 2)")
    stages_head = _row(("stage", "operator", "input", "layers (B0 -> now)", "channels (B0 -> now)"), header=True)
    stages = "".join(_row(r) for r in stage_rows(s))
    extra = f"<p>{html.escape(note)}</p>" if note else ""
    return (f"{_STYLE}<p>{constraint}</p>{extra}"
            f"<table class='{TABLE_CLASS}'>{head}{summary}</table>"
            f"<table class='{STAGES_CLASS}'>{stages_head}{stages}</table>")


# --------------------------------------------------------------------------- the plot

def figure(s: Snapshot, curve: dict | None = None):
    """Parameters and multiply-adds against phi, Table 2's points overlaid, this phi marked.

    Made with matplotlib's object API (no pyplot), so it never pops up by itself in a notebook.
    """
    from matplotlib.figure import Figure

    from .plots import cost_against_phi

    curve = curve or cost_curve(s.alpha, s.beta, s.gamma, s.base)
    fig = Figure(figsize=(11, 4))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.92, wspace=0.22)
    axes = fig.subplots(1, 2)
    current = {"phi": s.phi, "parameters": s.cost.parameters, "multiply_adds": s.cost.multiply_adds}
    cost_against_phi(curve, paper=table_2_points(), current=current, predicted=curve["predicted"], axes=axes)
    return fig


def png(fig, dpi: int = 80) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --------------------------------------------------------------------------- static rendering

class StaticView(NamedTuple):
    """The explorer's table and plot for one setting, shown without widgets (HTML, then a PNG)."""

    html: str
    png: bytes

    def _ipython_display_(self):
        from IPython.display import HTML, Image, display
        display(HTML(self.html))
        display(Image(data=self.png, format="png"))


def render_static(phi: float = 0.0, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> StaticView:
    """What the explorer shows at this setting (by default, its initial state), as HTML and a PNG."""
    s = snapshot(phi, alpha, beta, gamma)
    note = "A static picture of the phi explorer's default state; run the notebook to move the sliders."
    return StaticView(table_html(s, note), png(figure(s)))


# --------------------------------------------------------------------------- the widget

class PhiExplorer:
    """Sliders for phi, alpha, beta, gamma; B0..B7 buttons; a FLOPS budget mode; a table; a plot.

    Display it as the last line of a cell. Callbacks are plain methods: `update()` redraws,
    `select(k)` jumps to phi = k, `fit_budget()` sets phi from the budget slider.
    """

    def __init__(self, phi: float = 0.0, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15,
                 budget: float = 1.8, plot: bool = True):
        try:
            import ipywidgets as w
        except ImportError:
            raise ImportError("the phi explorer needs ipywidgets: `pip install ipywidgets` "
                              "(it is in the course's extras: `pip install -e .[course]`). "
                              "Without it, `render_static()` shows the same table and plot.") from None
        snapshot(phi, alpha, beta, gamma)   # refuse bad starting values here, in words
        slider = dict(step=0.01, readout_format=".2f", continuous_update=False,   # redraw on release: a PNG takes ~0.3 s
                      style={"description_width": "90px"}, layout=w.Layout(width="480px"))
        self.phi = w.FloatSlider(value=phi, min=0.0, max=PHI_MAX, description="phi", **slider)
        self.alpha = w.FloatSlider(value=alpha, min=1.0, max=2.0, description="alpha", **slider)
        self.beta = w.FloatSlider(value=beta, min=1.0, max=2.0, description="beta", **slider)
        self.gamma = w.FloatSlider(value=gamma, min=1.0, max=2.0, description="gamma", **slider)
        self.buttons = [w.Button(description=f"B{k}", layout=w.Layout(width="48px")) for k in range(8)]
        for k, button in enumerate(self.buttons):
            button.on_click(lambda _, k=k: self.select(k))
        self.reset = w.Button(description="paper's alpha, beta, gamma", layout=w.Layout(width="240px"))
        self.reset.on_click(lambda _: self.reset_coefficients())
        self.budget_mode = w.Checkbox(value=False, description="budget mode")
        self.budget = w.FloatLogSlider(value=budget, base=10, min=math.log10(0.3), max=math.log10(50), step=0.01,
                                       description="budget (B)", readout_format=".3g",
                                       style={"description_width": "90px"}, layout=w.Layout(width="480px"))
        self.table = w.HTML()
        self.table.add_class(TABLE_CLASS + "-widget")
        self.plot = w.Image(format="png", layout=w.Layout(width="880px")) if plot else None
        self._curve_key, self._curve = None, None
        self._updating = False

        self.phi.observe(self.update, names="value")
        for coefficient in (self.alpha, self.beta, self.gamma):
            coefficient.observe(self.coefficients_changed, names="value")
        self.budget.observe(self.budget_changed, names="value")
        self.budget_mode.observe(self.budget_changed, names="value")

        controls = w.VBox([self.phi, w.HBox([w.Label("jump to:"), *self.buttons]),
                           self.alpha, self.beta, self.gamma, self.reset,
                           w.HBox([self.budget_mode, self.budget])])
        self.widget = w.VBox([controls, self.table] + ([self.plot] if plot else []))
        self.widget.add_class("phi-explorer")
        self.update()

    # -- the callbacks: plain methods, so tests call them directly --------------------------------

    def snapshot(self) -> Snapshot:
        return snapshot(self.phi.value, self.alpha.value, self.beta.value, self.gamma.value)

    def update(self, change=None) -> None:
        """Recompute the network for the sliders' values and redraw the table and the plot."""
        note = ""
        if self.budget_mode.value:
            note = self._budget_note()
        s = self.snapshot()
        self.table.value = table_html(s, note)
        if self.plot is not None:
            key = (s.alpha, s.beta, s.gamma)
            if key != self._curve_key:
                self._curve_key, self._curve = key, cost_curve(*key)
            self.plot.value = png(figure(s, self._curve))

    def select(self, k: int) -> None:
        """The B`k` button: phi = k (leaves budget mode, which would move phi back)."""
        self.budget_mode.value = False
        self.phi.value = float(k)

    def reset_coefficients(self) -> None:
        """Back to the paper's alpha = 1.2, beta = 1.1, gamma = 1.15."""
        with self.widget.hold_sync():
            self.alpha.value, self.beta.value, self.gamma.value = (
                PAPER_COEFFICIENTS["alpha"], PAPER_COEFFICIENTS["beta"], PAPER_COEFFICIENTS["gamma"])

    def coefficients_changed(self, change=None) -> None:
        """alpha, beta or gamma moved: a new curve, and in budget mode a new phi."""
        self.budget_changed()

    def budget_changed(self, change=None) -> None:
        """In budget mode, move phi to fit the budget; redraw (once: a phi move redraws by itself)."""
        before = self.phi.value
        if not (self.budget_mode.value and self.fit_budget() not in (None, before)):
            self.update()

    def fit_budget(self) -> float | None:
        """Budget mode: the largest phi (to 0.01) whose network fits the budget; None if none fits."""
        try:
            phi = phi_for_budget(self.budget.value * 1e9, alpha=self.alpha.value, beta=self.beta.value,
                                 gamma=self.gamma.value)
        except ValueError:
            return None
        phi = min(math.floor(phi * 100) / 100, PHI_MAX)
        self.phi.value = phi      # triggers update()
        return phi

    def _budget_note(self) -> str:
        budget = self.budget.value * 1e9
        base = cost(B0).multiply_adds
        if budget < base:
            return (f"Budget mode: {budget:,.0f} multiply-adds is below B0's own {base:,}; "
                    f"raise the budget.")
        s = self.snapshot()
        capped = " (capped at the slider's phi = 7)" if s.phi >= PHI_MAX else ""
        return (f"Budget mode: {budget:,.0f} multiply-adds allow phi = {s.phi:.2f}{capped}, a network of "
                f"{s.cost.multiply_adds:,} multiply-adds ({s.cost.multiply_adds / budget:.0%} of the budget).")

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
