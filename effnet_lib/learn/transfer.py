"""Transfer learning: fine-tune the ImageNet-pretrained Lite0 on a small data set, against scratch.

Section 5.3 of the paper fine-tunes ImageNet checkpoints on eight other data sets (Table 5). Here
the same idea runs at course scale: the pretrained EfficientNet-Lite0 gets a new classifier for
Fashion-MNIST's 10 classes, its grey images are copied into the three colour channels it expects,
and it is trained next to the *same* network started from random weights, with the same recipe,
data and seed, so that the only difference between the two curves is where the weights started.

Training itself is `effnet_lib.learn.train.train`; this module only prepares the two models and data.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterable

import torch
from torch import nn

from .datasets import ImageData, load_dataset
from ..model.network import EfficientNet, efficientnet
from ..rules.architecture import check_num_classes
from .recipes import Recipe, recipe as make_recipe
from .train import History, train
from ..model.weights import LITE0_MEAN, LITE0_STD, lite0_pretrained


@dataclass(frozen=True)
class TransferSettings:
    """How big a comparison to run: a CPU mode (subset, few steps) and a GPU mode."""

    train_images: int | None   # None: the whole training split
    test_images: int | None
    image_size: int            # Lite0 was pretrained at 224 px; smaller is faster and weaker
    epochs: int
    batch_size: int
    lr: float | None = None    # None: the short recipe's rule for this batch size

    def recipe(self) -> Recipe:
        changes = {"lr": self.lr} if self.lr is not None else {}
        return make_recipe("short", epochs=self.epochs, batch_size=self.batch_size, **changes)


# A few minutes on two CPU cores: 1,024 images at 64 px, 3 epochs.
CPU_MODE = TransferSettings(train_images=1024, test_images=1000, image_size=64, epochs=3, batch_size=64)
# The whole of Fashion-MNIST at Lite0's own 224 px.
GPU_MODE = TransferSettings(train_images=None, test_images=None, image_size=224, epochs=5, batch_size=256)
# Seconds, for tests and EFFNET_SMOKE=1: it checks the plumbing, not the result.
SMOKE_MODE = TransferSettings(train_images=32, test_images=32, image_size=32, epochs=1, batch_size=32)


def as_rgb(data: ImageData) -> ImageData:
    """Grey images copied into three identical channels, normalised as Lite0 expects ([-1, 1]).

    An ImageNet network's first convolution wants colour; repeating the grey channel gives it a
    grey photo, which it has seen plenty of, and keeps its pretrained stem usable as it is.
    """
    if data.channels == 3:
        return replace(data, mean=LITE0_MEAN, std=LITE0_STD)
    if data.channels != 1:
        raise ValueError(f"as_rgb expects grey (1-channel) or colour (3-channel) images, "
                         f"got {data.channels} channels in {data.name}.")
    return replace(data, train_images=data.train_images.repeat(1, 3, 1, 1),
                   test_images=data.test_images.repeat(1, 3, 1, 1), mean=LITE0_MEAN, std=LITE0_STD)


def replace_classifier(model: EfficientNet, num_classes: int) -> EfficientNet:
    """Swap the 1000-class ImageNet classifier for a freshly initialised one with `num_classes` outputs."""
    check_num_classes(num_classes)
    model.classifier = nn.Linear(model.classifier.in_features, num_classes)
    model.num_classes = num_classes
    return model


def lite0_model(num_classes: int = 10, pretrained: bool = True, seed: int = 0) -> EfficientNet:
    """Lite0 with a `num_classes` classifier: ImageNet weights (`pretrained=True`) or random ones.

    The seed fixes the new classifier (and, from scratch, every weight), so both arms of the
    comparison start their classifiers the same way.
    """
    torch.manual_seed(seed)
    if pretrained:
        model = lite0_pretrained().model
    else:
        model = efficientnet("lite0")
    torch.manual_seed(seed)
    return replace_classifier(model, num_classes).train()


@dataclass
class TransferResult:
    """Accuracy against epochs for the pretrained and the from-scratch Lite0, with the settings used."""

    pretrained: History
    scratch: History
    settings: dict = field(default_factory=dict)
    dataset: str = ""

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "settings": self.settings,
                "pretrained": self.pretrained.to_dict(), "scratch": self.scratch.to_dict()}

    def curves(self) -> dict[str, list[float]]:
        """{"pretrained": [test accuracy after epoch 1, 2, ...], "scratch": [...]}: what the figure plots."""
        return {"pretrained": self.pretrained.accuracy, "scratch": self.scratch.accuracy}


def load_transfer_data(settings: TransferSettings, name: str = "fashion-mnist", seed: int = 0,
                       root=None, download: bool = False) -> ImageData:
    """The data set cut to the settings' class-balanced subset, as three-channel images for Lite0."""
    data = load_dataset(name, root, download=download, train=settings.train_images,
                        test=settings.test_images, seed=seed)
    return as_rgb(data)


ARMS = (("pretrained", True), ("scratch", False))   # the two runs of the comparison, in the order they train


def compare_transfer(data: ImageData, settings: TransferSettings = CPU_MODE, *, seed: int = 0,
                     device: str | torch.device | None = None, progress: bool = True,
                     bar: Callable[..., Iterable] | None = None) -> TransferResult:
    """Fine-tune the pretrained Lite0 and train a from-scratch Lite0 on `data`, same recipe and seed.

    `data` should come from `load_transfer_data` (or `as_rgb`): three channels, Lite0's normalisation.
    `progress` shows the training loop's own bar for each run, counting its steps. `bar`, if given, makes
    those bars instead (the training loop's `bar`, e.g. `effnet_lib.face.static.progress`, whose bar a
    saved notebook shows as it ended), labelled "transfer: pretrained" and "transfer: scratch".
    """
    if data.channels != 3:
        raise ValueError(f"Lite0 takes colour images; {data.name} has {data.channels} channel(s). "
                         "Pass the data through effnet_lib.transfer.as_rgb first.")
    runs = {}
    for arm, pretrained in ARMS:
        model = lite0_model(data.num_classes, pretrained=pretrained, seed=seed)
        runs[arm] = train(model, data, settings.recipe(), image_size=settings.image_size, device=device,
                          seed=seed, progress=progress, label=f"transfer: {arm}", bar=bar)
    return TransferResult(runs["pretrained"], runs["scratch"], settings=asdict(settings), dataset=data.name)
