"""The CPU study's training loop, run several ways side by side: which way trains the most images per second.

**What it measures.** Training images per second of the loop the CPU study runs
(``effnet_lib.learn.train.train``, nothing re-implemented) on the study's own networks: the base of
``studies.study("figures", "cpu")`` (14 px) and its compound model at phi = 2 (19 px), built as the
study builds them, on real Fashion-MNIST split as the study splits it (``study_runner.study_data``),
or on the generated set with ``--tiny``. Each *turn* is one call of ``train`` for one epoch over a
slice of the training images (``--images`` for the base, fewer for a costlier network, so that a turn
takes about as long) and a slice of the validation images; the loop's own per-epoch record gives the
training images per second (batches, forward, backward, optimiser: what the loop times) and how long
its validation pass took. The ways of running it:

    b419088          the study's loop as it was at commit b419088: contiguous (NCHW) model and
                     batches, batch 64, eager, one thread (the reference: every ratio is against it)
    channels-last    model and batches channels-last (what the loop now does on a CPU), batch 64
    large-batch      channels-last, batch 128 (the CPU study's recipe now)
    compiled         channels-last, batch 64, torch.compile of the loss-and-tally step with the
                     network (``train(compile=True)``); only where a C++ compiler is found (said
                     when skipped); its compile time is reported apart, never in the rate
    two-threads      channels-last, batch 128, two torch threads in one process
    two-processes    channels-last, batch 128, two single-thread processes training side by side,
                     as ``experiments run --workers 2`` does: the machine's study throughput (their
                     images per second summed)

and two costs, as shares of one epoch of the study (its 50,000 training and 10,000 validation
images) for the reference and for the loop as the study runs it now: preparing the batches
(``Batches`` alone: resize, normalise, layout; inside the training time) and the validation pass
after every epoch.

**Side by side.** A warm-up round runs every way once, untimed (first calls build oneDNN's kernels,
torch.compile compiles). Then each of ``--repeats`` rounds runs every way once per network, the
order rotated from round to round, so whatever the machine does meanwhile falls on every way alike.
A way's figure is its median over the rounds; its ratio is the median over rounds of its rate divided
by the reference's rate *in the same round*.

**Reading a ratio on a loaded machine.** The printed load average (before and after the run) says
how busy the machine was. Ratios between single-thread ways (layout, batch, compile) hold on a busy
machine: a single thread is slowed alike in every turn, and the paired, per-round ratio cancels slow
drifts. The ``two-threads`` and ``two-processes`` rows measure spare cores: with a load average
near or above the number of cores (other work on every core) a second thread or process finds no
idle core, and they read near 1x or below, which says nothing about an idle machine. Trust them only
when the load average before the run was well under the core count. A niced run beside un-niced
work gets only the leftovers, so its absolute images per second are low; its ratios still compare.

    python benchmarks/cpu_train_loop.py                        # ~3 minutes on an idle 2-core machine
    python benchmarks/cpu_train_loop.py --json out.json        # also write every turn, the table and the load
    python benchmarks/cpu_train_loop.py --networks base --repeats 5
    python benchmarks/cpu_train_loop.py --tiny                 # generated data: checks the machinery
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # run from a checkout without installing
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

import effnet_lib.learn.train as loop  # noqa: E402
from compiler_check import compile_blocker, describe as describe_compiler  # noqa: E402
from effnet_lib.learn.batches import Batches  # noqa: E402
from effnet_lib.learn.datasets import DataNotFoundError, ImageData, tiny_dataset  # noqa: E402
from effnet_lib.learn.hardware import describe, hardware  # noqa: E402
from effnet_lib.learn.recipes import Recipe  # noqa: E402
from effnet_lib.learn.studies import Run, Study, Variant, compound_set, study as find_study  # noqa: E402
from effnet_lib.learn.study_runner import build_model, study_data  # noqa: E402
from effnet_lib.rules.cost import cost  # noqa: E402

REFERENCE = "b419088"
# Fashion-MNIST's 60,000 training images less the study's validation split: one epoch of the study.
FASHION_MNIST_TRAIN_IMAGES = 60_000
# The loop evaluates in batches of max(batch, 256) (eager) and pads the last one: a validation slice
# that is a multiple of this and of every batch is measured without padding.
EVALUATION_BATCH = 256


@dataclass(frozen=True)
class Way:
    """One way of running the loop."""

    name: str
    channels_last: bool
    batch: int
    compile: bool = False
    threads: int = 1
    processes: int = 1

    @property
    def label(self) -> str:
        parts = ["contiguous (NCHW)" if not self.channels_last else "channels-last", f"batch {self.batch}"]
        if self.compile:
            parts.append("torch.compile")
        if self.threads > 1:
            parts.append(f"{self.threads} threads")
        if self.processes > 1:
            parts.append(f"{self.processes} processes of 1 thread, summed")
        return ", ".join(parts)


def ways(batch: int, large_batch: int) -> list[Way]:
    """The ways of running the loop, the reference first."""
    return [Way(REFERENCE, False, batch), Way("channels-last", True, batch), Way("large-batch", True, large_batch),
            Way("compiled", True, batch, compile=True), Way("two-threads", True, large_batch, threads=2),
            Way("two-processes", True, large_batch, processes=2)]


WAY_NAMES = tuple(w.name for w in ways(64, 128))


# --------------------------------------------------------------------------- one turn

@contextlib.contextmanager
def memory_layout(channels_last: bool):
    """The loop's memory layout on the CPU for the duration of a turn.

    ``train`` asks ``effnet_lib.learn.train._channels_last(device)`` whether to lay the model and
    its batches out channels-last; b419088's loop answered "only on a GPU". This sets that answer.
    """
    original = getattr(loop, "_channels_last", None)
    if original is None:
        raise SystemExit("effnet_lib.learn.train no longer has _channels_last(device), the switch this benchmark "
                         "turns to run the loop contiguous or channels-last; update benchmarks/cpu_train_loop.py.")
    loop._channels_last = lambda device: device.type == "cuda" or channels_last
    try:
        yield
    finally:
        loop._channels_last = original


def current_layout() -> bool:
    """Whether the loop, as it is now, trains channels-last on the CPU."""
    return bool(loop._channels_last(torch.device("cpu")))


def turn(model: torch.nn.Module, data: ImageData, way: Way, recipe: Recipe) -> dict:
    """One epoch of the real loop over ``data`` (a slice); its training and validation rates."""
    torch.set_num_threads(way.threads)
    with memory_layout(way.channels_last):
        history = loop.train(model, data, replace(recipe, batch_size=way.batch, epochs=1), device="cpu",
                             compile=way.compile, progress=False)
    epoch = history.epochs[-1]
    images = len(data.train_labels) // way.batch * way.batch
    train_seconds = images / epoch["images_per_second"]
    return {"train_images_per_s": epoch["images_per_second"],
            "validation_images_per_s": len(data.validation_labels) / max(epoch["seconds"] - train_seconds, 1e-9)}


def preparation_seconds(data: ImageData, image_size: int, batch: int, channels_last: bool, augment: bool) -> float:
    """Seconds per training image that ``Batches`` alone takes to prepare ``data``'s training split."""
    torch.set_num_threads(1)
    batches = Batches(data.train_images, data.train_labels, batch, image_size, data.mean, data.std,
                      train=True, augment=augment, channels_last=channels_last)
    started = time.perf_counter()
    for _ in batches:
        pass
    return (time.perf_counter() - started) / (len(batches) * batch)


