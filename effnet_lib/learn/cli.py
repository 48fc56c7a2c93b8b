"""Command lines derived from the dataclasses they configure.

A frozen dataclass that checks its own fields (in ``__post_init__``) already says what a valid
value is; writing the same fields again as ``argparse`` options lets the two drift apart. Here
every field becomes one ``--option``: its type from the annotation, its default from the field,
its help from the comment written beside the field (or ``metadata={"help": ...}``). Parsing then
builds the dataclass at once, so a bad value is refused, with the dataclass's own message,
before any data is loaded or any model trained.

    @dataclass(frozen=True)
    class Options:
        epochs: int = 3            # passes over the training images
        seeds: tuple[int, ...] = (0,)

    parser = argparse.ArgumentParser()
    add_options(parser, Options)
    options = from_args(parser, parser.parse_args(["--epochs", "5"]), Options)   # Options(epochs=5, seeds=(0,))

Supported field types: ``int``, ``float``, ``str``, ``bool`` (``--x`` / ``--no-x``), ``tuple[T, ...]``
(several values after one option) and ``T | None`` (the word ``none`` gives None).
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from typing import Any

__all__ = ["add_options", "from_args", "field_help"]


def field_help(cls: type) -> dict[str, str]:
    """Each field's help: ``metadata["help"]`` if given, else the comment on the field's line.

    >>> from effnet_lib.learn.study_runner import RunOptions
    >>> field_help(RunOptions)["workers"]
    'processes training runs side by side (CPU: one per core pays best)'
    """
    comments: dict[str, str] = {}
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):       # defined in a notebook or a REPL: no source to read
        source = ""
    for line in source.splitlines():
        match = re.match(r"\s+(\w+)\s*:[^#]*#\s*(.+)$", line)
        if match:
            comments.setdefault(match.group(1), match.group(2).strip())
    return {f.name: f.metadata.get("help") or comments.get(f.name, "") for f in dataclasses.fields(cls)}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parts(annotation) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"cannot make an option of the union {annotation}")
        return args[0], True
    return annotation, False


def _converter(kind, optional: bool, option: str):
    def convert(text: str):
        if optional and text.lower() == "none":
            return None
        if kind is bool:
            raise argparse.ArgumentTypeError("a flag takes no value")
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} needs a {kind.__name__}, got {text!r}") from None
    convert.__name__ = kind.__name__   # argparse names the type in its own messages
    return convert


def add_options(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = (),
                defaults: dict | None = None) -> None:
    """Add one ``--option`` per field of the dataclass ``cls`` (except those in ``skip``).

    Options not given on the command line stay unset, so :func:`from_args` keeps the dataclass's
    (or the base object's) own value. ``defaults`` only changes what ``--help`` shows.
    """
    hints = typing.get_type_hints(cls)
    helps = field_help(cls)
    group = parser.add_argument_group(f"{cls.__name__} ({(cls.__doc__ or '').strip().splitlines()[0]})")
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        kind, optional = _parts(hints[f.name])
        shown = (defaults or {}).get(f.name, f.default if f.default is not dataclasses.MISSING else None)
        help_text = helps[f.name]
        if shown not in (None, ()) and "default" not in help_text:   # a comment may already say it
            help_text += f" (default: {shown})"
        option = _option(f.name)
        if kind is bool:
            group.add_argument(option, dest=f.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
        elif typing.get_origin(kind) is tuple:
            item = typing.get_args(kind)[0]
            group.add_argument(option, dest=f.name, nargs="+", type=_converter(item, False, option),
                               default=argparse.SUPPRESS, metavar=item.__name__.upper(), help=help_text)
        elif kind in (int, float, str):
            group.add_argument(option, dest=f.name, type=_converter(kind, optional, option),
                               default=argparse.SUPPRESS, metavar=kind.__name__.upper(), help=help_text)
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: no option for the type {kind}; skip it.")


def from_args(parser: argparse.ArgumentParser, args: argparse.Namespace, cls: type, base: Any = None,
              **extra):
    """The dataclass ``cls`` built from the parsed options (over ``base``'s values when given).

    A value the dataclass refuses ends the program through ``parser.error``: the usage line and
    the dataclass's own message, before any work starts.
    """
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    try:
        return dataclasses.replace(base, **given, **extra) if base is not None else cls(**given, **extra)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
