"""One training loop for notebooks, the command line and ``torchrun``.

    history = train(efficientnet("small-b0", 10), load_dataset("fashion-mnist"), recipe("short"), label="baseline")

What it does, and why:

* **Recipes are plain data** (:mod:`.recipes`): the paper's RMSProp recipe and a short AdamW one.
* **Validation, not test.** When the data carries a validation split (``ImageData.split_validation``)
  every epoch is measured on it, so choices made from a run's curve never touch the test set;
  :func:`evaluate` measures the test split once, when asked.
* **Fast where there is a GPU.** A small model at 16-32 px spends a GPU step mostly launching
  kernels, so the loop launches few and never waits: bf16 autocast and channels-last memory on
  CUDA; the data set lives on the GPU and is augmented there many batches at a time
  (:class:`effnet_lib.learn.batches.Batches`); the loss and the counts of correct answers are one
  function with the network (compiled with it when ``compile`` is set; ``"reduce-overhead"``
  replays each step as CUDA graphs) and are summed on the device, read back once per epoch; one
  fused AdamW (or SGD) kernel updates every weight. The progress bar's loss travels to the host
  without stopping the GPU. Float32 on the CPU, where bf16 is slower and less exact.
* **Checkpoints that survive** (:mod:`.checkpoints`): written every epoch all at once. Each epoch reseeds every random draw from
  (seed, epoch), so a resumed run ends with exactly the weights of an uninterrupted one (on the
  CPU; GPU kernels are not bit-exact run to run). An existing checkpoint is never overwritten
  unless asked, and a damaged or mismatched one is refused with a message saying what differs.
* **DDP.** Under ``torchrun`` (``WORLD_SIZE`` > 1) each process trains on its share of every
  batch, gradients are averaged, and only rank 0 writes the checkpoint.
* **Plain data out.** :func:`train` returns a :class:`History` (one dict per epoch) and prints
  nothing but the progress bar.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from . import checkpoints
from .batches import Batches, seed_from
from .datasets import ImageData
from .hardware import describe, hardware
from .recipes import RECIPES, Recipe, learning_rate

__all__ = ["History", "COMPILE_MODES", "train", "evaluate"]


# --------------------------------------------------------------------------- the optimiser

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
    """What a run measured: one dict per epoch (losses, accuracies, learning rate, time).

    ``monitored`` names the split measured after every epoch: "validation" when the data has one,
    else "test". Its accuracy is ``epochs[i][f"{monitored}_accuracy"]``.
    """

    epochs: list[dict] = field(default_factory=list)
    recipe: dict = field(default_factory=dict)
    seed: int = 0
    image_size: int = 0
    device: str = ""
    world_size: int = 1
    monitored: str = "test"

    @property
    def accuracy(self) -> list[float]:
        """The monitored split's accuracy after each epoch."""
        return [e[f"{self.monitored}_accuracy"] for e in self.epochs]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1] if self.epochs else float("nan")

    @property
    def best_accuracy(self) -> float:
        return max(self.accuracy, default=float("nan"))

    @property
    def seconds(self) -> float:
        return sum(e["seconds"] for e in self.epochs)

    def to_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        return (f"History({len(self.epochs)} epoch{'s' * (len(self.epochs) != 1)}, final {self.monitored} accuracy "
                f"{self.final_accuracy:.4f}, best {self.best_accuracy:.4f}, {self.seconds:.1f} s on {self.device})")


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


def evaluate(model: nn.Module, data: ImageData, image_size: int, split: str = "test", batch_size: int = 1024,
             device: str | torch.device | None = None) -> dict:
    """Loss and accuracy of ``model`` on ``data``'s ``split`` ("test" or "validation") at ``image_size`` px,
    as ``{"test_loss": ..., "test_accuracy": ...}`` (keys named after the split)."""
    device = torch.device(device or next(model.parameters()).device)
    images, labels = data.split(split)
    rank, world, _ = _distributed() if dist.is_initialized() else (0, 1, 0)
    batches = Batches(images.to(device), labels.to(device), batch_size, image_size,
                      data.mean, data.std, train=False, rank=rank, world_size=world,
                      channels_last=_channels_last(device))
    return _evaluate(_loss_and_tally, model, batches, device, split)


