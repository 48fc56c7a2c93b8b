"""Epoch throughput of effnet_lib's training loop against a plain PyTorch loop: same model, one run.

Both loops train the same network with the same batch, recipe (AdamW, one-cycle, label smoothing
0.1, random crop and flip) and precision (bf16 autocast and channels-last on a GPU), and both
evaluate on the test split after every epoch. What differs is the loop:

* **reference**, the loop tutorials teach: images in a ``DataLoader`` on the CPU, cropped,
  flipped, resized and normalised one image at a time by torchvision transforms in worker
  processes, copied to the GPU per batch from pinned memory; the model wrapped in
  ``torch.compile``; PyTorch's default AdamW and ``OneCycleLR``; ``loss.item()`` every step
  for the running loss.
* **ours**: ``effnet_lib.learn.train.train``: the data set lives on the GPU and is augmented
  there many batches at a time, the loss and the counts are one function with the network and
  are summed on the device, a fused AdamW, no host sync inside an epoch. It is timed eager (as
  the GPU study trains), compiled, and compiled with CUDA graphs ("reduce-overhead"), in that
  order (``--ours``).

The first epoch of each loop pays for compiling, so the table reports the later epochs: training
images per second and whole-epoch images per second (evaluation included), and each of ours over
the reference. Ratios from one run on one machine are the result; absolute numbers move with the
machine. With ``--budget-seconds`` a loop that would not finish is skipped and named: a loop is
expected to take its epochs at the slowest warm epoch measured so far (a first epoch, which pays for
start-up and compiling, never sets that rate), plus, when it compiles, the compile time measured on
an earlier compiled loop (``--loop-seconds`` guesses until something is measured).

**Stopped early, nothing lost.** ``--json`` is rewritten after every epoch of every loop (a loop
still running is marked ``"complete": false``), so a GPU window that stops this stage keeps every
epoch that finished. **No compiler, no compiling.** torch.compile needs a C compiler (Triton's,
on a GPU) or a C++ one (Inductor's, on a CPU); where ``benchmarks/compiler_check.py`` finds none,
the compiled loops run eager instead and the JSON's ``fallbacks`` say why (so does a compiled
reference loop that fails at run time: it is run again eager).

    python benchmarks/train_throughput.py --data-root DIR          # GPU: the GPU study's base (14 px), Fashion-MNIST
    python benchmarks/train_throughput.py --model b0-stem1-32       # torchvision's B0, stride-1 stem, 32 px
    python benchmarks/train_throughput.py --tiny                    # seconds on a CPU: checks the machinery
    python benchmarks/train_throughput.py --tiny --count-ops        # operators dispatched per step, each loop

Without ``--data-root`` the images are random (throughput does not depend on what they show).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiler_check import compile_blocker  # noqa: E402
from effnet_lib.learn.datasets import ImageData, load_dataset, tiny_dataset  # noqa: E402
from effnet_lib.learn.recipes import recipe  # noqa: E402
from effnet_lib.learn.train import COMPILE_MODES, train  # noqa: E402
from effnet_lib.learn.hardware import describe, hardware  # noqa: E402
from effnet_lib.model.network import efficientnet  # noqa: E402
from effnet_lib.rules.architecture import SMALL_B0  # noqa: E402
from effnet_lib.rules.scaling import scale  # noqa: E402

MODELS = ("gpu-study", "small-b0", "b0-stem1-32", "tiny")
# Our loop's torch.compile modes, timed in this order ("none": eager, as the study trains).
OUR_MODES = ("none", "default", "reduce-overhead")


# --------------------------------------------------------------------------- the model and data

def build_model(name: str, channels: int, num_classes: int) -> tuple[torch.nn.Module, int]:
    """(a freshly initialised model, its training image size in pixels)."""
    if name == "gpu-study":   # the base of the GPU scaling study (figures, preset gpu)
        from effnet_lib.learn.studies import study
        base = study("figures", "gpu").base
        return efficientnet(base.with_(in_channels=channels), num_classes), base.image_size
    if name == "small-b0":
        return efficientnet(SMALL_B0.with_(in_channels=channels), num_classes), SMALL_B0.image_size
    if name == "tiny":
        spec = scale(SMALL_B0, width=0.25, depth=0.25).with_(name="tiny-b0", image_size=16, in_channels=channels)
        return efficientnet(spec, num_classes), 16
    from torchvision.models import efficientnet_b0   # the reference model
    model = efficientnet_b0(weights=None, num_classes=num_classes)
    stem = model.features[0][0]
    if channels != 3:
        model.features[0][0] = stem = torch.nn.Conv2d(channels, stem.out_channels, 3, padding=1, bias=False)
    stem.stride = (1, 1)
    return model, 32


def random_images(name: str, train: int, test: int, channels: int, size: int) -> ImageData:
    """Random uint8 images and labels shaped like a real data set (speed ignores the pixels)."""
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (train + test, channels, size, size), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (train + test,), generator=g)
    return ImageData(name, images[:train], labels[:train], images[train:], labels[train:],
                     tuple(str(c) for c in range(10)), (0.5,) * channels, (0.25,) * channels, source="random")


def make_data(args) -> ImageData:
    if args.tiny:
        return tiny_dataset(train=args.train_images or 256, test=args.test_images or 64)
    if args.data_root:
        data = load_dataset("fashion-mnist", args.data_root)
        return data.subset(args.train_images, args.test_images) if args.train_images or args.test_images else data
    if args.model == "b0-stem1-32":   # CIFAR-10's shape
        return random_images("random 3x32x32", args.train_images or 50_000, args.test_images or 10_000, 3, 32)
    return random_images("random 1x28x28", args.train_images or 60_000, args.test_images or 10_000, 1, 28)


# --------------------------------------------------------------------------- the reference loop

class _Transformed(torch.utils.data.Dataset):
    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


def reference_loop(model, data: ImageData, image_size: int, batch_size: int, epochs: int, device: torch.device,
                   compile_mode: str | None, workers: int, on_epoch_end=None) -> list[dict]:
    """The tutorial loop (see the module's docstring); one record per epoch, each also handed to
    ``on_epoch_end`` as it is made."""
    from torchvision.transforms import v2

    cuda = device.type == "cuda"
    native = data.native_size
    resize = [v2.Resize(image_size, antialias=True)] if image_size != native else []
    normalise = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(data.mean, data.std)]
    train_set = _Transformed(data.train_images, data.train_labels, v2.Compose(
        [v2.RandomCrop(native, padding=max(1, native // 8)), v2.RandomHorizontalFlip(), *resize, *normalise]))
    test_set = _Transformed(data.test_images, data.test_labels, v2.Compose([*resize, *normalise]))
    loader = dict(batch_size=batch_size, num_workers=workers, pin_memory=cuda, persistent_workers=workers > 0)
    train_loader = torch.utils.data.DataLoader(train_set, shuffle=True, drop_last=True, **loader)
    test_loader = torch.utils.data.DataLoader(test_set, shuffle=False, **loader)

    memory = torch.channels_last if cuda else torch.contiguous_format
    model = model.to(device, memory_format=memory)
    net = torch.compile(model, mode=compile_mode) if compile_mode else model
    r = recipe("short", epochs=epochs, batch_size=batch_size)
    # foreach=True is PyTorch's default on a GPU; said here so that a CPU run counts the same operators.
    optimizer = torch.optim.AdamW(model.parameters(), lr=r.lr, weight_decay=r.weight_decay, foreach=True)
    steps = epochs * len(train_loader)
    if steps >= 4:
        # OneCycleLR divides by each phase's length in steps: both phases keep at least two.
        warmup = min(max(r.warmup_epochs / epochs, 2 / steps), 1 - 2 / steps)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=r.lr, total_steps=steps, pct_start=warmup)
    else:                                  # a smoke run of a step or three: no schedule to speak of
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)
    records = []
    for epoch in range(epochs):
        model.train()
        started = time.perf_counter()
        running, images = 0.0, 0
        for x, y in train_loader:
            x = x.to(device, non_blocking=True).contiguous(memory_format=memory)
            y = y.to(device, non_blocking=True)
            with autocast:
                loss = F.cross_entropy(net(x).float(), y, label_smoothing=r.label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            running += loss.item()
            images += len(y)
        train_seconds = time.perf_counter() - started
        model.eval()
        correct = 0
        with torch.no_grad(), autocast:
            for x, y in test_loader:
                x = x.to(device, non_blocking=True).contiguous(memory_format=memory)
                correct += (net(x).argmax(1).cpu() == y).sum().item()
        seconds = time.perf_counter() - started
        records.append({"epoch": epoch + 1, "train_loss": running / len(train_loader),
                        "test_accuracy": correct / len(test_set), "seconds": seconds,
                        "images_per_second": images / train_seconds})
        if on_epoch_end is not None:
            on_epoch_end(records[-1])
    return records


# --------------------------------------------------------------------------- ours

def our_loop(model, data: ImageData, image_size: int, batch_size: int, epochs: int, device: torch.device,
             compile_mode: str | None, on_epoch_end=None) -> list[dict]:
    history = train(model, data, recipe("short", epochs=epochs, batch_size=batch_size), image_size=image_size,
                    device=device, compile=compile_mode or False, progress=False, on_epoch_end=on_epoch_end)
    return history.epochs


# --------------------------------------------------------------------------- measuring

def summary(name: str, records: list[dict], train_images: int, complete: bool = True) -> dict:
    """A loop's steady state: the epochs after the first (which compiles), or the only one."""
    steady = records[1:] or records
    return {"loop": name, "epochs": records, "complete": complete,
            "train_images_per_s": sum(e["images_per_second"] for e in steady) / len(steady),
            "epoch_images_per_s": train_images * len(steady) / sum(e["seconds"] for e in steady)}


class LoopTimes:
    """How long the next loop will take, learned from the loops run so far.

    An epoch's time is learned only from warm epochs (every epoch after a loop's first): the first
    pays for start-up, the cuDNN autotuner and compiling, and would make every later loop look
    slower than it is. What compiling costs is learned apart, from a compiled loop's first epoch
    less its warm ones. Until there is a measurement, the guesses stand: ``guess`` seconds for a
    compiled loop, a quarter of that for an eager one.
    """

    def __init__(self, guess: float):
        self.guess, self.epoch, self.compiling = guess, None, None

    def learn(self, records: list[dict], compiled: bool) -> None:
        warm = [e["seconds"] for e in records[1:]]
        if not warm:
            return
        self.epoch = max(self.epoch or 0.0, max(warm))
        if compiled:
            self.compiling = max(self.compiling or 0.0, records[0]["seconds"] - min(warm))

    def expected(self, epochs: int, compiled: bool) -> float:
        if self.epoch is None:
            return self.guess if compiled else self.guess / 4
        extra = (self.compiling if self.compiling is not None else self.guess) if compiled else 0.0
        return extra + epochs * self.epoch


def count_ops_per_step(run, steps: int) -> dict:
    """Operators this process dispatches per training step: on a GPU, roughly its kernel launches.

    Views (no kernel) are left out, and reads of a scalar to the host are counted apart: on a GPU
    the optimiser's step counters are CPU scalars (no kernel), while the reference's
    ``loss.item()`` is a wait for the GPU once per step.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    views = {"view", "_unsafe_view", "as_strided", "slice", "select", "unsqueeze", "squeeze", "expand", "t",
             "transpose", "permute", "detach", "alias", "lift_fresh", "split", "unbind", "_reshape_alias"}

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = collections.Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops[func.overloadpacket.__name__] += 1
            return func(*args, **(kwargs or {}))

    with Count() as counted:
        run()
    reads = counted.ops.pop("_local_scalar_dense", 0)
    computing = sum(n for op, n in counted.ops.items() if op not in views)
    return {"ops_per_step": computing / steps, "scalar_reads_per_step": reads / steps,
            "top": dict(counted.ops.most_common(12))}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=MODELS, default=None,
                   help="gpu-study (default: the GPU study's base, 14 px), small-b0 (24 px), "
                        "b0-stem1-32 (torchvision's B0, stride-1 stem, 32 px), tiny (with --tiny)")
    p.add_argument("--data-root", default=None, help="read Fashion-MNIST from here (default: random images)")
    p.add_argument("--tiny", action="store_true", help="tiny data, tiny model, CPU: seconds, checks the machinery")
    p.add_argument("--batch", type=int, default=None,
                   help="images per step (default: the GPU study's batch for gpu-study, else 512; 32 with --tiny)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per loop; the first is not counted unless alone")
    p.add_argument("--train-images", type=int, default=None)
    p.add_argument("--test-images", type=int, default=None)
    p.add_argument("--reference-compile", default="default", choices=COMPILE_MODES + ("none",),
                   help="torch.compile mode of the reference loop, or none (default: default, as the issue's reference)")
    p.add_argument("--ours", nargs="+", default=list(OUR_MODES), choices=COMPILE_MODES + ("none",),
                   help=f"our loop's compile modes to time, in order (default: {' '.join(OUR_MODES)})")
    p.add_argument("--workers", type=int, default=None, help="reference DataLoader workers (default: CPUs, at most 8)")
    p.add_argument("--budget-seconds", type=float, default=None,
                   help="finish within this long: a loop starts only when it is expected to end in time")
    p.add_argument("--loop-seconds", type=float, default=None,
                   help="until a loop has been measured, what a compiled loop is assumed to take, compile "
                        "included (default 60; 5 with --tiny); an eager one a quarter of that")
    p.add_argument("--count-ops", action="store_true", help="count operators per step (eager) instead of timing")
    p.add_argument("--device", default=None)
    p.add_argument("--json", default=None, help="write the results here as they come (after every epoch)")
    args = p.parse_args(argv)
    if args.epochs < 1:
        p.error(f"--epochs must be at least 1, got {args.epochs}.")
    started = time.monotonic()
    if args.tiny:
        torch.set_num_threads(1)   # a tiny model on a shared CPU: more threads only wait on each other
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() and not args.tiny else "cpu"))
    model_name = args.model or ("tiny" if args.tiny else "gpu-study")
    batch = args.batch or (32 if args.tiny else study_batch() if model_name == "gpu-study" else 512)
    counting = args.count_ops
    times = LoopTimes(args.loop_seconds if args.loop_seconds is not None else (5.0 if args.tiny else 60.0))
    # Counting needs the reference's per-image transforms out in worker processes, as on a GPU machine.
    workers = args.workers if args.workers is not None else (
        2 if counting else 0 if args.tiny else min(8, os.cpu_count() or 1))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    data = make_data(args)
    where = describe(hardware(device))
    blocker = None if counting else compile_blocker(device.type)
    out = {"device": where, "torch": torch.__version__, "model": model_name, "batch": batch, "data": repr(data),
           "epochs": args.epochs, "compiler": blocker or "found", "loops": [], "skipped": [], "fallbacks": []}
    print(f"{where}, torch {torch.__version__}: {model_name}, batch {batch}, {data}", flush=True)

    def save():
        reference = next((loop for loop in out["loops"] if loop["loop"].startswith("reference")), None)
        for loop in out["loops"]:
            loop["ratio_to_reference"] = None if reference is None or counting else {
                k: loop[k] / reference[k] for k in ("train_images_per_s", "epoch_images_per_s")}
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            temporary = Path(args.json + ".tmp")
            temporary.write_text(json.dumps(out, indent=1))
            os.replace(temporary, args.json)

    def mode_of(name: str) -> str | None:
        if name == "none" or counting:
            return None
        if blocker is not None:
            out["fallbacks"].append(f"{name}: run eager instead of compiled: {blocker}")
            return None
        return name

    def reference(mode):
        return (f"reference ({mode or 'eager'})", mode,
                lambda m, size, each: reference_loop(m, data, size, batch, args.epochs, device, mode, workers, each))

    loops = [reference(mode_of(args.reference_compile))]
    ours = {}
    for name in ["none"] if counting else args.ours:
        mode = mode_of(name)
        ours.setdefault(mode, (f"ours ({mode or 'eager'})", mode,
                               lambda m, size, each, mode=mode: our_loop(m, data, size, batch, args.epochs, device,
                                                                         mode, each)))
    loops += list(ours.values())
    steps = len(data.train_labels) // batch
    save()

    def run_loops():
        while loops:
            name, mode, loop = loops.pop(0)
            left = None if args.budget_seconds is None else args.budget_seconds - (time.monotonic() - started)
            needed = times.expected(args.epochs, mode is not None)
            if left is not None and left < needed:
                out["skipped"].append(f"{name}: {left:.0f} s of the {args.budget_seconds:.0f} s budget were left, "
                                      f"it takes about {needed:.0f} s")
                save()
                continue
            torch.manual_seed(0)
            model, size = build_model(model_name, data.channels, data.num_classes)
            if args.count_ops:
                counted = count_ops_per_step(lambda: loop(model, size, None), steps * args.epochs)
                out["loops"].append({"loop": name, **counted})
                print(f"{name:<24} {counted['ops_per_step']:8.1f} operators per step, "
                      f"{counted['scalar_reads_per_step']:.1f} scalar reads", flush=True)
                save()
                continue
            done = []

            def each_epoch(record, name=name, done=done):
                """Saved after every epoch: a window that stops this stage keeps what finished."""
                done.append(dict(record))
                partial = summary(name, done, steps * batch, complete=False)
                if out["loops"] and out["loops"][-1]["loop"] == name:
                    out["loops"][-1] = partial
                else:
                    out["loops"].append(partial)
                print(f"  {name}: epoch {record['epoch']} of {args.epochs} in {record['seconds']:.1f} s", flush=True)
                save()

            try:
                result = summary(name, loop(model, size, each_epoch), steps * batch)
            except Exception as error:   # torchvision missing, out of memory, a failed compile...: the others still run
                if out["loops"] and out["loops"][-1]["loop"] == name:
                    out["loops"].pop()
                why = f"{type(error).__name__}: {str(error)[:300]}"
                if name.startswith("reference") and mode is not None:   # the ratios need a reference: run it eager
                    out["fallbacks"].append(f"{name}: failed ({why}); run eager instead")
                    loops.insert(0, reference(None))
                else:
                    out["skipped"].append(f"{name}: failed ({why})")
                save()
                continue
            times.learn(result["epochs"], compiled=mode is not None)
            if out["loops"] and out["loops"][-1]["loop"] == name:
                out["loops"][-1] = result
            else:
                out["loops"].append(result)
            print(f"{name:<24} {result['train_images_per_s']:>10,.0f} train img/s "
                  f"{result['epoch_images_per_s']:>10,.0f} epoch img/s", flush=True)
            save()

    try:
        run_loops()
    except KeyboardInterrupt:   # a window's stop: every finished epoch is in the JSON already
        out["stopped"] = "interrupted; the loop under way keeps the epochs it finished (complete: false)"
        save()
        raise SystemExit(130)
    reference_loop_done = next((loop for loop in out["loops"] if loop["loop"].startswith("reference")), None)
    if reference_loop_done is not None and not counting:
        print(f"\nours over {reference_loop_done['loop']} (training part, whole epoch):")
        for loop in out["loops"][1:]:
            print(f"  {loop['loop']:<26} {loop['ratio_to_reference']['train_images_per_s']:.2f}x "
                  f"{loop['ratio_to_reference']['epoch_images_per_s']:.2f}x")
    for note in out["fallbacks"] + out["skipped"]:
        print("note:", note)
    out["seconds"] = round(time.monotonic() - started, 1)
    save()
    return out


def study_batch() -> int:
    """The GPU study's batch: the loop is timed as the study trains."""
    from effnet_lib.learn.studies import study
    return study("figures", "gpu").recipe.batch_size


if __name__ == "__main__":
    main()