# --------------------------------------------------------------------------- two processes side by side

def _process_main(connection, study: Study, networks: dict, slices: dict, way: Way, recipe: Recipe) -> None:
    """A single-thread worker: trains its own copy of each network when told to, reports the rate."""
    try:
        torch.set_num_threads(1)
        models = {name: build_model(study, Run(variant, 0)) for name, variant in networks.items()}
        while True:
            message = connection.recv()
            if message is None:
                return
            connection.send(("done", turn(models[message], slices[message], replace(way, threads=1), recipe)))
    except Exception as error:   # reported as the way's failure; the other ways go on
        connection.send(("failed", f"{type(error).__name__}: {str(error)[:300]}"))


class Processes:
    """``way.processes`` workers that train one turn at the same moment; their rates summed."""

    def __init__(self, study: Study, networks: dict, slices: dict, way: Way, recipe: Recipe):
        context = multiprocessing.get_context("spawn")
        self.workers = []
        for _ in range(way.processes):
            ours, theirs = context.Pipe()
            process = context.Process(target=_process_main, args=(theirs, study, networks, slices, way, recipe),
                                      daemon=True)
            process.start()
            self.workers.append((process, ours))

    def turn(self, network: str) -> dict:
        try:
            for _, connection in self.workers:
                connection.send(network)
            answers = [connection.recv() for _, connection in self.workers]
        except (OSError, EOFError) as error:     # a worker died: say how, with what it sent before dying
            said = [connection.recv()[1] for _, connection in self.workers if connection.poll(1)]
            codes = [process.exitcode for process, _ in self.workers]
            raise RuntimeError(f"a worker process stopped (exit codes {codes}; {type(error).__name__})"
                               + (f": {said[0]}" if said else "")) from None
        failed = [value for kind, value in answers if kind != "done"]
        if failed:
            raise RuntimeError(failed[0])
        rates = [value for _, value in answers]
        return {key: sum(r[key] for r in rates) for key in rates[0]}

    def close(self) -> None:
        for process, connection in self.workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                connection.send(None)
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


