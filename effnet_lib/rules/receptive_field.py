"""The theoretical receptive field of every stage, computed from the stage table alone.

Section 3.2 of the paper argues for compound scaling by intuition: a bigger image needs more
layers, so that the receptive field grows with it. The receptive field of a layer is the square
of input pixels that can influence one of its outputs. Every convolution of kernel k widens it
by (k - 1) times the jump (the input pixels between two neighbouring positions of its input),
and every stride s multiplies the jump by s:

    field_out = field_in + (kernel - 1) * jump_in,        jump_out = jump_in * stride

1x1 convolutions and the head change neither. This is the *theoretical* field of the convolutions,
the pixels that *can* reach an output; how strongly the outer ones do is another question. (The
squeeze-and-excitation gates average the whole map, so in B0 every pixel nudges every channel's
scale; they weigh channels rather than look at places, and are left out here.)

    >>> [f.receptive_field for f in stage_fields(B0)]
    [3, 7, 19, 67, 147, 339, 787, 851]
"""
from __future__ import annotations

from typing import NamedTuple

from .architecture import B0, Network, blocks, output_size
from .families import resolve

STEM_POOL_KERNEL = 3   # ResNet's max-pool after the stem is 3x3, stride 2 (as the model layer builds it)


class StageField(NamedTuple):
    """The receptive field at the output of one row of Table 1 (the stem, then each stage)."""

    stage: int              # Table 1's numbering: 1 is the stem, 2.. the stages
    operator: str
    image_size: int         # the network's input, in pixels
    output_size: int        # height = width of the stage's output map
    receptive_field: int    # pixels (per side) of the input one output position can see
    jump: int               # input pixels between neighbouring output positions (the product of strides)

    @property
    def coverage(self) -> float:
        """Receptive field over image size: below 1 an output sees part of the image, above 1 all of it."""
        return self.receptive_field / self.image_size


def stage_fields(name_or_spec: str | Network, image_size: int | None = None) -> list[StageField]:
    """The receptive field after the stem and after every stage of a network, in Table 1's order.

    `image_size` (pixels) defaults to the network's own; it changes the coverage, not the field.
    """
    spec = resolve(name_or_spec)
    size = spec.image_size if image_size is None else image_size
    field, jump = spec.stem_kernel, spec.stem_stride
    if spec.stem_pool:
        field, jump = field + (STEM_POOL_KERNEL - 1) * jump, jump * 2
    rows = spec.with_(image_size=size).rows()
    fields = [StageField(1, rows[0]["operator"], size, output_size(size, spec.stem_reduction), field, jump)]
    walk = list(blocks(spec.with_(image_size=size)))
    start = 0
    for number, (stage, row) in enumerate(zip(spec.stages, rows[1:]), start=2):
        for block in walk[start:start + stage.repeats]:
            field += (block.kernel - 1) * jump
            jump *= block.stride
            out = block.out_size
        start += stage.repeats
        fields.append(StageField(number, row["operator"], size, out, field, jump))
    return fields


def receptive_field(name_or_spec: str | Network) -> int:
    """The receptive field of the last stage, the one the head pools over (851 px for B0)."""
    return stage_fields(name_or_spec)[-1].receptive_field


def first_stage_seeing_everything(name_or_spec: str | Network, image_size: int | None = None) -> int | None:
    """Table 1's number of the first stage whose receptive field spans the whole image (None if none does).

    >>> first_stage_seeing_everything(B0)            # 224 px: stage 5's 147 px is short, stage 6's 339 px is not
    6
    """
    for f in stage_fields(name_or_spec, image_size):
        if f.receptive_field >= f.image_size:
            return f.stage
    return None

