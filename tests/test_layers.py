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
    "results": {"rules"},
    "model": {"rules"},
    "learn": {"rules", "results", "model"},
    "explain": {"rules", "results", "model"},
    "face": {"rules", "results", "model", "explain"},
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
    if layer in ("rules", "results"):
        assert not others & HEAVY, f"{layer}/{path.name} imports {sorted(others & HEAVY)}; the {layer} layer is plain Python"


def test_the_library_and_the_grader_never_import_each_other():
    """The grader (grading/effnet_grading) is a package of its own that a student's install never
    carries: no module of the library may need it, and it imports nothing of the library (grading must
    work when the code it grades is broken; only the kernels it starts import the library)."""
    grader = PACKAGE.parent / "grading" / "effnet_grading"
    for path in sorted(PACKAGE.rglob("*.py")):
        _, others = _imports(path)
        assert "effnet_grading" not in others, f"{path.relative_to(PACKAGE.parent)} imports the grader"
    for path in sorted(grader.glob("*.py")):
        layers, others = _imports(path)
        assert not layers and "effnet_lib" not in others, f"grading/effnet_grading/{path.name} imports the library"


def test_a_students_install_does_not_carry_the_grader():
    """`pip install .[course]` installs the packages pyproject.toml finds: effnet_lib's, not the grader's."""
    from setuptools import find_packages

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10's tomllib is the tomli package
        import tomli as tomllib

    found = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(PACKAGE.parent, include=found["include"])
    assert "effnet_lib" in packages and not any(p.split(".")[0] == "effnet_grading" for p in packages), packages


def test_the_rules_layer_and_the_cost_model_load_without_torch():
    script = ("import sys, effnet_lib as en\n"
              "from effnet_lib.rules import blocks, inferences, matching, memory, receptive_field, search\n"
              "en.cost('b7'); en.phi_for_budget(4e9)\n"
              "print(sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
