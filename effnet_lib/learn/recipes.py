"""How to train, as plain data: a :class:`Recipe` (optimiser, schedule, regularisation), the two
named recipes, and the learning rate at every step.

No torch here, so a study (`studies.py`) can say how its networks train without loading PyTorch.

* ``"paper"`` is Section 5.2's ImageNet recipe (RMSProp with decay 0.9 and momentum 0.9, BatchNorm
  momentum 0.99 i.e. PyTorch 0.01, weight decay 1e-5, learning rate 0.256 per 4096 images decayed by
  0.97 every 2.4 epochs). It was tuned for 350 epochs of ImageNet.
* ``"short"`` is for a few epochs of small images: AdamW, a one-cycle schedule (linear warm-up, then
  cosine), label smoothing, crop-and-flip.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Callable

__all__ = ["Recipe", "RECIPES", "recipe", "paper_recipe", "short_recipe", "learning_rate"]


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
