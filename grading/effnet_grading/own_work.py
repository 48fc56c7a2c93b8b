"""Hidden tests that grade a student's own work: while they run, the library's answer is switched off.

Every exercise teaches something the library already does (``round_filters``, ``SqueezeExcite``,
the grad-cam package ...). An answer that only calls the library would pass a test that compares
with the library, so the hidden tests run the student's code inside :class:`switched_off`::

    expected = [round_filters(c, w) for c, w in cases]        # the library, before
    with switched_off("effnet_lib.rules.rounding"):
        answers = [my_round_filters(c, w) for c, w in cases]  # the student's code, alone

Inside the block, any code of the named functions, classes or modules that runs fails the test,
however the student reached it:

* each named function's (and each named class's methods') ``__code__`` is swapped for one that
  raises, so a reference taken earlier (``from effnet_lib import round_filters as rf``, a bound
  method, a subclass, an instance wrapped inside the student's module) fails too, in any thread;
* a trace hook (``sys.settrace``, and ``threading.settrace`` for threads started inside)
  refuses any code object that comes from the named source lines, which catches a reloaded or
  re-imported copy of the module and a copied code object;
* an audit hook refuses to start processes (a fresh interpreter would import an untouched library).

A refused call is recorded, so an answer that catches the error still fails when the block ends.
The guard checks on entry that its trace hook really fires. It runs in the student's kernel at
grading time only (never in the student's own environment) and uses the standard library only.

What it cannot tell from the student's own work: the library's source text pasted into the
answer, and work sent to a process started before the block. The grader's scan and proof
(:mod:`.scan`, :mod:`.proof`) report tampering with this guard or with the kernel.
"""

from __future__ import annotations

import importlib
import inspect
import os
import random
import sys
import threading
import types

__all__ = ["NotOwnWork", "hidden_random", "library", "switched_off"]

# Code made by this module to stand in for a switched-off function carries this file name.
STUB_FILE = "<switched off while a hidden test runs>"
# Audit events that start a process (a new interpreter would import the library untouched).
PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                  "os.forkpty", "pty.spawn", "os.startfile")
# The instructor's grading secret, as the sandbox hands it to every kernel (`sandbox.SECRET_VARIABLE`).
SECRET_VARIABLE = "EFFNET_GRADING_SECRET"
_ACTIVE: list["switched_off"] = []   # guards in force, innermost last (read by the audit hook)
_AUDITING = False


class NotOwnWork(AssertionError):
    """The answer used what the exercise asks the student to write (an AssertionError, so the
    test cell fails as any failed check does)."""


def _real(path: str) -> str:
    return os.path.realpath(path)


def _module_file(module: types.ModuleType) -> tuple[str, bool]:
    """(file or package folder, is a package) of an imported module."""
    file = getattr(module, "__file__", None)
    if not file:
        raise NotOwnWork(f"module {module.__name__} has no source file to switch off")
    if os.path.basename(file) == "__init__.py":
        return _real(os.path.dirname(file)), True
    return _real(file), False