def _evaluate(step: Callable, net: nn.Module, batches: Batches, device: torch.device, split: str) -> dict:
    net.eval()
    totals = torch.zeros(3, device=device, dtype=torch.float64)  # loss sum, correct, count
    with torch.inference_mode():
        for x, y, mask in batches:
            totals += step(net, x, y, mask, 0.0)[1]
    if dist.is_initialized():
        dist.all_reduce(totals)
    loss_sum, correct, count = totals.tolist()
    return {f"{split}_loss": loss_sum / count, f"{split}_accuracy": correct / count}


def _channels_last(device: torch.device) -> bool:
    """Channels-last memory on the GPU (tensor cores) and on the CPU (oneDNN's depthwise and 1x1
    convolutions run faster on it: `benchmarks/cpu_train_loop.py` measures how much)."""
    return device.type in ("cuda", "cpu")


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
    r = _recipe(training_recipe, epochs)
    mode = _compile_mode(compile)
    path = checkpoints.check_output_file(checkpoint, "checkpoint") if checkpoint is not None else None
    rank, world, local_rank = _distributed()
    device = _device(device, local_rank)
    spec = getattr(_unwrap(model), "spec", None)
    image_size = int(image_size or (spec.image_size if spec is not None else data.native_size))
    if r.batch_size % world:
        raise ValueError(f"batch_size {r.batch_size} must divide evenly over {world} processes.")
    if len(data.train_labels) < r.batch_size:
        raise ValueError(f"{len(data.train_labels)} training images is fewer than one batch of "
                         f"{r.batch_size}; lower the batch size (e.g. recipe('short', batch_size=64)).")

    model = model.to(device)
    if _channels_last(device):
        model = model.to(memory_format=torch.channels_last)
    if r.bn_momentum is not None:
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.momentum = r.bn_momentum
    optimizer = _optimizer(r, model)
    monitored = "validation" if data.has_validation else "test"
    history = History(recipe=asdict(r), seed=seed, image_size=image_size, device=describe(hardware(device)),
                      world_size=world, monitored=monitored)
    start = _resume(path, resume, overwrite, model, optimizer, history, r, seed, image_size)
    loop = _Loop.build(model, data.to(device), r, mode, image_size, seed, rank, world, device, monitored)

    shown_bar = (bar or _tqdm_bar)(total=r.epochs * loop.steps, initial=start * loop.steps,
                                   disable=not progress or rank != 0, unit="step",
                                   label=label or f"{getattr(spec, 'name', type(model).__name__)} @ {image_size}px")
    for epoch in range(start, r.epochs):
        record = loop.epoch(epoch, optimizer, shown_bar)
        history.epochs.append(record)
        shown_bar.set_postfix({"epoch": epoch + 1, f"{monitored}_accuracy": f"{record[f'{monitored}_accuracy']:.4f}"})
        if path is not None and rank == 0:
            checkpoints.save({"epoch": epoch + 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                              "history": history.epochs, "recipe": asdict(r), "seed": seed, "image_size": image_size,
                              "signature": checkpoints.signature(model)}, path)
        if dist.is_initialized():
            dist.barrier()  # nobody starts the next epoch (or returns) before the checkpoint exists
        if on_epoch_end is not None:
            on_epoch_end(record)
    shown_bar.close()
    return history


def _recipe(training_recipe: Recipe | str, epochs: int | None) -> Recipe:
    r = RECIPES[training_recipe]() if isinstance(training_recipe, str) and training_recipe in RECIPES else training_recipe
    if not isinstance(r, Recipe):
        raise ValueError(f"training_recipe must be a Recipe or one of {list(RECIPES)}, got {training_recipe!r}.")
    return replace(r, epochs=epochs) if epochs is not None else r


def _device(device: str | torch.device | None, local_rank: int) -> torch.device:
    """The device asked for, else this process's GPU (under torchrun, the one of its local rank) or the CPU."""
    if device is None:
        device = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    return torch.device("cuda", local_rank) if device.type == "cuda" and device.index is None else device


def _resume(path: Path | None, resume: bool, overwrite: bool, model: nn.Module, optimizer: torch.optim.Optimizer,
            history: History, r: Recipe, seed: int, image_size: int) -> int:
    """Load the checkpoint to continue from (if asked and present); return the epoch to start at."""
    if path is None or not path.exists():
        return 0
    if not resume:
        if overwrite:
            return 0
        raise FileExistsError(
            f"{path} already exists. Pass resume=True (CLI: --resume) to continue that run, "
            "overwrite=True (--overwrite) to replace it, or another checkpoint path.")
    state = checkpoints.load(path)
    checkpoints.check_compatible(state, path, model, r, seed, image_size)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    history.epochs = list(state["history"])
    return state["epoch"]


