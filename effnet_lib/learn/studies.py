"""The sets of models the course trains, as data: a :class:`Study` and the runs it plans.

Every experiment of the course is one frozen `Study`: a baseline, the data, one recipe for every
variant, and the paper's protocol for choosing the variants. :func:`plan` turns it into runs
(a :class:`Variant` and a seed each) in priority order; :mod:`.experiments` trains them.

The protocol (Sections 3 and 4 of the paper, Figures 3, 4 and 8, Table 7):

* **Compound models at the rule's own points.** Eq. 3 at phi = 1, 2, 3: d = 1.2^phi, w = 1.1^phi,
  r = 1.15^phi, rounded as the model rounds (repeats up, channels to multiples of 8, whole pixels);
  or a printed triple such as Table 7's (1.4, 1.2, 1.3). A compound model must change all three
  dimensions after rounding; one that does not is refused, since it would be a single-dimension
  model under another name.
* **Rivals at equal cost.** For each compound model, the depth-, width- and resolution-only models
  whose *analytic* multiply-adds are nearest its real cost (`rules.matching.nearest`). Their
  multipliers at phi = 1, 2, 3 are also Figure 3's single-dimension sweeps.
* **Figure 4's grid.** Width sweeps from each (depth, resolution) base the paper names:
  (1, 1), (1, 1.3), (2, 1), (2, 1.3).

Priority order, so a run cut short keeps what matters most: the first seed of the baseline and of
every strategy at each compound point trained with every seed (phi = 1, then 2), then the other
seeds of those, then the points trained with one seed (phi = 3), then Figure 4's grid.

The three studies and their presets are in ``STUDIES`` (`study(name, preset)`):

* ``figures`` -- Figures 3, 4 and 8 (notebooks 2 and 5);
* ``table3`` -- Table 3 in miniature: a small MobileNetV2 scaled four ways (notebook 7);
* ``table7`` -- the models of Figure 7 and Table 7, whose weights are kept for the class
  activation maps of notebook 6.

Each has a ``smoke`` preset (the generated tiny data set, seconds), a ``cpu`` preset (what ships
with the course, sized for a shared 2-core machine) and a ``gpu`` preset (all of Fashion-MNIST).
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace

from ..rules.architecture import SMALL_B0, Network
from ..rules.baselines import MOBILENET_V2
from ..rules.cost import cost
from ..rules.matching import STRATEGIES as SCALINGS, nearest, same_network
from ..rules.scaling import compound, scale
from .datasets import DATASETS, dataset_classes
from .train import Recipe, recipe

__all__ = ["Variant", "Run", "Study", "plan", "STRATEGIES", "STUDIES", "study", "PRESETS"]

#: Every strategy a run can belong to: the baseline, the four scalings, and Figure 4's grid.
STRATEGIES = ("baseline", *SCALINGS, "grid")
PRESETS = ("smoke", "cpu", "gpu")


@dataclass(frozen=True)
class Variant:
    """One network of a study: its multipliers of the baseline, and what it is compared with."""

    strategy: str               # one of STRATEGIES
    depth: float = 1.0          # d: repeats x d, rounded up
    width: float = 1.0          # w: channels x w, rounded to multiples of 8
    resolution: float = 1.0     # r: the baseline's pixels x r, rounded to whole pixels
    group: str = "baseline"     # the comparison it belongs to: "phi=1", "Table 7", "Figure 4 (d=2, r=1.3)"
    phi: float | None = None    # compound: Eq. 3's phi; a rival: the phi of the compound model it matches

    def network(self, base: Network) -> Network:
        return scale(base, depth=self.depth, width=self.width, resolution=self.resolution)


@dataclass(frozen=True)
class Run:
    """A variant trained with one seed: the unit the runner trains and the results file records."""

    variant: Variant
    seed: int

    @property
    def key(self) -> str:
        """Names the run in the results file; a rerun skips every key already there."""
        return f"{self.variant.strategy} | {self.variant.group} | seed {self.seed}"


@dataclass(frozen=True)
class Study:
    """An experiment as data: what to scale, on what, how to train it, and which variants and seeds."""

    name: str                                   # "figures", "table3" or "table7"
    preset: str                                 # "smoke", "cpu" or "gpu"
    base: Network                               # the baseline every variant scales
    recipe: Recipe                              # how every variant trains: one recipe for all
    data: str = "fashion-mnist"                 # a data set of effnet_lib.learn.datasets
    train_images: int | None = None             # a class-balanced subset of the training set; None: all
    test_images: int | None = None              # None: the whole test set (10,000 for Fashion-MNIST)
    compound: tuple = (1.0, 2.0, 3.0)           # compound models: phi values or (d, w, r) triples
    seeds: tuple[int, ...] = (0, 1)             # every run is trained once per seed ...
    first_seed_only: tuple = (3.0,)             # ... except these compound points (and their rivals)
    grid_bases: tuple[tuple[float, float], ...] = ()   # Figure 4: (depth, resolution) bases
    grid_widths: tuple[float, ...] = ()         # Figure 4: the widths swept from each base
    grid_seeds: tuple[int, ...] = (0,)
    zero_init_last: bool = True                 # every residual block starts as the identity
    keep_weights: bool = False                  # store each trained model (float16) beside the results
    note: str = ""                              # what the preset is for, in a sentence

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {PRESETS}, got {self.preset!r}.")
        if self.data not in DATASETS:
            raise ValueError(f"data must be one of {DATASETS}, got {self.data!r}.")
        for name in ("train_images", "test_images"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number of images >= 1 (or None for all), got {value!r}.")
        for name in ("seeds", "grid_seeds"):
            values = getattr(self, name)
            if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in values):
                raise ValueError(f"{name} must be whole numbers >= 0, got {values!r}.")
        if not self.seeds:
            raise ValueError("a study needs at least one seed.")
        for point in self.compound:
            _compound_multipliers(point)        # a bad phi or triple is refused here
        unknown = [p for p in self.first_seed_only if p not in self.compound]
        if unknown:
            raise ValueError(f"first_seed_only names {unknown}, which are not among the compound points {self.compound}.")
        for d, r in self.grid_bases:
            if d < 1 or r < 1:
                raise ValueError(f"Figure 4's bases scale up: got (depth, resolution) = ({d}, {r}).")
        if any(w < 1 for w in self.grid_widths):
            raise ValueError(f"Figure 4's widths scale up from 1: got {self.grid_widths}.")

    @property
    def label(self) -> str:
        return f"{self.name}-{self.preset}"

    @property
    def num_classes(self) -> int:
        return dataset_classes(self.data)

    def config(self) -> dict:
        """Everything that decides a run's outcome besides its variant and seed: stored in every record.

        Two records compare only if their configs are equal; the protocol fields (which points,
        which seeds) are left out, so adding a point to a study keeps the runs already made.
        """
        return {"name": self.name, "preset": self.preset, "base": _settings(self.base),
                "recipe": _settings(self.recipe), "data": self.data, "train_images": self.train_images,
                "test_images": self.test_images, "zero_init_last": self.zero_init_last}

    def all_seeds(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.seeds, *(self.grid_seeds if self.grid_bases else ()))))


def _settings(obj) -> dict:
    """A dataclass's fields as plain JSON, leaving out those at their default value.

    A field added later to `Recipe` or `Network` with a default that keeps the old behaviour then
    leaves the configs of stored runs unchanged, instead of orphaning every record.
    """
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)
            if f.default is MISSING or getattr(obj, f.name) != f.default}


def _plain(value):
    """Dataclasses as their settings, tuples as lists: a config equals its own JSON round trip."""
    if is_dataclass(value):
        return _settings(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _compound_multipliers(point) -> tuple[float, float, float, float | None, str]:
    """(d, w, r, phi, group label) of a compound point: a phi, or a printed (d, w, r) triple."""
    if isinstance(point, (int, float)) and not isinstance(point, bool):
        if not (math.isfinite(point) and point > 0):
            raise ValueError(f"a compound point's phi must be > 0 (phi = 0 is the baseline), got {point!r}.")
        d, w, r = compound(point)
        return d, w, r, float(point), f"phi={point:g}"
    if isinstance(point, tuple) and len(point) == 3 and all(isinstance(m, (int, float)) for m in point):
        if min(point) <= 1:
            raise ValueError(f"a compound triple (d, w, r) scales every dimension up, got {point!r}.")
        d, w, r = point
        return float(d), float(w), float(r), None, f"d={d:g}, w={w:g}, r={r:g}"
    raise ValueError(f"a compound point is a phi (e.g. 2) or a (d, w, r) triple (e.g. (1.4, 1.2, 1.3)), got {point!r}.")


def _check_changes_all_three(base: Network, scaled: Network, label: str) -> None:
    unchanged = [name for name, same in (
        ("depth (repeats)", [s.repeats for s in scaled.stages] == [s.repeats for s in base.stages]),
        ("width (channels)", [s.channels for s in scaled.stages] == [s.channels for s in base.stages]),
        ("resolution (pixels)", scaled.image_size == base.image_size)) if same]
    if unchanged:
        raise ValueError(
            f"compound scaling at {label} leaves the {' and '.join(unchanged)} of {base.name} unchanged after "
            f"rounding ({scaled.image_size} px, repeats {[s.repeats for s in scaled.stages]}, channels "
            f"{[s.channels for s in scaled.stages]}): it would be a single-dimension model under another name. "
            "Use a larger phi, or a baseline with more pixels or channels.")


def compound_set(study: Study, point) -> list[Variant]:
    """The compound model of one point and its three rivals matched to its real cost."""
    d, w, r, phi, group = _compound_multipliers(point)
    base, classes = study.base, study.num_classes
    compound_variant = Variant("compound", d, w, r, group, phi)
    scaled = compound_variant.network(base)
    _check_changes_all_three(base, scaled, group)
    target = cost(scaled, num_classes=classes).multiply_adds
    rivals = []
    for strategy in ("depth", "width", "resolution"):
        match = nearest(base, strategy, target, num_classes=classes)
        if same_network(match.network, base):
            raise ValueError(f"the {strategy}-only rival of the compound model at {group} rounds to the baseline "
                             f"{base.name} itself; use a larger phi.")
        rivals.append(Variant(strategy, match.depth, match.width, match.resolution, group, phi))
    return [compound_variant, *rivals]


def grid(study: Study) -> list[Variant]:
    """Figure 4: a width sweep from every (depth, resolution) base; (1, 1, 1) is the baseline's own run."""
    return [Variant("grid", d, w, r, f"Figure 4 (d={d:g}, r={r:g}, w={w:g})")
            for d, r in study.grid_bases for w in study.grid_widths if (d, w, r) != (1, 1, 1)]


