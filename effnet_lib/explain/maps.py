"""Class activation maps: where a network finds the evidence for a class (the paper's Figure 7).

Maps come from the `grad-cam` package (`pytorch_grad_cam`): Grad-CAM, Grad-CAM++, Score-CAM,
Eigen-CAM and LayerCAM (`METHODS`). At the last convolution of a network that pools globally into
one linear layer (EfficientNet), Grad-CAM's map is exactly the class activation map of Zhou et al.
(2016) that the paper draws.

Input is checked where it enters (`check_images`, `check_classes`, `find_layer`), so a wrong
batch gets a sentence that says what to change instead of a torch error from deep inside a
convolution, or maps silently made of NaN.

Maps are what the package returns: negative evidence clipped at 0, then each map scaled to
[0, 1] (its minimum subtracted, divided by its maximum), at the input's size.
"""
from __future__ import annotations

import contextlib
import difflib
import io
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# name -> class name in pytorch_grad_cam; resolved lazily so `import effnet_lib` works without grad-cam.
METHODS = {
    "gradcam": "GradCAM",            # Selvaraju et al. 2017: channels weighted by their mean gradient
    "gradcam++": "GradCAMPlusPlus",  # Chattopadhay et al. 2018: positive gradients, higher-order weights
    "scorecam": "ScoreCAM",          # Wang et al. 2020: channels weighted by the score of the masked input
    "eigencam": "EigenCAM",          # Muhammad & Yeasin 2020: first principal component, class-agnostic
    "layercam": "LayerCAM",          # Jiang et al. 2021: gradients weight each position, not each channel
}
# Methods that read the class's gradient; the others ignore it (Eigen-CAM ignores the class).
GRADIENT_METHODS = ("gradcam", "gradcam++", "layercam")
DEFAULT_LAYER = "head"   # the last convolution (1x1 conv, BN, activation) before pooling, as in CAM


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


def _in_channels(model: nn.Module) -> int | None:
    spec = getattr(model, "spec", None)
    if spec is not None:
        return spec.in_channels
    first = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return first.in_channels if first is not None else None


def check_images(model: nn.Module, images: torch.Tensor, image_size: int | None = None) -> torch.Tensor:
    """`images` as a finite (N, C, H, W) batch of the dtype, channels and size the model expects.

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
    if images.shape[0] == 0 or images.numel() == 0:
        raise ValueError(f"the batch holds no pixels (shape {tuple(images.shape)}); pass at least one image, "
                         "e.g. images[:1] rather than images[:0].")
    if not images.is_floating_point():
        raise ValueError(f"images must be normalised float tensors, got dtype {images.dtype}; "
                         "use CamModel.inputs(...) or the pretrained model's preprocess(...), which turn "
                         "uint8 pictures into the floats the model was trained on.")
    weights = next(model.parameters(), None)
    if weights is not None and images.dtype != weights.dtype:
        raise ValueError(f"images are {images.dtype} but the model's weights are {weights.dtype}; convert "
                         f"the images (images.to({weights.dtype})) rather than the model.")
    bad = ~torch.isfinite(images)
    if bad.any():
        which = bad.flatten(1).any(1).nonzero().flatten().tolist()
        raise ValueError(f"{int(bad.sum())} pixel value(s) are NaN or infinite, in image(s) {which[:10]}"
                         f"{' ...' if len(which) > 10 else ''}; a map of such an image would be NaN. "
                         "Check how the images were normalised (a std of 0?).")
    channels = _in_channels(model)
    spec = getattr(model, "spec", None)
    name = getattr(spec, "name", "the model")
    if channels is not None and images.shape[1] != channels:
        what = {1: "grey (1 channel)", 3: "colour (3 channels)"}
        raise ValueError(f"{name} takes {what.get(channels, f'{channels}-channel')} images, got "
                         f"{images.shape[1]} channel(s) in a batch shaped {tuple(images.shape)}; "
                         + ("convert colour to grey, e.g. images.mean(1, keepdim=True)." if channels == 1
                            else "repeat a grey channel, e.g. images.expand(-1, 3, -1, -1)."))
    size = image_size or (spec.image_size if spec is not None else None)
    if size is not None and tuple(images.shape[-2:]) != (size, size):
        raise ValueError(f"{name} expects {size} x {size} px images, got "
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


def _activations_and_gradients(model: nn.Module, layer: nn.Module, images: torch.Tensor,
                               classes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The layer's output for `images`, and the gradient of each image's class score with respect to it."""
    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output))
    try:
        with torch.enable_grad():
            # A model whose weights are frozen still needs a graph from the input to the layer.
            needs_input_grad = not any(p.requires_grad for p in model.parameters())
            scores = model(images.detach().requires_grad_(needs_input_grad))
            chosen = scores.gather(1, torch.tensor(classes, device=scores.device)[:, None]).sum()
            gradients, = torch.autograd.grad(chosen, seen[-1])
    finally:
        handle.remove()
    return seen[-1].detach().cpu().numpy(), gradients.cpu().numpy()


