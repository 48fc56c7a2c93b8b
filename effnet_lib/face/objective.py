"""A small widget for Section 4's search objective: move w and T, see which B`k` the objective prefers.

`view(target, w)` computes everything shown (a table and a picture) as plain data; `ObjectiveExplorer`
wires a w slider and a T slider (with a box to type T) to it. A value the objective cannot use
(T <= 0, w > 0) is answered with a message in the widget, and the last good table and picture stay.
Displayed, the widget carries a static picture of its state in the same output, for readers without a
kernel; `render_static()` draws that picture on its own.
"""
from __future__ import annotations

import html
import io
import math
from typing import Mapping, NamedTuple

from ..rules.search import PAPER_TARGET, PAPER_W, Candidate, check_settings, scores, table_2_candidates
from .static import static_bundle, widget_bundle

W_RANGE = (-0.25, 0.05)         # the slider reaches past 0, so a reader can see why w > 0 is refused
TARGET_RANGE = (1e8, 1e11)      # 100M to 100B multiply-adds
STATIC_TEXT = "the search objective's scores, drawn without a kernel"
_STYLE = "<style>.objective-table td, .objective-table th {padding: 2px 8px; text-align: right;}</style>"


class View(NamedTuple):
    """What the widget shows for one (T, w): the candidates with their scores, and the winner."""

    target: float
    w: float
    candidates: dict          # {name: {"accuracy", "multiply_adds", "score"}}
    preferred: str

    def table_html(self, note: str = "") -> str:
        head = "".join(f"<th>{h}</th>" for h in ("model", "top-1 (Table 2, v5)", "multiply-adds (library)",
                                                   "(FLOPS / T)^w", "score", "rank"))
        order = sorted(self.candidates, key=lambda n: -self.candidates[n]["score"])
        body = ""
        for name, c in self.candidates.items():
            bold = ("<b>", "</b>") if name == self.preferred else ("", "")
            cells = (name.upper(), f"{c['accuracy']:.1f}%", f"{c['multiply_adds'] / 1e9:.3f}B",
                     f"{(c['multiply_adds'] / self.target) ** self.w:.3f}", f"{c['score']:.2f}",
                     order.index(name) + 1)
            body += "<tr>" + "".join(f"<td>{bold[0]}{html.escape(str(x))}{bold[1]}</td>" for x in cells) + "</tr>"
        summary = (f"T = {self.target / 1e6:,.0f}M multiply-adds, w = {self.w:g}: the objective prefers "
                   f"<b>{self.preferred.upper()}</b>. Doubling a model's FLOPS multiplies its score by "
                   f"2^w = {2 ** self.w:.3f}.")
        extra = f"<p style='color:#b00'>{html.escape(note)}</p>" if note else ""
        return f"{_STYLE}{extra}<p>{summary}</p><table class='objective-table'><tr>{head}</tr>{body}</table>"

    def figure(self):
        """The picture, made without pyplot so that it never shows by itself."""
        from matplotlib.figure import Figure

        from .lessons import objective_picture

        fig = Figure(figsize=(11, 4.2), layout="constrained")
        objective_picture(self.candidates, self.target, self.w, axes=fig.subplots(1, 2))
        return fig


def png(fig, dpi: int = 80) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class StaticView(NamedTuple):
    """The widget's table and picture for one setting, as HTML with the PNG embedded (no kernel needed)."""

    html: str
    png: bytes

    def _repr_mimebundle_(self, include=None, exclude=None):
        return static_bundle(self.html, self.png, STATIC_TEXT)


def view(target: float = PAPER_TARGET, w: float = PAPER_W,
         candidates: Mapping[str, Candidate] | None = None) -> View:
    """Score the candidates (default: B0..B7 from Table 2) at this T and w; refuses T <= 0 and w > 0."""
    check_settings(target, w)
    candidates = dict(candidates or table_2_candidates())
    ranked = scores(candidates, target, w)
    data = {n: {"accuracy": c.accuracy, "multiply_adds": c.multiply_adds, "score": ranked[n]}
            for n, c in candidates.items()}
    return View(float(target), float(w), data, max(ranked, key=ranked.get))


