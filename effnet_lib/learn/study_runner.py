"""The experiment engine: train every run of a study, in priority order, in parts that survive being stopped.

:func:`run_study` trains the runs of a :class:`~.studies.Study` not yet in its results file and appends
one run record per finished run (flushed and synced before the next starts). It is safe to stop at any
moment and to run more than once at a time:

* **Epoch checkpoints.** A run saves its state after every epoch (``data/results/checkpoints/``), so a
  killed run continues from its last finished epoch, to the same weights on the CPU.
* **Claims.** Before training a run, a process claims it with a file that only one process can create;
  another process (``--workers 2``, or the same command started twice, on one machine) takes the next
  unclaimed run. A claim whose process has died is taken over. Appending to the results file holds a
  lock, so records never interleave.
* **Reuse.** A run with the very same network, recipe, data and seed as a run of another study with the
  same settings (the pilot's runs, for the figures study) is not trained again: its record is copied,
  marked ``reused_from``.
* **Validation, then test.** Every epoch is measured on the validation split; the test split is measured
  once, after the last epoch (not at all for the pilot's recipe trials, which only choose).

A time budget (``budget_minutes``) starts no run that is expected to end after it, judged from the runs
finished in this call; the first run of a call only teaches the estimate (its start-up and any compiling
would mislead it) unless it is the only evidence.
"""
from __future__ import annotations

import contextlib
import fcntl
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import torch

from ..results.records import DataSplit, Epoch, RunRecord, append_record
from ..rules.cost import cost
from .checkpoints import CheckpointError
from .datasets import DataNotFoundError, ImageData, load_dataset
from .hardware import default_device, hardware, library_version
from .studies import STUDIES, Run, Study, network_shape, plan
from .study_results import (checkpoint_dir, keep_state, keep_weights, read_results, results_path, weights_key,
                            weights_path)

__all__ = ["RunOptions", "study_data", "build_model", "train_run", "run_study", "smoke_results"]


@dataclass(frozen=True)
class RunOptions:
    """How to run studies (not what they train): the device, the time budget, which part."""

    budget_minutes: float | None = None   # start no run that would end after this many minutes (None: no limit)
    device: str | None = None             # "cuda" or "cpu" (default: cuda when there is one)
    threads: int | None = None            # CPU threads for torch per worker (default: 1 with several workers)
    workers: int = 1                      # processes training runs side by side (CPU: one per core pays best)
    seeds: tuple[int, ...] = ()           # train only these seeds (default: every seed of the study)
    strategies: tuple[str, ...] = ()      # train only these strategies (default: all)
    groups: tuple[str, ...] = ()          # train only these groups, e.g. "phi=1" (default: all)
    compile: bool = False                 # torch.compile each model (pays off on a GPU for long runs)
    progress: bool = True                 # a progress bar per run

    def __post_init__(self):
        from ..rules.vocabulary import STRATEGIES

        if self.budget_minutes is not None and not (math.isfinite(self.budget_minutes) and self.budget_minutes >= 0):
            raise ValueError(f"budget_minutes must be a number of minutes >= 0, got {self.budget_minutes!r}.")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads!r}.")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a whole number >= 1, got {self.workers!r}.")
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

    def wants(self, run: Run) -> bool:
        return ((not self.seeds or run.seed in self.seeds)
                and (not self.strategies or run.variant.strategy in self.strategies)
                and (not self.groups or run.variant.group in self.groups))


# --------------------------------------------------------------------------- one run

