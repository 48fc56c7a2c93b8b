"""The small scaled Fashion-MNIST models of Figure 7 and Table 7, as the explain layer sees them.

The experiment engine trains and keeps them (the `table7` study of `effnet_lib.learn`); this module
only wraps what it kept, so that explaining a model does not depend on how it was trained. The maps
themselves are `explain.maps`, the object-mass measure `explain.focus`, the figures `face.cam_figures`.

* `from_study` takes the engine's kept models (`learn.experiments.load_trained_models`), passed in as
  plain (record, model) pairs, so this layer imports nothing of learn;
* `load_sample` reads the Fashion-MNIST test images the course ships in `data/samples/`;
* `scaling_table` is the models' Table 7 analogue: per strategy, cost and accuracy with the seed spread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from ..model.inputs import prepare_images
from ..model.network import EfficientNet

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
STRATEGIES = ("baseline", "depth", "width", "resolution", "compound")


@dataclass
class CamModel:
    """One trained, scaled model of the engine's Table 7 study with what Table 7 reports about it."""

    strategy: str               # "baseline", "depth", "width", "resolution" or "compound"
    seed: int
    model: EfficientNet = field(repr=False)
    multipliers: dict           # depth, width, resolution relative to the baseline
    multiply_adds: int          # the paper's "FLOPS"
    parameters: int
    accuracy: float             # test accuracy of these (float16-stored) weights
    mean: tuple[float, ...]     # normalisation of the training data
    std: tuple[float, ...]
    classes: tuple[str, ...] = field(repr=False)
    training: str = ""          # how it was trained, in a sentence (data, epochs, machine)
    record: dict = field(repr=False, default_factory=dict)   # everything the engine recorded

    @classmethod
    def from_study_record(cls, record: dict, model: EfficientNet) -> "CamModel":
        """A model the experiment engine trained and kept (`learn.experiments.load_trained_models`),
        from its record (plain data: nothing of learn is imported) and its network."""
        data, recipe, machine = record["data"], record["study"]["recipe"], record["hardware"]
        training = (f"{data['train_images']:,} {data['name']} training images, {recipe['epochs']} epoch(s) "
                    f"(recipe '{recipe['name']}', batch {recipe['batch_size']}), tested on {data['test_images']:,}; "
                    f"{record.get('device_name', machine.get('device', ''))}, {machine.get('cpu', '')}")
        return cls(record["strategy"], record["seed"], model.eval(), dict(record["multipliers"]),
                   record["multiply_adds"], record["parameters"], record["final_accuracy"], tuple(data["mean"]),
                   tuple(data["std"]), tuple(data["classes"]), training, record)

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
        return prepare_images(images, self.image_size, self.mean, self.std)


def from_study(trained: Iterable[tuple[dict, EfficientNet]]) -> list[CamModel]:
    """The (record, model) pairs of the engine's kept models as `CamModel`s, in `STRATEGIES` order, then by seed."""
    models = [CamModel.from_study_record(record, model) for record, model in trained]
    return sorted(models, key=lambda m: (STRATEGIES.index(m.strategy), m.seed))


SAMPLE_FILE = "fashion_mnist_test_sample.npz"


def load_sample(folder: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """The Fashion-MNIST test images the course ships: (uint8 images (N, 1, 28, 28), labels, class names).

    A few hundred images, so the grid and the object-mass measure work where the data set is not installed.
    """
    path = (Path(folder) if folder is not None else SAMPLES_DIR) / SAMPLE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; `python -m effnet_lib.learn.datasets fashion-mnist "
                                f"--sample {path}` writes it from Fashion-MNIST.")
    with np.load(path) as sample:
        return (torch.from_numpy(sample["images"]), torch.from_numpy(sample["labels"].astype(np.int64)),
                tuple(str(c) for c in sample["classes"]))


def scaling_table(models: Sequence[CamModel]) -> list[dict]:
    """Table 7's analogue: per strategy, multipliers, FLOPS, parameters and accuracy (mean, lowest and
    highest seed, std over seeds)."""
    rows = []
    for strategy in dict.fromkeys(m.strategy for m in models):
        group = [m for m in models if m.strategy == strategy]
        accuracies = [m.accuracy for m in group]
        mean = sum(accuracies) / len(accuracies)
        spread = (math.sqrt(sum((a - mean) ** 2 for a in accuracies) / (len(accuracies) - 1))
                  if len(accuracies) > 1 else 0.0)
        first = group[0]
        rows.append({"strategy": strategy, **first.multipliers, "resolution_px": first.image_size,
                     "multiply_adds": first.multiply_adds, "parameters": first.parameters,
                     "accuracy": mean, "accuracy_std": spread, "low": min(accuracies), "high": max(accuracies),
                     "seeds": len(group)})
    return rows