def plan(study: Study) -> list[Run]:
    """Every run of the study, in priority order (see the module's docstring), without duplicates."""
    baseline = Variant("baseline")
    every_seed = [p for p in study.compound if p not in study.first_seed_only]
    sets = {p: compound_set(study, p) for p in study.compound}
    runs: list[Run] = []
    for seed in study.seeds:
        runs += [Run(baseline, seed)] + [Run(v, seed) for p in every_seed for v in sets[p]]
    runs += [Run(v, study.seeds[0]) for p in study.first_seed_only for v in sets[p]]
    runs += [Run(v, seed) for seed in study.grid_seeds for v in grid(study)]
    return list(dict.fromkeys(runs))


# --------------------------------------------------------------------------- the studies

def _short(epochs: int, batch_size: int, lr: float, warmup_epochs: float, augment: bool = False) -> Recipe:
    """The short recipe (AdamW, warm-up then cosine, label smoothing 0.1), without crop-and-flip by
    default: in a schedule of a few hundred steps augmentation slows learning more than it regularises."""
    return recipe("short", epochs=epochs, batch_size=batch_size, lr=lr, augment=augment,
                  warmup_epochs=warmup_epochs)


# The CPU baseline: SMALL_B0 (B0's table for small images) at a quarter of its width and half its
# depth, at 16 px: a whole number of 8 px cells, so every stride halves the map exactly, and the
# compound models up to phi = 3 stay at or below Fashion-MNIST's native 28 px. No stochastic depth
# and no dropout: a few hundred steps are too few for either to pay (without dropout the baseline
# ends 0.8 points higher; measured, with a shorter warm-up and batches of 64, 85.9% against 85.1%).
CPU_BASE = scale(SMALL_B0, depth=0.5, width=0.25).with_(
    name="small-b0 (cpu study)", image_size=16, stochastic_depth=0.0, dropout=0.0, depth=1.0, width=1.0)
