"""The library is a house of layers: every import runs down the list that effnet_lib/__init__.py draws.

Read from the source (every `import`, at the top of a module or inside a function), so a lazy import
that runs up the list is caught as surely as one at the top.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "effnet_lib"

# What each layer may import of the library besides itself and the package root (its version).
ALLOWED = {
    "rules": set(),
    "model": {"rules"},
    "learn": {"rules", "model"},
    "explain": {"rules", "model"},
    "face": {"rules", "model", "explain"},
    "grading": set(),
}
# The rules layer is plain Python: a slider costs B7 without waiting for these to load.
HEAVY = {"torch", "torchvision", "matplotlib", "numpy", "ipywidgets", "IPython", "pytorch_grad_cam"}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(layers of effnet_lib, other top-level packages) that a module imports anywhere in its code."""
    layers, others = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
            layers.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            (layers.add(parts[1]) if parts[0] == "effnet_lib" and len(parts) > 1 else others.add(parts[0]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                (layers.add(parts[1]) if parts[0] == "effnet_lib" and len(parts) > 1 else others.add(parts[0]))
    return layers, others


MODULES = sorted(p for p in PACKAGE.glob("*/*.py"))


def test_every_module_sits_in_a_known_layer():
    assert {p.parent.name for p in MODULES} == set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_imports_only_run_down_the_layers(path):
    layer = path.parent.name
    layers, others = _imports(path)
    upward = layers - ALLOWED[layer] - {layer}
    assert not upward, f"{layer}/{path.name} imports {sorted(upward)}, which {layer} may not (allowed: {sorted(ALLOWED[layer])})"
    if layer == "rules":
        assert not others & HEAVY, f"rules/{path.name} imports {sorted(others & HEAVY)}; the rules layer is plain Python"


def test_the_rules_layer_and_the_cost_model_load_without_torch():
    script = ("import sys, effnet_lib as en\n"
              "from effnet_lib.rules import blocks, inferences, matching, memory, receptive_field, search\n"
              "en.cost('b7'); en.phi_for_budget(4e9)\n"
              "print(sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
