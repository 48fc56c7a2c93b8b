"""A study's stored results: where they live, reading them back checked, gathering parts, and the kept models.

Each study and preset has one JSON-lines file, ``data/results/<study>-<preset>.jsonl`` (the results
layer's records format), and, for a study that keeps weights, ``<study>-<preset>.weights.pt`` beside it.
Epoch checkpoints of runs under way live in ``data/results/checkpoints/<study>-<preset>/`` (not
committed): a killed run continues from its last finished epoch.

Reading is strict: a record made with other study settings or by another library version is set aside
with the reason (and named in a warning), never mixed into a plot.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import torch

from ..results.locations import results_dir
from ..results.records import RunRecord, Skipped, append_record, read_records, save_atomically
from .hardware import library_version
from .studies import STUDIES, Study, Variant, network_shape, plan, study as find_study

__all__ = ["results_path", "weights_path", "checkpoint_dir", "read_results", "load_results", "best_results",
           "merge_results", "keep_weights", "keep_state", "weights_key", "TrainedModel", "load_trained_models"]


def results_path(study: Study, folder: str | os.PathLike | None = None) -> Path:
    """``<folder>/<study>-<preset>.jsonl`` (folder: the course's ``data/results``)."""
    return Path(folder if folder is not None else results_dir()) / f"{study.label}.jsonl"


def weights_path(results: str | os.PathLike) -> Path:
    """Where the kept models of a results file live: ``figures-cpu.jsonl`` -> ``figures-cpu.weights.pt``."""
    results = Path(results)
    return results.with_name(results.stem + ".weights.pt")


def checkpoint_dir(results: str | os.PathLike) -> Path:
    """Where the runs of a results file keep their epoch checkpoints and claims while they train."""
    results = Path(results)
    return results.parent / "checkpoints" / results.stem


def _acceptor(study: Study) -> Callable[[RunRecord], str | None]:
    settings, version = study.settings(), library_version()

    def accept(record: RunRecord) -> str | None:
        if record.library_version != version:
            return f"made by effnet_lib {record.library_version}, this is {version}"
        if record.settings != settings:
            differ = sorted(k for k in set(record.settings) | set(settings) if record.settings.get(k) != settings.get(k))
            return f"made with other study settings ({', '.join(differ)} differ)"
        return None
    return accept


def read_results(path: str | os.PathLike, study: Study) -> tuple[list[RunRecord], list[Skipped]]:
    """The records of ``path`` that belong to ``study`` (its settings, this library version), and the rest
    with the reason each was set aside."""
    return read_records(path, _acceptor(study))


def load_results(name: str | Study, preset: str | None = None, path: str | os.PathLike | None = None,
                 warn: bool = True) -> list[RunRecord]:
    """The stored results of a study (e.g. ``load_results("figures", "cpu")``), checked as `read_results` does.

    Records set aside are named in a warning (``warn``), so nothing is dropped without a word.
    """
    study = name if isinstance(name, Study) else find_study(name, preset or "cpu")
    path = Path(path) if path is not None else results_path(study)
    kept, skipped = read_results(path, study)
    if skipped and warn:
        reasons = sorted({s.reason for s in skipped})
        warnings.warn(f"{path}: {len(skipped)} record(s) set aside: " + "; ".join(reasons[:3])
                      + ("; ..." if len(reasons) > 3 else ""), stacklevel=2)
    return kept


def best_results(name: str, presets: Sequence[str] = ("gpu", "cpu"), folder: str | os.PathLike | None = None,
                 warn: bool = True) -> tuple[Study | None, list[RunRecord]]:
    """The stored results of the first preset in ``presets`` that has any: ``(study, records)``.

    Notebooks plot the GPU study when it exists and the CPU study otherwise, and say which it was.
    """
    for preset in presets:
        if preset not in STUDIES[name]:
            continue
        study = find_study(name, preset)
        records = load_results(study, path=results_path(study, folder), warn=warn)
        if records:
            return study, records
    return None, []


def keep_weights(path: Path, record: RunRecord, model: torch.nn.Module) -> None:
    """Add one trained model (float16) to the study's weights file, rewriting it atomically."""
    model = getattr(model, "_orig_mod", model)
    keep_state(path, record, {k: (v.detach().half() if v.is_floating_point() else v).cpu()
                              for k, v in model.state_dict().items()})


def keep_state(path: Path, record: RunRecord, state: dict) -> None:
    """Add one run's (float16) state dict to a weights file, rewriting it atomically."""
    kept = torch.load(path, map_location="cpu", weights_only=True) if path.exists() else {}
    kept[weights_key(record)] = state
    save_atomically(path, lambda temporary: torch.save(kept, temporary))


def weights_key(record: RunRecord) -> str:
    """A run's entry in its study's weights file."""
    return f"{record.strategy}/{record.group}/{record.seed}"


def merge_results(study: Study, parts: Sequence[str | os.PathLike], results: str | os.PathLike | None = None,
                  log: Callable[[str], None] = print) -> int:
    """Add to a study's results file the runs that other files of the same study hold and it lacks.

    A study can be run in parts (``--seeds``, ``--groups``, several machines) into separate files;
    this gathers them, kept weights included. Records of other settings are set aside with the
    reason, as everywhere. Returns the number of runs added.
    """
    path = Path(results) if results is not None else results_path(study)
    have = {r.run_id for r in read_results(path, study)[0]}
    added = 0
    for part in map(Path, parts):
        if part.resolve() == path.resolve():
            continue
        records, skipped = read_results(part, study)
        for s in skipped:
            log(f"  set aside a record of {part.name}: {s.reason}")
        new = [r for r in records if r.run_id not in have]
        kept_new = [r for r in new if r.group in study.keep_weights]
        if kept_new:
            weights = torch.load(weights_path(part), map_location="cpu", weights_only=True)
            kept = torch.load(weights_path(path), map_location="cpu", weights_only=True) \
                if weights_path(path).exists() else {}
            kept.update({weights_key(r): weights[weights_key(r)] for r in kept_new})
            save_atomically(weights_path(path), lambda temporary: torch.save(kept, temporary))
        for record in new:
            append_record(path, record)
            have.add(record.run_id)
        added += len(new)
        log(f"{part.name}: {len(new)} run(s) added to {path.name}")
    return added


class TrainedModel(NamedTuple):
    """A kept model of a study: its record and the network with its trained weights, in evaluation mode."""

    record: RunRecord
    model: torch.nn.Module


def load_trained_models(name: str = "figures", preset: str | None = None, results: str | os.PathLike | None = None,
                        groups: Sequence[str] | None = None) -> list[TrainedModel]:
    """The kept models of a study (its base and the compound set it keeps: Table 7's models at our scale),
    in plan order.

    ``preset`` None takes the GPU study when its results exist, else the CPU one. Each model is rebuilt
    from the study's base and the record's multipliers, checked against the network the record
    describes, and given its float16 weights back as float32. The record says how to feed it:
    ``record.data.mean``, ``.std``, ``.classes`` and ``record.network.image_size``.
    """
    from ..model.network import efficientnet

    if preset is None and results is None:
        study, records = best_results(name)
        if study is None:
            raise FileNotFoundError(f"no stored results of the {name} study under {results_dir()}; make them with "
                                    f"`python -m effnet_lib.learn.experiments run {name} --preset cpu`.")
    else:
        study = find_study(name, preset or "cpu")
        records = load_results(study, path=results)
    if not study.keep_weights:
        raise ValueError(f"the {study.label} study keeps no models; the studies that do: "
                         f"{[n for n, s in STUDIES.items() if any(p.keep_weights for p in s.values())]}.")
    path = weights_path(Path(results) if results is not None else results_path(study))
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing, so the models of {study.label} cannot be rebuilt; rerun "
                                f"`python -m effnet_lib.learn.experiments run {name} --preset {study.preset}` "
                                "after moving its results file away.")
    weights = torch.load(path, map_location="cpu", weights_only=True)
    order = {run.run_id: i for i, run in enumerate(plan(study))}
    wanted = [r for r in records if r.group in (groups or study.keep_weights)]
    loaded = []
    for record in sorted(wanted, key=lambda r: order.get(r.run_id, len(order))):
        key = weights_key(record)
        if key not in weights:
            raise ValueError(f"{path.name} has no weights for {record.label!r}; rerun that study to make them.")
        spec = Variant(record.strategy, record.depth, record.width, record.resolution).network(study.base)
        if network_shape(spec) != record.network:
            raise ValueError(f"{record.label!r} was trained as {record.network}, but the study's base now scales to "
                             f"{network_shape(spec)}; the stored model is from another base.")
        model = efficientnet(spec, num_classes=len(record.data.classes))
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights[key].items()})
        loaded.append(TrainedModel(record, model.eval()))
    return loaded
