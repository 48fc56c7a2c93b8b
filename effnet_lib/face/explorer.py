"""The phi explorer: move phi, alpha, beta, gamma and watch B0 grow by Eq. 3 (Table 2, live).

Everything the widget shows comes from plain functions in their own modules: `phi_state.snapshot`
(the numbers for one setting), `phi_tables` (those numbers as HTML tables), `phi_budget.fit_budget`
(the phi a FLOPS budget allows) and `phi_plot.CostPlot` (the picture). `PhiExplorer` only wires
widgets to them, and its callbacks are ordinary methods, so tests set a slider's value in Python and
read the table back, no browser needed. Displayed, the explorer carries a static rendering of its
first state beside the live widget (`face.static`), so a reader without a kernel sees its table and
plot, not widget text; `render_static()` draws that rendering on its own.

Costs come from `effnet_lib.cost`, which counts the stage table without building a model, and the
plot redraws only what moved, so the explorer follows a dragged slider: tests/test_browser.py
measures how fast, in JupyterLab.
"""
from __future__ import annotations

import html
from typing import NamedTuple

from ..rules.paper import ALPHA, BETA, GAMMA
from .phi_budget import budget_note, fit_budget
from .phi_plot import CostPlot
from .phi_state import PHI_MAX, Snapshot, cost_curve, snapshot
from .phi_tables import TABLE_CLASS, constraint_html, stages_html, summary_html, table_html
from .static import img_tag, side_by_side, static_bundle, widget_bundle


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
