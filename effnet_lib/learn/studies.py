"""The sets of models the course trains, as data: a :class:`Study` and the runs it plans.

Every experiment of the course is one frozen `Study`: a base network, the data and how it is split,
one recipe for every variant, and the paper's protocol for choosing the variants. :func:`plan` turns
it into runs (a :class:`Variant` and a seed each) in priority order; :mod:`.study_runner` trains them.
Plain data: nothing here imports torch.

**The protocol** (Sections 3 and 4 of the paper, Figures 3, 4 and 8, Table 7):

* **Compound models at the rule's own points**, Eq. 3 at phi = 1, 2 (3 on a GPU): d = 1.2^phi,
  w = 1.1^phi, r = 1.15^phi, rounded as the model rounds. A compound model must change all three
  dimensions after rounding, or the study is refused: it would be a single-dimension model under
  another name.
* **Rivals at equal cost.** For each compound model, the depth-, width- and resolution-only networks
  whose analytic multiply-adds are nearest its real cost (`rules.matching.nearest`), never more pixels
  than the data has (``max_image_size``); a rival more than 10% away from the compound model's cost
  is refused. Their multipliers are also Figure 3's single-dimension curves.
* **Figure 4's grid** (GPU only): width swept from the (depth, resolution) bases the paper names.
* **Validation, then test.** A validation split carved from the training images measures every epoch
  and makes every choice (the pilot's decision, the recipe); the test set is measured once per run,
  after its last epoch.

**The pilot** (``pilot``): before the study, a cheap check that the design can show the effect at all:
the base trained with four or five seeds (the noise), and its single-dimension rivals of phi = 1 and 2 with one
seed (Figure 3's curves: does each dimension pay from 1x to about 2x the cost, and less after?), plus
the recipe trials that chose the learning rate and showed the schedule's plateau. Its runs have the
figures study's settings, so the study reuses them instead of training them again.
:data:`PILOT_DECISION` states what the pilot showed and what was decided; a test holds it to the stored
pilot.

Priority order, so a study cut short keeps what matters most: the base (a pilot: all its seeds, its noise),
every network's first seed point by point, then the other seeds point by point, then a pilot's recipe
trials, then Figure 4's grid.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace

from ..rules.architecture import Network, output_size, stages
from ..rules.cost import cost
from ..rules.matching import nearest, same_network
from ..rules.paper import TABLE_7
from ..rules.scaling import compound, scale
from ..rules.vocabulary import DATASET_CLASSES, DATASETS, PRESETS, SCALINGS, SINGLE_DIMENSIONS
from ..results.records import NetworkShape, RunId
from .recipes import Recipe, recipe

__all__ = ["Variant", "Run", "Study", "plan", "compound_set", "STUDIES", "study",
           "STUDY_BASE", "PILOT_DECISION", "MATCH_TOLERANCE", "network_shape"]

MATCH_TOLERANCE = 0.10          # a rival costs within 10% of the compound model it is compared with


@dataclass(frozen=True)
class Variant:
    """What one run of a study trains: its multipliers of the base, what it is compared with, and (for
    the pilot's recipe trials only) changes to the study's recipe."""

    strategy: str                               # one of STRATEGIES
    depth: float = 1.0                          # d: repeats x d, rounded up
    width: float = 1.0                          # w: channels x w, rounded to the base's channel divisor
    resolution: float = 1.0                     # r: the base's pixels x r, rounded to whole pixels
    group: str = "baseline"                     # the comparison it belongs to: "phi=1", "recipe: lr 0.002"
    phi: float | None = None                    # compound: Eq. 3's phi; a rival: the phi it is matched to
    recipe_changes: tuple[tuple[str, object], ...] = ()   # e.g. (("epochs", 8),); () for every study run

    def network(self, base: Network) -> Network:
        return scale(base, depth=self.depth, width=self.width, resolution=self.resolution)


@dataclass(frozen=True)
class Run:
    """A variant trained with one seed: the unit the runner trains and the results file records."""

    variant: Variant
    seed: int

    @property
    def run_id(self) -> RunId:
        return RunId(self.variant.strategy, self.variant.group, self.seed)

    @property
    def label(self) -> str:
        """For people only (never parsed): "width | phi=1 | seed 0"."""
        return f"{self.variant.strategy} | {self.variant.group} | seed {self.seed}"


@dataclass(frozen=True)
class Study:
    """An experiment as data: what to scale, on what, how to train it, and which variants and seeds."""

    name: str                                   # "pilot", "figures" or "table3"
    preset: str                                 # "smoke", "cpu" or "gpu"
    base: Network                               # the network every variant scales
    recipe: Recipe                              # how every variant trains: one recipe for all
    data: str = "fashion-mnist"                 # a data set of effnet_lib.learn.datasets
    validation_images: int = 10_000             # carved from the training images: every choice is made on them
    train_images: int | None = None             # a class-balanced subset of what is left for training; None: all
    max_image_size: int | None = None           # no network sees more pixels (a rival past it is upsampled)
    compound: tuple = (1.0, 2.0)                # compound points: phi values or (d, w, r) triples
    scalings: tuple[str, ...] = SCALINGS        # which of each point's four networks are trained
    seeds: tuple[int, ...] = (0, 1, 2)          # every network is trained once per seed ...
    first_seed_only: tuple = ()                 # ... except these compound points' networks
    baseline_seeds: tuple[int, ...] = ()        # more seeds of the base alone (the pilot's noise estimate)
    recipe_trials: tuple[tuple[tuple[str, object], ...], ...] = ()   # the base retrained with these changes
    grid_bases: tuple[tuple[float, float], ...] = ()   # Figure 4: (depth, resolution) bases
    grid_widths: tuple[float, ...] = ()         # Figure 4: the widths swept from each base
    grid_seeds: tuple[int, ...] = (0,)
    test: bool = True                           # measure the test set once after each run's last epoch
    zero_init_last: bool = True                 # every residual block starts as the identity
    keep_weights: tuple[str, ...] = ()          # groups whose trained models are stored (float16) beside the results
    note: str = ""                              # what the preset is for, in a sentence

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {PRESETS}, got {self.preset!r}.")
        if self.data not in DATASETS:
            raise ValueError(f"data must be one of {DATASETS}, got {self.data!r}.")
        for name in ("train_images", "validation_images", "max_image_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number >= 1 (or None), got {value!r}.")
        for name in ("seeds", "grid_seeds", "baseline_seeds"):
            values = getattr(self, name)
            if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in values):
                raise ValueError(f"{name} must be whole numbers >= 0, got {values!r}.")
        if not self.seeds:
            raise ValueError("a study needs at least one seed.")
        unknown = [s for s in self.scalings if s not in SCALINGS]
        if unknown:
            raise ValueError(f"scalings {unknown} are not among {SCALINGS}.")
        for point in self.compound:
            _compound_multipliers(point)        # a bad phi or triple is refused here
        missing = [p for p in self.first_seed_only if p not in self.compound]
        if missing:
            raise ValueError(f"first_seed_only names {missing}, which are not among the compound points {self.compound}.")
        recipe_fields = {f.name for f in fields(Recipe)}
        for trial in self.recipe_trials:
            bad = [k for k, _ in trial if k not in recipe_fields]
            if bad:
                raise ValueError(f"recipe trial {trial} changes {bad}, which are not Recipe fields.")
            replace(self.recipe, **dict(trial))    # a value the recipe refuses is refused here
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
        return DATASET_CLASSES[self.data]

    def settings(self) -> dict:
        """Everything that decides a run's outcome besides its variant and seed: stored in every record.

        Two records compare only if their settings are equal. The study's name and the protocol fields
        (which points, which seeds) are left out, so the figures study can reuse the pilot's runs and
        adding a point keeps the runs already made.
        """
        return {"preset": self.preset, "base": _settings(self.base), "recipe": _settings(self.recipe),
                "data": self.data, "validation_images": self.validation_images, "train_images": self.train_images,
                "test": self.test, "zero_init_last": self.zero_init_last}

    def recipe_for(self, variant: Variant) -> Recipe:
        return replace(self.recipe, **dict(variant.recipe_changes)) if variant.recipe_changes else self.recipe

    def all_seeds(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.seeds, *self.baseline_seeds, *(self.grid_seeds if self.grid_bases else ()))))


def _settings(obj) -> dict:
    """A dataclass's fields as plain JSON, leaving out those at their default value.

    A field added later to `Recipe` or `Network` with a default that keeps the old behaviour then
    leaves the settings of stored runs unchanged, instead of orphaning every record.
    """
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)
            if f.default is MISSING or getattr(obj, f.name) != f.default}


def _plain(value):
    """Dataclasses as their settings, tuples as lists: settings equal their own JSON round trip."""
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
            "Use a larger phi, or a base with more blocks per stage and more channels.")


def _capped_resolution(study: Study, match, target: float):
    """The resolution rival, held at the data's pixels when matching cost would need more."""
    if study.max_image_size is None or match.network.image_size <= study.max_image_size:
        return match.resolution
    return study.max_image_size / study.base.image_size


def compound_set(study: Study, point) -> list[Variant]:
    """The compound model of one point and its three rivals matched to its real cost (those the study trains)."""
    d, w, r, phi, group = _compound_multipliers(point)
    base, classes = study.base, study.num_classes
    compound_variant = Variant("compound", d, w, r, group, phi)
    scaled = compound_variant.network(base)
    _check_changes_all_three(base, scaled, group)
    target = cost(scaled, num_classes=classes).multiply_adds
    variants = [compound_variant]
    for strategy in SINGLE_DIMENSIONS:
        match = nearest(base, strategy, target, num_classes=classes)
        multipliers = {"depth": match.depth, "width": match.width,
                       "resolution": _capped_resolution(study, match, target) if strategy == "resolution" else 1.0}
        rival = Variant(strategy, group=group, phi=phi, **multipliers)
        network = rival.network(base)
        if same_network(network, base):
            raise ValueError(f"the {strategy}-only rival of the compound model at {group} rounds to the base "
                             f"{base.name} itself; use a larger phi.")
        off = cost(network, num_classes=classes).multiply_adds / target - 1
        if abs(off) > MATCH_TOLERANCE:
            raise ValueError(f"the nearest {strategy}-only rival of the compound model at {group} costs {off:+.0%} of "
                             f"it, beyond the {MATCH_TOLERANCE:.0%} a matched comparison allows"
                             + (f" (held at {study.max_image_size} px, the data's own)" if strategy == "resolution" else "")
                             + "; choose another base or compound point.")
        variants.append(rival)
    return [v for v in variants if v.strategy in study.scalings]


def network_shape(spec: Network) -> NetworkShape:
    """The network a table builds, as a run record stores it."""
    final = spec.image_size
    for stride in (spec.stem_reduction, *(s.stride for s in spec.stages)):
        final = output_size(final, stride)
    return NetworkShape(spec.image_size, tuple(s.repeats for s in spec.stages), tuple(s.channels for s in spec.stages),
                        spec.stem_channels, spec.head_channels, spec.num_blocks, final)


def grid(study: Study) -> list[Variant]:
    """Figure 4: a width sweep from every (depth, resolution) base; (1, 1, 1) is the baseline's own run."""
    return [Variant("grid", d, w, r, f"Figure 4 (d={d:g}, r={r:g}, w={w:g})")
            for d, r in study.grid_bases for w in study.grid_widths if (d, w, r) != (1, 1, 1)]


def recipe_trial_variants(study: Study) -> list[Variant]:
    """The base retrained with each of the study's recipe trials (the pilot's choices)."""
    return [Variant("baseline", group="recipe: " + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                                           for k, v in trial), recipe_changes=tuple(trial))
            for trial in study.recipe_trials]


