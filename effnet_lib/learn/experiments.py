"""The experiment engine: the one way the course trains a set of models.

A :class:`~.studies.Study` says what to train (`studies.py`); this module trains it, run after run
in the study's priority order, and appends one JSON line per finished run to the study's results
file (``data/results/<study>-<preset>.jsonl``; `records.py` says how a line survives a kill). A
rerun reads the file and trains only what is missing, so a study can be run in parts: in the
background on a busy CPU, or in short GPU windows.

Each record holds the study's settings, the variant (strategy, d, w, r and the network they round
to: repeats, channels, pixels), its multiply-adds and parameters, the seed, the test accuracy after
every epoch, the time, the :func:`~.hardware.hardware` record and the library version.

**The recipe for short schedules.** The first CPU study (1,200 images, 3 epochs) left its deeper
variants near chance: an optimisation failure, not a property of depth. Every study now trains
every variant with the same changes, made for short schedules as the field makes them:

* the last BatchNorm of each residual block starts at zero (timm's ``zero_init_last``), so every
  block starts as the identity and a deeper network starts out computing what the shallow one does;
* the learning rate warms up linearly (the short recipe's one-cycle schedule) and is set so that
  the deepest variant still trains (checked on the deepest depth rival before the study ran);
* on the CPU: no crop-and-flip augmentation (in a few hundred steps it slows learning more than it
  regularises) and enough images and steps for the baseline to reach 85% on the full test set;
* every run is tested on the data set's whole test set (10,000 images for Fashion-MNIST).

The models of a study with ``keep_weights`` (Table 7's, for the class activation maps) are kept in
float16 in one file beside the results (``<study>-<preset>.weights.pt``), rewritten atomically
after each run; :func:`load_trained_models` builds them back.

The command line (every option is checked before any data is loaded):

    python -m effnet_lib.learn.experiments list figures --preset cpu
    python -m effnet_lib.learn.experiments run figures --preset cpu --threads 1
    python -m effnet_lib.learn.experiments run figures table7 --preset gpu --results-dir OUT \\
        --data-root /data/fashion-mnist --budget-minutes 6
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import torch

from ..rules.cost import cost
from . import cli
from .datasets import COURSE_DATA_DIR, DataNotFoundError, ImageData, load_dataset
from .hardware import describe, hardware, library_version
from .records import FORMAT, Skipped, append_record, check_record, read_records, save_atomically
from .studies import PRESETS, STRATEGIES, STUDIES, Run, Study, Variant, plan, study as find_study

__all__ = ["RESULTS_DIR", "RunOptions", "results_path", "weights_path", "read_results", "load_results",
           "best_results", "train_run", "run_study", "merge_results", "TrainedModel", "load_trained_models", "main"]

#: Where the course keeps study results: one JSON-lines file per study and preset.
RESULTS_DIR = COURSE_DATA_DIR / "results"


def results_path(study: Study, folder: str | os.PathLike | None = None) -> Path:
    """``<folder>/<study>-<preset>.jsonl`` (folder: the course's ``data/results``)."""
    return Path(folder if folder is not None else RESULTS_DIR) / f"{study.label}.jsonl"


def weights_path(results: str | os.PathLike) -> Path:
    """Where the kept models of a results file live: ``figures-cpu.jsonl`` -> ``figures-cpu.weights.pt``."""
    results = Path(results)
    return results.with_name(results.stem + ".weights.pt")


@dataclass(frozen=True)
class RunOptions:
    """How to run studies (not what they train): the device, the time budget, which part."""

    budget_minutes: float | None = None   # start no run that would end after this many minutes (None: no limit)
    device: str | None = None             # "cuda" or "cpu" (default: cuda when there is one)
    threads: int | None = None            # CPU threads for torch (1 is best on a busy shared machine)
    seeds: tuple[int, ...] = ()           # train only these seeds (default: every seed of the study)
    strategies: tuple[str, ...] = ()      # train only these strategies (default: all)
    groups: tuple[str, ...] = ()          # train only these groups, e.g. "phi=1" (default: all)
    compile: bool = False                 # torch.compile each model (pays off on a GPU for long runs)
    progress: bool = True                 # a progress bar per run

    def __post_init__(self):
        if self.budget_minutes is not None and not (math.isfinite(self.budget_minutes) and self.budget_minutes >= 0):
            raise ValueError(f"budget_minutes must be a number of minutes >= 0, got {self.budget_minutes!r}.")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads!r}.")
        if self.device is not None:
            try:
                torch.device(self.device)
            except RuntimeError:
                raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {self.device!r}.") from None
        if any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds are whole numbers >= 0, got {self.seeds!r}.")
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategies {unknown}; choose from {', '.join(STRATEGIES)}.")

    def check(self, study: Study) -> None:
        """Refuse seeds or groups the study does not have (a run would train nothing and say it is done)."""
        missing = [s for s in self.seeds if s not in study.all_seeds()]
        if missing:
            raise ValueError(f"study {study.label} trains seeds {list(study.all_seeds())}; seed(s) {missing} are "
                             "not among them, so nothing would run. Pick some of those seeds, or define a study "
                             "with more.")
        groups = list(dict.fromkeys(run.variant.group for run in plan(study)))
        unknown = [g for g in self.groups if g not in groups]
        if unknown:
            raise ValueError(f"study {study.label} has the groups {groups}; {unknown} is not among them.")


