"""Images into a network: uint8 pictures -> normalised float tensors at the network's input size.

One function serves training batches (with augmentation), evaluation, and class activation maps,
so a model always sees its inputs prepared the same way.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def prepare_images(images: torch.Tensor, image_size: int, mean: Sequence[float], std: Sequence[float],
                   augment: bool = False, generator: torch.Generator | None = None,
                   crop_padding: int | None = None) -> torch.Tensor:
    """uint8 images (N, C, H, W) -> normalised float images at ``image_size`` x ``image_size``.

    With ``augment``: a random crop (pad by ``crop_padding`` pixels, default 1/8 of the side,
    then cut the original size back out at a random offset) and a random horizontal flip, both
    done at the native size on the images' own device. Resizing comes after augmenting, so the
    same crop means the same fraction of the picture at every size. Downsampling is
    antialiased (otherwise a 16 px copy of a 28 px image aliases instead of blurring).
    """
    x = images.float().div_(255)
    n, c, h, w = x.shape
    if augment:
        pad = max(1, h // 8) if crop_padding is None else crop_padding
        device = x.device
        shifts = torch.randint(0, 2 * pad + 1, (2, n), generator=generator,
                               device=generator.device if generator is not None else "cpu").to(device)
        flips = torch.rand(n, generator=generator,
                           device=generator.device if generator is not None else "cpu").to(device) < 0.5
        padded = F.pad(x, (pad, pad, pad, pad))  # zero padding: black borders, as in the usual crop
        rows = shifts[0][:, None] + torch.arange(h, device=device)  # (N, H)
        cols = shifts[1][:, None] + torch.arange(w, device=device)  # (N, W)
        cols = torch.where(flips[:, None], cols.flip(1), cols)      # a flip is a reversed column order
        x = padded[torch.arange(n, device=device)[:, None, None, None],
                   torch.arange(c, device=device)[None, :, None, None],
                   rows[:, None, :, None], cols[:, None, None, :]]
    if (h, w) != (image_size, image_size):
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear",
                          align_corners=False, antialias=image_size < h)
    # as_tensor leaves a tensor already on the device alone: Batches passes those, so a GPU
    # epoch does no host-to-device copy per batch.
    mean_t = torch.as_tensor(mean, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
    std_t = torch.as_tensor(std, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
    return (x - mean_t) / std_t