def plan(study: Study) -> list[Run]:
    """Every run of the study, in priority order (see the module's docstring), without duplicates."""
    baseline = Variant("baseline")
    sets = {p: compound_set(study, p) for p in study.compound}
    every_seed = [p for p in study.compound if p not in study.first_seed_only]
    first, *others = study.seeds
    runs = [Run(baseline, first)] + [Run(baseline, s) for s in study.baseline_seeds]   # a pilot's noise first
    runs += [Run(v, first) for p in study.compound for v in sets[p]]
    runs += [Run(baseline, s) for s in others]
    runs += [Run(v, s) for p in every_seed for s in others for v in sets[p]]
    runs += [Run(v, first) for v in recipe_trial_variants(study)]
    runs += [Run(v, s) for s in study.grid_seeds for v in grid(study)]
    return list(dict.fromkeys(runs))


# --------------------------------------------------------------------------- the studies

# The base of the scaling study: B0's Table 1 rows (the same operators, kernels and expansion) for
# Fashion-MNIST at 14 px, half its native 28, so that resolution scaling up to 28 px reveals real detail
# (and never upsamples). One stride-2 stage leaves a 7x7 last map, as B0's is at 224 px, so a class
# activation map has 49 cells. Narrow channels (8 to 48, a head of 192) rounded to multiples of 4 (the
# reference's depth_divisor is 8; at these widths a 10% step would round to nothing), so that w = 1.1
# already widens the later stages. B0's repeats with Lite's rule that the first and last stages keep
# one block: d = 1.2 then adds a block to stages 2 to 6, and d = 1.44 adds another to stages 4 to 6, so
# every step of phi changes depth, width and resolution, and phi = 1 costs about twice the base.
# No stochastic depth or dropout: a few epochs are too few for either to pay.
STUDY_BASE = Network(
    "study-b0 (14 px)",
    stages("mbconv", [
        (1, 3, 1, 8, 1),
        (6, 3, 2, 8, 2),
        (6, 5, 1, 12, 2),
        (6, 3, 1, 16, 3),
        (6, 5, 1, 24, 3),
        (6, 5, 1, 32, 4),
        (6, 3, 1, 48, 1),
    ]),
    image_size=14, in_channels=1, stem_channels=8, stem_stride=1, head_channels=192, dropout=0.0,
    stochastic_depth=0.0, scale_end_stages=False, channel_divisor=4)

