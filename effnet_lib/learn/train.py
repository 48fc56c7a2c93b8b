"""One training loop for notebooks, the command line and ``torchrun``.

    history = train(efficientnet("small-b0", 10), load_dataset("fashion-mnist"), recipe("short"), label="baseline")

What it does, and why:

* **Two recipes.** ``"paper"`` is Section 5.2's ImageNet recipe (RMSProp with decay 0.9 and
  momentum 0.9, BatchNorm momentum 0.99 i.e. PyTorch 0.01, weight decay 1e-5, learning rate
  0.256 per 4096 images decayed by 0.97 every 2.4 epochs). It was tuned for 350 epochs of
  ImageNet; on a few epochs of small images ``"short"`` (AdamW, a one-cycle schedule, label
  smoothing, crop-and-flip) gets much further. Both are plain data (:class:`Recipe`).
* **Fast where there is a GPU.** A small model at 16-32 px spends a GPU step mostly launching
  kernels, so the loop launches few and never waits: bf16 autocast and channels-last memory on
  CUDA; the data set lives on the GPU and is augmented there many batches at a time
  (:class:`effnet_lib.learn.batches.Batches`); the loss and the counts of correct answers are one
  function with the network (compiled with it when ``compile`` is set; ``"reduce-overhead"``
  replays each step as CUDA graphs) and are summed on the device, read back once per epoch; one
  fused AdamW (or SGD) kernel updates every weight. The progress bar's loss travels to the host
  without stopping the GPU. Float32 on the CPU, where bf16 is slower and less exact.
* **Checkpoints that survive.** Written every epoch to a temporary file, then renamed over the
  old one, so a crash never leaves half a file. Each epoch reseeds every random draw from
  (seed, epoch), so a resumed run ends with exactly the weights of an uninterrupted one (on the
  CPU; GPU kernels are not bit-exact run to run). An existing checkpoint is never overwritten
  unless asked, and a damaged or mismatched one is refused with a message saying what differs.
* **DDP.** Under ``torchrun`` (``WORLD_SIZE`` > 1) each process trains on its share of every
  batch, gradients are averaged, and only rank 0 writes the checkpoint.
* **Plain data out.** :func:`train` returns a :class:`History` (one dict per epoch) and prints
  nothing but the progress bar.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from .batches import Batches, _mix
from .datasets import ImageData, load_dataset
from .hardware import describe, hardware

__all__ = ["Recipe", "RECIPES", "recipe", "learning_rate", "History", "CheckpointError", "COMPILE_MODES",
           "TrainingRun", "train", "evaluate", "load_checkpoint", "check_output_file", "main"]

CHECKPOINT_FORMAT = "effnet_lib.train/2"   # 2: the input size is stored as "image_size"


# --------------------------------------------------------------------------- recipes

@dataclass(frozen=True)
class Recipe:
    """How to train: optimiser, schedule, regularisation. ``lr`` is for ``batch_size`` images."""

    name: str
    optimizer: str                 # "rmsprop" (the paper), "adamw" or "sgd" (Nesterov)
    lr: float                      # peak learning rate at `batch_size`
    batch_size: int                # images per optimiser step, over all processes
    epochs: int                    # passes over the training images
    weight_decay: float            # on convolution and linear weights; BatchNorm and biases are exempt
    schedule: str                  # "step": x decay_rate every decay_epochs; "one-cycle": warm up, cosine down
    warmup_epochs: float = 0.0     # linear warm-up from lr / 25 (both schedules)
    decay_rate: float = 0.97       # "step" schedule
    decay_epochs: float = 2.4      # "step" schedule
    momentum: float = 0.9          # RMSProp's and SGD's momentum; AdamW's beta1
    rmsprop_decay: float = 0.9     # RMSProp's moving-average decay of squared gradients (torch's alpha)
    eps: float = 1e-3              # RMSProp's epsilon, as the TensorFlow reference (torch's default 1e-8 is unstable here)
    label_smoothing: float = 0.0
    augment: bool = True           # random crop and horizontal flip
    bn_momentum: float | None = None  # set on every BatchNorm (PyTorch convention); None keeps the model's

    def __post_init__(self):
        if self.optimizer not in ("rmsprop", "adamw", "sgd"):
            raise ValueError(f"optimizer must be 'rmsprop', 'adamw' or 'sgd', got {self.optimizer!r}.")
        if self.schedule not in ("step", "one-cycle"):
            raise ValueError(f"schedule must be 'step' or 'one-cycle', got {self.schedule!r}.")
        for name in ("batch_size", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}.")
        for name in ("lr", "eps", "decay_epochs"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}.")
        for name in ("weight_decay", "warmup_epochs"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be zero or more, got {getattr(self, name)!r}.")
        for name in ("momentum", "rmsprop_decay", "label_smoothing"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 0 and below 1, got {getattr(self, name)!r}.")
        if not 0 < self.decay_rate <= 1:
            raise ValueError(f"decay_rate must be above 0 and at most 1, got {self.decay_rate!r}.")
        if self.bn_momentum is not None and not 0 <= self.bn_momentum <= 1:
            raise ValueError(f"bn_momentum must be None or between 0 and 1, got {self.bn_momentum!r}.")


def paper_recipe(epochs: int = 30, batch_size: int = 256) -> Recipe:
    """Section 5.2's recipe, with the learning rate scaled linearly from 0.256 per 4,096 images.

    The reference code also warms up for 5 epochs (RMSProp's first steps are large while its
    average of squared gradients is still small); here the warm-up is 5 epochs or a tenth of
    the run, whichever is shorter.
    """
    return Recipe("paper", "rmsprop", lr=0.256 * batch_size / 4096, batch_size=batch_size, epochs=epochs,
                  weight_decay=1e-5, schedule="step", warmup_epochs=min(5.0, epochs / 10),
                  decay_rate=0.97, decay_epochs=2.4, momentum=0.9, rmsprop_decay=0.9, eps=1e-3,
                  label_smoothing=0.0, augment=True, bn_momentum=0.01)


def short_recipe(epochs: int = 20, batch_size: int = 512) -> Recipe:
    """A recipe for a few epochs of small images: AdamW, one-cycle, label smoothing 0.1.

    The learning rate follows the square root of the batch size (Adam's usual rule; a linear
    rule starves small CPU batches): 4e-3 at 512 images.

    BatchNorm momentum 0.1 (PyTorch's default) rather than 0.01: with a few hundred steps in all,
    running statistics that average over ~100 steps would lag the weights at test time.
    """
    return Recipe("short", "adamw", lr=4e-3 * math.sqrt(batch_size / 512), batch_size=batch_size, epochs=epochs,
                  weight_decay=0.05, schedule="one-cycle", warmup_epochs=max(0.5, epochs * 0.15),
                  momentum=0.9, label_smoothing=0.1, augment=True, bn_momentum=0.1)


RECIPES: dict[str, Callable[..., Recipe]] = {"paper": paper_recipe, "short": short_recipe}


def recipe(name: str = "short", **changes) -> Recipe:
    """A named recipe (``"paper"`` or ``"short"``) with any field changed.

    ``epochs`` and ``batch_size`` go through the recipe's own rule (the learning rate follows the
    batch size); other fields replace the value directly.

    >>> recipe("paper", batch_size=4096).lr
    0.256
    """
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}; choose one of {', '.join(RECIPES)}.")
    sized = {k: changes.pop(k) for k in ("epochs", "batch_size") if k in changes}
    for k, v in sized.items():   # before the recipe's rule divides by them
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{k} must be a whole number of at least 1, got {v!r}.")
    base = RECIPES[name](**sized)
    unknown = set(changes) - {f.name for f in fields(Recipe)}
    if unknown:
        raise ValueError(f"Unknown recipe field(s) {sorted(unknown)}; fields: {[f.name for f in fields(Recipe)]}.")
    return replace(base, **changes)


def learning_rate(r: Recipe, step: int, steps_per_epoch: int) -> float:
    """The learning rate at optimiser step ``step`` (0-based).

    >>> r = recipe("paper", batch_size=4096, warmup_epochs=0)
    >>> learning_rate(r, 0, 100), round(learning_rate(r, 240, 100), 5)   # one decay after 2.4 epochs
    (0.256, 0.24832)
    """
    epoch = step / steps_per_epoch
    if epoch < r.warmup_epochs:
        return r.lr * (1 / 25 + (1 - 1 / 25) * epoch / r.warmup_epochs)
    if r.schedule == "step":
        return r.lr * r.decay_rate ** math.floor(epoch / r.decay_epochs)
    span = max(r.epochs - r.warmup_epochs, 1e-9)
    progress = min(1.0, (epoch - r.warmup_epochs) / span)
    return r.lr * (1e-3 + (1 - 1e-3) * 0.5 * (1 + math.cos(math.pi * progress)))


def _optimizer(r: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": r.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # One fused kernel updates every parameter (AdamW, SGD) instead of a few kernels per parameter
    # tensor: on a GPU a small model's step is otherwise mostly launches. RMSprop has no fused
    # form, so it updates the tensors in multi-tensor batches. (Fused on the CPU and CUDA only,
    # the devices where PyTorch has the kernels everywhere.)
    has_kernels = all(p.device.type in ("cpu", "cuda") for p in decay + no_decay) or None
    if r.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=r.lr, alpha=r.rmsprop_decay, eps=r.eps, momentum=r.momentum,
                                   foreach=has_kernels)
    if r.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=r.lr, betas=(r.momentum, 0.999), fused=has_kernels)
    return torch.optim.SGD(groups, lr=r.lr, momentum=r.momentum, nesterov=True, fused=has_kernels)


# --------------------------------------------------------------------------- results

@dataclass
class History:
    """What a run measured: one dict per epoch (losses, accuracies, learning rate, time)."""

    epochs: list[dict] = field(default_factory=list)
    recipe: dict = field(default_factory=dict)
    seed: int = 0
    image_size: int = 0
    device: str = ""
    world_size: int = 1

    @property
    def test_accuracy(self) -> list[float]:
        return [e["test_accuracy"] for e in self.epochs]

    @property
    def final_accuracy(self) -> float:
        return self.epochs[-1]["test_accuracy"] if self.epochs else float("nan")

    @property
    def best_accuracy(self) -> float:
        return max(self.test_accuracy, default=float("nan"))

    @property
    def seconds(self) -> float:
        return sum(e["seconds"] for e in self.epochs)

    def to_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        return (f"History({len(self.epochs)} epoch{'s' * (len(self.epochs) != 1)}, final test accuracy {self.final_accuracy:.4f}, "
                f"best {self.best_accuracy:.4f}, {self.seconds:.1f} s on {self.device})")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be resumed: unreadable, or made for another model or run."""


