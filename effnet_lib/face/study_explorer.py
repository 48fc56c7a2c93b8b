"""An explorable on the accuracy side: pick a budget, predict which way of scaling wins, then reveal.

The phi explorer (notebook 3) shows what scaling costs; this widget shows what it bought in the course's
stored study. The student picks a budget (one of the study's compound points, about 2x or 4x the base's
multiply-adds), predicts which of depth, width, resolution and compound scaling ends most accurate there,
and only then sees the accuracies, each with its 95% interval, and the verdict of the course's one interval
rule (`results.analysis`): a prediction counts as right when the predicted strategy is the best or not
separable from it. A second view draws the saturation curves: accuracy against cost for each dimension.

Everything shown is computed by :func:`budget_view` and :func:`saturation_figure` from the run records;
:class:`StudyExplorer` only wires the controls. Displayed, it carries a static picture of its default state
(the first budget, no prediction yet, so the answer is not given away) for readers without a kernel.
"""
from __future__ import annotations

import html
from typing import NamedTuple, Sequence

from ..results import analysis
from ..results.analysis import Interval, NetworkSummary
from ..results.records import RunRecord
from ..rules.vocabulary import SCALINGS, SINGLE_DIMENSIONS
from .objective import png
from .static import static_bundle, widget_bundle
from .style import COLOURS, SYMBOLS

STATIC_TEXT = "the study explorer: pick a budget and predict, then reveal (needs a running kernel)"


class Choice(NamedTuple):
    """One strategy at one budget: its network over its seeds and its 95% interval."""

    summary: NetworkSummary
    interval: Interval


class BudgetView(NamedTuple):
    """Everything the widget shows for one budget (a compound point of the study)."""

    group: str                    # "phi=1"
    cost_ratio: float             # the compound model's multiply-adds over the base's
    choices: dict                 # {strategy: Choice}
    best: str                     # the strategy with the highest mean
    tied: tuple[str, ...]         # strategies not separable from the best (their gap's interval includes zero)

    def judge(self, prediction: str) -> str:
        """A sentence on the student's prediction, judged by the interval rule."""
        if prediction not in self.choices:
            raise ValueError(f"predict one of {', '.join(self.choices)}, got {prediction!r}.")
        if prediction == self.best:
            return f"Right: {prediction} ends most accurate at {self.group}."
        if prediction in self.tied:
            return (f"Not separable: {self.best} has the highest mean, but {prediction} is within noise of it "
                    f"(the 95% interval of their gap includes zero).")
        return f"Not this time: {self.best} ends most accurate, and {prediction} is behind it beyond noise."

    def question_html(self) -> str:
        """The budget's networks and costs, without their accuracies (shown before the student predicts)."""
        rows = "".join(
            f"<tr><td>{html.escape(s)}</td><td>{_multipliers(c.summary)}</td><td>{c.summary.image_size} px</td>"
            f"<td>{c.summary.cost_ratio:.2f}x</td></tr>" for s, c in self.choices.items())
        return (f"<p><b>Budget {html.escape(self.group)}</b>: about {self.cost_ratio:.1f}x the base's multiply-adds. "
                "Which of these ends most accurate?</p><table><tr><th>strategy</th><th>multipliers</th>"
                f"<th>input</th><th>multiply-adds</th></tr>{rows}</table>")

    def answer_html(self, prediction: str | None) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(s)}</td><td>{100 * c.summary.mean:.2f}%</td>"
            f"<td>[{100 * c.interval.low:.2f}, {100 * c.interval.high:.2f}]</td><td>{c.summary.n}</td></tr>"
            for s, c in sorted(self.choices.items(), key=lambda item: -item[1].summary.mean))
        verdict = f"<p><b>{html.escape(self.judge(prediction))}</b></p>" if prediction else ""
        return (f"{verdict}<table><tr><th>strategy</th><th>test accuracy (mean)</th><th>95% interval</th>"
                f"<th>seeds</th></tr>{rows}</table>")

    def figure(self):
        """The accuracies as bars with their intervals, on an axis that starts where the data does and says so."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.4), layout="constrained")
        ax = fig.subplots()
        names = list(self.choices)
        means = [100 * self.choices[s].summary.mean for s in names]
        halves = [100 * self.choices[s].interval.half_width for s in names]
        ax.errorbar(range(len(names)), means, yerr=halves, fmt="none", ecolor="black", capsize=4)
        ax.scatter(range(len(names)), means, c=[COLOURS[s] for s in names], s=60, zorder=3)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{self.group}: about {self.cost_ratio:.1f}x the base's multiply-adds (dots: means; bars: 95% "
                     "intervals)\nthe axis spans the data, not zero: read the gaps against the bars", fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        return fig


def _multipliers(s: NetworkSummary) -> str:
    if s.strategy == "compound":
        return f"d={s.depth:.2f}, w={s.width:.2f}, r={s.resolution:.2f}"
    dimension = s.strategy
    return f"{SYMBOLS[dimension]}={getattr(s, dimension):.2f}"


def budget_view(records: Sequence[RunRecord], group: str) -> BudgetView:
    """The four strategies at one compound point of a study, with intervals and the best of them."""
    summaries = analysis.summarize(records)
    noise = analysis.noise(summaries)
    members = {s.strategy: s for s in summaries if s.group == group and s.strategy in SCALINGS}
    if "compound" not in members:
        groups = sorted({s.group for s in summaries if s.strategy == "compound"})
        raise ValueError(f"the study has no compound model at {group!r}; its budgets are {groups}.")
    choices = {s: Choice(members[s], analysis.mean_interval(members[s], noise)) for s in SCALINGS if s in members}
    best = max(choices, key=lambda s: choices[s].summary.mean)
    tied = tuple(s for s in choices if s != best
                 and not analysis.difference(choices[best].summary, choices[s].summary, noise).beyond_noise)
    return BudgetView(group, members["compound"].cost_ratio, choices, best, tied)


def budgets(records: Sequence[RunRecord]) -> list[str]:
    """The study's compound points, cheapest first: the budgets a student can pick."""
    compound = [s for s in analysis.summarize(records) if s.strategy == "compound"]
    return [s.group for s in sorted(compound, key=lambda s: s.multiply_adds)]


