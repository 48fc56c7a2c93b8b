"""Widgets and progress bars that still show something when no kernel runs.

A saved notebook keeps, for each widget it displayed, only a reference to a model that lived in
the kernel, plus whatever else the same output carried. Opened later without that kernel (a
fresh JupyterLab, Binder before Run All, GitHub), JupyterLab cannot draw the widget and shows the
output's next representation instead: ipywidgets leaves a `text/plain` repr there, so the reader
sees `VBox(children=(FloatSlider(...` or, for tqdm, the bar as it was when it appeared: 0%.
(JupyterLab draws widget views only for trusted outputs; a notebook fresh from git is untrusted.)

The fix is to put a static picture into the same output, beside the widget's view: a class returns,
from its `_repr_mimebundle_`, `static_bundle(html, png, text)` merged with `widget_bundle(widget)`
(the phi explorer and the objective widget do, so `PhiExplorer()` as a cell's last line is enough).
The output then holds the live widget (`application/vnd.jupyter.widget-view+json`) and a static
rendering (`text/html`, the PNG embedded in it). A running kernel shows the widget; a reader without
one sees the picture. Draw the picture for the widget's state at display time (its default state),
so the two agree.

Progress: use `progress(iterable, label="short distinct label")` instead of `tqdm.auto.tqdm`. In a
notebook it is tqdm's widget bar whose saved output, once the bar closes, reads where it ended
("100%| 48/48 [00:30<00:00]"), not where it started; elsewhere it is tqdm's text bar.

tests/test_static_renderings.py scans every committed notebook for widget outputs without a
static rendering and for bars saved at 0%.
"""
from __future__ import annotations

import base64
import html as html_escape
from typing import Any, Iterable

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What JupyterLab can draw without a kernel, in the order it prefers them.
STATIC_MIMETYPES = ("text/html", "image/svg+xml", "image/png", "image/jpeg")


def static_bundle(html: str = "", png: bytes | None = None, text: str = "") -> dict[str, str]:
    """A static rendering as a mimebundle: HTML with the PNG beside it (or the PNG alone), and text.

    >>> sorted(static_bundle(html="<b>B0</b>", text="B0"))
    ['text/html', 'text/plain']
    >>> sorted(static_bundle(png=b"\\x89PNG..."))
    ['image/png']
    """
    if not (html or png or text):
        raise ValueError("a static rendering needs html, png or text; got none of them.")
    bundle = {}
    if html and png:
        bundle["text/html"] = side_by_side(html, img_tag(png, text))
    elif html:
        bundle["text/html"] = html
    elif png:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    if text:
        bundle["text/plain"] = text
    return bundle


def img_tag(png: bytes, alt: str = "") -> str:
    """An <img> holding the PNG itself, for a static rendering's HTML."""
    encoded = base64.b64encode(png).decode("ascii")
    return f"<img src='data:image/png;base64,{encoded}' alt='{html_escape.escape(alt)}'/>"


def side_by_side(*parts: str) -> str:
    """HTML parts in a row where the page is wide enough (as a widget's columns), stacked where not."""
    return ("<div style='display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start'>"
            + "".join(f"<div>{part}</div>" for part in parts) + "</div>")


def widget_bundle(widget) -> dict[str, Any]:
    """The widget's own view reference ({} when it has none to show, e.g. once closed)."""
    if getattr(widget, "comm", None) is None:      # closed, or never connected to a frontend
        return {}
    shown = widget._repr_mimebundle_() or {}
    return {WIDGET_VIEW: shown[WIDGET_VIEW]} if WIDGET_VIEW in shown else {}


# --------------------------------------------------------------------------- progress bars

def _notebook_bar_class():
    """tqdm's widget bar with a saved output that ends where the bar ended, or None outside a notebook."""
    from tqdm.auto import tqdm as auto
    from tqdm.notebook import tqdm_notebook

    if not issubclass(auto, tqdm_notebook):
        return None

    class SavedProgress(auto):
        def __init__(self, *args, **kwargs):
            from IPython.display import display

            kwargs["display"] = False            # displayed below, with a handle to update it
            super().__init__(*args, **kwargs)
            self._handle = None
            if not self.disable:
                self._handle = display(self._bundle(), raw=True, display_id=True)

        def _bundle(self) -> dict[str, Any]:
            return {**widget_bundle(self.container), "text/plain": self.format_meter(**self.format_dict)}

        def display(self, *args, **kwargs):
            super().display(*args, **kwargs)
            handle = getattr(self, "_handle", None)     # None while tqdm's __init__ draws the bar
            if handle is not None and kwargs.get("close"):
                handle.update({"text/plain": ""}, raw=True)       # leave=False: the bar goes away
            elif handle is not None and kwargs.get("bar_style"):
                handle.update(self._bundle(), raw=True)           # finished, or failed

    return SavedProgress


def progress(iterable: Iterable | None = None, *, label: str, total: float | None = None, **options):
    """A tqdm progress bar labelled `label`; in a notebook, saved as it ended (not at 0%).

    `options` go to tqdm (unit, leave, disable, ...). Keep `label` short and distinct: two bars
    in one notebook should not read the same.
    """
    if not label or not str(label).strip():
        raise ValueError("a progress bar needs a short label saying what it counts, e.g. label='B0 @ 64px'.")
    bar = _notebook_bar_class()
    if bar is None:
        from tqdm.auto import tqdm as bar
    return bar(iterable, desc=label, total=total, **options)