# --------------------------------------------------------------------------- checkpoints

def _signature(model: nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`train`, or say clearly why it cannot be used."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(error).__name__}: {str(error)[:200]}). "
            "It may be truncated or damaged. It was left untouched: delete or rename it to start "
            "afresh, or pass another checkpoint path.") from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} was not written by effnet_lib.learn.train (format {CHECKPOINT_FORMAT!r} expected). "
            "It was left untouched; pass another checkpoint path.")
    return state


def _check_compatible(state: dict, path: Path, model: nn.Module, r: Recipe, seed: int, image_size: int) -> None:
    problems = []
    saved, current = state["signature"], _signature(model)
    if saved != current:
        missing = sorted(set(saved) ^ set(current))[:3]
        reshaped = [k for k in saved if k in current and saved[k] != current[k]][:3]
        problems.append("the model differs (" + ", ".join(
            [f"parameter {k} only in one of them" for k in missing]
            + [f"{k} is {saved[k]} there, {current[k]} here" for k in reshaped]) + ")")
    saved_recipe = state["recipe"]
    for k, v in asdict(r).items():
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


def _save_atomically(state: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)  # atomic on POSIX and Windows: readers see the old or the new file


# --------------------------------------------------------------------------- distributed

def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank); starts the process group when torchrun asked for one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
    return 0, 1, 0


