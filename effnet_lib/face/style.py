"""One look for every figure of the course: a colour and a symbol per scaling strategy, and
log axes labelled with plain numbers.

`plots` (figures drawn from the rules) and `study_plots` (figures drawn from trained results)
both import these, so depth is the same orange in notebook 2's cost curves and in notebook 5's
accuracy curves.
"""
from __future__ import annotations

from matplotlib.ticker import FuncFormatter

COLOURS = {"width": "tab:blue", "depth": "tab:orange", "resolution": "tab:green", "compound": "tab:red",
           "baseline": "black"}
SYMBOLS = {"width": "w", "depth": "d", "resolution": "r"}
# Figure 4's four (depth, resolution) bases, drawn in this order.
BASE_COLOURS = ("tab:blue", "tab:purple", "tab:orange", "tab:red")


def plain_log_labels(axis) -> None:
    """Label a log axis 0.5, 1, 2, 5, 10 rather than 5 x 10^-1: easier to read off.

    Minor ticks at 2 and 5 of each decade are labelled too, so an axis spanning less than a decade
    still carries three or more numbers.
    """
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