# --------------------------------------------------------------------------- reading results

def read_results(path: str | os.PathLike, study: Study) -> tuple[list[dict], list[Skipped]]:
    """The records of ``path`` that belong to ``study`` (its settings, this library version), and the
    ones left out with the reason. A second record of the same run is left out too (the first counts).
    """
    config, version = study.config(), library_version()
    kept, skipped, seen = [], [], set()
    for record in read_records(path):
        reason = check_record(record, config, version)
        if reason is None and record.get("key") in seen:
            reason = "a second record of a run already recorded"
        if reason is None:
            seen.add(record["key"])
            kept.append(record)
        else:
            skipped.append(Skipped(record, reason))
    return kept, skipped


def load_results(name: str | Study, preset: str | None = None, path: str | os.PathLike | None = None,
                 warn: bool = True) -> list[dict]:
    """The stored results of a study (e.g. ``load_results("figures", "cpu")``), checked as `read_results` does.

    Records skipped for another setting or library version are named in a warning (``warn``), so
    nothing is dropped without a word.
    """
    study = name if isinstance(name, Study) else find_study(name, preset or "cpu")
    path = Path(path) if path is not None else results_path(study)
    kept, skipped = read_results(path, study)
    if skipped and warn:
        reasons = sorted({s.reason for s in skipped})
        warnings.warn(f"{path}: {len(skipped)} record(s) skipped: " + "; ".join(reasons[:3])
                      + ("; ..." if len(reasons) > 3 else ""), stacklevel=2)
    return kept


def best_results(name: str, presets: Sequence[str] = ("gpu", "cpu"), folder: str | os.PathLike | None = None,
                 warn: bool = True) -> tuple[Study | None, list[dict]]:
    """The stored results of the first preset in ``presets`` that has any: ``(study, records)``.

    Notebooks plot the GPU study when it exists and the CPU study otherwise, and say which it was.
    """
    for preset in presets:
        study = find_study(name, preset)
        records = load_results(study, path=results_path(study, folder), warn=warn)
        if records:
            return study, records
    return None, []


# --------------------------------------------------------------------------- one run

def _network_record(spec) -> dict:
    return {"image_size": spec.image_size, "repeats": [s.repeats for s in spec.stages],
            "channels": [s.channels for s in spec.stages], "stem_channels": spec.stem_channels,
            "head_channels": spec.head_channels, "blocks": spec.num_blocks}


def build_model(study: Study, run: Run) -> torch.nn.Module:
    """The untrained network of ``run``: its seed's initial weights, initialised as the study says."""
    from ..model.network import efficientnet

    torch.manual_seed(run.seed)
    model = efficientnet(run.variant.network(study.base), num_classes=study.num_classes)
    if study.zero_init_last:
        model.reset_parameters(zero_init_last=True)
    return model


