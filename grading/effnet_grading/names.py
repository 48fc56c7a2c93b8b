"""What a cell's code binds and reads, from its syntax tree (the cell is never run).

The proof tracks the names the tests use and the answers define; the scan and the merge ask
which names a student's cell defines.
"""

from __future__ import annotations

import ast

MAX_CHAIN = 3  # attributes followed from a name the tests use (np.testing.assert_allclose)


def transform_cell(source: str) -> str:
    """The cell as plain Python: IPython's magics and ``!`` lines turned into calls, as IPython does."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except (SyntaxError, ValueError):
        return source


def parse_cell(source: str) -> ast.Module | None:
    """The cell's code as Python (IPython's magics and ``!`` lines turned into calls first)."""
    try:
        return ast.parse(transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def guarded_names(tree: ast.AST) -> set[str]:
    """The dotted names a cell hands the guard as text (``switched_off("effnet_lib.rules.scaling")``,
    ``library("effnet_lib.rules.rounding.round_filters")``): what its hidden tests use by name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("switched_off", "library"):
            found |= {arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return found


def bound_names(tree: ast.AST) -> dict[str, str]:
    """Names a cell binds at its top level, each with where it comes from: ``"M"`` for
    ``import M [as name]``, ``"M:x"`` for ``from M import x [as name]``, ``""`` for anything else."""
    names: dict[str, str] = {}

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = ""
            return  # names inside a function or class body are not the notebook's
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}:{alias.name}"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names[node.id] = ""
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def used_chains(tree: ast.AST) -> set[tuple[str, ...]]:
    """Every ``name`` and ``name.attr.attr`` a cell reads, longest chains only."""
    chains: set[tuple[str, ...]] = set()

    def chain_of(node) -> tuple[str, ...] | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            return (node.id, *reversed(parts))
        return None

    def visit(node):
        if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
            chain = chain_of(node)
            if chain is not None:
                chains.add(chain[: 1 + MAX_CHAIN])
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return chains
