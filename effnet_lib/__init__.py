"""effnet_lib: EfficientNet (Tan & Le, ICML 2019) as data, rules, costs and modules.

The library is a house of layers, one folder each, every import running down this list:

    rules     stage tables, scaling, cost, the paper's numbers   (plain Python; no torch)
    results   where the data lives, run records, the analysis     (plain Python; imports rules)
    model     modules built from a table, weight import           (imports rules)
    learn     data, training, experiments, latency, transfer      (imports model, results, rules)
    explain   class activation maps                               (imports model, results, rules)
    face      the explorer widget, figures, reports               (imports rules, results, explain)

The grader that releases and grades the exercises is a package of its own beside this one
(grading/: effnet_grading), which a student's install never carries; nothing here imports it.

The public names below load lazily: `import effnet_lib` costs nothing, `en.B0` and `en.cost`
load only the rules layer, and torch is imported the first time a model is asked for.

    >>> import effnet_lib as en
    >>> spec = en.scale(en.B0, *en.compound(1))       # Eq. 3 at phi = 1
    >>> en.cost(spec).multiply_adds > en.cost(en.B0).multiply_adds
    True
"""
from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("effnet-lib")     # pyproject.toml is the one place the version is written
except PackageNotFoundError:                # run from a source tree that was never installed
    __version__ = "unknown"

# Public name -> the module that defines it.
_PUBLIC = {
    "rules.architecture": ("B0", "SMALL_B0", "Block", "Network", "Stage", "blocks"),
    "rules.baselines": ("MOBILENET_V1", "MOBILENET_V2", "RESNET_50", "RESNET_152"),
    "rules.cost": ("Cost", "cost", "phi_for_budget"),
    "rules.families": ("EFFICIENTNET", "LITE", "NAMES", "Coefficients", "network"),
    "rules.scaling": ("Multipliers", "compound", "constrained_grid", "multiply_adds_growth", "round_filters",
                      "round_repeats", "scale"),
    "model.network": ("ConvNet", "EfficientNet", "efficientnet"),
    "model.layers": ("MBConv", "SqueezeExcite"),
    "model.weights": ("Pretrained", "from_torchvision", "lite0_pretrained", "lite_pretrained"),
}
_WHERE = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value          # the next lookup is an ordinary attribute
        return value
    raise AttributeError(f"module 'effnet_lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
