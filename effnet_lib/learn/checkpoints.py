"""Checkpoints that survive: written whole or not at all, refused with a reason when they belong elsewhere.

:func:`save` writes the training state to a temporary file and renames it over the old one, so a crash
never leaves half a file. :func:`load` reads one back or says clearly why it cannot be used (damaged,
not ours), and :func:`check_compatible` refuses to resume a run from another model, recipe, seed or
input size, naming what differs. Nothing here ever deletes or overwrites a checkpoint it was not told to.
"""
from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn as nn

from .recipes import Recipe

__all__ = ["FORMAT", "CheckpointError", "signature", "load", "check_compatible", "save", "check_output_file"]

FORMAT = "effnet_lib.train/2"   # 2: the input size is stored as "image_size"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be resumed: unreadable, or made for another model or run."""


def signature(model: nn.Module) -> dict[str, list[int]]:
    """Every parameter and buffer's name and shape: what a checkpoint must match to be resumed."""
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def load(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`effnet_lib.learn.train.train`, or say clearly why it cannot be used."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(error).__name__}: {str(error)[:200]}). "
            "It may be truncated or damaged. It was left untouched: delete or rename it to start "
            "afresh, or pass another checkpoint path.") from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} was not written by effnet_lib.learn.train (format {FORMAT!r} expected). "
            "It was left untouched; pass another checkpoint path.")
    return state


def check_compatible(state: dict, path: Path, model: nn.Module, recipe: Recipe, seed: int, image_size: int) -> None:
    """Refuse to resume from ``state`` unless it was made by the same model, recipe, seed and input size."""
    problems = []
    saved, current = state["signature"], signature(model)
    if saved != current:
        missing = sorted(set(saved) ^ set(current))[:3]
        reshaped = [k for k in saved if k in current and saved[k] != current[k]][:3]
        problems.append("the model differs (" + ", ".join(
            [f"parameter {k} only in one of them" for k in missing]
            + [f"{k} is {saved[k]} there, {current[k]} here" for k in reshaped]) + ")")
    saved_recipe = state["recipe"]
    for k, v in asdict(recipe).items():
        if saved_recipe.get(k) != v:
            problems.append(f"recipe field {k} was {saved_recipe.get(k)!r}, now {v!r}")
    if state["seed"] != seed:
        problems.append(f"seed was {state['seed']}, now {seed}")
    if state["image_size"] != image_size:
        problems.append(f"image_size was {state['image_size']} px, now {image_size} px")
    if problems:
        raise CheckpointError(
            f"{path} belongs to another run, so resuming would not continue it: "
            + "; ".join(problems) + ". It was left untouched: pass another checkpoint path, or the "
            "same model and settings.")


def save(state: dict, path: Path) -> None:
    """Write ``state`` to ``path`` all at once: a temporary file beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, **state}, temporary)
    os.replace(temporary, path)  # atomic on POSIX and Windows: readers see the old or the new file


def check_output_file(path: str | os.PathLike, what: str, example: str = "run.pt") -> Path:
    """``path`` as a Path, once it is certain a file can be written there; else a clear error.

    Checked before any work starts, so that a run never trains for an epoch and then fails to
    save: the path must not be a folder, and its nearest existing parent must be a writable folder.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder; give a file path inside it, e.g. {path / example}.")
    parent = next(p for p in path.parents if p.exists())
    if not parent.is_dir():
        raise ValueError(f"{what} {path} cannot be created: {parent} is a file, not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path} cannot be created: the folder {parent} is not writable.")
    return path
