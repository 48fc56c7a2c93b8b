"""effnet_lib: EfficientNet (Tan & Le, ICML 2019) as data, rules, costs and modules.

    >>> import effnet_lib as en
    >>> spec = en.scale(en.B0, *en.compound(1))       # Eq. 3 at phi = 1
    >>> en.cost(spec).multiply_adds > en.cost(en.B0).multiply_adds
    True
"""
from .architecture import B0, SMALL_B0, Block, Network, Stage, blocks
from .baselines import MOBILENET_V1, MOBILENET_V2, RESNET_50, RESNET_152
from .cost import Cost, cost, phi_for_budget
from .families import EFFICIENTNET, LITE, NAMES, Coefficients, network
from .model import EfficientNet, MBConv, SqueezeExcite, efficientnet
from .weights import Pretrained, from_torchvision, lite0_pretrained
from .scaling import Multipliers, compound, constrained_grid, flops_growth, round_filters, round_repeats, scale

__version__ = "0.1.0"

__all__ = [
    "B0", "SMALL_B0", "Block", "Network", "Stage", "blocks",
    "MOBILENET_V1", "MOBILENET_V2", "RESNET_50", "RESNET_152",
    "Cost", "cost", "phi_for_budget",
    "EFFICIENTNET", "LITE", "NAMES", "Coefficients", "network",
    "EfficientNet", "MBConv", "SqueezeExcite", "efficientnet",
    "Pretrained", "from_torchvision", "lite0_pretrained",
    "Multipliers", "compound", "constrained_grid", "flops_growth", "round_filters", "round_repeats", "scale",
]
