"""Run inside a student's kernel by the grader's check cells: print, as one line, what the grader
needs to tell whether the kernel still runs cells as they are written.

The grader sends this file's text in a cell and runs it with ``exec`` in a fresh namespace named
``RUN_AS`` that holds ``TOKEN`` (a secret of this check) and ``REFERENCES`` (what the tests use),
so it leaves nothing in the student's namespace. It only reports identities; :mod:`.proof` judges them.
Standard library only: it runs in whatever state the student's code left the kernel.
"""

import builtins
import json
import sys
import types

# Methods whose replacement changes what a cell runs or how its failure is reported.
SHELL_METHODS = (
    "run_cell", "run_cell_async", "_run_cell", "run_ast_nodes", "run_code", "transform_cell",
    "transform_ast", "should_run_async", "showtraceback", "_showtraceback", "showsyntaxerror",
    "get_exception_only", "ex", "ev", "user_expressions", "_get_exc_info",
)
KERNEL_METHODS = ("do_execute", "execute_request", "send_response", "_publish_status", "_publish_execute_input")
SESSION_METHODS = ("send", "serialize", "sign")


def _fingerprint(value):
    """Identities that stay the same while *value* is the same object, even for bound methods,
    which Python makes anew at each attribute access."""
    owner = getattr(value, "__self__", None)
    function = getattr(value, "__func__", None)
    if function is not None and owner is not None:  # a bound Python method
        code = getattr(function, "__code__", None)
        return [id(owner), id(function), id(code)]
    if isinstance(value, types.BuiltinMethodType) and not isinstance(owner, types.ModuleType) and owner is not None:
        return [id(owner), getattr(value, "__qualname__", "")]
    code = getattr(value, "__code__", None)
    return [id(value), id(code)] if code is not None else [id(value)]


def _in_notebook(value):
    """Whether *value* was defined by a notebook cell rather than imported from a library."""
    return getattr(value, "__module__", None) == "__main__"


def _ipython_facts(shell):
    manager = shell.input_transformer_manager
    kernel = getattr(shell, "kernel", None)
    session = getattr(kernel, "session", None)
    user_builtins = shell.user_ns.get("__builtins__")
    return {
        "shell class": [id(type(shell))],
        "input_transformers_cleanup": [_fingerprint(t) for t in shell.input_transformers_cleanup],
        "input_transformer_manager": [id(manager), id(type(manager))]
        + [_fingerprint(t) for t in manager.cleanup_transforms + manager.line_transforms]
        + [id(t) for t in manager.token_transformers],
        "input_transformers_post": [_fingerprint(t) for t in shell.input_transformers_post],
        "ast_transformers": [_fingerprint(t) for t in shell.ast_transformers],
        "custom_exceptions": [id(e) for e in shell.custom_exceptions] + [_fingerprint(shell.CustomTB)],
        "events": {name: [[_fingerprint(c), _in_notebook(c)] for c in calls]
                   for name, calls in sorted(shell.events.callbacks.items())},
        "shell methods": {name: _fingerprint(getattr(shell, name, None)) for name in SHELL_METHODS},
        "compiler": [id(shell.compile), id(type(shell.compile)), _fingerprint(getattr(shell.compile, "ast_parse", None))],
        "kernel methods": {name: _fingerprint(getattr(kernel, name, None)) for name in KERNEL_METHODS},
        "kernel handlers": {name: _fingerprint(h) for name, h in sorted(getattr(kernel, "shell_handlers", {}).items())},
        "session methods": {name: _fingerprint(getattr(session, name, None)) for name in SESSION_METHODS},
        "hooks": {
            "sys.gettrace": _fingerprint(sys.gettrace()),
            "sys.getprofile": _fingerprint(sys.getprofile()),
            "sys.displayhook": _fingerprint(sys.displayhook),
            "sys.stdout": _fingerprint(sys.stdout),
            "sys.stderr": _fingerprint(sys.stderr),
            "shell.displayhook": _fingerprint(shell.displayhook),
            "sys.modules['builtins']": _fingerprint(sys.modules.get("builtins")),
            "__builtins__ of the notebook": [id(user_builtins) if not isinstance(user_builtins, types.ModuleType) else id(builtins)],
        },
        "builtins": {name: _fingerprint(value) for name, value in vars(builtins).items() if not name.startswith("_")},
    }


def _resolve(kind, root, attributes, namespace):
    """The object a test reaches as ``root.attr1.attr2`` (a notebook name or a module); raises
    LookupError when it does not exist (yet)."""
    value = sys.modules[root] if kind == "module" else namespace[root]
    for name in attributes:
        value = getattr(value, name)
    return value


def _reference_facts(namespace):
    facts = {}
    for kind, root, attributes in REFERENCES:  # noqa: F821 (given by the grader)
        if kind == "builtin":  # a builtin the tests call is shadowed once the notebook defines it
            facts[f"builtin {root}"] = {"shadowed": root in namespace}
            continue
        key = ".".join([root, *attributes]) if kind == "name" else f"module {'.'.join([root, *attributes])}"
        try:
            value = _resolve(kind, root, attributes, namespace)
        except Exception:  # not bound yet, or an attribute a lazy module has not made
            continue
        plain_data = not callable(value) and not isinstance(value, types.ModuleType)
        if attributes and plain_data:  # attribute values may be made anew at each access
            continue
        facts[key] = {
            "fingerprint": _fingerprint(value),
            "defined in the notebook": _in_notebook(value),
        }
    return facts


def _report():
    shell = get_ipython()  # noqa: F821 (IPython's builtin in a kernel)
    facts = {"ipython": _ipython_facts(shell), "references": _reference_facts(shell.user_ns)}
    # One write, so that output from a student's background thread cannot split the line.
    sys.stdout.write(f"{TOKEN} {json.dumps(facts, sort_keys=True)}\n")  # noqa: F821 (given by the grader)
    sys.stdout.flush()


if __name__ == globals().get("RUN_AS"):  # given by the grader; importing this file runs nothing
    _report()
