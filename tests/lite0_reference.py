"""An independent forward pass of the Lite0 checkpoint, written straight from its own flat keys.

It follows the checkpoint's reference code (the TensorFlow EfficientNet-Lite port): TensorFlow
"same" padding computed per convolution, BatchNorm eps 1e-3, ReLU6, no squeeze-excite, residual
when stride is 1 and channels are unchanged. It shares no code with effnet_lib, so agreement
between the two is evidence, not tautology.
"""
import math

import torch
import torch.nn.functional as F

# (kernel, stride, repeats) per stage of Lite0, from the reference's block strings.
STAGES = [(3, 1, 1), (3, 2, 2), (5, 2, 2), (3, 2, 3), (5, 1, 3), (5, 2, 4), (3, 1, 1)]


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


def forward(sd, x):
    x = F.relu6(_bn(_same(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    index = 0
    for kernel, stride, repeats in STAGES:
        for r in range(repeats):
            p = f"_blocks.{index}."
            inputs = x
            if p + "_expand_conv.weight" in sd:
                x = F.relu6(_bn(_same(x, sd[p + "_expand_conv.weight"], 1), sd, p + "_bn0"))
            w = sd[p + "_depthwise_conv.weight"]
            assert w.shape[-1] == kernel
            x = F.relu6(_bn(_same(x, w, stride if r == 0 else 1, groups=w.shape[0]), sd, p + "_bn1"))
            x = _bn(_same(x, sd[p + "_project_conv.weight"], 1), sd, p + "_bn2")
            if (stride if r == 0 else 1) == 1 and x.shape == inputs.shape:
                x = x + inputs
            index += 1
    x = F.relu6(_bn(_same(x, sd["_conv_head.weight"], 1), sd, "_bn1"))
    return F.linear(x.mean((2, 3)), sd["_fc.weight"], sd["_fc.bias"])
