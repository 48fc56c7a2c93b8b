"""The command line of the training loop: ``python -m effnet_lib.learn.train`` (also under ``torchrun``).

Its options are derived from the dataclasses they configure (:class:`TrainingRun` for what to train and
where its files go, :class:`~.recipes.Recipe` for how), and every value is checked as the options are
read, before any data is loaded or model built.

    python -m effnet_lib.learn.train --data fashion-mnist --epochs 20
    torchrun --nproc_per_node=4 -m effnet_lib.learn.train --data fashion-mnist --epochs 20
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
import torch.distributed as dist
import torch.nn as nn

from ..model.network import efficientnet
from . import checkpoints
from .cli import add_options, from_args
from .datasets import load_dataset
from .recipes import RECIPES, Recipe, recipe
from .train import COMPILE_MODES, History, train

__all__ = ["TrainingRun", "main"]


@dataclass(frozen=True)
class TrainingRun:
    """What to train, on what, and where its files go: everything the command line sets besides the recipe."""

    model: str = "small-b0"          # a network name: small-b0, b0..b7, lite0..lite4
    depth: float = 1.0               # depth multiplier d
    width: float = 1.0               # width multiplier w
    resolution: float = 1.0          # resolution multiplier r of the model's own image size
    data: str = "fashion-mnist"      # fashion-mnist, cifar10 or tiny
    data_root: str | None = None     # where to look for the data first
    download: bool = False           # allow downloading the data set (needs internet)
    train_subset: int | None = None  # train on this many images (class-balanced)
    test_subset: int | None = None   # test on this many images
    seed: int = 0                    # initial weights, order and augmentation
    device: str | None = None        # cuda, cpu, ... (default: cuda when available)
    compile: bool = False            # torch.compile the training step (faster after a warm-up)
    compile_mode: str = "default"    # torch.compile's mode: default, reduce-overhead (CUDA graphs) or max-autotune-no-cudagraphs
    checkpoint: str | None = None    # file to save after every epoch
    resume: bool = False             # continue from --checkpoint if it exists
    overwrite: bool = False          # replace an existing --checkpoint or --history file
    history: str | None = None       # write the history as JSON here
    progress: bool = True            # show a progress bar
    label: str | None = None         # the progress bar's label (default: model @ size)

    def __post_init__(self):
        from ..rules.architecture import check_image_size
        from .datasets import DATASETS

        spec = self.spec()                      # an unknown model or a multiplier <= 0 says so here
        check_image_size(spec, spec.image_size)  # and so does a resolution too small for its strides
        if self.data not in DATASETS:
            raise ValueError(f"data must be one of {', '.join(DATASETS)}, got {self.data!r}.")
        for name in ("train_subset", "test_subset"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1 (or left out for all), got {value}.")
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(f"compile_mode must be one of {', '.join(COMPILE_MODES)}, got {self.compile_mode!r}.")
        if self.device is not None:
            _check_device(self.device)
        if self.resume and self.checkpoint is None:
            raise ValueError("resume needs a checkpoint to continue from: add --checkpoint FILE.")
        if self.checkpoint is not None:
            checkpoints.check_output_file(self.checkpoint, "checkpoint")
        if self.history is not None:
            history = checkpoints.check_output_file(self.history, "history", example="history.json")
            if history.exists() and not (self.overwrite or self.resume):
                raise ValueError(f"history {history} already exists; pass --overwrite to replace it, "
                                 "or another path.")

    def spec(self):
        from ..rules.families import resolve
        from ..rules.scaling import scale

        return scale(resolve(self.model), depth=self.depth, width=self.width, resolution=self.resolution)


def _check_device(name: str) -> None:
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"device {name!r} is not a device PyTorch knows ({error}); try cuda or cpu.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asks for a GPU, but PyTorch sees none here; use --device cpu.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {name!r}: this machine has {torch.cuda.device_count()} GPU(s), "
                         f"numbered from 0.")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m effnet_lib.learn.train",
        description="Train an EfficientNet variant on Fashion-MNIST, CIFAR-10 or the tiny test set. "
                    "Runs under torchrun for DDP: torchrun --nproc_per_node=N -m effnet_lib.learn.train ...")
    add_options(p, TrainingRun)
    p.add_argument("--recipe", default="short", choices=list(RECIPES),
                   help="the recipe the options below change (default: short)")
    add_options(p, Recipe, skip=("name",))
    return p


def main(argv: Sequence[str] | None = None) -> tuple[nn.Module, History]:
    """The command line; returns the trained model and history (handy under torchrun in tests).

    Every value is checked as the options are read, before any data is loaded or model built.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    run = from_args(parser, args, TrainingRun)
    try:  # epochs and batch size go through the recipe's own rule (the learning rate follows the batch)
        sized = recipe(args.recipe, **{k: getattr(args, k) for k in ("epochs", "batch_size") if hasattr(args, k)})
    except ValueError as error:
        parser.error(str(error))
    r = from_args(parser, args, Recipe, base=sized)
    try:
        data = load_dataset(run.data, run.data_root, download=run.download,
                            train=run.train_subset, test=run.test_subset, seed=0)
    except FileNotFoundError as error:
        raise SystemExit(str(error))
    spec = run.spec().with_(in_channels=data.channels)
    torch.manual_seed(run.seed)  # the initial weights
    model = efficientnet(spec, num_classes=data.num_classes)
    try:
        history = train(model, data, r, seed=run.seed, device=run.device, checkpoint=run.checkpoint,
                        resume=run.resume, overwrite=run.overwrite,
                        compile=run.compile_mode if run.compile else False, progress=run.progress,
                        label=run.label)
    except (FileExistsError, checkpoints.CheckpointError, ValueError) as error:
        raise SystemExit(f"error: {error}")
    rank = dist.get_rank() if dist.is_initialized() else 0
    if rank == 0:
        print(history)
        if run.history:
            Path(run.history).parent.mkdir(parents=True, exist_ok=True)
            Path(run.history).write_text(json.dumps(history.to_dict(), indent=1))
    return model, history
