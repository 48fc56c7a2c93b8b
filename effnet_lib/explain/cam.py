"""Class activation maps: where a network looks when it names a class (the paper's Figure 7).

The paper shows the maps of B0 scaled by depth, by width, by resolution and by all three
(compound) at about the same FLOPS (Table 7), and observes that the compound model attends to
more of the object. This module makes that comparison and measures it:

* `class_activation_maps` computes maps with the `grad-cam` package (`pytorch_grad_cam`):
  Grad-CAM, Grad-CAM++, Score-CAM, Eigen-CAM, LayerCAM (`METHODS`), checking its input first.
  At the last convolution of a network that pools globally into one linear layer (EfficientNet),
  Grad-CAM's map is exactly the class activation map of Zhou et al. (2016) that the paper draws;
* `load_cam_models` reads the small scaled Fashion-MNIST models kept in `data/cam_models/`
  (made by `benchmarks/train_cam_models.py`), `scaling_table` is their Table 7 analogue;
* `figure7` draws the grid: one row per image, one column per model, titled with FLOPS and accuracy;
* `object_mass` measures the share of a map's mass that falls on the object (on Fashion-MNIST the
  garment's nonzero pixels), `object_mass_table` reports it per model, seed and method, and
  `summarise_object_mass` gives the mean and spread over seeds;
* `top_class_maps` and `plot_top_classes` show a pretrained ImageNet model's maps for its top classes.

Maps are those the package returns: negative evidence clipped at 0, then each map scaled to [0, 1]
(its minimum subtracted, divided by its maximum), at the input's size.
"""
from __future__ import annotations

import contextlib
import difflib
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..model.inputs import prepare_images
from ..model.network import EfficientNet, efficientnet
from ..rules.scaling import scale
from ..rules.families import resolve

CAM_MODELS_DIR = Path(__file__).resolve().parent.parent / "data" / "cam_models"
STRATEGIES = ("baseline", "depth", "width", "resolution", "compound")

# name -> class name in pytorch_grad_cam; resolved lazily so `import effnet_lib` works without grad-cam.
METHODS = {
    "gradcam": "GradCAM",            # Selvaraju et al. 2017: channels weighted by their mean gradient
    "gradcam++": "GradCAMPlusPlus",  # Chattopadhay et al. 2018: positive gradients, higher-order weights
    "scorecam": "ScoreCAM",          # Wang et al. 2020: channels weighted by the score of the masked input
    "eigencam": "EigenCAM",          # Muhammad & Yeasin 2020: first principal component, class-agnostic
    "layercam": "LayerCAM",          # Jiang et al. 2021: gradients weight each position, not each channel
}
DEFAULT_LAYER = "head"   # the last convolution (1x1 conv, BN, activation) before pooling, as in CAM

# Which row of the paper's Table 7 (`effnet_lib.paper.TABLE_7`) each strategy stands for.
PAPER_TABLE_7_ROWS = {
    "baseline": "baseline",
    "depth": "depth (d=4)",
    "width": "width (w=2)",
    "resolution": "resolution (r=2)",
    "compound": "compound (d=1.4, w=1.2, r=1.3)",
}


def _grad_cam_class(method: str):
    if method not in METHODS:
        raise ValueError(f"unknown CAM method {method!r}; choose one of: {', '.join(METHODS)}.")
    try:
        import pytorch_grad_cam
    except ImportError:
        raise ImportError("class activation maps use the PyPI package 'grad-cam': `pip install grad-cam` "
                          "(it is in the course's extras: `pip install -e .[course]`).") from None
    return getattr(pytorch_grad_cam, METHODS[method])


# -- checks at the edge -------------------------------------------------------------------------