def study_data(study: Study, root: str | os.PathLike | None = None) -> ImageData:
    """The study's data: its validation split carved from the training images, then its training subset."""
    data = load_dataset(study.data, root)
    data = data.split_validation(min(study.validation_images, len(data.train_labels) // 4), seed=0)
    return data.subset(train=study.train_images) if study.train_images else data


def build_model(study: Study, run: Run) -> torch.nn.Module:
    """The untrained network of ``run``: its seed's initial weights, initialised as the study says."""
    from ..model.network import efficientnet

    torch.manual_seed(run.seed)
    model = efficientnet(run.variant.network(study.base), num_classes=study.num_classes)
    if study.zero_init_last:
        model.reset_parameters(zero_init_last=True)
    return model


def _epochs(history, monitored: str) -> tuple[Epoch, ...]:
    return tuple(Epoch(e["epoch"], e["train_loss"], e["train_accuracy"], e[f"{monitored}_loss"],
                       e[f"{monitored}_accuracy"], e["lr"], e["seconds"], e["images_per_second"])
                 for e in history.epochs)


def train_run(study: Study, run: Run, data: ImageData, device: str | None = None, compile: bool = False,
              progress: bool = True, bar=None, checkpoint: Path | None = None) -> tuple[RunRecord, torch.nn.Module]:
    """Train one run; return its record (not yet written) and the trained model.

    With ``checkpoint`` the run saves its state there after every epoch and, if the file exists,
    continues from it.
    """
    from .train import evaluate, train

    started = time.perf_counter()
    spec = run.variant.network(study.base)
    model = build_model(study, run)
    history = train(model, data, study.recipe_for(run.variant), seed=run.seed, device=device, compile=compile,
                    progress=progress, label=run.label, bar=bar, checkpoint=checkpoint, resume=checkpoint is not None)
    tested = study.test and not run.variant.recipe_changes
    test = evaluate(model, data, spec.image_size, "test")["test_accuracy"] if tested else None
    c = cost(spec, num_classes=study.num_classes)
    v = run.variant
    validation = len(data.validation_labels) if data.has_validation else 0
    record = RunRecord(
        study=study.name, preset=study.preset, settings=study.settings(), strategy=v.strategy, group=v.group,
        phi=v.phi, seed=run.seed, depth=v.depth, width=v.width, resolution=v.resolution,
        recipe_changes=dict(v.recipe_changes), network=network_shape(spec), multiply_adds=c.multiply_adds,
        parameters=c.parameters, cost_ratio=c.multiply_adds / cost(study.base, num_classes=study.num_classes).multiply_adds,
        data=DataSplit(data.name, len(data.train_labels), validation, len(data.test_labels) if tested else 0,
                       tuple(data.mean), tuple(data.std), tuple(data.classes)),
        epochs=_epochs(history, history.monitored), validation_accuracy=history.final_accuracy, test_accuracy=test,
        train_seconds=history.seconds, wall_seconds=time.perf_counter() - started,
        hardware=hardware(device or next(model.parameters()).device), library_version=library_version(),
        finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return record, model


# --------------------------------------------------------------------------- claims and the shared file

def _slug(run: Run) -> str:
    safe = "".join(c if c.isalnum() or c in ".=-" else "_" for c in f"{run.variant.strategy}_{run.variant.group}")
    return f"{safe}_seed{run.seed}"


@contextlib.contextmanager
def _claim(folder: Path, run: Run):
    """Hold ``run`` for this process while it trains (yields False when another live process holds it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug(run)}.claim"
    mine = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if _alive(path):
                yield False
                return
            with contextlib.suppress(FileNotFoundError):
                path.unlink()          # its process died: the run is free again
            continue
        with os.fdopen(descriptor, "w") as f:
            f.write(mine)
        try:
            yield True
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return
    yield False


def _alive(claim: Path) -> bool:
    """Whether the process named in a claim file still runs (a claim from another machine counts as alive)."""
    try:
        host, pid = claim.read_text().split()
    except (OSError, ValueError):
        return True                   # being written this instant: leave it to its writer
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock beside the results file, held while reading what is done and appending."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _done(study: Study, path: Path) -> dict:
    with _locked(path):
        return {r.run_id: r for r in read_results(path, study)[0]}


# --------------------------------------------------------------------------- reuse across studies

def _twins(study: Study, path: Path) -> dict[tuple, tuple[RunRecord, Path]]:
    """Runs of other studies with this study's settings, by (network, recipe changes, seed), with their file."""
    found = {}
    for name, presets in STUDIES.items():
        other = presets.get(study.preset)
        if name == study.name or other is None or other.settings() != study.settings():
            continue
        other_path = path.with_name(f"{other.label}.jsonl")
        for record in read_results(other_path, other)[0]:
            if record.reused_from is None:
                key = (record.network, tuple(sorted(record.recipe_changes.items())), record.seed)
                found.setdefault(key, (record, other_path))
    return found


def _reuse(study: Study, run: Run, record: RunRecord) -> RunRecord:
    from dataclasses import replace

    v = run.variant
    return replace(record, study=study.name, strategy=v.strategy, group=v.group, phi=v.phi, depth=v.depth,
                   width=v.width, resolution=v.resolution, reused_from=f"{record.study}-{record.preset}: {record.label}")


def _twin_weights(record: RunRecord, path: Path) -> dict | None:
    """The kept weights of a twin run, or None when its study did not keep them."""
    weights = weights_path(path)
    if not weights.exists():
        return None
    return torch.load(weights, map_location="cpu", weights_only=True).get(weights_key(record))


# --------------------------------------------------------------------------- the time budget

class _Size(NamedTuple):
    work: float                       # multiply-adds x images x epochs
    blocks: int


class _Estimate:
    """How long a run will take, from the runs finished so far in this call.

    A large model is compute-bound (time follows multiply-adds); a small one on a GPU is bound by kernel
    launches (time follows the number of blocks). The estimate takes the larger of the two, each at the
    slowest rate seen. The first run of a call pays for start-up (and compiling, when asked), so it is
    set aside once a second run has finished. Before any run: 0, so the first run always starts.
    """

    def __init__(self):
        self.seen: list[tuple[_Size, float]] = []

    def learn(self, size: _Size, seconds: float) -> None:
        self.seen.append((size, seconds))

    def seconds(self, size: _Size) -> float:
        evidence = self.seen[1:] or self.seen
        if not evidence:
            return 0.0
        per_work = max(s / z.work for z, s in evidence)
        per_block = max(s / z.blocks for z, s in evidence)
        return max(per_work * size.work, per_block * size.blocks)


# --------------------------------------------------------------------------- a whole study

def run_study(study: Study, results: str | os.PathLike | None = None, *, data: ImageData | None = None,
              data_root: str | os.PathLike | None = None, options: RunOptions = RunOptions(),
              deadline: float | None = None, log: Callable[[str], None] = print) -> list[RunRecord]:
    """Train every run of ``study`` not yet in ``results``, in priority order; return all its records.

    Each finished run is appended to ``results`` at once (default: ``data/results/<study>-<preset>.jsonl``).
    With ``options.workers`` > 1 that many processes train side by side (each with ``options.threads``
    CPU threads, default 1), claiming runs in priority order. With a time budget (``options.budget_minutes``,
    or a ``deadline`` on ``time.monotonic()`` shared by several studies) a run is started only if it is
    expected to finish in time; a run that would not is left for the next call.
    """
    options.check(study)
    path = Path(results) if results is not None else results_path(study)
    if deadline is None and options.budget_minutes is not None:
        deadline = time.monotonic() + 60 * options.budget_minutes
    wanted = [run for run in plan(study) if options.wants(run)]
    done = _done(study, path)
    todo = [run for run in wanted if run.run_id not in done]
    log(f"{study.label}: {len(wanted) - len(todo)} of {len(wanted)} runs done, {len(todo)} to go -> {path}")
    if todo and options.workers > 1:
        _run_workers(study, path, data_root, options, deadline, log)
    elif todo:
        _work(study, path, data, data_root, options, deadline, log)
    records = list(_done(study, path).values())
    left = [run for run in wanted if run.run_id not in {r.run_id for r in records}]
    log(f"{study.label}: " + (f"{len(left)} run(s) left for the next call (rerun the same command to continue "
                              f"from {path.name})." if left else f"all {len(wanted)} runs done."))
    return records


def _work(study: Study, path: Path, data: ImageData | None, data_root, options: RunOptions,
          deadline: float | None, log: Callable[[str], None]) -> None:
    """One worker: claim the next run nobody trains or has finished, train it, record it; until none is left."""
    if options.threads:
        torch.set_num_threads(options.threads)
    device = options.device or default_device()
    estimate, twins, tried = _Estimate(), _twins(study, path), set()
    base_cost = cost(study.base, num_classes=study.num_classes).multiply_adds
    wanted = [run for run in plan(study) if options.wants(run)]
    while True:
        done = _done(study, path)
        todo = [run for run in wanted if run.run_id not in done and run.run_id not in tried]
        if not todo:
            return
        run = todo[0]
        tried.add(run.run_id)
        spec = run.variant.network(study.base)
        twin, twin_path = twins.get((network_shape(spec), tuple(sorted(dict(run.variant.recipe_changes).items())),
                                     run.seed), (None, None))
        kept = _twin_weights(twin, twin_path) if twin is not None and run.variant.group in study.keep_weights else None
        if twin is not None and (kept is not None or run.variant.group not in study.keep_weights):
            reused = _reuse(study, run, twin)
            with _locked(path):
                if run.run_id not in {r.run_id for r in read_results(path, study)[0]}:
                    if kept is not None:         # the weights first: a record promises them
                        keep_state(weights_path(path), reused, kept)
                    append_record(path, reused)
            log(f"  {run.label}: the same network, recipe, data and seed as {twin.study}-{twin.preset}'s "
                f"{twin.label}: its record reused" + (", with its weights" if kept is not None else ""))
            continue
        epochs = study.recipe_for(run.variant).epochs
        size = _Size(cost(spec, num_classes=study.num_classes).multiply_adds / base_cost * epochs, spec.num_blocks)
        if deadline is not None and estimate.seconds(size) > deadline - time.monotonic():
            continue
        with _claim(checkpoint_dir(path), run) as mine:
            if not mine:
                continue
            if data is None:
                try:
                    data = study_data(study, data_root).to(device)    # once per worker, not per run
                except DataNotFoundError as error:
                    raise SystemExit(str(error))
            checkpoint = checkpoint_dir(path) / f"{_slug(run)}.pt"
            try:
                record, model = train_run(study, run, data, device, options.compile, options.progress,
                                          checkpoint=checkpoint)
            except CheckpointError as error:    # left by another version of the study: kept aside, not lost
                aside = checkpoint.with_name(f"{checkpoint.name}.set-aside-{time.strftime('%Y%m%d-%H%M%S')}")
                checkpoint.rename(aside)
                log(f"  {run.label}: its checkpoint belongs to another run ({error}); moved to {aside.name}, "
                    "training afresh")
                record, model = train_run(study, run, data, device, options.compile, options.progress,
                                          checkpoint=checkpoint)
            with _locked(path):
                if run.variant.group in study.keep_weights:     # the weights first: a record promises them
                    keep_weights(weights_path(path), record, model)
                append_record(path, record)
            checkpoint.unlink(missing_ok=True)
            estimate.learn(size, record.wall_seconds)
            test = f", test {record.test_accuracy:.2%}" if record.test_accuracy is not None else ""
            log(f"  {run.label}: {record.cost_ratio:.2f}x the base's multiply-adds, {record.network.image_size} px, "
                f"validation {record.validation_accuracy:.2%}{test} in {record.wall_seconds:.0f} s")


def _worker_main(study: Study, path: str, data_root, options: RunOptions, deadline_in: float | None) -> None:
    deadline = time.monotonic() + deadline_in if deadline_in is not None else None
    _work(study, Path(path), None, data_root, options, deadline, lambda line: print(line, flush=True))


def _run_workers(study: Study, path: Path, data_root, options: RunOptions, deadline: float | None,
                 log: Callable[[str], None]) -> None:
    import multiprocessing
    from dataclasses import replace

    context = multiprocessing.get_context("spawn")
    single = replace(options, workers=1, threads=options.threads or 1, progress=False)
    remaining = deadline - time.monotonic() if deadline is not None else None
    workers = [context.Process(target=_worker_main, args=(study, str(path), data_root, single, remaining))
               for _ in range(options.workers)]
    log(f"  {options.workers} workers, {single.threads} thread(s) each")
    for worker in workers:
        worker.start()
        time.sleep(2)                 # staggered, so the first claims do not race for the same run
    for worker in workers:
        worker.join()
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise RuntimeError(f"{len(failed)} worker(s) failed (exit codes {failed}); the runs they finished are "
                           f"recorded in {path.name}, and rerunning the same command continues from there.")


def smoke_results(names: tuple[str, ...] = ("pilot", "figures"), folder: str | os.PathLike | None = None) -> Path:
    """Run the smoke preset of each study (seconds on the generated data) into ``folder`` and return it: what a
    notebook in smoke mode reads in place of the stored studies.

    The default folder is named after the studies' settings in the system's temporary folder, so the notebooks
    of one test session share one set of smoke runs (the engine skips what is done, and its claims keep two
    processes from training the same run).
    """
    import hashlib
    import json
    import tempfile

    if folder is None:
        key = json.dumps([STUDIES[name]["smoke"].settings() for name in names] + [library_version()], sort_keys=True)
        folder = Path(tempfile.gettempdir()) / f"effnet-smoke-results-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    folder = Path(folder)
    for name in names:
        s = STUDIES[name]["smoke"]
        run_study(s, results_path(s, folder), options=RunOptions(progress=False), log=lambda line: None)
    return folder