def _unwrap(model: nn.Module) -> nn.Module:
    model = getattr(model, "_orig_mod", model)       # torch.compile
    return getattr(model, "module", model)           # DistributedDataParallel


# --------------------------------------------------------------------------- the loop

#: torch.compile's modes that ``train(compile=...)`` accepts. "reduce-overhead" replays each step
#: as one CUDA graph (what a small model at 24 px needs: its step is mostly kernel launches).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs")


def _compile_mode(compile: bool | str) -> str | None:
    if compile is False or compile is None:
        return None
    if compile is True:
        return "default"
    if compile not in COMPILE_MODES:
        raise ValueError(f"compile must be True, False or one of {', '.join(COMPILE_MODES)}; got {compile!r}.")
    return compile


def _loss_and_tally(net: nn.Module, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor,
                    label_smoothing: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean loss over a batch's real images, and its tally (loss sum, correct, images).

    One function from images to tally, so that ``torch.compile`` fuses the loss and the counting
    into the network's own kernels, and the tally is summed on the device: no step waits for the
    GPU.
    """
    with _autocast(x.device):
        logits = net(x)
    losses = F.cross_entropy(logits.float(), y, reduction="none", label_smoothing=label_smoothing) * mask
    correct = (logits.argmax(1) == y) & mask
    real = mask.sum()
    loss = losses.sum() / real
    return loss, torch.stack([losses.sum().detach(), correct.sum().to(loss.dtype), real.to(loss.dtype)])


def evaluate(model: nn.Module, data: ImageData, image_size: int, batch_size: int = 1024,
             device: str | torch.device | None = None) -> dict:
    """Test loss and accuracy of ``model`` on ``data``'s test split at ``image_size`` px."""
    device = torch.device(device or next(model.parameters()).device)
    rank, world, _ = _distributed() if dist.is_initialized() else (0, 1, 0)
    batches = Batches(data.test_images.to(device), data.test_labels.to(device), batch_size, image_size,
                      data.mean, data.std, train=False, rank=rank, world_size=world,
                      channels_last=device.type == "cuda")
    return _evaluate(_loss_and_tally, model, batches, device, label_smoothing=0.0)


def _evaluate(step: Callable, net: nn.Module, batches: Batches, device: torch.device, label_smoothing: float) -> dict:
    net.eval()
    totals = torch.zeros(3, device=device, dtype=torch.float64)  # loss sum, correct, count
    with torch.inference_mode():
        for x, y, mask in batches:
            totals += step(net, x, y, mask, label_smoothing)[1]
    if dist.is_initialized():
        dist.all_reduce(totals)
    loss_sum, correct, count = totals.tolist()
    return {"test_loss": loss_sum / count, "test_accuracy": correct / count}


def _autocast(device: torch.device):
    # bf16 needs no loss scaling (same exponent range as float32); on the CPU float32 is faster.
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")


class _LatestLoss:
    """The training loss for the progress bar, read back without making the CPU wait for the GPU.

    Every ``every`` steps a copy of the loss sets off for the host; the bar shows the latest copy
    that has arrived. ``loss.item()`` instead would stall the CPU until the GPU caught up, and the
    GPU would then idle while the CPU queued the next step.
    """

    def __init__(self, device: torch.device, every: int = 25):
        self.every, self.cuda = every, device.type == "cuda"
        self.host = torch.zeros((), pin_memory=self.cuda)
        self.arrived = torch.cuda.Event() if self.cuda else None
        self.pending, self.value = False, None

    def offer(self, step: int, loss: torch.Tensor) -> float | None:
        if self.pending and self.arrived.query():
            self.value, self.pending = self.host.item(), False
        if step % self.every == 0 and not self.pending:
            if self.cuda:
                self.host.copy_(loss.detach(), non_blocking=True)
                self.arrived.record()
                self.pending = True
            else:
                self.value = loss.item()   # the CPU computed it already: nothing to wait for
        return self.value


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


def _tqdm_bar(label: str, **options):
    from tqdm.auto import tqdm
    return tqdm(desc=label, **options)


def train(model: nn.Module, data: ImageData, training_recipe: Recipe | str = "short", *,
          epochs: int | None = None, image_size: int | None = None, device: str | torch.device | None = None,
          seed: int = 0, checkpoint: str | os.PathLike | None = None, resume: bool = False,
          overwrite: bool = False, compile: bool | str = False, progress: bool = True, label: str | None = None,
          bar: Callable[..., Any] | None = None, on_epoch_end: Callable[[dict], None] | None = None) -> History:
    """Train ``model`` on ``data`` with ``training_recipe``; return the per-epoch :class:`History`.

    ``image_size`` defaults to the model's own (``model.spec.image_size``) or the data's native
    size. With ``checkpoint``, the state is saved after every epoch; ``resume=True`` continues
    from it (and starts afresh when the file does not exist yet); an existing file is otherwise
    refused unless ``overwrite=True``. ``compile`` is False, True or a mode of ``COMPILE_MODES``.
    ``label`` names the progress bar (default: the model's name and image size). ``bar`` makes it,
    called as ``bar(total=..., initial=..., label=..., unit=..., disable=...)``; the default is tqdm's,
    and a notebook passes ``effnet_lib.face.static.progress``, whose bar a saved notebook shows as it ended.
    ``on_epoch_end`` is called with each epoch's record after its checkpoint is written (raise
    from it to stop early; the run can be resumed).
    """
    r = RECIPES[training_recipe]() if isinstance(training_recipe, str) and training_recipe in RECIPES else training_recipe
    if not isinstance(r, Recipe):
        raise ValueError(f"training_recipe must be a Recipe or one of {list(RECIPES)}, got {training_recipe!r}.")
    if epochs is not None:
        r = replace(r, epochs=epochs)
    mode = _compile_mode(compile)
    path = check_output_file(checkpoint, "checkpoint") if checkpoint is not None else None
    rank, world, local_rank = _distributed()
    if device is None:
        device = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)
    spec = getattr(_unwrap(model), "spec", None)
    image_size = int(image_size or (spec.image_size if spec is not None else data.native_size))
    if r.batch_size % world:
        raise ValueError(f"batch_size {r.batch_size} must divide evenly over {world} processes.")
    per_rank = r.batch_size // world
    if len(data.train_labels) < r.batch_size:
        raise ValueError(f"{len(data.train_labels)} training images is fewer than one batch of "
                         f"{r.batch_size}; lower the batch size (e.g. recipe('short', batch_size=64)).")

    model = model.to(device)
    cuda = device.type == "cuda"
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    if r.bn_momentum is not None:
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.momentum = r.bn_momentum
    optimizer = _optimizer(r, model)
    history = History(recipe=asdict(r), seed=seed, image_size=image_size, device=describe(hardware(device)),
                      world_size=world)

    start = 0
    if path is not None and path.exists():
        if resume:
            state = load_checkpoint(path)
            _check_compatible(state, path, model, r, seed, image_size)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            history.epochs = list(state["history"])
            start = state["epoch"]
        elif not overwrite:
            raise FileExistsError(
                f"{path} already exists. Pass resume=True (CLI: --resume) to continue that run, "
                "overwrite=True (--overwrite) to replace it, or another checkpoint path.")

    data = data.to(device)
    train_batches = Batches(data.train_images, data.train_labels, per_rank, image_size, data.mean, data.std,
                            train=True, augment=r.augment, seed=seed, rank=rank, world_size=world,
                            channels_last=cuda)
    # A compiled step sees one batch shape only (evaluation pads its last batch to it): no recompiles.
    test_batches = Batches(data.test_images, data.test_labels, per_rank if mode else max(per_rank, 256),
                           image_size, data.mean, data.std, train=False, rank=rank, world_size=world,
                           channels_last=cuda)
    steps = len(train_batches)
    net, step, evaluation_step = model, _loss_and_tally, _loss_and_tally
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    if mode is not None:
        compiled = torch.compile(_loss_and_tally, mode=mode, dynamic=False)
        # Under DDP the wrapped module is compiled (DDP splits its graph at the gradient buckets).
        step = compiled if world == 1 else _loss_and_tally
        net = torch.compile(net, mode=mode, dynamic=False) if world > 1 else net
        evaluation_step = compiled
    graphs = cuda and mode == "reduce-overhead"

    shown_bar = (bar or _tqdm_bar)(total=r.epochs * steps, initial=start * steps, disable=not progress or rank != 0,
                                   label=label or f"{getattr(spec, 'name', type(model).__name__)} @ {image_size}px",
                                   unit="step")
    shown = _LatestLoss(device)
    for epoch in range(start, r.epochs):
        # Every random draw of this epoch (dropout, stochastic depth, order, augmentation) follows
        # from (seed, epoch, rank): resuming at any epoch replays it exactly.
        torch.manual_seed(_mix(seed, epoch, rank))
        train_batches.set_epoch(epoch)
        net.train()
        totals = torch.zeros(3, device=device, dtype=torch.float64)
        started = time.perf_counter()
        for i, (x, y, mask) in enumerate(train_batches):
            lr = learning_rate(r, epoch * steps + i, steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            if epoch == 0 and i == 0:
                _seed_running_statistics(model, x)
            if graphs:
                torch.compiler.cudagraph_mark_step_begin()
            loss, tally = step(net, x, y, mask, r.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            totals += tally   # summed on the device: no step waits for the GPU
            shown_bar.update()
            if not shown_bar.disable and (latest := shown.offer(i, loss)) is not None:
                shown_bar.set_postfix(epoch=epoch + 1, loss=f"{latest:.3f}", refresh=False)
        if dist.is_initialized():
            dist.all_reduce(totals)
            for buffer in model.buffers():  # BatchNorm statistics: every rank keeps rank 0's
                dist.broadcast(buffer, 0)
        loss_sum, correct, count = totals.tolist()
        train_seconds = time.perf_counter() - started
        record = {"epoch": epoch + 1, "train_loss": loss_sum / count, "train_accuracy": correct / count,
                  **_evaluate(evaluation_step, model, test_batches, device, 0.0), "lr": lr,
                  "seconds": time.perf_counter() - started,
                  "images_per_second": count / train_seconds}
        history.epochs.append(record)
        shown_bar.set_postfix(epoch=epoch + 1, test_accuracy=f"{record['test_accuracy']:.4f}")
        if path is not None and rank == 0:
            _save_atomically({"format": CHECKPOINT_FORMAT, "epoch": epoch + 1, "model": model.state_dict(),
                              "optimizer": optimizer.state_dict(), "history": history.epochs,
                              "recipe": asdict(r), "seed": seed, "image_size": image_size,
                              "signature": _signature(model)}, path)
        if dist.is_initialized():
            dist.barrier()  # nobody starts the next epoch (or returns) before the checkpoint exists
        if on_epoch_end is not None:
            on_epoch_end(record)
    shown_bar.close()
    return history


@torch.no_grad()
def _seed_running_statistics(model: nn.Module, x: torch.Tensor) -> None:
    """Let the first batch set BatchNorm's running statistics outright (momentum 1).

    PyTorch starts every running variance at 1. Deep in a freshly initialised EfficientNet the
    true variance can be 1e-3, and with momentum 0.1 the initial 1 still outweighs it after 50
    steps: a short run then evaluates with statistics that belong to no real batch, and test
    accuracy sits at chance while training accuracy climbs. One extra forward pass on the plain
    module (not the compiled or DDP one, so neither recompiles nor syncs) fixes that.
    Only layers still at PyTorch's initial statistics are seeded: pretrained statistics (a
    fine-tuned Lite0, whose checkpoint reports no tracked batches) are knowledge, not noise.
    """
    norms = [m for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    fresh = [_fresh(m) for m in norms]
    if not any(fresh):
        return
    momenta = [m.momentum for m in norms]
    for m, is_fresh in zip(norms, fresh):
        m.momentum = 1.0 if is_fresh else 0.0   # 0.0: this extra pass leaves the others untouched
    with _autocast(x.device):
        model(x)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum


def _fresh(norm: nn.modules.batchnorm._BatchNorm) -> bool:
    """Whether a BatchNorm still holds the statistics it was created with (mean 0, variance 1)."""
    return bool((norm.running_mean == 0).all() and (norm.running_var == 1).all())


# --------------------------------------------------------------------------- command line

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
            check_output_file(self.checkpoint, "checkpoint")
        if self.history is not None:
            history = check_output_file(self.history, "history", example="history.json")
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
    from .cli import add_options

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
    from ..model.network import efficientnet
    from .cli import from_args

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
    except (FileExistsError, CheckpointError, ValueError) as error:
        raise SystemExit(f"error: {error}")
    rank = dist.get_rank() if dist.is_initialized() else 0
    if rank == 0:
        print(history)
        if run.history:
            Path(run.history).parent.mkdir(parents=True, exist_ok=True)
            Path(run.history).write_text(json.dumps(history.to_dict(), indent=1))
    return model, history


if __name__ == "__main__":
    main()
    if dist.is_initialized():
        dist.destroy_process_group()
