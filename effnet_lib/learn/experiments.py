"""The command line of the experiment engine: list, run, merge, and reproduce the course's studies.

    python -m effnet_lib.learn.experiments list figures --preset cpu
    python -m effnet_lib.learn.experiments run pilot figures --preset cpu --workers 2
    python -m effnet_lib.learn.experiments merge figures part-a.jsonl part-b.jsonl
    python -m effnet_lib.learn.experiments reproduce figures --strategy width --group phi=1 --seed 0

Every option is checked before any data is loaded (the options are derived from
:class:`~.study_runner.RunOptions`). ``reproduce`` retrains one stored run from what its record holds
(the study's settings, the variant, the seed) into a scratch file and sets the two records side by side.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Sequence

import torch

from ..rules.cost import cost
from ..rules.vocabulary import PRESETS, STRATEGIES
from . import cli
from .hardware import describe, hardware
from .studies import STUDIES, Study, plan, study as find_study
from .study_results import merge_results, read_results, results_path
from .study_runner import RunOptions, run_study

__all__ = ["main", "reproduce"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m effnet_lib.learn.experiments",
                                description=f"List, run, merge or reproduce the course's studies ({', '.join(STUDIES)}).")
    commands = p.add_subparsers(dest="command", required=True)
    texts = {"list": "print the runs of a study in priority order, and which are done",
             "run": "train the runs not yet in the results file, in priority order",
             "merge": "add the runs of other results files of the study (parts run apart)",
             "reproduce": "retrain one stored run from its record and compare the two"}
    for command, text in texts.items():
        sub = commands.add_parser(command, help=text, description=text)
        several = command in ("list", "run")
        sub.add_argument("studies", nargs="+" if several else 1, choices=list(STUDIES), metavar="STUDY",
                         help=f"{'one or more' if several else 'one'} of {', '.join(STUDIES)}")
        if command == "merge":
            sub.add_argument("parts", nargs="+", type=Path, help="results files of the same study and preset")
        sub.add_argument("--preset", default="cpu", choices=PRESETS, help="the size: smoke, cpu or gpu (default: cpu)")
        sub.add_argument("--results", default=None, type=Path,
                         help="the results file (only with one study; default: data/results/<study>-<preset>.jsonl)")
        sub.add_argument("--results-dir", default=None, type=Path,
                         help="a folder for the results files, one <study>-<preset>.jsonl per study")
        if command in ("run", "reproduce"):
            sub.add_argument("--data-root", default=None, type=Path,
                             help="a folder holding Fashion-MNIST's four .gz files (default: where the course looks)")
        if command == "run":
            cli.add_options(sub, RunOptions)
        if command == "reproduce":
            sub.add_argument("--strategy", required=True, choices=STRATEGIES)
            sub.add_argument("--group", default="baseline", help="the run's group, e.g. phi=1 (default: baseline)")
            sub.add_argument("--seed", type=int, default=0)
            sub.add_argument("--threads", type=int, default=1, help="CPU threads (the stored CPU runs used 1)")
    return p


def _paths(parser, args) -> list[tuple[Study, Path]]:
    try:
        studies = [find_study(name, args.preset) for name in dict.fromkeys(args.studies)]
    except ValueError as error:
        parser.error(str(error))
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
    done = {r.run_id for r in read_results(path, study)[0]}
    base = cost(study.base, num_classes=study.num_classes).multiply_adds
    print(f"{study.label}: {study.note}\n  {path}")
    for run in plan(study):
        spec = run.variant.network(study.base)
        c = cost(spec, num_classes=study.num_classes)
        v = run.variant
        print(f"  {'done' if run.run_id in done else '    '}  {run.label:<42} d={v.depth:<6.3g} w={v.width:<6.3g} "
              f"r={v.resolution:<6.3g} {spec.image_size:>3} px  {c.multiply_adds / base:5.2f}x  "
              f"{c.parameters:>10,} params  {study.recipe_for(v).epochs} epochs")


def reproduce(study: Study, path: Path, strategy: str, group: str, seed: int, data_root=None,
              log=print) -> tuple:
    """Retrain the stored run (strategy, group, seed) of ``study`` into a scratch file; return (stored, again)."""
    stored = {r.run_id: r for r in read_results(path, study)[0]}
    key = next((k for k in stored if (k.strategy, k.group, k.seed) == (strategy, group, seed)), None)
    if key is None:
        raise ValueError(f"{path} holds no run ({strategy}, {group}, seed {seed}) of {study.label}; "
                         f"`python -m effnet_lib.learn.experiments list {study.name} --preset {study.preset}` lists them.")
    scratch = Path(tempfile.mkdtemp(prefix="effnet-reproduce-")) / path.name
    options = RunOptions(strategies=(strategy,), groups=(group,), seeds=(seed,), progress=False)
    again = {r.run_id: r for r in run_study(study, scratch, data_root=data_root, options=options, log=log)}
    return stored[key], again[key]


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
    if args.data_root is not None and not args.data_root.is_dir():
        parser.error(f"--data-root {args.data_root} is not a folder.")
    if args.command == "reproduce":
        torch.set_num_threads(args.threads)
        try:
            stored, again = reproduce(*pairs[0], args.strategy, args.group, args.seed, args.data_root)
        except ValueError as error:
            parser.error(str(error))
        for name, record in (("stored", stored), ("reproduced", again)):
            test = f"{record.test_accuracy:.4%}" if record.test_accuracy is not None else "not tested"
            print(f"{name:>10}: validation {record.validation_accuracy:.4%}, test {test}, "
                  f"{record.train_seconds:.0f} s on {describe(record.hardware)}")
        return
    options = cli.from_args(parser, args, RunOptions)
    for study, _ in pairs:
        try:
            options.check(study)
        except ValueError as error:
            parser.error(str(error))
    deadline = time.monotonic() + 60 * options.budget_minutes if options.budget_minutes is not None else None
    torch.set_num_threads(options.threads or (1 if options.workers > 1 else torch.get_num_threads()))
    print(f"on {describe(hardware(options.device))}" + (f", {options.workers} workers" if options.workers > 1 else ""),
          flush=True)
    for study, path in pairs:
        run_study(study, path, data_root=args.data_root, options=options, deadline=deadline,
                  log=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