# --------------------------------------------------------------------------- the networks and the data

def network_variants(study: Study, names: list[str]) -> dict[str, Variant]:
    """The study's variants named "base" or "phi=P" (its compound model at phi = P)."""
    chosen = {}
    for name in names:
        if name == "base":
            chosen[name] = Variant("baseline")
            continue
        try:
            phi = float(name.removeprefix("phi="))
        except ValueError:
            raise SystemExit(f"--networks takes 'base' or 'phi=P' (e.g. phi=2), got {name!r}.") from None
        chosen[name] = next(v for v in compound_set(study, phi) if v.strategy == "compound")
    return chosen


def turn_images(study: Study, variant: Variant, base_images: int, large_batch: int) -> int:
    """Training images per turn: ``base_images`` for the base, fewer (by cost) for a costlier network."""
    base = cost(study.base, num_classes=study.num_classes).multiply_adds
    ratio = cost(variant.network(study.base), num_classes=study.num_classes).multiply_adds / base
    steps = max(1, round(base_images / ratio / large_batch))
    return steps * large_batch


def data_slice(data: ImageData, train: int, validation: int, offset: int = 0) -> ImageData:
    """``train`` training and ``validation`` validation images of ``data``, from ``offset`` on."""
    def cut(tensor: torch.Tensor, count: int) -> torch.Tensor:
        index = (torch.arange(count) + offset) % len(tensor)
        return tensor[index]
    return replace(data, train_images=cut(data.train_images, train), train_labels=cut(data.train_labels, train),
                   validation_images=cut(data.validation_images, validation),
                   validation_labels=cut(data.validation_labels, validation))


def load_data(study: Study, tiny: bool, needed: int, validation: int, data_root) -> ImageData:
    if tiny:
        return tiny_dataset(train=needed + validation, test=16).split_validation(validation)
    try:
        return study_data(study, data_root)
    except DataNotFoundError as error:
        raise SystemExit(f"{error}\n(or pass --tiny to check the benchmark on generated data)")


# --------------------------------------------------------------------------- the rounds

def paired_ratio(turns: list[dict], reference: list[dict]) -> float | None:
    ratios = [t["train_images_per_s"] / r["train_images_per_s"] for t, r in zip(turns, reference) if t and r]
    return statistics.median(ratios) if ratios else None