# Table 3 in miniature: MobileNetV2 for small images (the stem and the third stage lose their stride),
# at 0.35 of its width (one of MobileNetV2's published widths), at the figures study's 14 px.
def _small_mobilenet_v2() -> Network:
    from ..rules.baselines import MOBILENET_V2

    adapted = MOBILENET_V2.with_(stem_stride=1, in_channels=1, dropout=0.1,
                                 stages=tuple(replace(s, stride=1) if i == 2 else s
                                              for i, s in enumerate(MOBILENET_V2.stages)))
    return scale(adapted, width=0.35).with_(name="small-mobilenet-v2", image_size=14, width=1.0)


SMALL_MOBILENET_V2 = _small_mobilenet_v2()

# The recipe every variant of a study trains with. AdamW at 4e-3 for batches of 128, warm-up over the first
# 15% of the steps, no crop-and-flip, four epochs: chosen on the first pilot's validation runs (FIRST_PILOT,
# see PILOT_DECISION), where two epochs left the base short of training.
_CPU_RECIPE = recipe("short", epochs=4, batch_size=128, lr=4e-3, warmup_epochs=0.6, augment=False)
_RECIPES = {"smoke": recipe("short", epochs=1, batch_size=32, lr=4e-3, warmup_epochs=0.2, augment=False),
            "cpu": _CPU_RECIPE, "gpu": replace(_CPU_RECIPE, epochs=8, warmup_epochs=1.2)}