def train_run(study: Study, run: Run, data: ImageData, device: str | None = None, compile: bool = False,
              progress: bool = True, bar=None) -> tuple[dict, torch.nn.Module]:
    """Train one run; return its record (not yet written) and the trained model."""
    from .train import train

    spec = run.variant.network(study.base)
    model = build_model(study, run)
    if torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu")).type == "cpu":
        # Channels-last lets the CPU's depthwise convolutions run about 1.5 times faster.
        model = model.to(memory_format=torch.channels_last)
    started = time.perf_counter()
    history = train(model, data, study.recipe, seed=run.seed, device=device, compile=compile, progress=progress,
                    label=f"{run.variant.strategy} {run.key}", bar=bar)
    wall = time.perf_counter() - started
    c = cost(spec, num_classes=study.num_classes)
    base_cost = cost(study.base, num_classes=study.num_classes).multiply_adds
    v = run.variant
    record = {
        "format": FORMAT, "key": run.key, "study": study.config(),
        "strategy": v.strategy, "group": v.group, "phi": v.phi, "seed": run.seed,
        "multipliers": {"depth": v.depth, "width": v.width, "resolution": v.resolution},
        "network": _network_record(spec),
        "multiply_adds": c.multiply_adds, "parameters": c.parameters, "cost_ratio": c.multiply_adds / base_cost,
        "data": {"name": data.name, "train_images": len(data.train_labels), "test_images": len(data.test_labels),
                 "mean": list(data.mean), "std": list(data.std), "classes": list(data.classes)},
        "epochs": history.epochs, "test_accuracy": history.test_accuracy,
        "final_accuracy": history.final_accuracy, "seconds": history.seconds, "wall_seconds": wall,
        "hardware": hardware(device or next(model.parameters()).device), "device_name": history.device,
        "library_version": library_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return record, model


def _network_key(spec) -> str:
    return json.dumps(_network_record(spec), sort_keys=True)


def _trained_by_siblings(study: Study, path: Path) -> dict[tuple[str, int], tuple[dict, Study]]:
    """Runs already trained by another study with the very same settings (all but the name).

    Table 7's matched models at (1.4, 1.2, 1.3) are, after rounding, Figure 8's models at phi = 2:
    the same network, recipe, data and seed give the same training, so it is done once and its
    record reused (marked ``reused_from``). Sibling results are looked for beside ``path``.
    """
    mine = {k: v for k, v in study.config().items() if k != "name"}
    found = {}
    for name, presets in STUDIES.items():
        other = presets.get(study.preset)
        if name == study.name or other is None:
            continue
        if {k: v for k, v in other.config().items() if k != "name"} != mine:
            continue
        for record in read_results(path.with_name(f"{other.label}.jsonl"), other)[0]:
            if "reused_from" not in record:
                found.setdefault((json.dumps(record["network"], sort_keys=True), record["seed"]), (record, other))
    return found


def _reuse(study: Study, run: Run, record: dict, other: Study) -> dict:
    v = run.variant
    return {**record, "key": run.key, "study": study.config(), "strategy": v.strategy, "group": v.group,
            "phi": v.phi, "multipliers": {"depth": v.depth, "width": v.width, "resolution": v.resolution},
            "reused_from": f"{other.label}: {record['key']}", "library_version": library_version()}


def _float16_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    model = getattr(model, "_orig_mod", model)
    return {k: (v.detach().half() if v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}


def _keep_weights(path: Path, key: str, model: torch.nn.Module) -> None:
    """Add one model to the study's weights file, rewriting it atomically."""
    kept = torch.load(path, map_location="cpu", weights_only=True) if path.exists() else {}
    kept[key] = _float16_state(model)
    save_atomically(path, lambda temporary: torch.save(kept, temporary))


# --------------------------------------------------------------------------- a whole study

def run_study(study: Study, results: str | os.PathLike | None = None, *, data: ImageData | None = None,
              data_root: str | os.PathLike | None = None, options: RunOptions = RunOptions(),
              deadline: float | None = None, log: Callable[[str], None] = print) -> list[dict]:
    """Train every run of ``study`` not yet in ``results``, in priority order; return all its records.

    Each finished run is appended to ``results`` at once (default: ``data/results/<study>-<preset>.jsonl``).
    With a time budget (``options.budget_minutes``, or a ``deadline`` on ``time.monotonic()`` shared by
    several studies) a run is started only if it is expected to finish in time, judged from the
    runs already trained in this call (seconds per multiply-add); a run that would not is left for the
    next call, and cheaper ones after it may still run.
    """
    options.check(study)
    path = Path(results) if results is not None else results_path(study)
    if deadline is None and options.budget_minutes is not None:
        deadline = time.monotonic() + 60 * options.budget_minutes
    if options.threads:
        torch.set_num_threads(options.threads)
    done, skipped = read_results(path, study)
    for s in skipped:
        log(f"  skipped a record of {path.name} ({s.record.get('key', '?')}): {s.reason}")
    finished = {r["key"] for r in done}
    wanted = [run for run in plan(study)
              if (not options.seeds or run.seed in options.seeds)
              and (not options.strategies or run.variant.strategy in options.strategies)
              and (not options.groups or run.variant.group in options.groups)]
    todo = [run for run in wanted if run.key not in finished]
    log(f"{study.label}: {len(wanted) - len(todo)} of {len(wanted)} runs done, {len(todo)} to go -> {path}")
    if not todo:
        return done
    if data is None:
        data = load_dataset(study.data, data_root, train=study.train_images, test=study.test_images, seed=0)
    if data.channels != study.base.in_channels:
        raise ValueError(f"{data.name} has {data.channels} channel(s) but {study.base.name} takes "
                         f"{study.base.in_channels}; use a study made for this data set.")
    data = data.to(options.device or ("cuda" if torch.cuda.is_available() else "cpu"))   # once, not per run
    trained_elsewhere = _trained_by_siblings(study, path)
    estimate = _Estimate()
    left_out = []
    for run in todo:
        spec = run.variant.network(study.base)
        twin = trained_elsewhere.get((_network_key(spec), run.seed))
        if twin is not None and not study.keep_weights:
            record = _reuse(study, run, *twin)
            append_record(path, record)
            done.append(record)
            log(f"  {run.key}: the same network, seed and settings as {record['reused_from']}: "
                f"its record reused ({record['final_accuracy']:.2%})")
            continue
        size = _Size(cost(spec, num_classes=study.num_classes).multiply_adds, spec.num_blocks)
        if deadline is not None and estimate.seconds(size) > deadline - time.monotonic():
            left_out.append(run)
            continue
        record, model = train_run(study, run, data, options.device, options.compile, options.progress)
        if study.keep_weights:
            _keep_weights(weights_path(path), run.key, model)   # the weights first: a record promises them
        append_record(path, record)
        done.append(record)
        estimate.learn(size, record["wall_seconds"])
        log(f"  {run.key}: {record['cost_ratio']:.2f}x the baseline's multiply-adds, "
            f"{record['network']['image_size']} px, test accuracy {record['final_accuracy']:.2%} "
            f"in {record['wall_seconds']:.0f} s")
    if left_out:
        log(f"{study.label}: time budget spent; {len(left_out)} run(s) left for the next call "
            f"(rerun the same command to continue from {path.name}).")
    else:
        log(f"{study.label}: all {len(wanted)} runs done.")
    return done


class _Size(NamedTuple):
    multiply_adds: int
    blocks: int


class _Estimate:
    """How long a run will take, from the runs trained so far in this call.

    A large model is compute-bound (time follows multiply-adds); a small one on a GPU is bound by
    kernel launches (time follows the number of blocks). The estimate takes the larger of the two,
    each at the slowest rate seen, so a time budget is overrun rarely and by little. Before the
    first run there is nothing to go on: 0, so the first run always starts.
    """

    def __init__(self):
        self.per_madd = self.per_block = 0.0

    def learn(self, size: _Size, seconds: float) -> None:
        self.per_madd = max(self.per_madd, seconds / size.multiply_adds)
        self.per_block = max(self.per_block, seconds / size.blocks)

    def seconds(self, size: _Size) -> float:
        return max(self.per_madd * size.multiply_adds, self.per_block * size.blocks)


def merge_results(study: Study, parts: Sequence[str | os.PathLike], results: str | os.PathLike | None = None,
                  log: Callable[[str], None] = print) -> int:
    """Add to a study's results file the runs that other files of the same study hold and it lacks.

    A study can be run in parts (``--seeds``, ``--groups``, several machines) into separate files;
    this gathers them, kept weights included. Records of other settings are skipped with the
    reason, as everywhere. Returns the number of runs added.
    """
    path = Path(results) if results is not None else results_path(study)
    have = {r["key"] for r in read_results(path, study)[0]}
    added = 0
    for part in map(Path, parts):
        if part.resolve() == path.resolve():
            continue
        records, skipped = read_results(part, study)
        for s in skipped:
            log(f"  skipped a record of {part.name} ({s.record.get('key', '?')}): {s.reason}")
        new = [r for r in records if r["key"] not in have]
        if study.keep_weights and new:
            weights = torch.load(weights_path(part), map_location="cpu", weights_only=True)
            kept = torch.load(weights_path(path), map_location="cpu", weights_only=True) \
                if weights_path(path).exists() else {}
            kept.update({r["key"]: weights[r["key"]] for r in new})
            save_atomically(weights_path(path), lambda temporary: torch.save(kept, temporary))
        for record in new:
            append_record(path, record)
            have.add(record["key"])
        added += len(new)
        log(f"{part.name}: {len(new)} run(s) added to {path.name}")
    return added


# --------------------------------------------------------------------------- kept models

class TrainedModel(NamedTuple):
    """A kept model of a study: its record (strategy, multipliers, accuracy, data normalisation, ...)
    and the network with its trained weights, in evaluation mode on the CPU."""

    record: dict
    model: torch.nn.Module


def load_trained_models(name: str = "table7", preset: str | None = None,
                        results: str | os.PathLike | None = None) -> list[TrainedModel]:
    """The trained models of a study that keeps them (Table 7's), in the study's plan order.

    ``preset`` None takes the GPU study when its results exist, else the CPU one. Each model is
    rebuilt from the study's baseline and the record's multipliers, checked against the network
    the record describes, and given its float16 weights back as float32. The record holds what is
    needed to feed it: ``record["data"]["mean"]``, ``["std"]``, ``["classes"]`` and
    ``record["network"]["image_size"]``.

        for trained in load_trained_models("table7"):
            print(trained.record["strategy"], trained.record["final_accuracy"])
    """
    from ..model.network import efficientnet

    if preset is None and results is None:
        study, records = best_results(name)
        if study is None:
            raise FileNotFoundError(f"no stored results of the {name} study under {RESULTS_DIR}; make them with "
                                    f"`python -m effnet_lib.learn.experiments run {name} --preset cpu`.")
    else:
        study = find_study(name, preset or "cpu")
        records = load_results(study, path=results)
    if not study.keep_weights:
        raise ValueError(f"the {name} study does not keep its models; the one that does is "
                         f"{[n for n, s in STUDIES.items() if s['cpu'].keep_weights]}.")
    path = weights_path(Path(results) if results is not None else results_path(study))
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing, so the models of {study.label} cannot be rebuilt; rerun "
                                f"`python -m effnet_lib.learn.experiments run {name} --preset {study.preset}` "
                                "after moving its results file away.")
    weights = torch.load(path, map_location="cpu", weights_only=True)
    order = {run.key: i for i, run in enumerate(plan(study))}
    loaded = []
    for record in sorted(records, key=lambda r: order.get(r["key"], len(order))):
        if record["key"] not in weights:
            raise ValueError(f"{path.name} has no weights for {record['key']!r}; rerun that study to make them.")
        m = record["multipliers"]
        spec = Variant(record["strategy"], m["depth"], m["width"], m["resolution"]).network(study.base)
        if _network_record(spec) != record["network"]:
            raise ValueError(f"{record['key']!r} was trained as {record['network']}, but the study's baseline "
                             f"now scales to {_network_record(spec)}; the stored model is from another baseline.")
        model = efficientnet(spec, num_classes=len(record["data"]["classes"]))
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights[record["key"]].items()})
        loaded.append(TrainedModel(record, model.eval()))
    return loaded


