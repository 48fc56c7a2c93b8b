"""Student code worth a look by hand: calls that can change how later cells run.

:mod:`.proof` catches tampering by its effects; this module reads the student's cells for the
means (IPython's internals, tracing, frame and builtins surgery, assigning into a library), so
that an attempt aimed at the proof itself is still put in front of the instructor. A hit does
not change the score: such names can appear in honest code, and text can be disguised.
"""

from __future__ import annotations

import ast
import io
import tokenize

from nbformat import NotebookNode

from .names import bound_names, parse_cell

# Names that honest exercise answers have no need for, each with what it can do.
SUSPECT_NAMES = {
    "get_ipython": "reaches IPython, which runs every later cell",
    "input_transformers_post": "rewrites later cells before they run",
    "input_transformers_cleanup": "rewrites later cells before they run",
    "input_transformer_manager": "rewrites later cells before they run",
    "ast_transformers": "rewrites later cells before they run",
    "set_custom_exc": "changes what happens when a test fails",
    "settrace": "can skip lines of a running cell",
    "setprofile": "watches and can steer running code",
    "_getframe": "reaches into the code that called it",
    "f_back": "reaches into the code that called it",
    "f_globals": "reaches into the code that called it",
    "f_locals": "reaches into the code that called it",
    "f_lineno": "can skip lines of a running cell",
    "f_trace": "can skip lines of a running cell",
    "builtins": "can replace Python's own functions",
    "__builtins__": "can replace Python's own functions",
    "__code__": "can swap the body of a function",
    "__globals__": "can change what a function sees",
    "ctypes": "can change memory directly",
    "gc": "can find and change objects it was not given",
    "setattr": "can assign into a library",
    "delattr": "can remove from a library",
    "exec": "runs code built as text, which hides what it does",
    "eval": "runs code built as text, which hides what it does",
    "__import__": "imports by a computed name",
    "sys.modules": "can swap the modules the tests import",
    "own_work": "reaches the guard that switches the library off during the hidden tests",
    "EFFNET_GRADING_SECRET": "reads the instructor's grading secret",
}
# These are suspect only as functions of their own: model.eval() is everyday PyTorch.
NOT_AS_ATTRIBUTE = {"get_ipython", "setattr", "delattr", "exec", "eval", "__import__", "builtins", "gc", "ctypes"}


def _names_in_code(source: str) -> list[tuple[int, str]]:
    """(line, name) of every identifier in *source*, comments excluded, strings included
    (``getattr(x, "settrace")`` names it in a string)."""
    found = []
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and not (previous == "." and token.string in NOT_AS_ATTRIBUTE):
                found.append((token.start[0], token.string))
            elif token.type == tokenize.STRING:
                found += [(token.start[0], word) for word in SUSPECT_NAMES if word in token.string]
            if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                previous = token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        found = [(0, word) for word in SUSPECT_NAMES if word in source]
    if "sys.modules" in source:
        found.append((source[: source.index("sys.modules")].count("\n") + 1, "sys.modules"))
    return found


def _library_assignments(tree: ast.Module, imported: set[str]) -> list[tuple[int, str]]:
    """Assignments like ``torch.allclose = ...`` into a name the notebook imported."""
    hits = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            continue
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in imported:
                hits.append((node.lineno, ast.unparse(target)))
    return hits


def suspicious(notebook: NotebookNode, student: set[int], label) -> list[str]:
    """Notes for the instructor about the cells in *student*; *label(index)* names a cell."""
    imported = set()
    for cell in notebook.cells:
        tree = parse_cell(cell.source) if cell.cell_type == "code" else None
        if tree is not None:
            imported |= {name for name, origin in bound_names(tree).items() if origin}
    notes = []
    for index in sorted(student):
        source = notebook.cells[index].source
        for line, name in _names_in_code(source):
            if name in SUSPECT_NAMES:
                notes.append(f"{label(index)}, line {line}: uses {name}, which {SUSPECT_NAMES[name]}")
        tree = parse_cell(source)
        for line, target in _library_assignments(tree, imported) if tree is not None else []:
            notes.append(f"{label(index)}, line {line}: assigns {target}, changing a library the tests may use")
    return list(dict.fromkeys(notes))
