"""The small scaled Fashion-MNIST models of Figure 7 and Table 7, as the explain layer sees them.

The experiment engine trains and keeps them (the base and one compound set of the `figures` study of
`effnet_lib.learn`: phi = 1 on the CPU, phi = 2 on a GPU); this module only wraps what it kept, so that explaining a model does not depend on
how it was trained. The maps themselves are `explain.maps`, the object-mass measure `explain.focus`, the
figures `face.cam_figures`; summaries over seeds are `results.analysis`'s, as for every trained result.

* `from_study` takes the engine's kept models (`learn.study_results.load_trained_models`), passed in as
  plain (record, model) pairs, so this layer imports nothing of learn;
* `load_sample` reads the Fashion-MNIST test images the course ships in `data/samples/`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from ..model.inputs import prepare_images
from ..model.network import EfficientNet
from ..results.locations import samples_dir
from ..results.records import RunRecord
from ..rules.vocabulary import STRATEGIES


@dataclass
class CamModel:
    """One trained, scaled model of the engine's study with what Table 7 reports about it."""

    record: RunRecord = field(repr=False)   # everything the engine recorded
    model: EfficientNet = field(repr=False)

    @classmethod
    def from_study_record(cls, record: RunRecord, model: EfficientNet) -> "CamModel":
        """A model the experiment engine trained and kept (`learn.study_results.load_trained_models`)."""
        return cls(record, model.eval())

    @property
    def strategy(self) -> str:
        return self.record.strategy

    @property
    def seed(self) -> int:
        return self.record.seed

    @property
    def multipliers(self) -> dict[str, float]:
        return {"depth": self.record.depth, "width": self.record.width, "resolution": self.record.resolution}

    @property
    def multiply_adds(self) -> int:
        return self.record.multiply_adds

    @property
    def accuracy(self) -> float:
        """Test accuracy of the trained weights (measured once, when the run ended)."""
        return self.record.test_accuracy

    @property
    def classes(self) -> tuple[str, ...]:
        return self.record.data.classes

    @property
    def training(self) -> str:
        """How it was trained, in a sentence (data, epochs, machine)."""
        data, recipe = self.record.data, self.record.settings["recipe"]
        return (f"{data.train_images:,} {data.name} training images, {recipe['epochs']} epoch(s) of {recipe['batch_size']}, "
                f"tested on {data.test_images:,}; {self.record.hardware.get('gpu') or self.record.hardware.get('cpu', '')}")

    @property
    def image_size(self) -> int:
        return self.model.spec.image_size

    @property
    def label(self) -> str:
        d, w, r = (self.multipliers[k] for k in ("depth", "width", "resolution"))
        if self.strategy == "baseline":
            return "baseline"
        if self.strategy == "compound":
            return f"compound (d={d:.2f}, w={w:.2f}, r={r:.2f})"
        return f"{self.strategy} ({self.strategy[0]}={self.multipliers[self.strategy]:.2f})"

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images (N, C, H, W) -> normalised floats at this model's input size, as in training."""
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError("CamModel.inputs takes the data set's uint8 images shaped (N, C, H, W), e.g. "
                             f"data.test_images[:8]; got {getattr(images, 'dtype', type(images).__name__)} "
                             f"shaped {tuple(getattr(images, 'shape', ()))}.")
        return prepare_images(images, self.image_size, self.record.data.mean, self.record.data.std)


def from_study(trained: Iterable[tuple[RunRecord, EfficientNet]]) -> list[CamModel]:
    """The (record, model) pairs of the engine's kept models as `CamModel`s, in `STRATEGIES` order, then by seed."""
    models = [CamModel.from_study_record(record, model) for record, model in trained]
    return sorted(models, key=lambda m: (STRATEGIES.index(m.strategy), m.seed))


SAMPLE_FILE = "fashion_mnist_test_sample.npz"


def load_sample(folder: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """The Fashion-MNIST test images the course ships: (uint8 images (N, 1, 28, 28), labels, class names).

    A few hundred images, so the grid and the object-mass measure work where the data set is not installed.
    """
    path = (Path(folder) if folder is not None else samples_dir()) / SAMPLE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; `python -m effnet_lib.learn.datasets fashion-mnist "
                                f"--sample {path}` writes it from Fashion-MNIST.")
    with np.load(path) as sample:
        return (torch.from_numpy(sample["images"]), torch.from_numpy(sample["labels"].astype(np.int64)),
                tuple(str(c) for c in sample["classes"]))
