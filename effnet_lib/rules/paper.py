"""The paper's published numbers, as printed (Tan & Le, arXiv v5, September 2020), for comparison.

These are the only figures the library does not compute: it computes its own and the course sets
them side by side with these. Parameters in millions, FLOPS (multiply-adds) in billions.
Where the first version (arXiv v1, May 2019) printed other numbers, `V1_TOP1` keeps the ones the
course mentions, so a notebook can say which version a number comes from.
"""
from __future__ import annotations

from typing import NamedTuple

VERSION = "arXiv:1905.11946v5 (Sep 2020)"

# Section 3.3: the coefficients of Eq. 3 that the grid search found at phi = 1 on B0. Every default
# alpha, beta and gamma in the library is one of these three names.
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15


class Published(NamedTuple):
    top1: float | None
    top5: float | None
    parameters_millions: float | None
    multiply_adds_billions: float | None     # None where the paper prints "-" (GPipe)


# Table 2: the EfficientNet family on ImageNet.
TABLE_2 = {
    "b0": Published(77.1, 93.3, 5.3, 0.39),
    "b1": Published(79.1, 94.4, 7.8, 0.70),
    "b2": Published(80.1, 94.9, 9.2, 1.0),
    "b3": Published(81.6, 95.7, 12, 1.8),
    "b4": Published(82.9, 96.4, 19, 4.2),
    "b5": Published(83.6, 96.7, 30, 9.9),
    "b6": Published(84.0, 96.8, 43, 19),
    "b7": Published(84.3, 97.0, 66, 37),
}

# Table 2's other ConvNets, grouped there with the EfficientNet of similar accuracy (the key).
# Figures 1 and 5 plot these against parameters and FLOPS. GPipe's FLOPS are printed as "-".
TABLE_2_OTHERS = {
    "b0": {"ResNet-50": Published(76.0, 93.0, 26, 4.1), "DenseNet-169": Published(76.2, 93.2, 14, 3.5)},
    "b1": {"ResNet-152": Published(77.8, 93.8, 60, 11), "DenseNet-264": Published(77.9, 93.9, 34, 6.0),
           "Inception-v3": Published(78.8, 94.4, 24, 5.7), "Xception": Published(79.0, 94.5, 23, 8.4)},
    "b2": {"Inception-v4": Published(80.0, 95.0, 48, 13), "Inception-ResNet-v2": Published(80.1, 95.1, 56, 13)},
    "b3": {"ResNeXt-101": Published(80.9, 95.6, 84, 32), "PolyNet": Published(81.3, 95.8, 92, 35)},
    "b4": {"SENet": Published(82.7, 96.2, 146, 42), "NASNet-A": Published(82.7, 96.2, 89, 24),
           "AmoebaNet-A": Published(82.8, 96.1, 87, 23), "PNASNet": Published(82.9, 96.2, 86, 25)},
    "b5": {"AmoebaNet-C": Published(83.5, 96.5, 155, 41)},
    "b7": {"GPipe": Published(84.3, 97.0, 556, None)},
}
# The library has stage tables for two of them, so their parameters and FLOPS can be computed too.
LIBRARY_TABLES = {"ResNet-50": "resnet-50", "ResNet-152": "resnet-152"}

class Disagreement(NamedTuple):
    """One number the paper (v5) prints twice, differently: what it is, and where each value stands."""

    what: str
    first: str              # where the paper says it one way, e.g. "Section 1"
    first_value: float
    second: str             # where it says it the other way (a table, or what a table's rows give)
    second_value: float


# Where the paper disagrees with itself (v5): its prose or a caption against its tables, or one table
# against another. The course plots and computes from the tables. tests/test_paper_quotes.py computes
# every second value from the tables above.
DISAGREEMENTS = (
    Disagreement("GPipe's parameters (millions)", "Section 2", 557, "Table 2 and Figure 1", 556),
    Disagreement("SENet's parameters (millions)", "Section 2", 145, "Table 2", 146),
    Disagreement("ResNet-50's top-1 (%)", "Section 1", 76.3, "Tables 2 and 3", 76.0),
    Disagreement("B4's top-1 (%)", "Section 1", 83.0, "Table 2", 82.9),
    Disagreement("B1's parameters against ResNet-152's (times fewer)", "Figure 1's caption", 7.6,
                 "Table 2's rows (60M / 7.8M)", 7.7),
    Disagreement("largest FLOPS reduction against a ConvNet of similar accuracy (times)", "Table 2's caption",
                 16, "Table 2's rows (PolyNet's 35B / B3's 1.8B)", 19.4),
    Disagreement("the baseline B0's top-1 (%)", "Table 7", 77.3, "Table 2", 77.1),
)