# --------------------------------------------------------------------------- command line

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m effnet_lib.learn.experiments",
                                description="List or run the course's studies (figures, table3, table7).")
    commands = p.add_subparsers(dest="command", required=True)
    for command, text in (("list", "print the runs of a study in priority order, and which are done"),
                          ("run", "train the runs not yet in the results file, in priority order"),
                          ("merge", "add the runs of other results files of the study (parts run apart)")):
        sub = commands.add_parser(command, help=text, description=text)
        sub.add_argument("studies", nargs=1 if command == "merge" else "+", choices=list(STUDIES), metavar="STUDY",
                         help=f"one or more of {', '.join(STUDIES)}" if command != "merge" else "the study")
        if command == "merge":
            sub.add_argument("parts", nargs="+", type=Path, help="results files of the same study and preset")
        sub.add_argument("--preset", default="cpu", choices=PRESETS, help="the size: smoke, cpu or gpu (default: cpu)")
        sub.add_argument("--results", default=None, type=Path,
                         help="the results file (only with one study; default: data/results/<study>-<preset>.jsonl)")
        sub.add_argument("--results-dir", default=None, type=Path,
                         help="a folder for the results files, one <study>-<preset>.jsonl per study")
        if command == "run":
            sub.add_argument("--data-root", default=None, type=Path,
                             help="a folder holding Fashion-MNIST's four .gz files (default: where the course looks)")
            cli.add_options(sub, RunOptions)
    return p