#: What the pilots showed and what was decided, on the validation split (tests/test_experiments.py holds every
#: number here to the findings computed from the stored pilots).
PILOT_DECISION = """\
The first pilot (first-pilot-cpu: two epochs of 50,000 images; the base with five seeds, a seed noise of 0.16
points) chose the recipe: half the learning rate lost -0.5 points [-1.0, -0.0], twice gained +0.2 points
[-0.3, +0.7], within noise, so 4e-3 stayed; crop-and-flip lost -2.8 points [-3.3, -2.3]; batches of 64 or 32 gained
+0.1 points [-0.4, +0.6], within noise. But its schedule trial gained +0.9 points [+0.4, +1.4] from four epochs
instead of two, and at twice the cost depth alone gained +0.1 points [-0.4, +0.6], within noise, where width
(+0.5 points [+0.1, +1.0]) and resolution (+1.0 points [+0.5, +1.5]) paid. Two epochs left the base short of
training and gave a deeper network no time to use its blocks: the design failed. Passes over the data, not
optimiser steps, were short (smaller batches, more steps, gained nothing), so the study trains every network
for four epochs, and the second pilot (pilot-cpu) checks the design again at four before the study runs.

The second pilot (pilot-cpu: four epochs; the base with four seeds, a seed noise of 0.13 points) failed too. At
about twice the cost depth alone gained +0.1 points [-0.4, +0.5] and width +0.4 points [-0.0, +0.9], both within
noise; only resolution paid, +0.8 points [+0.3, +1.2]. A first step that does not pay fails the design whatever the
second step shows, so the pilot's phi = 2 rivals and its eight-epoch trial were not run. Four epochs did not
rescue depth, and the stage table says why: the base's receptive field spans its 14 px image by Table 1's stage 4,
so 10 of the 14 blocks the depth rival adds work on features that already see the whole image. Depth can only pay
on images larger than the base's early field (the issue's cluttered canvas), at several times this design's cost
per run. So the figures study (figures-cpu) stays partial: its compound model at phi = 1 trained with one seed beside
the pilot, its rivals are the pilot's, and its base has three seeds; enough for notebook 6's class activation maps
and a first Figure 8 comparison with wide intervals, not for the study's verdict."""

_NOTES = {"smoke": "seconds on the generated data: checks the machinery only",
          "cpu": "a 2-core CPU: 50,000 training images four times, 10,000 for validation, the 10,000 test images once",
          "gpu": "one GPU: the CPU design at phi = 1, 2, 3, with Figure 4's grid and a longer schedule"}