def summarise(network: dict, now: str | None, epoch_images: tuple[int, int]) -> None:
    """Medians, paired ratios and the epoch shares of one network, written into ``network``."""
    by_name = {w["way"]: w for w in network["ways"]}
    reference = by_name[REFERENCE]["turns"]
    for w in network["ways"]:
        rates = [t["train_images_per_s"] for t in w["turns"] if t]
        w["median_images_per_s"] = statistics.median(rates) if rates else None
        w["range_images_per_s"] = [min(rates), max(rates)] if rates else None
        w["ratio_to_reference"] = paired_ratio(w["turns"], reference)
        w["ratio_to_now"] = paired_ratio(w["turns"], by_name[now]["turns"]) if now else None
    train_images, validation_images = epoch_images
    network["epoch"] = {}
    for role, name in (("reference", REFERENCE), ("now", now)):
        w = by_name.get(name)
        preparation = network["preparation_seconds_per_image"].get(role)
        if w is None or not w["median_images_per_s"] or not preparation:
            continue
        validation_rate = statistics.median(t["validation_images_per_s"] for t in w["turns"] if t)
        train = train_images / w["median_images_per_s"]
        validation = validation_images / validation_rate
        seconds = train + validation
        network["epoch"][role] = {
            "way": name, "seconds": seconds, "training_seconds": train, "validation_seconds": validation,
            "preparation_share": statistics.median(preparation) * train_images / seconds,
            "validation_share": validation / seconds}


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_table(report: dict) -> None:
    train_images, validation_images = report["epoch_images"]
    print(f"\nimages per second of training, median over {report['settings']['repeats']} rounds "
          f"(range), and the median per-round ratio to {REFERENCE} and to the loop now:")
    for network in report["networks"]:
        print(f"\n{network['name']}: {network['network']}, {network['image_size']} px, "
              f"{network['cost_ratio']:.2f}x the base's multiply-adds, {network['train_images_per_turn']} training "
              f"images per turn")
        print(f"  {'way':<15} {'how':<58} {'img/s':>8} {'range':>13} {'x ' + REFERENCE:>10} {'x now':>7}")
        for w in network["ways"]:
            mark = "  <- the loop now" if w["way"] == report["now"] else ""
            if w["skipped"]:
                print(f"  {w['way']:<15} {w['label']:<58} skipped: {w['skipped']}")
                continue
            if not w["turns"]:
                print(f"  {w['way']:<15} {w['label']:<58} no timed turn")
                continue
            low, high = w["range_images_per_s"]
            print(f"  {w['way']:<15} {w['label']:<58} {w['median_images_per_s']:8.1f} {low:6.1f}-{high:<6.1f} "
                  f"{_ratio(w['ratio_to_reference']):>10} {_ratio(w['ratio_to_now']):>7}{mark}")
        compiled = next((w for w in network["ways"] if w["compile"] and w["warmup_seconds"]), None)
        if compiled is not None:
            print(f"  the compiled way's warm-up turn (compiling included): {compiled['warmup_seconds']:.0f} s")
        for role, e in network["epoch"].items():
            print(f"  one epoch of the study ({train_images:,} training + {validation_images:,} validation images) "
                  f"as {e['way']} runs it: {e['seconds']:.0f} s; preparing batches {e['preparation_share']:.1%}, "
                  f"the validation pass {e['validation_share']:.1%}")
    faster = [(n["name"], w["way"], w["ratio_to_now"]) for n in report["networks"] for w in n["ways"]
              if w["ratio_to_now"] and w["ratio_to_now"] > 1.05 and w["way"] != report["now"]]
    for name, way, ratio in faster:
        print(f"faster than the loop now on {name}: {way} ({ratio:.2f}x)")
    load = report["hardware"].get("load_average")
    print(f"\nload average before: {load}, after: {report['load_average_after']} "
          f"({report['hardware']['cpu_count']} cores; see the docstring on reading ratios under load)")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="the generated data set instead of Fashion-MNIST")
    p.add_argument("--data-root", type=Path, default=None, help="a folder with Fashion-MNIST's four .gz files")
    p.add_argument("--networks", nargs="+", default=["base", "phi=2"],
                   help="'base' and/or 'phi=P', the study's compound model at phi = P (default: base phi=2)")
    p.add_argument("--ways", nargs="+", default=list(WAY_NAMES), choices=WAY_NAMES,
                   help=f"the ways to time ({REFERENCE}, the reference, always is)")
    p.add_argument("--images", type=int, default=256,
                   help="training images per turn of the base (a costlier network gets fewer; default 256)")
    p.add_argument("--validation-images", type=int, default=EVALUATION_BATCH,
                   help=f"validation images per turn, a multiple of {EVALUATION_BATCH} and of each batch (default "
                        f"{EVALUATION_BATCH})")
    p.add_argument("--batch", type=int, default=64, help="the reference's batch (b419088's study: 64)")
    p.add_argument("--large-batch", type=int, default=None,
                   help="the larger batch, the loop now's (default: the CPU study's recipe's, 128)")
    p.add_argument("--repeats", type=int, default=3, help="timed rounds after the warm-up round (default 3)")
    p.add_argument("--no-compile", action="store_true", help="skip the compiled way (compiling takes a minute or more)")
    p.add_argument("--json", type=Path, default=None, help="write the turns, the table and the load average here")
    args = p.parse_args(argv)
    cpu_study = find_study("figures", "cpu")
    args.large_batch = args.large_batch or cpu_study.recipe.batch_size
    for name in ("images", "batch", "large_batch", "repeats", "validation_images"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}.")
    if args.large_batch % args.batch:
        p.error(f"--large-batch ({args.large_batch}) must be a multiple of --batch ({args.batch}), so that every "
                "way trains the same images in a turn.")
    if args.validation_images % max(args.large_batch, EVALUATION_BATCH):
        p.error(f"--validation-images ({args.validation_images}) must be a multiple of "
                f"{max(args.large_batch, EVALUATION_BATCH)}: the loop evaluates in batches of max(batch, "
                f"{EVALUATION_BATCH}) and pads the last, which would count work on images that are not there.")
    started = time.monotonic()
    networks = network_variants(cpu_study, list(dict.fromkeys(args.networks)))
    chosen = [w for w in ways(args.batch, args.large_batch) if w.name == REFERENCE or w.name in args.ways]
    blocker = "not asked for (--no-compile)" if args.no_compile else compile_blocker("cpu")
    images = {name: turn_images(cpu_study, v, args.images, args.large_batch) for name, v in networks.items()}
    data = load_data(cpu_study, args.tiny, max(images.values()), args.validation_images, args.data_root)
    slices = {name: data_slice(data, images[name], args.validation_images) for name in networks}
    recipe = cpu_study.recipe
    now_layout = current_layout()
    # The loop as the study runs it now: its layout on the CPU, the study's batch (--large-batch), eager,
    # one thread per worker.
    now = next((w.name for w in chosen if (w.channels_last, w.batch, w.compile, w.threads, w.processes)
                == (now_layout, args.large_batch, False, 1, 1)), None)
    train_images = (len(data.train_labels) if not args.tiny else FASHION_MNIST_TRAIN_IMAGES - cpu_study.validation_images)
    epoch_images = (train_images, len(data.validation_labels) if not args.tiny else cpu_study.validation_images)

    torch.set_num_threads(1)
    report = {"benchmark": "cpu_train_loop", "hardware": hardware("cpu"), "torch": torch.__version__,
              "data": repr(data), "compile": describe_compiler("cpu") if not args.no_compile else blocker,
              "reference": f"{REFERENCE}: the study's loop at commit {REFERENCE} (contiguous, batch {args.batch}, "
                           "eager, one thread)",
              "now": now, "now_is": f"the loop now: {'channels-last' if now_layout else 'contiguous'}, batch "
                                    f"{args.large_batch} (the CPU study's: {recipe.batch_size}), eager, one thread "
                                    "per worker",
              "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
              "epoch_images": epoch_images, "networks": [], "skipped": [], "load_average_after": None}
    print(f"{describe(report['hardware'])}, torch {torch.__version__}, load average "
          f"{report['hardware'].get('load_average')}\n{data}\n{report['compile']}", flush=True)

    models, skipped = {}, {}
    for name, variant in networks.items():
        for way in chosen:
            if way.compile and blocker:
                skipped[(name, way.name)] = blocker
            elif way.processes == 1:
                models[(name, way.name)] = build_model(cpu_study, Run(variant, 0))
    processes = {w.name: Processes(cpu_study, networks, slices, w, recipe) for w in chosen if w.processes > 1}
    for name, variant in networks.items():
        spec = variant.network(cpu_study.base)
        report["networks"].append({
            "name": name, "network": spec.name, "image_size": spec.image_size,
            "cost_ratio": cost(spec, num_classes=cpu_study.num_classes).multiply_adds
            / cost(cpu_study.base, num_classes=cpu_study.num_classes).multiply_adds,
            "train_images_per_turn": images[name], "validation_images_per_turn": args.validation_images,
            "ways": [{"way": w.name, "label": w.label, **asdict(w), "skipped": skipped.get((name, w.name)),
                      "warmup_seconds": None, "turns": []} for w in chosen],
            "preparation_seconds_per_image": {"reference": [], "now": []}})

    def save():
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            temporary = args.json.with_name(args.json.name + ".tmp")
            temporary.write_text(json.dumps(report, indent=1))
            os.replace(temporary, args.json)

    def one_turn(network: dict, way: Way) -> dict:
        if way.processes > 1:
            return processes[way.name].turn(network["name"])
        return turn(models[(network["name"], way.name)], slices[network["name"]], way, recipe)

    try:
        for round_number in range(args.repeats + 1):
            warm_up = round_number == 0
            print(("warm-up round (untimed): first calls build kernels" + (", torch.compile compiles"
                                                                            if not blocker else "")) if warm_up
                  else f"round {round_number} of {args.repeats}", flush=True)
            for network in report["networks"]:
                order = chosen[round_number % len(chosen):] + chosen[:round_number % len(chosen)]
                for way in order:
                    entry = next(w for w in network["ways"] if w["way"] == way.name)
                    if entry["skipped"]:
                        continue
                    turn_started = time.perf_counter()
                    try:
                        result = one_turn(network, way)
                    except Exception as error:   # a failed compile, ...: recorded, the other ways go on
                        entry["skipped"] = f"failed ({type(error).__name__}: {str(error)[:300]})"
                        continue
                    if warm_up:
                        entry["warmup_seconds"] = time.perf_counter() - turn_started
                    else:
                        entry["turns"].append(result)
                if not warm_up:
                    spec = networks[network["name"]].network(cpu_study.base)
                    for role, layout, batch in (("reference", False, args.batch),
                                                ("now", now_layout, args.large_batch)):
                        network["preparation_seconds_per_image"][role].append(preparation_seconds(
                            data_slice(data, max(2048, images[network["name"]]), 1, offset=round_number * 977),
                            spec.image_size, batch, layout, recipe.augment))
            for network in report["networks"]:
                if not warm_up:
                    for w in network["ways"]:
                        if w["skipped"]:
                            w["turns"] = []
                    summarise(network, now, epoch_images)
            report["seconds"] = time.monotonic() - started
            save()
    finally:
        for group in processes.values():
            group.close()
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    report["seconds"] = time.monotonic() - started
    save()
    print_table(report)
    print(f"({report['seconds']:.0f} s in all)")
    return report


if __name__ == "__main__":
    main()
