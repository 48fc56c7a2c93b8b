"""The paper's figures, drawn from plain data: lists, dicts and `Network.rows()`, never models.

Each function returns a matplotlib Figure and accepts `axes` to draw into a figure of your own
(the phi explorer does, to render without pyplot). Titles name the paper's figure or table that
the picture reproduces, so a reader can put the two side by side.
"""
from __future__ import annotations

import math
from typing import Mapping, NamedTuple, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import LogLocator, NullFormatter

from .drawing import figure_panels, require
from .style import COLOURS, SYMBOLS, plain_log_labels

# The exponent with which a plain convolution's multiply-adds grow in each dimension (Section 3.3).
EXPONENTS = {"width": 2, "depth": 1, "resolution": 2}


def cost_against_phi(curve: Mapping, paper: Mapping | None = None, current: Mapping | None = None,
                     predicted: Sequence[float] | None = None, axes=None) -> Figure:
    """Parameters and multiply-adds against phi (Table 2 as curves), log scale.

    curve:     {"phi": [...], "parameters": [...], "multiply_adds": [...]} of the compound rule;
    paper:     the same keys plus "labels" (e.g. "B3"): Table 2's printed points, drawn as markers;
    current:   {"phi", "parameters", "multiply_adds"} of one network, drawn as a big dot;
    predicted: multiply-adds that (alpha * beta^2 * gamma^2)^phi predicts, drawn dashed.
    """
    require(curve, ("phi", "parameters", "multiply_adds"), "the compound curve")
    fig, (left, right) = figure_panels(axes, 2, (11, 4))
    for ax, key, unit, scale in ((left, "parameters", "parameters (millions)", 1e6),
                                 (right, "multiply_adds", "FLOPS = multiply-adds (billions)", 1e9)):
        ax.plot(curve["phi"], [v / scale for v in curve[key]], color=COLOURS["compound"],
                label="compound rule (Eq. 3), from the library")
        if predicted is not None and key == "multiply_adds":
            ax.plot(curve["phi"], [v / scale for v in predicted], color="grey", linestyle="--",
                    label=r"B0 $\times (\alpha\beta^2\gamma^2)^\phi$")
        if paper is not None:
            require(paper, ("phi", "parameters", "multiply_adds", "labels"), "the paper's points")
            ax.scatter(paper["phi"], [v / scale for v in paper[key]], marker="s", color="black",
                       zorder=3, label="Table 2 as printed (B$k$ at $\\phi = k$)")
            for x, y, text in zip(paper["phi"], paper[key], paper["labels"]):
                ax.annotate(text, (x, y / scale), textcoords="offset points", xytext=(-6, 7), fontsize=8)
        if current is not None:
            ax.scatter([current["phi"]], [current[key] / scale], s=90, color=COLOURS["compound"],
                       edgecolor="black", zorder=4, label=f"phi = {current['phi']:.2f}")
        ax.set_yscale("log")
        plain_log_labels(ax.yaxis)
        ax.set_xlabel(r"compound coefficient $\phi$")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    left.set_title("Parameters against phi: Eq. 3 and Table 2's models")
    right.set_title("FLOPS against phi: Eq. 3 and Table 2's models")
    return fig