def find_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule called `name` (as in `model.named_modules()`), or an error listing close names."""
    layers = dict(model.named_modules())
    if not isinstance(name, str) or name not in layers or name == "":
        named = [n for n in layers if n]
        close = difflib.get_close_matches(str(name), named, n=5, cutoff=0.5)
        top = [n for n in named if "." not in n]
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"the model has no layer named {name!r}.{hint} Its top-level layers are "
                         f"{', '.join(repr(t) for t in top)}; the last convolution, usual for CAMs, is "
                         f"{DEFAULT_LAYER!r} in effnet_lib's EfficientNet. `dict(model.named_modules())` "
                         "lists every name.")
    return layers[name]


def _num_classes(model: nn.Module) -> int | None:
    if hasattr(model, "num_classes"):
        return int(model.num_classes)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return linears[-1].out_features if linears else None


def check_images(model: nn.Module, images: torch.Tensor, image_size: int | None = None) -> torch.Tensor:
    """`images` as a float (N, C, H, W) batch of the channels and size the model expects.

    The size expected is `image_size`, else the model's own (`model.spec.image_size`): a CAM of
    an image the model was not trained at says little about the model.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor shaped (N, C, H, W), got {type(images).__name__}; "
                        "prepare Fashion-MNIST images with CamModel.inputs(...) or a photo with the "
                        "pretrained model's preprocess(...).")
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4:
        raise ValueError(f"images must be shaped (N, C, H, W) or (C, H, W), got {tuple(images.shape)}.")
    if not images.is_floating_point():
        raise ValueError(f"images must be normalised float tensors, got dtype {images.dtype}; "
                         "use CamModel.inputs(...) or the pretrained model's preprocess(...).")
    spec = getattr(model, "spec", None)
    channels = spec.in_channels if spec is not None else None
    if channels is not None and images.shape[1] != channels:
        what = {1: "grey (1 channel)", 3: "colour (3 channels)"}
        raise ValueError(f"{spec.name} takes {what.get(channels, f'{channels}-channel')} images, got "
                         f"{images.shape[1]} channel(s) in a batch shaped {tuple(images.shape)}; "
                         + ("convert colour to grey, e.g. images.mean(1, keepdim=True)." if channels == 1
                            else "repeat a grey channel, e.g. images.expand(-1, 3, -1, -1)."))
    size = image_size or (spec.image_size if spec is not None else None)
    if size is not None and tuple(images.shape[-2:]) != (size, size):
        raise ValueError(f"{getattr(spec, 'name', 'the model')} expects {size} x {size} px images, got "
                         f"{images.shape[-2]} x {images.shape[-1]}; resize them first (CamModel.inputs "
                         "does it), or pass image_size= if the model is meant to see another size.")
    return images


def check_classes(model: nn.Module, classes: int | Sequence[int], count: int) -> list[int]:
    """One class index per image, each within the model's classes."""
    if isinstance(classes, (int, np.integer)):
        classes = [int(classes)] * count
    elif isinstance(classes, torch.Tensor):
        classes = classes.flatten().tolist()
    classes = list(classes)
    if len(classes) != count:
        raise ValueError(f"give one class index per image: {count} image(s), {len(classes)} class index(es).")
    total = _num_classes(model)
    for c in classes:
        if not isinstance(c, (int, np.integer)) or isinstance(c, bool):
            raise TypeError(f"class indices must be integers, got {c!r}.")
        if total is not None and not 0 <= c < total:
            raise ValueError(f"class index {c} is out of range: the model has {total} classes, "
                             f"numbered 0 to {total - 1}.")
    return [int(c) for c in classes]


# -- the maps -----------------------------------------------------------------------------------

def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 64) -> list[int]:
    """The model's most probable class for each image, `batch_size` images at a time."""
    with torch.no_grad():
        return torch.cat([model(images[i:i + batch_size]).argmax(1)
                          for i in range(0, len(images), batch_size)]).tolist()


def class_activation_maps(model: nn.Module, images: torch.Tensor, classes: int | Sequence[int] | None = None,
                          method: str = "gradcam", layer: str = DEFAULT_LAYER,
                          image_size: int | None = None, batch_size: int = 64) -> np.ndarray:
    """Maps of `images` for `classes` (default: the model's predictions), shaped (N, H, W), in [0, 1].

    `method` is one of `METHODS`; `layer` names the module whose output is explained (default the
    last convolution, `"head"`). The model is put in eval mode. Images go through `batch_size` at a
    time (memory grows with it); Score-CAM also runs its one forward pass per channel in such batches.

    >>> import effnet_lib
    >>> net = effnet_lib.efficientnet(effnet_lib.scale(effnet_lib.SMALL_B0, 0.3, 0.25), num_classes=10)
    >>> class_activation_maps(net, torch.randn(2, 1, 24, 24), classes=[3, 7]).shape
    (2, 24, 24)
    """
    cam_class = _grad_cam_class(method)
    target_layer = find_layer(model, layer)
    images = check_images(model, images, image_size)
    model.eval()
    device = next(model.parameters()).device
    images = images.to(device)
    if classes is None:
        classes = predict(model, images, batch_size)
    classes = check_classes(model, classes, len(images))
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    cam = cam_class(model=model, target_layers=[target_layer])
    cam.batch_size = batch_size   # read by Score-CAM only
    maps = []
    try:
        # Score-CAM draws a progress bar per image; keep notebooks and tests quiet.
        with torch.enable_grad(), contextlib.redirect_stderr(io.StringIO()):
            # A chunk at a time: the backward pass keeps every layer's activations of the whole batch.
            for start in range(0, len(images), batch_size):
                chunk = slice(start, start + batch_size)
                maps.append(cam(input_tensor=images[chunk],
                                targets=[ClassifierOutputTarget(c) for c in classes[chunk]]))
    finally:
        cam.activations_and_grads.release()   # remove the hooks, or later forward passes keep them
    return np.concatenate(maps).astype(np.float32, copy=False)