# The GPU baseline: SMALL_B0 with B0's own repeats at half its width, 16 px, no stochastic depth or
# dropout (four epochs are a short schedule too).
GPU_BASE = scale(SMALL_B0, width=0.5).with_(name="small-b0 (gpu study)", image_size=16, stochastic_depth=0.0,
                                           dropout=0.0, width=1.0)

# Table 3 in miniature: MobileNetV2 for small images, as SMALL_B0 adapts B0 (the stem and the third
# stage lose their stride), at 0.35 of its width (one of MobileNetV2's published widths), 16 px.
SMALL_MOBILENET_V2 = scale(MOBILENET_V2.with_(
    stem_stride=1, in_channels=1, dropout=0.1,
    stages=tuple(replace(s, stride=1) if i == 2 else s for i, s in enumerate(MOBILENET_V2.stages))),
    width=0.35).with_(name="small-mobilenet-v2", image_size=16, width=1.0)

TABLE_7_COMPOUND = (1.4, 1.2, 1.3)      # Table 7's compound model, as printed (Eq. 3 at phi = 2, rounded)

# The recipes, one per preset, the same for every variant of a study. CPU: 20,000 images seen once
# in 312 steps of 64, a warm-up over the first 15%: the baseline reaches about 86% on the full test
# set (measured before the study: 85.1% with steps of 128 after 30% warm-up). In a trial at half
# this learning rate a network four times as deep, its blocks starting as the identity, ended level
# with the baseline (84.6% both). GPU: all 60,000 images four times (468 steps of 512).
_RECIPES = {"smoke": _short(1, 32, 4e-3, 0.2), "cpu": _short(1, 64, 8e-3, 0.15), "gpu": _short(4, 512, 8e-3, 0.5)}
_SIZES = {"smoke": dict(data="tiny", train_images=128, test_images=64, seeds=(0,)),
          "cpu": dict(train_images=20_000), "gpu": dict()}