def _resolve(name: str) -> tuple[types.ModuleType, list[str]]:
    """The module a dotted name starts with, and the attributes after it."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        return module, parts[cut:]
    raise NotOwnWork(f"{name!r} names no importable module; the hidden test is wrong")


def _lines(obj) -> tuple[str, int, int]:
    """(file, first line, last line) of a function's or class's source."""
    source, first = inspect.getsourcelines(obj)
    return _real(inspect.getsourcefile(obj)), first, first + len(source) - 1


def _functions(obj) -> list[types.FunctionType]:
    """The plain functions behind a function, a class (its methods, properties, static and class
    methods) or a module (those of its own functions and classes)."""
    if isinstance(obj, types.FunctionType):
        return [obj]
    found: list[types.FunctionType] = []
    if isinstance(obj, type):
        for value in vars(obj).values():
            for part in (value, getattr(value, "__func__", None), getattr(value, "fget", None),
                         getattr(value, "fset", None), getattr(value, "fdel", None)):
                if isinstance(part, types.FunctionType):
                    found.append(part)
    elif isinstance(obj, types.ModuleType):
        for value in vars(obj).values():
            if getattr(value, "__module__", None) == obj.__name__ and isinstance(value, (type, types.FunctionType)):
                found += _functions(value)
    return found


def library(name: str):
    """The library's own object called *name* (e.g. ``"effnet_lib.rules.rounding.round_filters"``),
    checked to be the code its module's file holds, not something a notebook put in its place.

    Hidden tests take the values they compare with from here, not from names in the notebook.
    """
    module, attributes = _resolve(name)
    value = module
    for attribute in attributes:
        value = getattr(value, attribute)
    root, package = _module_file(sys.modules[module.__name__.partition(".")[0]])
    for function in _functions(value):
        file = function.__code__.co_filename
        if function is value:   # a named function must come from the library's own files
            real = _real(file)
            foreign = not (real.startswith(root + os.sep) if package else real == root)
        else:                   # a class's methods may come from dataclasses and the like, not from a notebook
            foreign = "ipykernel_" in file or file.startswith("<ipython-input")
        if foreign or function.__module__ == "__main__":
            raise NotOwnWork(f"{name} is not the library's own code any more (its code comes from "
                             f"{file}): something in the notebook replaced it")
    return value


def hidden_random(test: str) -> random.Random:
    """The random generator a hidden test draws its cases from: seeded by the instructor's grading
    secret and the test's name when a secret is set (the same cases for every student of a batch,
    and none that the public solutions show), fresh at every run when none is."""
    secret = os.environ.get(SECRET_VARIABLE)
    return random.Random(f"{secret}/{test}" if secret else None)


def _stub_code(name: str, closure_size: int, message: str) -> types.CodeType:
    """A function body that raises *message*, with as many free variables as the function it
    replaces has (Python requires that for ``__code__`` assignment)."""
    free = [f"_free{i}" for i in range(closure_size)]
    source = (f"def _outer({', '.join(free)}):\n"
              "    def stand_in(*args, **kwargs):\n"
              + (f"        {', '.join(free)}\n" if free else "")
              + f"        raise AssertionError({message!r})\n"
              "    return stand_in\n")
    namespace: dict = {}
    exec(compile(source, STUB_FILE, "exec"), namespace)
    return namespace["_outer"](*([None] * closure_size)).__code__.replace(co_name=name)


def _probe() -> None:
    """Called once on entry, switched off: proves the trace hook fires."""


class switched_off:
    """Context manager: while it is active, the named functions, classes or modules cannot run.

    Each name is dotted: a module (``"effnet_lib.model.layers"``, ``"pytorch_grad_cam"``: all
    their code, a package's sub-modules included) or a function or class in one
    (``"effnet_lib.rules.scaling.compound"``, ``"effnet_lib.model.layers.SqueezeExcite"``).
    """

    def __init__(self, *names: str):
        if not names:
            raise ValueError("switched_off needs at least one dotted name to switch off")
        self.names = names
        self.calls: list[str] = []          # what was refused, in words
        self._files: dict[str, list[tuple[int, int] | None]] = {}   # file -> line ranges (None: all)
        self._folders: list[str] = []       # packages switched off whole
        self._labels: dict[tuple[str, int, int] | str, str] = {}
        self._swapped: dict[int, tuple[types.FunctionType, types.CodeType]] = {}
        self._stubs: dict[types.CodeType, str] = {}   # stand-in code -> the name it stands in for
        self._seen: dict[str, bool] = {}    # code file -> whether any range of it is switched off
        self._previous = (None, None)
        for name in names:
            self._add(name)
        probe_file, first, last = _lines(_probe)
        self._files.setdefault(probe_file, []).append((first, last))
        self._labels[(probe_file, first, last)] = "the guard's own check"

    def _add(self, name: str) -> None:
        module, attributes = _resolve(name)
        value = library(name)
        if not attributes:
            home, package = _module_file(module)
            if package:
                self._folders.append(home + os.sep)
                self._labels[home] = name
            else:
                self._files.setdefault(home, []).append(None)
                self._labels[home] = name
        else:
            file, first, last = _lines(value)
            self._files.setdefault(file, []).append((first, last))
            self._labels[(file, first, last)] = name
        for function in _functions(value):
            self._swapped[id(function)] = (function, function.__code__)

    # -- what counts as the library's code ---------------------------------------------------

    def _refused(self, code: types.CodeType) -> str | None:
        """The switched-off name *code* belongs to, or None."""
        file = code.co_filename
        if file == STUB_FILE:
            return self._stubs.get(code, code.co_name)
        known = self._seen.get(file)
        if known is False:
            return None
        real = _real(file) if not file.startswith("<") else file
        for folder in self._folders:
            if real.startswith(folder):
                return self._labels[folder.rstrip(os.sep)]
        ranges = self._files.get(real)
        if ranges is None:
            self._seen[file] = False
            return None
        self._seen[file] = True
        for span in ranges:
            if span is None:
                return self._labels[real]
            if span[0] <= code.co_firstlineno <= span[1]:
                return self._labels[(real, *span)]
        return None

    def _make_hook(self):
        seen, refused, calls, message = self._seen, self._refused, self.calls, self._message

        def hook(frame, event, arg):
            # A global trace function sees only "call" events; returning None traces no lines.
            if seen.get(frame.f_code.co_filename) is False:   # the fast path: most code is not the library's
                return None
            name = refused(frame.f_code)
            if name is not None:
                calls.append(name)
                raise NotOwnWork(message(name))

        return hook

    def _audit(self, event: str, args) -> None:
        if event.startswith(PROCESS_EVENTS):
            self.calls.append(f"a new process ({event})")
            raise NotOwnWork("starting a process is switched off while this test runs: "
                             "a fresh interpreter would answer with the library's code, not yours")

    @staticmethod
    def _message(name: str) -> str:
        return (f"{name} is switched off while this test runs: the exercise asks for your own code, "
                "so an answer that calls the library's (or the package's) version scores nothing here")

    # -- on and off ----------------------------------------------------------------------------

    def __enter__(self) -> "switched_off":
        install_audit_hook()
        stand_ins = []   # made first, so that a failure leaves every function as it was
        for function, code in self._swapped.values():
            label = f"{function.__module__}.{function.__qualname__}"
            stub = _stub_code(code.co_name, len(code.co_freevars), self._message(label))
            self._stubs[stub] = label
            stand_ins.append((function, stub))
        self._previous = (sys.gettrace(), threading.gettrace())
        hook = self._make_hook()
        try:
            for function, stub in stand_ins:
                function.__code__ = stub
            sys.settrace(hook)
            threading.settrace(hook)
            try:
                _probe()
                working = False
            except NotOwnWork:
                working = True
                self.calls.clear()
                sys.settrace(hook)   # Python unsets a trace hook that raised
        except BaseException:
            self._restore()
            raise
        if not working:
            self._restore()
            raise NotOwnWork("the hidden test could not switch the library off (sys.settrace has no "
                             "effect in this kernel); the test cannot check your own work")
        _ACTIVE.append(self)
        return self

    def _restore(self) -> None:
        for function, code in self._swapped.values():
            function.__code__ = code
        sys.settrace(self._previous[0])
        threading.settrace(self._previous[1])

    def __exit__(self, kind, error, traceback) -> bool:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        self._restore()
        if kind is None and self.calls:
            raise NotOwnWork(self._message(self.calls[0]) + f" (it was called {len(self.calls)} time(s), "
                             "and the error was caught)")
        return False


def _audit_hook(event: str, args, active=_ACTIVE, starts=PROCESS_EVENTS) -> None:
    # What it reads is bound when it is made: rebinding this module's names cannot widen it.
    if active and event.startswith(starts):
        active[-1]._audit(event, args)


def install_audit_hook() -> None:
    """Add the guard's audit hook to this process, once (audit hooks cannot be removed; it acts only
    inside a guard). The grader's kernel adds it before any cell runs, ahead of its own hooks."""
    global _AUDITING
    if not _AUDITING:
        sys.addaudithook(_audit_hook)
        _AUDITING = True