_SMOKE = dict(data="tiny", validation_images=32, train_images=None, seeds=(0, 1), max_image_size=None)


# The smoke preset's base: the same table with one block per stage, at the generated data's 16 px, so a
# test trains a whole study in seconds.
SMOKE_BASE = STUDY_BASE.with_(name="study-b0 (smoke)", image_size=16,
                              stages=tuple(replace(s, repeats=1) for s in STUDY_BASE.stages))


def _figures(preset: str) -> Study:
    base = SMOKE_BASE if preset == "smoke" else STUDY_BASE
    # The CPU study compares at phi = 1 with three seeds (what four epochs for every network and seed allow on
    # a 2-core machine); its pilot adds phi = 2's rivals, one seed each, for Figure 3's second step.
    protocol = {"smoke": dict(compound=(1.0,), keep_weights=("baseline", "phi=1"), **_SMOKE),
                "cpu": dict(compound=(1.0,), max_image_size=28, keep_weights=("baseline", "phi=1")),
                "gpu": dict(compound=(1.0, 2.0, 3.0), first_seed_only=(3.0,), grid_bases=((1.0, 1.3), (2.0, 1.0), (2.0, 1.3)),
                            grid_widths=(1.0, 1.5, 2.0), keep_weights=("baseline", "phi=2"))}[preset]
    return Study("figures", preset, base, _RECIPES[preset], note=_NOTES[preset], **protocol)


def _pilot(preset: str) -> Study:
    figures = _figures(preset)
    trials = ((("epochs", 8), ("warmup_epochs", 1.2)),) if preset != "smoke" else ((("lr", 2e-3),),)
    return replace(figures, name="pilot", compound=(1.0, 2.0) if preset != "smoke" else (1.0,),
                   scalings=SINGLE_DIMENSIONS, seeds=figures.seeds[:1],
                   # Four seeds of the base, not the first pilot's five: four measure the noise well enough,
                   # and the fifth's quarter core-hour buys more as a rival.
                   baseline_seeds=(1, 2, 3) if preset != "smoke" else (1,), first_seed_only=(), grid_bases=(),
                   recipe_trials=trials,
                   note="the design check: the base with four seeds, Figure 3's rivals with one, a longer schedule")


# The first pilot, kept as it ran (data/results/first-pilot-cpu.jsonl): the same base and protocol with two
# epochs. Its recipe trials chose the learning rate, batches of 128 and no crop-and-flip; its schedule trial and
# its rivals showed two epochs too short (see PILOT_DECISION), so the study trains four.
FIRST_PILOT = Study(
    "first-pilot", "cpu", STUDY_BASE, recipe("short", epochs=2, batch_size=128, lr=4e-3, warmup_epochs=0.3, augment=False),
    compound=(1.0, 2.0), scalings=SINGLE_DIMENSIONS, seeds=(0,), baseline_seeds=(1, 2, 3, 4), max_image_size=28,
    recipe_trials=((("lr", 2e-3),), (("lr", 8e-3),), (("augment", True),), (("epochs", 4),),
                   (("batch_size", 32), ("lr", 2e-3)), (("batch_size", 64), ("lr", 2.8e-3))),
    note="the first design check: two epochs of 50,000 images")


def _table3(preset: str) -> Study:
    base = SMALL_MOBILENET_V2 if preset != "smoke" else SMALL_MOBILENET_V2.with_(
        image_size=16, stages=tuple(replace(s, repeats=1) for s in SMALL_MOBILENET_V2.stages))
    protocol = dict(compound=(TABLE_7["compound"].multipliers,))
    if preset == "smoke":
        protocol.update(_SMOKE)
    return Study("table3", preset, base, _RECIPES[preset], note=_NOTES[preset], **protocol)


STUDIES: dict[str, dict[str, Study]] = {
    "first-pilot": {"cpu": FIRST_PILOT},
    "pilot": {p: _pilot(p) for p in ("smoke", "cpu")},
    "figures": {p: _figures(p) for p in PRESETS},
    "table3": {p: _table3(p) for p in PRESETS},
}


def study(name: str, preset: str = "cpu") -> Study:
    """The study ``name`` ("pilot", "figures", "table3") at ``preset`` ("smoke", "cpu", "gpu")."""
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; choose one of {', '.join(STUDIES)}.")
    if preset not in STUDIES[name]:
        raise ValueError(f"the {name} study has no {preset!r} preset; choose one of {', '.join(STUDIES[name])}.")
    return STUDIES[name][preset]
