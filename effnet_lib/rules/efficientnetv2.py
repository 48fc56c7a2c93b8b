"""What EfficientNetV2 (Tan & Le, ICML 2021) changed, as data: its stage table, fused early stages,
and progressive learning's schedule.

* `V2_S` is EfficientNetV2-S as the paper's Table 4 lists it (the reference code's `v2_s_block`,
  torchvision's `efficientnet_v2_s`): three Fused-MBConv stages, then MBConv stages with squeeze-excite.
* `fuse(spec, stages)` turns the first stage rows of any MBConv table into Fused-MBConv rows, so B0
  can be costed and timed with its early stages fused.
* `progressive_learning(...)` is the training schedule of progressive learning with adaptive
  regularisation: a few stages, each with a larger image and stronger augmentation than the last,
  computed as the reference code computes it (google/automl, efficientnetv2/main.py).

Plain data in and out; nothing here builds a module.

    >>> from effnet_lib.rules.architecture import B0
    >>> [stage.kind for stage in fuse(B0, 3).stages][:4]
    ['fused_mbconv', 'fused_mbconv', 'fused_mbconv', 'mbconv']
    >>> [s.image_size for s in progressive_learning(300, final_randaugment=10)]   # EfficientNetV2-S
    [171, 214, 257, 300]
"""
from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from .architecture import Network, stages
from .paper import V2_S_TRAINING

# EfficientNetV2-S (the V2 paper's Table 4; reference code `v2_s_block`): (expand ratio, kernel, stride,
# output channels, repeats), stem 24 channels at stride 2, head 1280, evaluated at 384 px.
V2_S = Network(
    "efficientnetv2-s",
    stages("fused_mbconv", [(1, 3, 1, 24, 2), (4, 3, 2, 48, 4), (4, 3, 2, 64, 4)], se=False)
    + stages("mbconv", [(4, 3, 2, 128, 6), (6, 3, 1, 160, 9), (6, 3, 2, 256, 15)]),
    image_size=V2_S_TRAINING["test_size"],
    stem_channels=24,
    head_channels=1280,
    dropout=V2_S_TRAINING["dropout"],
)


def fuse(spec: Network, stages: int) -> Network:
    """A copy of `spec` whose first `stages` stage rows are Fused-MBConv instead of MBConv.

    Every other field is kept: kernel, stride, expand ratio, channels, repeats. A fused stage carries
    no squeeze-excite, as in EfficientNetV2. `fuse(B0, 0)` is B0 itself.
    """
    if isinstance(stages, bool) or not isinstance(stages, int) or not 0 <= stages <= len(spec.stages):
        raise ValueError(f"stages is how many of {spec.name}'s first stage rows to fuse, a whole number from 0 to "
                         f"{len(spec.stages)}, got {stages!r}.")
    kinds = [stage.kind for stage in spec.stages[:stages]]
    if any(kind not in ("mbconv", "fused_mbconv") for kind in kinds):
        raise ValueError(f"only MBConv stages can be fused; {spec.name}'s first {stages} stages are {kinds}.")
    if stages == 0:
        return spec
    rows = tuple(replace(stage, kind="fused_mbconv", se=False) if i < stages else stage
                 for i, stage in enumerate(spec.stages))
    return spec.with_(name=f"{spec.name}, stages 1-{stages} fused", stages=rows)


class TrainingStage(NamedTuple):
    """One stage of progressive learning: its image size and regularisation, and when it ends."""

    image_size: int
    randaugment: float       # RandAugment's magnitude
    mixup: float             # mixup's alpha (0: no mixup)
    ends_at: float           # the share of all training steps done when this stage ends


def progressive_learning(final_size: int, final_randaugment: float, final_mixup: float = 0.0,
                         stages: int = V2_S_TRAINING["stages"], first_size: int = V2_S_TRAINING["first_size"],
                         first_randaugment: float = V2_S_TRAINING["first_randaugment"]) -> list[TrainingStage]:
    """Progressive learning with adaptive regularisation: image size and augmentation grow together.

    Training is cut into `stages` equal parts. The image size of part k (counted from 1) is
    `first_size + (final_size - first_size) * k / stages`, rounded down, so the first part already
    trains above `first_size` and the last one at `final_size`; RandAugment's magnitude and mixup's
    alpha rise evenly from their first to their final values. This is the reference code's rule
    (efficientnetv2/main.py); small images train with weak augmentation, large ones with strong.
    """
    for name, value in (("final_size", final_size), ("first_size", first_size), ("stages", stages)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    if first_size > final_size:
        raise ValueError(f"first_size ({first_size} px) must not exceed final_size ({final_size} px): "
                         "progressive learning grows the images.")
    if stages == 1:
        return [TrainingStage(final_size, float(final_randaugment), float(final_mixup), 1.0)]
    plan = []
    for k in range(stages):
        share = (k + 1) / stages
        between = k / (stages - 1)
        plan.append(TrainingStage(int(first_size + (final_size - first_size) * share),
                                  first_randaugment + (final_randaugment - first_randaugment) * between,
                                  final_mixup * between, share))
    return plan
