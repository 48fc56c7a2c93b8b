"""One look for every figure of the course: a colour and a symbol per scaling strategy, and
log axes labelled with plain numbers.

`plots` (figures drawn from the rules) and `study_plots` (figures drawn from trained results)
both import these, so depth is the same orange in notebook 2's cost curves and in notebook 5's
accuracy curves.
"""
from __future__ import annotations

import math

from matplotlib.ticker import FuncFormatter

COLOURS = {"width": "tab:blue", "depth": "tab:orange", "resolution": "tab:green", "compound": "tab:red",
           "baseline": "black"}
SYMBOLS = {"width": "w", "depth": "d", "resolution": "r"}
# Figure 4's four (depth, resolution) bases, drawn in this order.
BASE_COLOURS = ("tab:blue", "tab:purple", "tab:orange", "tab:red")


def plain_log_labels(axis) -> None:
    """Label a log axis 0.5, 1, 2, 5, 10 rather than 5 x 10^-1: easier to read off.

    Minor ticks are labelled too, as many as the axis has room for: at 2 and 5 of each decade on a
    wide axis, at 2, 3 and 5 on one spanning a decade or two, and on an axis that spans less than a
    decade at 2, 3, 4 and 5, so a narrow axis still carries three or more numbers.
    """
    def minor(value, _):
        low, high = sorted(axis.get_view_interval())
        decades = math.log10(high / low) if low > 0 else 3
        digits = "2345" if decades < 1 else ("235" if decades < 2 else "25")
        return f"{value:g}" if f"{value:.0e}"[0] in digits else ""

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))