@dataclass
class _Loop:
    """One run's batches and steps, ready to train an epoch at a time."""

    model: nn.Module                # the plain module (checkpoints, BatchNorm seeding)
    net: nn.Module                  # what the step calls: the module, DDP-wrapped or compiled
    step: Callable                  # loss and tally of a training batch (compiled when asked)
    evaluation_step: Callable
    recipe: Recipe
    train_batches: Batches
    monitor_batches: Batches
    device: torch.device
    seed: int
    rank: int
    graphs: bool                    # replay each step as a CUDA graph (compile mode "reduce-overhead")
    monitored: str
    shown: "_LatestLoss"

    @property
    def steps(self) -> int:
        return len(self.train_batches)

    @classmethod
    def build(cls, model: nn.Module, data: ImageData, r: Recipe, mode: str | None, image_size: int, seed: int,
              rank: int, world: int, device: torch.device, monitored: str) -> "_Loop":
        layout, cuda, per_rank = _channels_last(device), device.type == "cuda", r.batch_size // world
        train_batches = Batches(data.train_images, data.train_labels, per_rank, image_size, data.mean, data.std,
                                train=True, augment=r.augment, seed=seed, rank=rank, world_size=world,
                                channels_last=layout)
        # A compiled step sees one batch shape only (evaluation pads its last batch to it): no recompiles.
        monitor_batches = Batches(*data.split(monitored), per_rank if mode else max(per_rank, 256),
                                  image_size, data.mean, data.std, train=False, rank=rank, world_size=world,
                                  channels_last=layout)
        net, step, evaluation_step = model, _loss_and_tally, _loss_and_tally
        if world > 1:
            net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
        if mode is not None:
            compiled = torch.compile(_loss_and_tally, mode=mode, dynamic=False)
            # Under DDP the wrapped module is compiled (DDP splits its graph at the gradient buckets).
            step = compiled if world == 1 else _loss_and_tally
            net = torch.compile(net, mode=mode, dynamic=False) if world > 1 else net
            evaluation_step = compiled
        return cls(model, net, step, evaluation_step, r, train_batches, monitor_batches, device, seed, rank,
                   cuda and mode == "reduce-overhead", monitored, _LatestLoss(device))

    def epoch(self, epoch: int, optimizer: torch.optim.Optimizer, bar) -> dict:
        """Train one epoch, then measure the monitored split; return the epoch's record."""
        r, steps = self.recipe, self.steps
        # Every random draw of this epoch (dropout, stochastic depth, order, augmentation) follows
        # from (seed, epoch, rank): resuming at any epoch replays it exactly.
        torch.manual_seed(seed_from(self.seed, epoch, self.rank))
        self.train_batches.set_epoch(epoch)
        self.net.train()
        totals = torch.zeros(3, device=self.device, dtype=torch.float64)
        started = time.perf_counter()
        for i, (x, y, mask) in enumerate(self.train_batches):
            lr = learning_rate(r, epoch * steps + i, steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            if epoch == 0 and i == 0:
                _seed_running_statistics(self.model, x)
            if self.graphs:
                torch.compiler.cudagraph_mark_step_begin()
            loss, tally = self.step(self.net, x, y, mask, r.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            totals += tally   # summed on the device: no step waits for the GPU
            bar.update()
            if not bar.disable and (latest := self.shown.offer(i, loss)) is not None:
                bar.set_postfix(epoch=epoch + 1, loss=f"{latest:.3f}", refresh=False)
        if dist.is_initialized():
            dist.all_reduce(totals)
            for buffer in self.model.buffers():  # BatchNorm statistics: every rank keeps rank 0's
                dist.broadcast(buffer, 0)
        loss_sum, correct, count = totals.tolist()
        train_seconds = time.perf_counter() - started
        return {"epoch": epoch + 1, "train_loss": loss_sum / count, "train_accuracy": correct / count,
                **_evaluate(self.evaluation_step, self.model, self.monitor_batches, self.device, self.monitored),
                "lr": lr, "seconds": time.perf_counter() - started, "images_per_second": count / train_seconds}


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


if __name__ == "__main__":      # `python -m effnet_lib.learn.train`: the command line lives in train_command.py
    from .train_command import main

    main()
    if dist.is_initialized():
        dist.destroy_process_group()