# arXiv v1 (May 2019) printed lower top-1 for most of the family; v5 (the course's source) revised
# them. Table 4 of v5 still pairs B1 and B7 with their v1 accuracies (see TABLE_4 below).
V1_TOP1 = {"b0": 76.3, "b1": 78.8, "b4": 82.6, "b7": 84.4}
V1_TOP5 = {"b7": 97.1}

# Table 7 (the models of Figure 7, all scaled from B0), keyed by strategy: the row as printed, the
# multipliers it prints, its FLOPS and top-1.
class Table7Row(NamedTuple):
    label: str
    depth: float
    width: float
    resolution: float
    multiply_adds_billions: float
    top1: float

    @property
    def multipliers(self) -> tuple[float, float, float]:
        return self.depth, self.width, self.resolution


TABLE_7 = {
    "baseline": Table7Row("baseline", 1.0, 1.0, 1.0, 0.4, 77.3),
    "depth": Table7Row("depth (d=4)", 4.0, 1.0, 1.0, 1.8, 79.0),
    "width": Table7Row("width (w=2)", 1.0, 2.0, 1.0, 1.8, 78.9),
    "resolution": Table7Row("resolution (r=2)", 1.0, 1.0, 2.0, 1.9, 79.1),
    "compound": Table7Row("compound (d=1.4, w=1.2, r=1.3)", 1.4, 1.2, 1.3, 1.8, 81.1),
}

# Figure 8 (Section 5.3): at equal FLOPS, compound scaling beats scaling any single dimension by up to this many
# points of ImageNet top-1 (the figure's curves; the text gives only this one number).
FIGURE_8_MARGIN = 2.5

# The EfficientNet-Lite README: parameters, multiply-adds and top-1.
LITE = {
    "lite0": Published(75.1, None, 4.7, 0.407),
    "lite1": Published(76.7, None, 5.4, 0.631),
    "lite2": Published(77.6, None, 6.1, 0.899),
    "lite3": Published(79.8, None, 8.2, 1.44),
    "lite4": Published(81.5, None, 13.0, 2.64),
}

# Figure 3's single-dimension sweeps of B0 (r = 1.0 is 224 px) and Figure 4's (depth, resolution) pairs.
FIGURE_3 = {
    "width": (1.0, 1.4, 1.8, 2.6, 3.8, 5.0),
    "depth": (1, 2, 3, 4, 6, 8),
    "resolution": (1.0, 1.3, 1.5, 1.7, 1.9, 2.2, 2.5),
}
FIGURE_4 = ((1.0, 1.0), (1.0, 1.3), (2.0, 1.0), (2.0, 1.3))


# Table 3: scaling MobileNets and ResNet-50. The paper prints the compound multipliers only for
# MobileNetV1. For MobileNetV2 and ResNet-50 the course *infers* the same (d=1.4, w=1.2, r=1.3)
# (`printed_multipliers` False): Eq. 3 at phi = 2 rounded to one decimal, as
# `rules.inferences.table_3_compound_multipliers` computes, and Table 7's compound model. The paper
# does not say so; the inference is the course's.
class Table3Row(NamedTuple):
    network: str
    scaling: str
    depth: float
    width: float
    resolution: float
    multiply_adds_billions: float
    top1: float
    printed_multipliers: bool


TABLE_3 = (
    Table3Row('mobilenet-v1', 'baseline', 1.0, 1.0, 1.0, 0.6, 70.6, True),
    Table3Row('mobilenet-v1', 'width (w=2)', 1.0, 2.0, 1.0, 2.2, 74.2, True),
    Table3Row('mobilenet-v1', 'resolution (r=2)', 1.0, 1.0, 2.0, 2.2, 72.7, True),
    Table3Row('mobilenet-v1', 'compound (d=1.4, w=1.2, r=1.3)', 1.4, 1.2, 1.3, 2.3, 75.6, True),
    Table3Row('mobilenet-v2', 'baseline', 1.0, 1.0, 1.0, 0.3, 72.0, True),
    Table3Row('mobilenet-v2', 'depth (d=4)', 4.0, 1.0, 1.0, 1.2, 76.8, True),
    Table3Row('mobilenet-v2', 'width (w=2)', 1.0, 2.0, 1.0, 1.1, 76.4, True),
    Table3Row('mobilenet-v2', 'resolution (r=2)', 1.0, 1.0, 2.0, 1.2, 74.8, True),
    Table3Row('mobilenet-v2', 'compound', 1.4, 1.2, 1.3, 1.3, 77.4, False),
    Table3Row('resnet-50', 'baseline', 1.0, 1.0, 1.0, 4.1, 76.0, True),
    Table3Row('resnet-50', 'depth (d=4)', 4.0, 1.0, 1.0, 16.2, 78.1, True),
    Table3Row('resnet-50', 'width (w=2)', 1.0, 2.0, 1.0, 14.7, 77.7, True),
    Table3Row('resnet-50', 'resolution (r=2)', 1.0, 1.0, 2.0, 16.4, 77.5, True),
    Table3Row('resnet-50', 'compound', 1.4, 1.2, 1.3, 16.7, 78.8, False),
)