def render_static(target: float = PAPER_TARGET, w: float = PAPER_W) -> StaticView:
    """The widget's table and picture at this setting (by default its starting state), without widgets."""
    v = view(target, w)
    note = "A static picture of the objective widget's default state; run the notebook to move w and T."
    return StaticView(v.table_html() + f"<p><i>{note}</i></p>", png(v.figure()))


class ObjectiveExplorer:
    """A w slider, a T slider and a box to type T; a table and a picture of the scores.

    Callbacks are plain methods: `update()` recomputes from the controls. Tests set a control's
    value and read `message.value`, `table.value` back.
    """

    def __init__(self, target: float = PAPER_TARGET, w: float = PAPER_W, plot: bool = True):
        try:
            import ipywidgets as widgets
        except ImportError:
            raise ImportError("the objective widget needs ipywidgets: `pip install ipywidgets`. Without it, "
                              "`render_static()` shows the same table and picture.") from None
        self.current = view(target, w)        # refuse bad starting values here, in words
        style = {"description_width": "160px"}
        self.w = widgets.FloatSlider(value=w, min=W_RANGE[0], max=W_RANGE[1], step=0.005, readout_format=".3f",
                                     description="w (trade-off)", continuous_update=False, style=style,
                                     layout=widgets.Layout(width="520px"))
        # The slider has no readout of its own: the box beside it shows T, in millions, and follows it.
        self.target = widgets.FloatLogSlider(value=target, base=10, min=math.log10(TARGET_RANGE[0]),
                                             max=math.log10(TARGET_RANGE[1]), step=0.01, readout=False,
                                             description="T (slide)", continuous_update=False,
                                             style=style, layout=widgets.Layout(width="480px"))
        self.typed_target = widgets.FloatText(value=target / 1e6, description="or type T (millions)",
                                              style=style, layout=widgets.Layout(width="300px"))
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="880px")) if plot else None
        self.w.observe(self.update, names="value")
        self.target.observe(self._slider_moved, names="value")
        self.typed_target.observe(self._target_typed, names="value")
        self.widget = widgets.VBox([self.w, widgets.HBox([self.target, self.typed_target]), self.message,
                                    self.table] + ([self.plot] if plot else []))
        self.update()

    def _slider_moved(self, change=None) -> None:
        if not math.isclose(self.typed_target.value * 1e6, self.target.value, rel_tol=1e-6):
            self.typed_target.value = round(self.target.value / 1e6, 3)   # the box follows the slider
        self.update()

    def _target_typed(self, change=None) -> None:
        typed = self.typed_target.value * 1e6
        if typed > 0 and TARGET_RANGE[0] <= typed <= TARGET_RANGE[1] and typed != self.target.value:
            self.target.value = typed            # the slider follows, and redraws
        else:
            self.update()                        # out of the slider's range: use the typed value as it is

    def settings(self) -> tuple[float, float]:
        """(T, w) from the controls: the typed T when it differs from the slider's."""
        typed = self.typed_target.value * 1e6
        target = self.target.value if math.isclose(typed, self.target.value, rel_tol=1e-3) else typed
        return target, self.w.value

    def update(self, change=None) -> None:
        """Recompute for the controls' values; on a value the objective refuses, say why and keep the last view."""
        target, w = self.settings()
        try:
            self.current = view(target, w)
        except ValueError as error:
            self.message.value = (f"<p style='color:#b00'><b>Not used:</b> {html.escape(str(error))} "
                                  f"Still showing T = {self.current.target / 1e6:,.0f}M, w = {self.current.w:g}.</p>")
            return
        self.message.value = ""
        self.table.value = self.current.table_html()
        if self.plot is not None:
            self.plot.value = png(self.current.figure())

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The live widget and, in the same output, a static picture of its state now: a reader whose
        notebook has no running kernel sees the picture instead of the widget's text."""
        return {**static_bundle(self.current.table_html(), png(self.current.figure()), STATIC_TEXT),
                **widget_bundle(self.widget)}
