"""An independent forward pass of a Lite checkpoint (Lite0, Lite1, Lite2), written straight from its flat keys.

It follows the checkpoints' reference code (the TensorFlow EfficientNet-Lite port): TensorFlow
"same" padding computed per convolution, BatchNorm eps 1e-3, ReLU6, no squeeze-excite, residual
when stride is 1 and channels are unchanged. Kernel sizes and the blocks of each stage are read
from the checkpoint's tensors (a stage starts where a block's output width changes); only the
stride of each stage comes from the reference's block strings. It shares no code with effnet_lib,
so agreement between the two is evidence, not tautology.
"""
import math

import torch.nn.functional as F

# The stride of each of the seven stages, from the reference's block strings (the same for every Lite).
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)


def _same(x, weight, stride, groups=1):
    k = weight.shape[-1]
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max((math.ceil(size / stride) - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.conv2d(F.pad(x, pads), weight, stride=stride, groups=groups)


def _bn(x, sd, prefix):
    return F.batch_norm(x, sd[prefix + ".running_mean"], sd[prefix + ".running_var"],
                        sd[prefix + ".weight"], sd[prefix + ".bias"], False, 0.0, 1e-3)


def block_strides(sd):
    """The stride of every block: a stage's first block takes the stage's stride, the rest 1."""
    count = len({k.split(".")[1] for k in sd if k.startswith("_blocks.")})
    widths = [sd[f"_blocks.{i}._project_conv.weight"].shape[0] for i in range(count)]
    starts = [i for i in range(count) if i == 0 or widths[i] != widths[i - 1]]
    assert len(starts) == len(STAGE_STRIDES), f"expected 7 stages, found {len(starts)}"
    strides = [1] * count
    for start, stride in zip(starts, STAGE_STRIDES):
        strides[start] = stride
    return strides


def forward(sd, x):
    x = F.relu6(_bn(_same(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    for index, stride in enumerate(block_strides(sd)):
        p = f"_blocks.{index}."
        inputs = x
        if p + "_expand_conv.weight" in sd:
            x = F.relu6(_bn(_same(x, sd[p + "_expand_conv.weight"], 1), sd, p + "_bn0"))
        w = sd[p + "_depthwise_conv.weight"]
        x = F.relu6(_bn(_same(x, w, stride, groups=w.shape[0]), sd, p + "_bn1"))
        x = _bn(_same(x, sd[p + "_project_conv.weight"], 1), sd, p + "_bn2")
        if stride == 1 and x.shape == inputs.shape:
            x = x + inputs
    x = F.relu6(_bn(_same(x, sd["_conv_head.weight"], 1), sd, "_bn1"))
    return F.linear(x.mean((2, 3)), sd["_fc.weight"], sd["_fc.bias"])
