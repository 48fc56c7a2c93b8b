"""Activation memory: the tensors of Eq. 1, counted from the stage table (no model is built).

Eq. 2 constrains Memory(N) and FLOPS(N). Memory is not the parameter count: the same kernels slide
over a larger image, so resolution leaves the weights alone, while every tensor <H_i, W_i, C_i>
that flows from one layer to the next grows with r^2 (and with w, and with d through the extra
layers). A forward pass in training keeps these tensors for the backward pass; at inference only
about the largest has to exist at once.

Counted here: the input image, the stem's output, and the output of every block, one value per
height x width x channel, for one image. The wider tensors inside a block (MBConv's expansion,
six times wider) add more on top, growing by the same rules.

    >>> m = activations(B0)
    >>> m.total, m.largest                      # values for one 224 px image
    (1132096, 401408)
    >>> activations(B0.with_(image_size=448)).total / m.total   # r = 2: four times the memory
    4.0
"""
from __future__ import annotations

from typing import NamedTuple

from .architecture import B0, Network, blocks, output_size
from .families import resolve

BYTES_PER_VALUE = 4   # float32


class Activations(NamedTuple):
    """The tensors between layers, for one image: their sum and the largest of them (values, not bytes)."""

    total: int
    largest: int

    @property
    def total_megabytes(self) -> float:
        """float32 megabytes (10^6 bytes) the forward pass writes for one image, what training keeps."""
        return self.total * BYTES_PER_VALUE / 1e6


def activations(name_or_spec: str | Network, image_size: int | None = None) -> Activations:
    """Values in the tensors that flow between the layers of a network, for one image at `image_size` px."""
    spec = resolve(name_or_spec)
    if image_size is not None:
        spec = spec.with_(image_size=image_size)
    stem_size = output_size(spec.image_size, spec.stem_reduction)
    sizes = [spec.in_channels * spec.image_size ** 2, spec.stem_channels * stem_size ** 2]
    sizes += [b.out_channels * b.out_size ** 2 for b in blocks(spec)]
    return Activations(sum(sizes), max(sizes))
