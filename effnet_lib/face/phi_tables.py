"""The phi explorer's tables as HTML: the scaled network against B0 (and the published Bk), per stage.

    summary_rows, summary_html  depth, width, resolution, layers, parameters, multiply-adds (class `TABLE_CLASS`)
    stage_rows, stages_html     each stage's repeats and channels, B0 -> scaled (class `STAGES_CLASS`)
    constraint_html             alpha, beta, gamma and alpha * beta^2 * gamma^2
    table_html                  all of them, what a page without widgets shows

The class names are the browser test's handles (tests/test_browser.py).
"""
from __future__ import annotations

import html

from ..rules.cost import cost
from ..rules.families import EFFICIENTNET, network
from .phi_state import Snapshot

TABLE_CLASS = "phi-explorer-table"
STAGES_CLASS = "phi-explorer-stages"
_STYLE = ("<style>.phi-explorer-table td, .phi-explorer-table th, .phi-explorer-stages td, "
          ".phi-explorer-stages th {padding: 1px 4px; text-align: right; line-height: 1.3; font-size: 11.5px;}"
          ".phi-explorer-table td:first-child, .phi-explorer-stages td:nth-child(2) {text-align: left; white-space: nowrap;}"
          ".phi-explorer-table th, .phi-explorer-stages th {border-bottom: 1px solid #999;}</style>")


def _row(cells, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def count(value: int) -> str:
    """A count with thousands separators, up to twelve digits; beyond, four significant digits, so the
    table keeps its five columns inside the explorer's column however far the sliders go.

    >>> count(5_288_548), count(1_342_850_071_312)
    ('5,288,548', '1.343e+12')
    """
    return f"{value:,}" if value < 1e12 else f"{value:.3e}"


def times(ratio: float) -> str:
    """A ratio to B0, as short as its size allows.

    >>> times(2.6604), times(3480.56), times(14838830.5)
    ('2.66x', '3,481x', '1.48e+07x')
    """
    return f"{ratio:.2f}x" if ratio < 1000 else f"{ratio:,.0f}x" if ratio < 1e6 else f"{ratio:.2e}x"


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
        ("depth d = α^φ", f"{m.depth:.3f}", "1", times(m.depth)),
        ("width w = β^φ", f"{m.width:.3f}", "1", times(m.width)),
        ("resolution r = γ^φ", f"{m.resolution:.3f}", "1", times(m.resolution)),
        ("image size (px)", f"{net.image_size}", f"{b0.image_size}", times(net.image_size / b0.image_size)),
        ("layers (blocks)", f"{net.num_blocks}", f"{b0.num_blocks}", times(net.num_blocks / b0.num_blocks)),
        ("parameters", count(s.cost.parameters), count(s.base_cost.parameters),
         times(s.cost.parameters / s.base_cost.parameters)),
        ("multiply-adds", count(s.cost.multiply_adds), count(s.base_cost.multiply_adds), times(s.ratio)),
        ("(αβ²γ²)^φ", f"{s.growth:.3f}^{s.phi:.2f}", "", f"{times(s.predicted_ratio)} predicted"),
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