class PrintedLatency(NamedTuple):
    """One row of Table 4 as printed: top-1 accuracy (%) and latency in seconds."""

    top1: float
    seconds: float


# Table 4 (the B1 and B7 accuracies are v1's figures, kept in v5): batch size 1, one core of an
# Intel Xeon CPU E5-2690, mean of 20 runs. GPipe is a giant AmoebaNet; it has no table here.
TABLE_4 = {
    "resnet-152": PrintedLatency(77.8, 0.554),
    "b1": PrintedLatency(78.8, 0.098),
    "gpipe": PrintedLatency(84.3, 19.0),
    "b7": PrintedLatency(84.4, 3.1),
}
# The two comparisons of Table 4: (slower network, faster EfficientNet, speed-up as printed).
TABLE_4_PAIRS = (("resnet-152", "b1", 5.7), ("gpipe", "b7", 6.1))


# Table 5 (transfer learning): the rows the course quotes, the two CIFAR data sets. Each data set
# compares an EfficientNet with the best public model and with the best reported result, parameters
# in millions of the fine-tuned network (without ImageNet's 1000-way classifier).
class TransferRow(NamedTuple):
    dataset: str
    comparison: str           # "public" (best public model) or "reported" (best published result)
    other_model: str
    other_top1: float
    other_parameters_millions: float
    ours: str                 # the EfficientNet
    our_top1: float
    our_parameters_millions: float
    printed_reduction: float  # the parameter ratio the paper prints, e.g. 21 for "4M (21x)"


TABLE_5 = (
    TransferRow("CIFAR-10", "public", "NASNet-A", 98.0, 85, "b0", 98.1, 4, 21),
    TransferRow("CIFAR-10", "reported", "GPipe", 99.0, 556, "b7", 98.9, 64, 8.7),
    TransferRow("CIFAR-100", "public", "NASNet-A", 87.5, 85, "b0", 88.1, 4, 21),
    TransferRow("CIFAR-100", "reported", "GPipe", 91.3, 556, "b7", 91.7, 64, 8.7),
)
TABLE_5_CLASSES = {"CIFAR-10": 10, "CIFAR-100": 100}
# Table 5's summary, as the text states it: state of the art on 5 of 8 data sets; 4.7x fewer
# parameters on average (up to 21x) than public models, 9.6x fewer than the best reported ones;
# Flowers 98.8% with B7.
TABLE_5_SUMMARY = {"datasets": 8, "state_of_the_art": 5, "mean_reduction_public": 4.7, "largest_reduction": 21,
                   "mean_reduction_reported": 9.6, "flowers_b7_top1": 98.8}


class RecipeItem(NamedTuple):
    setting: str
    value: str
    source: str               # "paper" (Section 5.2) or "reference code" (tensorflow/tpu efficientnet/main.py)


# The ImageNet training recipe: what Section 5.2 states, and what only the reference code says.
RECIPE = (
    RecipeItem("optimiser", "RMSProp, decay 0.9, momentum 0.9", "paper"),
    RecipeItem("BatchNorm momentum", "0.99 (TensorFlow's convention; 0.01 in PyTorch's)", "paper"),
    RecipeItem("weight decay", "1e-5", "paper"),
    RecipeItem("learning rate", "0.256, decayed by 0.97 every 2.4 epochs", "paper"),
    RecipeItem("activation", "SiLU (swish)", "paper"),
    RecipeItem("augmentation", "AutoAugment", "paper"),
    RecipeItem("stochastic depth", "survival probability 0.8 (drop rate 0.2)", "paper"),
    RecipeItem("stochastic depth per block", "block i of n dropped at 0.2 x i / n: 0 for the first, "
               "0.1875 for B0's last", "reference code"),
    RecipeItem("dropout", "0.2 for B0, rising linearly to 0.5 for B7", "paper"),
    RecipeItem("early stopping", "on 25K training images held out as a minival set", "paper"),
    RecipeItem("learning rate per batch", "0.016 per 256 images (0.256 at 4,096), scaled with the batch",
               "reference code"),
    RecipeItem("length", "about 350 epochs", "reference code"),
    RecipeItem("warm-up", "5 epochs", "reference code"),
    RecipeItem("label smoothing", "0.1", "reference code"),
    RecipeItem("weight averaging", "exponential moving average, decay 0.9999", "reference code"),
)
RECIPE_NUMBERS = {"base_lr": 0.016, "base_batch": 256, "lr": 0.256, "epochs": 350, "survival": 0.8,
                  "dropout_b0": 0.2, "dropout_b7": 0.5}