def saturation_figure(records: Sequence[RunRecord]):
    """Accuracy against cost for each dimension alone (and compound), on one axes: where does each flatten?"""
    from matplotlib.figure import Figure

    summaries = analysis.summarize(records)
    noise = analysis.noise(summaries)
    curves = analysis.single_dimension_curves(summaries)
    base = [s for s in summaries if s.strategy == "baseline"]
    curves["compound"] = base + [s for s in summaries if s.strategy == "compound"]
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    for name in (*SINGLE_DIMENSIONS, "compound"):
        points = sorted(curves[name], key=lambda s: s.cost_ratio)
        ax.errorbar([s.cost_ratio for s in points], [100 * s.mean for s in points],
                    yerr=[100 * analysis.mean_interval(s, noise).half_width for s in points],
                    fmt="s-" if name == "compound" else "o-", color=COLOURS[name], capsize=3, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("multiply-adds, times the base's (log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Saturation: accuracy against cost per way of scaling (bars: 95% intervals)", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, alpha=0.3)
    return fig


class StaticView(NamedTuple):
    html: str
    png: bytes

    def _repr_mimebundle_(self, include=None, exclude=None):
        return static_bundle(self.html, self.png, STATIC_TEXT)


def render_static(records: Sequence[RunRecord]) -> StaticView:
    """The default state without a kernel: the first budget's question and the saturation view."""
    first = budget_view(records, budgets(records)[0])
    return StaticView(first.question_html() + "<p><i>Run the notebook to predict and reveal.</i></p>",
                      png(saturation_figure(records)))


class StudyExplorer:
    """The widget: a budget, a prediction, a reveal button; the answer and the saturation view."""

    def __init__(self, records: Sequence[RunRecord]):
        import ipywidgets as widgets

        self.records = list(records)
        options = budgets(self.records)
        if not options:
            raise ValueError("the study has no compound models yet; there is no budget to choose.")
        self.budget = widgets.Dropdown(options=options, description="budget")
        self.prediction = widgets.ToggleButtons(options=list(SCALINGS), value=None, description="I predict")
        self.reveal = widgets.Button(description="reveal", disabled=True)
        self.question = widgets.HTML()
        self.answer = widgets.HTML()
        self.picture = widgets.Image(format="png")
        self.saturation = widgets.Image(format="png", value=png(saturation_figure(self.records)))
        self.show_saturation = widgets.Checkbox(description="show the saturation view", value=False)
        self.budget.observe(lambda _: self.ask(), names="value")
        self.prediction.observe(lambda change: setattr(self.reveal, "disabled", change["new"] is None), names="value")
        self.reveal.on_click(lambda _: self.show())
        self.show_saturation.observe(lambda _: self._layout(), names="value")
        self.box = widgets.VBox([widgets.HBox([self.budget, self.reveal]), self.prediction, self.question,
                                 self.answer, self.picture, self.show_saturation])
        self.ask()

    def ask(self) -> None:
        """A new budget: its question, no answer until the student predicts and reveals."""
        self.view = budget_view(self.records, self.budget.value)
        self.question.value = self.view.question_html()
        self.answer.value = ""
        self.picture.value = b""
        self.prediction.value = None

    def show(self) -> None:
        self.answer.value = self.view.answer_html(self.prediction.value)
        self.picture.value = png(self.view.figure())

    def _layout(self) -> None:
        children = list(self.box.children)
        if self.show_saturation.value and self.saturation not in children:
            children.append(self.saturation)
        elif not self.show_saturation.value and self.saturation in children:
            children.remove(self.saturation)
        self.box.children = children

    def _repr_mimebundle_(self, include=None, exclude=None):
        static = render_static(self.records)
        return {**static._repr_mimebundle_(), **widget_bundle(self.box)}