def resize_maps(maps: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Maps (N, h, w) resized bilinearly to `size`, e.g. a model's 36 px maps back to 28 px."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    tensor = torch.as_tensor(np.asarray(maps, dtype=np.float32))[:, None]
    if tuple(tensor.shape[-2:]) == size:
        return tensor[:, 0].numpy()
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[:, 0].clamp_(min=0).numpy()


# -- how much of the map lies on the object -----------------------------------------------------

def object_masks(images: torch.Tensor | np.ndarray, threshold: int = 0) -> np.ndarray:
    """Boolean (N, H, W) masks of the object: pixels brighter than `threshold` in any channel.

    Fashion-MNIST garments lie on a black (0) background, so their nonzero pixels are the object.
    """
    array = images.cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise ValueError(f"images must be shaped (N, C, H, W) or (N, H, W), got {array.shape}.")
    return (array > threshold).any(axis=1)


def object_mass(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per image, the share of the map's total mass that falls on the mask, in [0, 1].

    A map spread evenly over the image scores the mask's area; a map entirely on the object
    scores 1. Maps are first resized to the masks' size. An all-zero map scores NaN.

    >>> maps = np.zeros((1, 4, 4)); maps[0, :2] = 1.0
    >>> masks = np.zeros((1, 4, 4), bool); masks[0, :, :2] = True
    >>> float(object_mass(maps, masks)[0])
    0.5
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or len(masks) != len(maps):
        raise ValueError(f"need one (H, W) mask per map: {len(maps)} maps, masks shaped {masks.shape}.")
    maps = resize_maps(maps, masks.shape[-2:])
    total = maps.sum(axis=(1, 2))
    on_object = (maps * masks).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, on_object / np.where(total > 0, total, 1), np.nan)


# -- the scaled Fashion-MNIST models ------------------------------------------------------------

@dataclass
class CamModel:
    """One trained model of `data/cam_models/` with what Table 7 reports about it."""

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
    record: dict = field(repr=False, default_factory=dict)   # everything the training script wrote

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
        loaded.append(CamModel(record["strategy"], record["seed"], model.eval(), record["multipliers"],
                               record["multiply_adds"], record["parameters"], record["test_accuracy"],
                               tuple(record["mean"]), tuple(record["std"]), tuple(record["classes"]), record))
    if not loaded:
        raise FileNotFoundError(f"{folder} has no model for strategies {list(strategies)} and seeds {seeds}.")
    return sorted(loaded, key=lambda m: (list(strategies).index(m.strategy), m.seed))


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return float("nan"), float("nan")
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return mean, spread


def scaling_table(models: Sequence[CamModel]) -> list[dict]:
    """Table 7's analogue: per strategy, multipliers, FLOPS, parameters and accuracy (mean, std over seeds)."""
    rows = []
    for strategy in dict.fromkeys(m.strategy for m in models):
        group = [m for m in models if m.strategy == strategy]
        mean, spread = _mean_std([m.accuracy for m in group])
        first = group[0]
        rows.append({"strategy": strategy, **first.multipliers, "resolution_px": first.image_size,
                     "multiply_adds": first.multiply_adds, "parameters": first.parameters,
                     "accuracy": mean, "accuracy_std": spread, "seeds": len(group)})
    return rows


def object_mass_table(models: Sequence[CamModel], images: torch.Tensor, labels: torch.Tensor,
                      methods: Sequence[str] = ("gradcam", "gradcam++", "layercam"),
                      layer: str = DEFAULT_LAYER) -> list[dict]:
    """For each model and method: the mean share of map mass on the garment, over `images`.

    Maps are for the true `labels`, resized to the images' native size; `area` is the mean share
    of the image the garment covers (what a map spread evenly would score).
    """
    masks = object_masks(images)
    area = float(masks.mean())
    rows = []
    for m in models:
        inputs = m.inputs(images)
        correct = (torch.tensor(predict(m.model.eval(), inputs)) == labels.cpu()).float().mean().item()
        for method in methods:
            shares = object_mass(class_activation_maps(m.model, inputs, labels.tolist(), method, layer), masks)
            rows.append({"strategy": m.strategy, "seed": m.seed, "method": method,
                         "object_mass": float(np.nanmean(shares)), "area": area,
                         "empty_maps": int(np.isnan(shares).sum()), "accuracy_here": correct,
                         "images": len(images)})
    return rows


def summarise_object_mass(rows: Sequence[dict]) -> list[dict]:
    """`object_mass_table` rows -> one row per strategy and method with mean and std over seeds."""
    out = []
    for key in dict.fromkeys((r["strategy"], r["method"]) for r in rows):
        group = [r for r in rows if (r["strategy"], r["method"]) == key]
        mean, spread = _mean_std([r["object_mass"] for r in group])
        out.append({"strategy": key[0], "method": key[1], "object_mass": mean, "object_mass_std": spread,
                    "lift": mean / group[0]["area"], "seeds": len(group)})
    return out


# -- pictures -----------------------------------------------------------------------------------

def overlay(image: np.ndarray | torch.Tensor, cam: np.ndarray, image_weight: float = 0.5) -> np.ndarray:
    """A map drawn over an image in the package's colour scale: (H, W, 3) uint8.

    `image` is uint8 or float in [0, 1], grey (H, W) / (1, H, W) or colour (H, W, 3) / (3, H, W).
    """
    from pytorch_grad_cam.utils.image import show_cam_on_image

    array = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = array.transpose(1, 2, 0)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    array = array.astype(np.float32) / (255.0 if array.dtype == np.uint8 or array.max() > 1 else 1.0)
    cam = resize_maps(np.asarray(cam)[None], array.shape[:2])[0]
    return show_cam_on_image(np.clip(array, 0, 1), np.clip(cam, 0, 1), use_rgb=True, image_weight=image_weight)


def _flops(madds: int) -> str:
    return f"{madds / 1e9:.2f}B" if madds >= 1e9 else f"{madds / 1e6:.1f}M"


def figure7(models: Sequence[CamModel], images: torch.Tensor, labels: torch.Tensor,
            method: str = "gradcam", layer: str = DEFAULT_LAYER, size: float = 1.6):
    """Figure 7's grid: a row per image, its picture, then one map per model (its true class).

    Each column is titled with the model's scaling, FLOPS (multiply-adds) and test accuracy, the
    numbers Table 7 puts next to the paper's figure. Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    if not models:
        raise ValueError("figure7 needs at least one model, e.g. load_cam_models(seeds=[0]).")
    maps = [resize_maps(class_activation_maps(m.model, m.inputs(images), labels.tolist(), method, layer),
                        images.shape[-2:]) for m in models]
    rows, columns = len(images), len(models) + 1
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + 0.8), squeeze=False)
    names = models[0].classes
    for i in range(rows):
        axes[i, 0].imshow(images[i, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=255)
        axes[i, 0].set_ylabel(names[int(labels[i])], fontsize=8)
        for j, m in enumerate(models, start=1):
            axes[i, j].imshow(overlay(images[i], maps[j - 1][i]))
    axes[0, 0].set_title("image", fontsize=8)
    for j, m in enumerate(models, start=1):
        axes[0, j].set_title(f"{m.label}\n{_flops(m.multiply_adds)} FLOPS, {m.accuracy:.1%}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"Figure 7 analogue: {method} maps of scaled models at matched FLOPS", fontsize=9)
    fig.tight_layout()
    return fig


def top_class_maps(model: nn.Module, image: torch.Tensor, k: int = 3, method: str = "gradcam",
                   layer: str = DEFAULT_LAYER) -> tuple[list[int], list[float], np.ndarray]:
    """The model's `k` most probable classes for one image, their probabilities and their maps."""
    image = check_images(model, image)
    if len(image) != 1:
        raise ValueError(f"top_class_maps explains one image at a time, got a batch of {len(image)}.")
    model.eval()
    with torch.no_grad():
        probabilities = model(image).softmax(1)[0]
    top = probabilities.topk(k)
    classes = top.indices.tolist()
    maps = class_activation_maps(model, image.expand(k, -1, -1, -1), classes, method, layer)
    return classes, top.values.tolist(), maps


def plot_top_classes(model: nn.Module, photos: dict[str, np.ndarray], preprocess, categories: Sequence[str],
                     k: int = 3, method: str = "gradcam", layer: str = DEFAULT_LAYER, size: float = 2.2):
    """A row per photo: the (cropped) photo, then its maps for the model's top `k` classes.

    `preprocess` turns a photo into the model's input (e.g. `lite0_pretrained().preprocess`, which
    scales to [-1, 1]); the picture shown is that input mapped back to [0, 1], so maps and pixels align.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(photos), k + 1, figsize=(size * (k + 1), size * len(photos) + 0.3), squeeze=False)
    for row, (name, photo) in zip(axes, photos.items()):
        x = preprocess(photo)
        shown = ((x[0] * 0.5 + 0.5).clamp(0, 1) if x.shape[1] == 3 else x[0]).permute(1, 2, 0).numpy()
        classes, probabilities, maps = top_class_maps(model, x, k, method, layer)
        row[0].imshow(shown)
        row[0].set_title(name, fontsize=8)
        for ax, c, p, cam in zip(row[1:], classes, probabilities, maps):
            ax.imshow(overlay(shown, cam))
            ax.set_title(f"{categories[c]} ({p:.0%})", fontsize=8)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"{method} maps for the top {k} classes", fontsize=9)
    fig.tight_layout()
    return fig