# Figure 4's caption: its first base network has 18 convolutional layers at 224 px, its last (d=2.0,
# r=1.3) 36 layers at 299 px. The text beside it speaks of "(d=2.0) and (r=2.0)".
FIGURE_4_CAPTION = {"first_layers": 18, "first_pixels": 224, "last_layers": 36, "last_pixels": 299,
                    "last_depth": 2.0, "last_resolution": 1.3}


# ------------------------------------------------------------------ after EfficientNet (notebook 9)
# The numbers notebook 9 quotes from the papers that came next. Each is kept with where it is
# printed; only numbers the course could read in that place are here, every other finding of these
# papers is told in words. tests/test_after_efficientnet.py sets each one beside what the library
# computes.
class Source(NamedTuple):
    """A paper the course quotes after EfficientNet."""

    authors: str
    title: str
    venue: str
    arxiv: str


AFTER_EFFICIENTNET = {
    "efficientnetv2": Source("Tan & Le", "EfficientNetV2: Smaller Models and Faster Training", "ICML 2021",
                             "2104.00298"),
    "fixres": Source("Touvron, Vedaldi, Douze & Jégou", "Fixing the train-test resolution discrepancy",
                     "NeurIPS 2019", "1906.06423"),
    "revisiting-resnets": Source("Bello, Fedus, Du, Cubuk, Srinivas, Lin, Shlens & Zoph",
                                 "Revisiting ResNets: Improved Training and Scaling Strategies", "NeurIPS 2021",
                                 "2103.07579"),
    "fast-scaling": Source("Dollár, Singh & Girshick", "Fast and Accurate Model Scaling", "CVPR 2021", "2103.06877"),
}

# EfficientNetV2-S: top-1, parameters (millions) and FLOPs (billions) as the official README's checkpoint
# table prints them (google/automl, efficientnetv2/README.md); its stage table is the paper's Table 4.
V2_S_PUBLISHED = Published(83.9, None, 21.5, 8.4)
# EfficientNetV2-S's training settings in the reference code (google/automl efficientnetv2:
# effnetv2_configs.py, hparams.py, datasets.py, main.py): train and test image size, dropout, the final
# RandAugment magnitude and mixup, the number of progressive stages, the first stage's base image size
# and RandAugment magnitude, and the epochs.
V2_S_TRAINING = {"train_size": 300, "test_size": 384, "dropout": 0.2, "randaugment": 10, "mixup": 0.0,
                 "stages": 4, "first_size": 128, "first_randaugment": 5, "epochs": 350}

# FixRes, abstract: ImageNet top-1 of a ResNet-50 trained at 128 px and of one trained at 224 px, each
# tested at a higher resolution after the paper's fine-tuning.
FIXRES_RESNET_50 = {128: 77.1, 224: 79.8}
# The RandomResizedCrop that FixRes analyses (torchvision's defaults): the crop's share of the image's
# area is drawn uniformly from this range, its aspect ratio log-uniformly from 3/4 to 4/3.
RANDOM_RESIZED_CROP_SCALE = (0.08, 1.0)
RANDOM_RESIZED_CROP_RATIO = (3 / 4, 4 / 3)
# The test crop of the ImageNet convention (resize to 256, centre-crop 224): the crop's share of the short side.
CENTRE_CROP_FRACTION = 224 / 256

# Fast and Accurate Model Scaling, Table 4: the share of the FLOPS growth given to width in "fast"
# compound scaling (their alpha; 1 is width alone, 1/3 scales depth, width and resolution uniformly).
# The reference code (facebookresearch/pycls, models/scaler.py) names the same strategy "d1_w8_g8_r1".
FAST_WIDTH_SHARE = 0.8
