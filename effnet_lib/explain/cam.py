"""The small scaled Fashion-MNIST models of Figure 7 and Table 7, as `data/cam_models/` stores them.

Interim home: the experiment engine (`effnet_lib.learn`) is to train and store these models as
one of its studies; when its loader lands, notebook 6 reads them from there and this module goes.
The maps themselves are `explain.maps`, the object-mass measure `explain.focus`, the figures
`face.cam_figures`.

* `from_study` takes the models the engine's Table 7 study kept (`learn.experiments.load_trained_models`,
  passed in as plain (record, model) pairs, so this layer imports nothing of learn);
* `load_cam_models` reads the earlier set kept in `data/cam_models/` (made by
  `benchmarks/train_cam_models.py`), `save_cam_model` writes one, `load_sample` reads the
  Fashion-MNIST test images kept beside them;
* `scaling_table` is their Table 7 analogue: per strategy, cost and accuracy with the seed spread.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from ..model.inputs import prepare_images
from ..model.network import EfficientNet, efficientnet
from ..rules.families import resolve
from ..rules.scaling import scale

CAM_MODELS_DIR = Path(__file__).resolve().parents[2] / "data" / "cam_models"
STRATEGIES = ("baseline", "depth", "width", "resolution", "compound")


@dataclass
class CamModel:
    """One trained, scaled model with what Table 7 reports about it: from `data/cam_models/`
    (`load_cam_models`) or from the experiment engine's Table 7 study (`from_study_record`)."""

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
    record: dict = field(repr=False, default_factory=dict)   # everything the training script wrote

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
    """The Fashion-MNIST test images kept next to the models: (uint8 images (N, 1, 28, 28), labels, class names).

    A few hundred images, so the grid and the object-mass measure work where the data set is not installed.
    """
    path = (Path(folder) if folder is not None else CAM_MODELS_DIR) / SAMPLE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; `python benchmarks/train_cam_models.py --sample-only` "
                                "writes it from Fashion-MNIST.")
    with np.load(path) as sample:
        return (torch.from_numpy(sample["images"]), torch.from_numpy(sample["labels"].astype(np.int64)),
                tuple(str(c) for c in sample["classes"]))


RECORD_FIELDS = ("strategy", "seed", "spec", "multipliers", "num_classes", "classes", "mean", "std",
                 "multiply_adds", "parameters", "test_accuracy")


def float16_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state with floating tensors in float16: half the disk space, ~3 significant digits."""
    return {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}


def save_cam_model(model: nn.Module, record: dict, folder: str | Path | None = None) -> Path:
    """Write `<strategy>_seed<seed>.pt` (float16 weights) and `.json` (`record`), as `load_cam_models` reads them.

    `record` must hold `RECORD_FIELDS`; `spec` is {"base", "depth", "width", "resolution"}, the
    arguments that rebuild the network with `scale(network(base), depth, width, resolution)`.
    """
    missing = [k for k in RECORD_FIELDS if k not in record]
    if missing:
        raise ValueError(f"the record lacks {missing}; load_cam_models needs {list(RECORD_FIELDS)}.")
    folder = Path(folder) if folder is not None else CAM_MODELS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{record['strategy']}_seed{record['seed']}"
    torch.save(float16_state(model), folder / f"{stem}.pt")
    (folder / f"{stem}.json").write_text(json.dumps({**record, "checkpoint": f"{stem}.pt"}, indent=1) + "\n")
    return folder / f"{stem}.json"


def load_cam_models(folder: str | Path | None = None, seeds: Sequence[int] | None = None,
                    strategies: Sequence[str] = STRATEGIES) -> list[CamModel]:
    """The models of `folder` (default `data/cam_models/`), in `strategies` order, then by seed."""
    folder = Path(folder) if folder is not None else CAM_MODELS_DIR
    records = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not records:
        raise FileNotFoundError(f"no CAM models found in {folder}: make them with "
                                "`python benchmarks/train_cam_models.py --seed 0` (a few minutes on a CPU).")
    loaded = []
    for path in records:
        record = json.loads(path.read_text())
        if record.get("strategy") not in strategies or (seeds is not None and record["seed"] not in seeds):
            continue
        s = record["spec"]
        spec = scale(resolve(s["base"]), depth=s["depth"], width=s["width"], resolution=s["resolution"])
        model = efficientnet(spec, num_classes=record["num_classes"])
        state = torch.load(folder / record["checkpoint"], map_location="cpu", weights_only=True)
        try:
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        except RuntimeError as error:
            raise ValueError(f"{record['checkpoint']} does not fit the network {path.name} describes "
                             f"({str(error)[:300]}); retrain it with benchmarks/train_cam_models.py.") from None
        try:
            data, recipe, machine = record["data"], record["recipe"], record["hardware"]
            training = (f"{data['train_images']:,} Fashion-MNIST training images, {recipe['epochs']} epochs (recipe "
                        f"'{recipe['name']}', batch {recipe['batch_size']}), tested on {data['test_images']:,}; "
                        f"{machine['cpu']} CPU, {machine['torch_threads']} thread(s)")
        except KeyError:   # a record written by save_cam_model alone says nothing of its training
            training = "(training not recorded)"
        loaded.append(CamModel(record["strategy"], record["seed"], model.eval(), record["multipliers"],
                               record["multiply_adds"], record["parameters"], record["test_accuracy"],
                               tuple(record["mean"]), tuple(record["std"]), tuple(record["classes"]), training,
                               record))
    if not loaded:
        raise FileNotFoundError(f"{folder} has no model for strategies {list(strategies)} and seeds {seeds}.")
    return sorted(loaded, key=lambda m: (list(strategies).index(m.strategy), m.seed))


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