def maps_for_methods(model: nn.Module, images: torch.Tensor, classes: int | Sequence[int] | None = None,
                     methods: Sequence[str] = ("gradcam",), layer: str = DEFAULT_LAYER,
                     image_size: int | None = None, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Maps of `images` for `classes` (default: the model's predictions) by each of `methods`.

    Returns {method: maps shaped (N, H, W), float32 in [0, 1]}. The methods share one forward and
    one backward pass per `batch_size` images, and each turns those activations and gradients into
    maps with the package's own code, so the maps equal what the package's `GradCAM(...)(...)`
    calls return (the test suite checks it) for a third of the work when three methods are asked.
    """
    cam_objects = {}
    target = find_layer(model, layer)
    images = check_images(model, images, image_size)
    for method in dict.fromkeys(methods):
        cam_objects[method] = _grad_cam_class(method)(model=model, target_layers=[target])
        cam_objects[method].activations_and_grads.release()   # this function takes its own pass
        cam_objects[method].batch_size = batch_size           # read by Score-CAM only
    if not cam_objects:
        raise ValueError(f"name at least one method, e.g. methods=('gradcam',); known: {', '.join(METHODS)}.")
    from pytorch_grad_cam.utils.image import scale_cam_image
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model.eval()
    images = images.to(next(model.parameters()).device)
    classes = check_classes(model, predict(model, images, batch_size) if classes is None else classes, len(images))
    size = (images.shape[-1], images.shape[-2])   # the package's (width, height)
    maps = {method: [] for method in cam_objects}
    # A chunk at a time: the backward pass keeps every layer's activations of the whole chunk.
    for start in range(0, len(images), batch_size):
        chunk, chunk_classes = images[start:start + batch_size], classes[start:start + batch_size]
        activations, gradients = _activations_and_gradients(model, target, chunk, chunk_classes)
        targets = [ClassifierOutputTarget(c) for c in chunk_classes]
        for method, cam in cam_objects.items():
            # Score-CAM draws a progress bar per image; keep notebooks and tests quiet.
            with contextlib.redirect_stderr(io.StringIO()):
                raw = cam.get_cam_image(chunk, target, targets, activations, gradients, False)
            # As the package's forward does for one target layer: clip, scale and resize, then scale again.
            maps[method].append(scale_cam_image(np.maximum(scale_cam_image(np.maximum(raw, 0), size), 0)))
    out = {method: np.concatenate(parts).astype(np.float32, copy=False) for method, parts in maps.items()}
    for method, result in out.items():
        if np.isnan(result).any():
            raise ValueError(f"{method} maps are NaN: the model's output at layer {layer!r} is not finite for "
                             "these images. Check the model's weights (a checkpoint with NaN?).")
    return out


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
    return maps_for_methods(model, images, classes, (method,), layer, image_size, batch_size)[method]


def resize_maps(maps: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Maps (N, h, w) resized bilinearly to `size`, e.g. a model's 36 px maps back to 28 px."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    tensor = torch.as_tensor(np.asarray(maps, dtype=np.float32))[:, None]
    if tuple(tensor.shape[-2:]) == size:
        return tensor[:, 0].numpy()
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[:, 0].clamp_(min=0).numpy()


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
