"""The small-scale scaling study: single-dimension vs compound scaling at matched FLOPS.

The paper's Figures 3, 4 and 8 ask one question three ways: for the same extra multiply-adds,
is it better to go deeper (d), wider (w), to higher resolution (r), or all three by Eq. 3? This
module plans that experiment on a small baseline, runs it, and writes one JSON file per run.

* :func:`match_flops` picks, for each strategy, the multiplier whose *analytic* cost
  (:func:`effnet_lib.cost`) is closest to 2x, 4x, 8x the baseline's, so the strategies are
  compared at equal FLOPS rather than at equal multipliers.
* :class:`Study` is the whole plan as data (baseline, data set, recipe, seeds, targets, the
  Figure 4 grid). ``STUDIES`` holds the GPU study and a CPU-sized one.
* :func:`run_study` runs whatever is not done yet and stops starting new runs when its time
  budget is spent; each run checkpoints every epoch. Call it again (or rerun the command) and it
  continues, so the study survives interruptions and 10-minute job limits.

    python -m effnet_lib.learn.experiments --study gpu --budget-minutes 9     # repeat until it says done
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import torch

from ..rules.architecture import SMALL_B0, Network
from ..rules.cost import cost
from .datasets import COURSE_DATA_DIR, load_dataset
from ..rules.scaling import compound, scale

__all__ = ["Variant", "Study", "STUDIES", "match_flops", "plan", "run_variant", "run_study",
           "load_results", "hardware", "RESULTS_DIR"]

#: Where study results are kept (one folder per study); plots read them from here.
RESULTS_DIR = COURSE_DATA_DIR / "results"
STRATEGIES = ("baseline", "depth", "width", "resolution", "compound", "grid")


@dataclass(frozen=True)
class Variant:
    """One scaled network of the study: multipliers of the baseline's depth, width, resolution."""

    strategy: str              # which curve it belongs to: one of STRATEGIES
    depth: float = 1.0
    width: float = 1.0
    resolution: float = 1.0    # multiplier of the baseline's resolution (pixels are rounded)
    target: float = 1.0        # the FLOPS ratio it was chosen to match (1 for the baseline and grid)

    @property
    def key(self) -> str:
        """A file-name-safe id; the same network gets the same key whichever curve asked for it."""
        return f"d{self.depth:.3f}-w{self.width:.3f}-r{self.resolution:.3f}"

    def spec(self, base: Network) -> Network:
        return scale(base, depth=self.depth, width=self.width, resolution=self.resolution)


@lru_cache(maxsize=4096)
def _madds(spec: Network, num_classes: int) -> int:
    return cost(spec, num_classes=num_classes).multiply_adds


def _ratio(base: Network, spec: Network, num_classes: int) -> float:
    # Many multipliers round to the same table; the cache makes each distinct table cost once.
    return _madds(spec, num_classes) / _madds(base, num_classes)