def dimension_costs(sweeps: Mapping[str, Mapping], log: bool = False, axes=None) -> Figure:
    """Multiply-adds of a network scaled in one dimension at a time, one panel per dimension.

    sweeps: {"width" | "depth" | "resolution": {"multiplier": [...], "multiply_adds": [...]}}.
    Each panel also draws the ideal power law, first point times multiplier^(2, 1, 2), dashed: how a
    plain convolution's cost grows. With `log=True` both axes are logarithmic, so the law is a line.
    The cost side only: the paper's Figure 3 plots ImageNet accuracy against FLOPS, which no count gives,
    so the titles do not borrow its name.
    """
    names = [n for n in EXPONENTS if n in sweeps]
    if not names or set(sweeps) - set(EXPONENTS):
        raise ValueError(f"sweeps must be keyed by some of {list(EXPONENTS)}, got {list(sweeps)}.")
    fig, panels = figure_panels(axes, len(names), (4 * len(names), 3.6))
    for ax, name in zip(panels, names):
        data = sweeps[name]
        require(data, ("multiplier", "multiply_adds"), f"the {name} sweep")
        xs, ys = data["multiplier"], [v / 1e9 for v in data["multiply_adds"]]
        base_x, base_y = xs[0], ys[0]
        law = [base_y * (x / base_x) ** EXPONENTS[name] for x in xs]
        ax.plot(xs, ys, "o-", color=COLOURS[name], label="library cost model")
        ax.plot(xs, law, "--", color="grey", label=f"${SYMBOLS[name]}^{EXPONENTS[name]}$ law")
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            plain_log_labels(ax.xaxis)
            plain_log_labels(ax.yaxis)
            # Less than a decade per axis: label x at the multipliers themselves, y at 1, 2, 4, 6 x 10^k,
            # so each axis carries at least three numbers.
            ax.set_xticks(xs)
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 4.0, 6.0)))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"{name} multiplier ${SYMBOLS[name]}$")
        ax.set_ylabel("multiply-adds (billions)")
        ax.set_title(f"Cost of scaling {name} alone (${SYMBOLS[name]}$)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def stage_diagram(rows: Sequence[Mapping], title: str = "EfficientNet-B0", axes=None) -> Figure:
    """Table 1 as a picture: one box per stage, as wide as its layers, as tall as its channels (log).

    rows: `Network.rows()`, dicts with "stage", "operator", "image_size", "channels", "layers".
    The colour is the input resolution of the stage: the picture shows channels growing while the
    image shrinks.
    """
    for row in rows:
        require(row, ("stage", "operator", "image_size", "channels", "layers"), "a stage row")
    fig, (ax,) = figure_panels(axes, 1, (12, 4.2))
    colours = plt.get_cmap("viridis")
    top = max(r["image_size"] for r in rows)
    x = 0.0
    for row in rows:
        shade = colours(math.log(row["image_size"]) / math.log(top))
        ax.add_patch(Rectangle((x, 0), row["layers"], row["channels"], facecolor=shade,
                               edgecolor="black", alpha=0.85))
        ax.text(x + row["layers"] / 2, row["channels"] * 1.15,
                f"{row['operator']}\n{row['image_size']}x{row['image_size']}, {row['channels']} ch, "
                f"x{row['layers']}", ha="center", va="bottom", fontsize=7, rotation=90)
        x += row["layers"]
    ax.set_xlim(0, x)
    ax.set_yscale("log")
    ax.set_ylim(min(r["channels"] for r in rows) / 2, max(r["channels"] for r in rows) * 40)
    ax.set_xlabel("layers, in order (each box is one stage, as wide as its number of layers)")
    ax.set_ylabel("output channels (log)")
    ax.set_title(f"Table 1 as a picture: {title} (colour: input resolution, bright = large)")
    return fig


def scaling_picture(networks: Mapping[str, Sequence[Mapping]], axes=None) -> Figure:
    """Figure 2's five panels drawn from real stage tables: baseline, wider, deeper, finer, compound.

    networks: {panel title: `Network.rows()`}. Every layer is a bar whose length grows with the
    square root of its channels; the square under the stack is the input image, its side
    proportional to the resolution. All panels share one scale, so they compare at a glance.
    """
    if not networks:
        raise ValueError("give at least one network: {title: Network.rows()}.")
    fig, panels = figure_panels(axes, len(networks), (2.6 * len(networks), 6))
    layers = {t: [r for r in rows for _ in range(r["layers"])] for t, rows in networks.items()}
    tallest = max(len(v) for v in layers.values())
    widest = max(math.sqrt(r["channels"]) for v in layers.values() for r in v)
    largest = max(rows[0]["image_size"] for rows in networks.values())
    for ax, (title, stack) in zip(panels, layers.items()):
        side = 0.9 * widest * stack[0]["image_size"] / largest
        ax.add_patch(Rectangle((-side / 2, -side - 1), side, side, facecolor="lightgrey", edgecolor="black"))
        ax.text(0, -side / 2 - 1, f"{stack[0]['image_size']} px", ha="center", va="center", fontsize=8)
        for i, row in enumerate(stack):
            length = math.sqrt(row["channels"])
            ax.add_patch(Rectangle((-length / 2, i), length, 0.8, facecolor=COLOURS["width"], alpha=0.7))
        ax.set_xlim(-widest / 2 - 1, widest / 2 + 1)
        ax.set_ylim(-widest - 2, tallest + 1)
        ax.set_aspect("equal")   # a square image stays square
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle("Figure 2: model scaling, drawn from the library's stage tables "
                 "(bar length ~ sqrt(channels), square ~ resolution)")
    return fig


def candidate_grid(candidates: Sequence[Mapping], chosen: Mapping | None = None, axes=None) -> Figure:
    """A grid of alpha, beta, gamma for Section 3.3's step 1, with what each candidate really costs.

    candidates: dicts with "alpha", "beta", "gamma", "growth" (alpha * beta^2 * gamma^2) and
    "ratio" (the candidate network's multiply-adds at phi = 1 over B0's). Left: every candidate in
    the (alpha, gamma) plane coloured by beta; candidates that share an (alpha, gamma) stand side by
    side, so none hides another. Right: the promised growth against the real one, with the line where
    they would be equal. chosen: the paper's (alpha, beta, gamma), marked with a star. The grid
    (its step, range and tolerance) is the caller's: the paper names none.
    """
    if not candidates:
        raise ValueError("no candidates to draw; widen the grid's tolerance.")
    for c in candidates:
        require(c, ("alpha", "beta", "gamma", "growth", "ratio"), "a candidate")
    fig, (left, right) = figure_panels(axes, 2, (11, 4.4))
    xs = dodged([(c["alpha"], c["gamma"]) for c in candidates], [c["beta"] for c in candidates],
                width=0.7 * min_step([c["alpha"] for c in candidates]))
    points = left.scatter(xs, [c["gamma"] for c in candidates], c=[c["beta"] for c in candidates],
                          cmap="viridis", s=30, edgecolor="black", linewidth=0.3)
    fig.colorbar(points, ax=left, label=r"$\beta$ (width)", pad=0.02)
    left.set_xlabel(r"$\alpha$ (depth); candidates sharing ($\alpha$, $\gamma$) stand side by side")
    left.set_ylabel(r"$\gamma$ (resolution)")
    left.set_title(f"A grid for step 1: {len(candidates)} candidates with " + r"$\alpha\beta^2\gamma^2 \approx 2$")
    right.scatter([c["growth"] for c in candidates], [c["ratio"] for c in candidates], s=25, color="tab:purple",
                  label="a candidate")
    promised = [c["growth"] for c in candidates] + ([chosen["growth"]] if chosen else [])
    margin = 0.1 * (max(promised) - min(promised) or 0.1)
    span = [min(promised) - margin, max(promised) + margin]
    right.plot(span, span, "--", color="grey", label="real = promised")
    right.set_xlim(*span)
    low, high = min(span[0], *(c["ratio"] for c in candidates)), max(c["ratio"] for c in candidates)
    right.set_ylim(low - 0.05 * (high - low), high + 0.2 * (high - low))     # room above for the legend
    right.set_xlabel(r"promised FLOPS growth $\alpha\beta^2\gamma^2$")
    right.set_ylabel("real multiply-adds at phi = 1 / B0's")
    right.set_title("Each candidate's real cost (library)")
    if chosen is not None:
        require(chosen, ("alpha", "beta", "gamma", "growth", "ratio"), "the chosen point")
        same = [x for x, c in zip(xs, candidates)
                if all(abs(c[k] - chosen[k]) < 1e-9 for k in ("alpha", "beta", "gamma"))]
        left.scatter(same[:1] or [chosen["alpha"]], [chosen["gamma"]], marker="*", s=300, color="tab:red",
                     edgecolor="black", label=f"paper: ({chosen['alpha']}, {chosen['beta']}, {chosen['gamma']})")
        right.scatter([chosen["growth"]], [chosen["ratio"]], marker="*", s=300, color="tab:red",
                      edgecolor="black", label="paper's choice")
        left.legend(fontsize=8)
    right.legend(fontsize=8, loc="upper left", ncol=3)
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    return fig


def min_step(values: Sequence[float]) -> float:
    """The smallest gap between two different values (1.0 when all are equal): a grid's step.

    >>> round(min_step([1.05, 1.2, 1.1, 1.05]), 2)
    0.05
    """
    ordered = sorted(set(values))
    return min((b - a for a, b in zip(ordered, ordered[1:])), default=1.0)


def dodged(positions: Sequence[tuple[float, float]], order: Sequence[float], width: float) -> list[float]:
    """x for each point, moved sideways within `width` where several share one (x, y), so none hides another.

    Points that share a position are spread evenly in the order of `order` (e.g. beta, smallest left).

    >>> dodged([(1.0, 2.0), (1.0, 2.0), (1.5, 2.0)], [1.1, 1.05, 1.0], width=0.2)
    [1.05, 0.95, 1.5]
    """
    groups: dict[tuple[float, float], list[int]] = {}
    for i, position in enumerate(positions):
        groups.setdefault(position, []).append(i)
    xs = [x for x, _ in positions]
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda i: order[i])
            gap = width / len(members)
            for k, i in enumerate(members):
                xs[i] = round(positions[i][0] + (k - (len(members) - 1) / 2) * gap, 12)
    return xs


class Table(NamedTuple):
    """Rows shown as a Markdown table in a notebook (and as plain text elsewhere)."""

    headers: tuple
    rows: tuple

    def _repr_markdown_(self) -> str:
        cells = lambda row: "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"  # noqa: E731
        return "\n".join([cells(self.headers), cells(["---"] * len(self.headers)), *map(cells, self.rows)])

    def __str__(self) -> str:
        widths = [max(len(str(r[i])) for r in (self.headers, *self.rows)) for i in range(len(self.headers))]
        return "\n".join("  ".join(f"{str(c):>{w}}" for c, w in zip(r, widths)) for r in (self.headers, *self.rows))


def table(headers: Sequence[str], rows: Sequence[Sequence]) -> Table:
    """A small table of computed values for a notebook: `table(["net", "params"], [("b0", "5,288,548")])`."""
    rows = tuple(tuple(r) for r in rows)
    wrong = [r for r in rows if len(r) != len(headers)]
    if wrong:
        raise ValueError(f"every row needs {len(headers)} cells ({list(headers)}); this one has {len(wrong[0])}: {wrong[0]}")
    return Table(tuple(headers), rows)