def _paths(parser, args) -> list[tuple[Study, Path]]:
    studies = [find_study(name, args.preset) for name in dict.fromkeys(args.studies)]
    if args.results is not None and args.results_dir is not None:
        parser.error("give --results or --results-dir, not both.")
    if args.results is not None and len(studies) > 1:
        parser.error("--results names one file; with several studies use --results-dir.")
    paths = [args.results if args.results is not None else results_path(s, args.results_dir) for s in studies]
    for path in paths:
        if path.is_dir():
            parser.error(f"--results {path} is a folder; give a .jsonl file, or use --results-dir.")
        if path.suffix != ".jsonl":
            parser.error(f"--results {path}: a results file ends in .jsonl.")
    return list(zip(studies, paths))


def _list(study: Study, path: Path) -> None:
    done = {r["key"] for r in read_results(path, study)[0]}
    base = cost(study.base, num_classes=study.num_classes).multiply_adds
    print(f"{study.label}: {study.note}\n  {path}")
    for run in plan(study):
        spec = run.variant.network(study.base)
        c = cost(spec, num_classes=study.num_classes)
        v = run.variant
        print(f"  {'done' if run.key in done else '    '}  {run.key:<42} d={v.depth:<6.3g} w={v.width:<6.3g} "
              f"r={v.resolution:<6.3g} {spec.image_size:>3} px  {c.multiply_adds / base:5.2f}x  {c.parameters:>10,} params")


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    pairs = _paths(parser, args)
    if args.command == "list":
        for study, path in pairs:
            _list(study, path)
        return
    if args.command == "merge":
        missing = [str(p) for p in args.parts if not p.is_file()]
        if missing:
            parser.error(f"no such results file: {', '.join(missing)}")
        merge_results(pairs[0][0], args.parts, pairs[0][1])
        return
    options = cli.from_args(parser, args, RunOptions)
    if options.threads:
        torch.set_num_threads(options.threads)
    for study, _ in pairs:
        try:
            options.check(study)
        except ValueError as error:
            parser.error(str(error))
    if args.data_root is not None and not args.data_root.is_dir():
        parser.error(f"--data-root {args.data_root} is not a folder.")
    deadline = time.monotonic() + 60 * options.budget_minutes if options.budget_minutes is not None else None
    print(f"on {describe(hardware(options.device))}", flush=True)
    for study, path in pairs:
        try:
            run_study(study, path, data_root=args.data_root, options=options, deadline=deadline,
                      log=lambda line: print(line, flush=True))
        except DataNotFoundError as error:
            raise SystemExit(str(error))


if __name__ == "__main__":
    main()