_NOTES = {"smoke": "seconds on the generated data: checks the machinery only",
          "cpu": "a shared 2-core CPU: 20,000 training images seen once (312 steps), tested on all 10,000",
          "gpu": "one GPU: all 60,000 training images, 4 epochs, tested on all 10,000"}


def _presets(name: str, base: Network, gpu_base: Network, protocol: dict, smoke: dict | None = None,
             cpu: dict | None = None) -> dict[str, Study]:
    """The three sizes of one study: the same protocol (smoke: a part of it) on three budgets."""
    changes = {"smoke": smoke or {}, "cpu": cpu or {}, "gpu": {}}
    return {preset: Study(name, preset, gpu_base if preset == "gpu" else base, _RECIPES[preset],
                          note=_NOTES[preset], **{**_SIZES[preset], **protocol, **changes[preset]})
            for preset in PRESETS}


# Figure 4's bases besides (1, 1), whose width sweep is the baseline and the width-only rivals.
_FIGURE_4_BASES = ((1.0, 1.3), (2.0, 1.0), (2.0, 1.3))

STUDIES: dict[str, dict[str, Study]] = {
    "figures": _presets("figures", CPU_BASE, GPU_BASE,
                        dict(compound=(1.0, 2.0, 3.0), first_seed_only=(3.0,), grid_bases=_FIGURE_4_BASES,
                             grid_widths=(1.0, 1.5, 2.0)),
                        smoke=dict(compound=(1.0,), first_seed_only=(), grid_bases=_FIGURE_4_BASES[1:],
                                   grid_widths=(1.0, 1.5)),
                        # The CPU study stops at phi = 2 and sweeps two widths: it must fit a shared CPU.
                        cpu=dict(compound=(1.0, 2.0), first_seed_only=(), grid_widths=(1.0, 1.5))),
    "table3": _presets("table3", SMALL_MOBILENET_V2, SMALL_MOBILENET_V2,
                       dict(compound=(TABLE_7_COMPOUND,), first_seed_only=()), cpu=dict(train_images=10_000)),
    "table7": _presets("table7", CPU_BASE, GPU_BASE,
                       dict(compound=(TABLE_7_COMPOUND,), first_seed_only=(), keep_weights=True)),
}


def study(name: str, preset: str = "cpu") -> Study:
    """The study ``name`` ("figures", "table3", "table7") at ``preset`` ("smoke", "cpu", "gpu")."""
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; choose one of {', '.join(STUDIES)}.")
    if preset not in STUDIES[name]:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(STUDIES[name])}.")
    return STUDIES[name][preset]