def match_flops(base: Network, strategy: str, target: float, num_classes: int = 10,
                alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> Variant:
    """The variant of ``strategy`` whose multiply-adds are closest to ``target`` x the baseline's.

    Channel and repeat rounding make cost a staircase, so this scans the multiplier finely and
    keeps the closest step (on a log scale) rather than inverting d, w^2, r^2. Resolution is
    scanned in whole pixels, compound scaling in steps of phi (Eq. 3 with alpha, beta, gamma).

    >>> v = match_flops(SMALL_B0, "width", 2.0)
    >>> 1.3 < v.width < 1.5 and v.depth == 1.0
    True
    """
    if strategy == "depth":
        candidates = (Variant("depth", depth=round(1 + i / 100, 2), target=target) for i in range(0, 1500))
    elif strategy == "width":
        candidates = (Variant("width", width=round(1 + i / 100, 2), target=target) for i in range(0, 400))
    elif strategy == "resolution":
        candidates = (Variant("resolution", resolution=px / base.image_size, target=target)
                      for px in range(base.image_size, 4 * base.image_size + 1))
    elif strategy == "compound":
        def compound_candidates():
            for i in range(0, 600):
                d, w, r = compound(i / 100, alpha, beta, gamma)
                yield Variant("compound", round(d, 4), round(w, 4),
                              round(base.image_size * r) / base.image_size, target)
        candidates = compound_candidates()
    else:
        raise ValueError(f"strategy must be depth, width, resolution or compound, got {strategy!r}.")
    best, best_error = None, math.inf
    for v in candidates:  # cost only grows along each scan, so stop once well past the target
        ratio = _ratio(base, v.spec(base), num_classes)
        error = abs(math.log(ratio / target))
        if error < best_error:
            best, best_error = v, error
        if ratio > 1.5 * target:
            break
    return best


@dataclass(frozen=True)
class Study:
    """The whole experiment as data: what to scale, on what, how long, and how many times."""

    name: str
    base: Network = SMALL_B0
    data: str = "fashion-mnist"
    train_subset: int | None = None     # None: the whole training set
    test_subset: int | None = None
    epochs: int = 12
    batch_size: int = 512
    recipe: str = "short"
    lr: float | None = None             # None: the recipe's own rule for this batch size
    seeds: tuple[int, ...] = (0, 1)
    targets: tuple[float, ...] = (2.0, 4.0, 8.0)          # FLOPS ratios to the baseline (Figures 3, 8)
    grid_bases: tuple[tuple[float, float], ...] = ((1.0, 1.0), (1.0, 1.3), (2.0, 1.0), (2.0, 1.3))  # (d, r), Figure 4
    grid_widths: tuple[float, ...] = (1.0, 1.4, 1.8)
    grid_seeds: tuple[int, ...] | None = None             # None: the same seeds as the main curves
    compile: bool = False
    note: str = ""

    def config(self) -> dict:
        """Everything that decides a run's outcome besides the variant and seed (stored in each result)."""
        keep = ("name", "data", "train_subset", "test_subset", "epochs", "batch_size", "recipe", "lr")
        return {**{k: getattr(self, k) for k in keep}, "base": self.base.name,
                "base_resolution": self.base.image_size, "base_width": self.base.width,
                "base_depth": self.base.depth}


def plan(study: Study, num_classes: int = 10) -> list[tuple[Variant, int]]:
    """Every (variant, seed) the study trains, cheapest first, without duplicates.

    The baseline and the Figure 4 point (d=1, w=1, r=1) are one network, trained once per seed.
    """
    variants = [Variant("baseline")]
    for strategy in ("depth", "width", "resolution", "compound"):
        variants += [match_flops(study.base, strategy, t, num_classes) for t in study.targets]
    # Figure 4's bases keep their nominal r (1.3); `scale` rounds it to whole pixels.
    grid = [Variant("grid", depth=d, width=w, resolution=r) for d, r in study.grid_bases for w in study.grid_widths]
    runs: list[tuple[Variant, int]] = []
    seen: set[tuple[str, int]] = set()
    for group, seeds in ((variants, study.seeds), (grid, study.grid_seeds or study.seeds)):
        for v in group:
            for seed in seeds:
                if (v.key, seed) not in seen:
                    seen.add((v.key, seed))
                    runs.append((v, seed))
    flops = {v.key: cost(v.spec(study.base), num_classes=num_classes).multiply_adds for v, _ in runs}
    return sorted(runs, key=lambda vs: (vs[1] != study.seeds[0], flops[vs[0].key]))


def hardware(device: torch.device | str | None = None) -> dict:
    """What a result was measured on: the device, the machine, and the software versions."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    info = {"device": device.type, "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(), "platform": platform.platform()}
    if device.type == "cuda":
        info.update(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda)
    return info


def _library_version() -> str:
    try:
        from .. import __version__
        return __version__
    except ImportError:
        from importlib.metadata import version
        return version("effnet-lib")


def _result_path(out_dir: Path, variant: Variant, seed: int) -> Path:
    return out_dir / f"{variant.key}-seed{seed}.json"


def run_variant(study: Study, variant: Variant, seed: int, data=None, out_dir: str | os.PathLike | None = None,
                device: str | None = None, progress: bool = True) -> dict:
    """Train one variant with one seed; write and return its result (resuming a checkpoint if any)."""
    from ..model.network import efficientnet
    from .train import recipe, train

    out_dir = Path(out_dir) if out_dir is not None else RESULTS_DIR / study.name
    data = data if data is not None else load_dataset(study.data, train=study.train_subset,
                                                      test=study.test_subset)
    spec = variant.spec(study.base).with_(in_channels=data.channels)
    torch.manual_seed(seed)  # the initial weights
    model = efficientnet(spec, num_classes=data.num_classes)
    checkpoint = out_dir / "checkpoints" / f"{variant.key}-seed{seed}.pt"
    changes = {"lr": study.lr} if study.lr is not None else {}
    history = train(model, data, recipe(study.recipe, epochs=study.epochs, batch_size=study.batch_size, **changes),
                    seed=seed, device=device, checkpoint=checkpoint, resume=True, compile=study.compile,
                    progress=progress)
    c = cost(spec, num_classes=data.num_classes)
    result = {
        "study": study.config(),
        "variant": {**asdict(variant), "key": variant.key},
        "seed": seed,
        "network": {"resolution": spec.image_size, "width": spec.width, "depth": spec.depth,
                    "repeats": [s.repeats for s in spec.stages], "channels": [s.channels for s in spec.stages]},
        "multiply_adds": c.multiply_adds,
        "parameters": c.parameters,
        "flops_ratio": c.multiply_adds / cost(study.base.with_(in_channels=data.channels),
                                              num_classes=data.num_classes).multiply_adds,
        "test_accuracy": history.test_accuracy,
        "final_accuracy": history.final_accuracy,
        "best_accuracy": history.best_accuracy,
        "epochs": history.epochs,
        "seconds": history.seconds,
        "hardware": {**hardware(device), "device_name": history.device},
        "library_version": _library_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = _result_path(out_dir, variant, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(result, indent=1))
    os.replace(temporary, path)
    checkpoint.unlink(missing_ok=True)  # the result now holds everything the plots need
    return result


def run_study(study: Study | str, out_dir: str | os.PathLike | None = None, budget_minutes: float | None = None,
              device: str | None = None, progress: bool = True, only: Iterable[str] | None = None,
              seeds: Iterable[int] | None = None, log=print) -> list[dict]:
    """Run every planned (variant, seed) without a result yet; return all results so far.

    Stops *starting* runs once ``budget_minutes`` have passed (a started run finishes, or leaves a
    checkpoint if killed). ``only`` restricts to some strategies, e.g. ``only=["baseline", "width"]``.
    A result made with other study settings is never overwritten: that is an error.
    """
    study = STUDIES[study] if isinstance(study, str) else study
    out_dir = Path(out_dir) if out_dir is not None else RESULTS_DIR / study.name
    data = load_dataset(study.data, train=study.train_subset, test=study.test_subset)
    started = time.monotonic()
    runs = plan(study, data.num_classes)
    todo = []
    for variant, seed in runs:
        if only is not None and variant.strategy not in set(only):
            continue
        if seeds is not None and seed not in set(seeds):
            continue
        path = _result_path(out_dir, variant, seed)
        if path.exists():
            saved = json.loads(path.read_text())
            if saved.get("study") != study.config():
                raise ValueError(f"{path} was made with other study settings ({saved.get('study')}); "
                                 f"move it away or use another out_dir for {study.config()}.")
            continue
        todo.append((variant, seed))
    log(f"{study.name}: {len(todo)} runs to go -> {out_dir}")
    for i, (variant, seed) in enumerate(todo):
        if budget_minutes is not None and time.monotonic() - started > 60 * budget_minutes:
            log(f"time budget of {budget_minutes} min spent; run again to continue ({len(todo) - i} left).")
            break
        result = run_variant(study, variant, seed, data, out_dir, device, progress)
        log(f"  {variant.strategy:<10} {variant.key} seed {seed}: {result['flops_ratio']:.2f}x FLOPS, "
            f"accuracy {result['final_accuracy']:.4f} in {result['seconds']:.0f} s")
    else:
        log(f"{study.name}: all runs done.")
    return load_results(out_dir)


def load_results(folder: str | os.PathLike | None = None) -> list[dict]:
    """Every study result JSON in ``folder`` (default: the studies of ``STUDIES`` under data/results).

    Other JSON files that may share the folder (they lack a "variant" and a "study") are skipped.
    """
    folders = [Path(folder)] if folder is not None else [RESULTS_DIR / name for name in STUDIES]
    results = []
    for f in folders:
        for p in sorted(f.rglob("*.json")) if f.is_dir() else []:
            if "checkpoints" in p.parts:
                continue
            result = json.loads(p.read_text())
            if isinstance(result, dict) and "variant" in result and "study" in result:
                results.append(result)
    return results


# The GPU study: the small-image baseline on all of Fashion-MNIST.
# The CPU study: the same design shrunk until it fits a shared 2-core CPU in well under an hour:
# a half-depth, quarter-width baseline at 16 px without stochastic depth (too few steps for it
# to pay), 1,200 training images, 3 epochs, two of Figure 4's four (d, r) bases, and the grid
# with one seed. Its accuracies are far below the GPU study's and its seed spread is large: it
# shows the method working end to end, not the paper's result.
_CPU_BASE = scale(SMALL_B0, depth=0.5, width=0.25).with_(name="small-b0 (cpu study)", image_size=16,
                                                         stochastic_depth=0.0, dropout=0.1)
STUDIES: dict[str, Study] = {
    "gpu": Study("gpu", note="one GPU; full Fashion-MNIST"),
    "cpu": Study("cpu", base=_CPU_BASE, train_subset=1200, test_subset=600, epochs=3, batch_size=32, lr=5e-3,
                 targets=(2.0, 4.0), grid_bases=((1.0, 1.0), (2.0, 1.3)), grid_widths=(1.0, 2.0),
                 grid_seeds=(0,), note="2-core CPU shared with other jobs; 1,200 training images, 3 epochs"),
    "smoke": Study("smoke", base=_CPU_BASE, data="tiny", train_subset=128, test_subset=64, epochs=1,
                   batch_size=32, seeds=(0,), targets=(2.0,), grid_bases=((1.0, 1.0),), grid_widths=(1.0,),
                   note="seconds; checks the machinery only"),
}


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m effnet_lib.learn.experiments",
                                description="Run (or continue) the scaling study; results go to data/results/<study>/.")
    p.add_argument("--study", default="gpu", choices=list(STUDIES))
    p.add_argument("--out", default=None, help="results folder (default: data/results/<study>)")
    p.add_argument("--budget-minutes", type=float, default=None, help="stop starting runs after this long")
    p.add_argument("--device", default=None)
    p.add_argument("--only", nargs="*", default=None, choices=STRATEGIES, help="run only these strategies")
    p.add_argument("--seeds", nargs="*", type=int, default=None, help="run only these seeds")
    p.add_argument("--epochs", type=int, default=None, help="override the study's epochs")
    p.add_argument("--compile", action="store_true", help="torch.compile each model (GPU)")
    p.add_argument("--list", action="store_true", help="print the plan and exit")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (1 is best on a busy machine)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    study = STUDIES[args.study]
    if args.epochs is not None:
        study = replace(study, epochs=args.epochs)
    if args.compile:
        study = replace(study, compile=True)
    if args.list:
        for variant, seed in plan(study):
            c = cost(variant.spec(study.base), num_classes=10)
            print(f"{variant.strategy:<10} {variant.key}  {variant.spec(study.base).image_size:>3} px  seed {seed}  "
                  f"{c.multiply_adds / cost(study.base, num_classes=10).multiply_adds:5.2f}x FLOPS  "
                  f"{c.parameters:>10,} params")
        return
    run_study(study, args.out, args.budget_minutes, args.device, not args.no_progress, args.only, args.seeds)


if __name__ == "__main__":
    main()
