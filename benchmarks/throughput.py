"""Training and inference throughput: effnet_lib's B0 against timm's and torchvision's.

Same settings for every model in one run: random images at 224 px, batch 256, bf16 autocast and
channels-last memory on a GPU, cuDNN's autotuner on, one SGD step per training iteration, eager
and torch.compile. Every model does the same work: the paper's regularisation (dropout 0.2 before
the classifier, stochastic depth rising to 0.2), which is torchvision's default and what timm's
``drop_rate=0.2, drop_path_rate=0.2`` asks for. A second pair trains without either (timm's
``create_model`` defaults, the setting of the usual timm anchors) against effnet_lib's B0 with
both set to 0. The ratio is effnet_lib's images per second over the fastest peer doing the same
work (>= 1.0: at least as fast). The small-image baseline (SMALL_B0) is timed too, at its own
training size.

    python benchmarks/throughput.py                          # GPU, the full settings
    python benchmarks/throughput.py --budget-seconds 150     # what fits in 150 s; says what it skipped
    python benchmarks/throughput.py --cpu                    # shrunk so a CPU finishes in a minute or two
    python benchmarks/throughput.py --count-ops              # operators per forward/backward, side by side
    python benchmarks/throughput.py --json out.json          # also write the rows (rewritten after each row)

Compiling takes a minute or more per model, so the first ``--parallel`` rows are compiled side by
side in worker processes (niced, sharing the CPU's cores) before anything is timed; then the
eager rows and the compiled ones are timed one after another, alone on the GPU. With
``--wait-for FILE`` the workers compile while another job still has the GPU (the GPU window's
study) and timing starts when FILE appears. A peer whose package is missing (timm is optional)
is skipped with a note, and so is a row the time budget does not cover. Where torch.compile cannot
build kernels (no C compiler for Triton on a GPU, no C++ compiler for Inductor on a CPU: asked of
``benchmarks/compiler_check.py`` before any worker starts), the compiled rows are skipped with
that reason and only the eager ones are timed.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiler_check import compile_blocker  # noqa: E402
from effnet_lib.learn.hardware import describe, hardware  # noqa: E402
from effnet_lib.model.network import efficientnet  # noqa: E402
from effnet_lib.rules.architecture import SMALL_B0  # noqa: E402

# (model, regularisation) in the order rows are measured: when time runs short, the first matter most.
ROWS = (
    ("effnet_lib b0", "paper"),
    ("timm efficientnet_b0", "paper"),
    ("torchvision efficientnet_b0", "paper"),
    ("effnet_lib b0", "none"),
    ("timm efficientnet_b0", "none"),
    ("effnet_lib small-b0", "own"),
)
REGULARISATION = {"paper": "dropout 0.2, stochastic depth 0.2", "none": "no dropout, no stochastic depth",
                  "own": f"dropout {SMALL_B0.dropout}, stochastic depth {SMALL_B0.stochastic_depth}"}


def build(model: str, regularisation: str, num_classes: int = 1000) -> torch.nn.Module:
    """A freshly initialised network; ImportError when its package is missing."""
    rate = 0.2 if regularisation == "paper" else 0.0
    if model == "effnet_lib b0":
        return efficientnet("b0", num_classes, dropout=rate, stochastic_depth=rate)
    if model == "effnet_lib small-b0":
        return efficientnet("small-b0", 10)
    if model == "timm efficientnet_b0":
        import timm
        return timm.create_model("efficientnet_b0", pretrained=False, num_classes=num_classes,
                                 drop_rate=rate, drop_path_rate=rate)
    if model == "torchvision efficientnet_b0":
        if regularisation != "paper":
            raise ValueError("torchvision's efficientnet_b0 is timed with its defaults only")
        from torchvision.models import efficientnet_b0
        return efficientnet_b0(weights=None, num_classes=num_classes)
    raise ValueError(f"unknown model {model!r}")


@dataclass(frozen=True)
class Settings:
    """How every row is measured."""

    device: str
    batch: int
    image_size: int
    steps: int
    warmup: int
    compile_backend: str = "inductor"   # "eager" traces without compiling: the test's quick check

    def input_for(self, model: str) -> tuple[int, int, int]:
        """(batch, image size, channels) of a row: the small baseline keeps its own training size."""
        if model == "effnet_lib small-b0":
            return (512 if self.device == "cuda" else 32), SMALL_B0.image_size, SMALL_B0.in_channels
        return self.batch, self.image_size, 3


class _Timed:
    """One model, ready to time a training step and an inference step."""

    def __init__(self, model: str, regularisation: str, settings: Settings, compiled: bool):
        self.device = torch.device(settings.device)
        self.cuda = self.device.type == "cuda"
        if self.cuda:
            torch.backends.cudnn.benchmark = True
        batch, size, channels = settings.input_for(model)
        self.batch, self.settings = batch, settings
        memory = torch.channels_last if self.cuda else torch.contiguous_format
        self.model = build(model, regularisation).to(self.device, memory_format=memory)
        self.x = torch.randn(batch, channels, size, size, device=self.device).contiguous(memory_format=memory)
        self.y = torch.randint(0, 10, (batch,), device=self.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.net = (torch.compile(self.model, backend=settings.compile_backend, dynamic=False) if compiled
                    else self.model)
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.cuda)

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def train_step(self):
        with self.autocast:
            loss = F.cross_entropy(self.net(self.x).float(), self.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def infer_step(self):
        with torch.inference_mode(), self.autocast:
            self.net(self.x)

    def warm_up(self, inference: bool) -> float:
        """Run the warm-up steps (the first call compiles); return the seconds it took."""
        started = time.perf_counter()
        for mode, step in (("train", self.train_step), ("eval", self.infer_step))[: 2 if inference else 1]:
            self.model.train(mode == "train")
            for _ in range(self.settings.warmup):
                step()
        self.sync()
        return time.perf_counter() - started

    def rates(self, inference: bool) -> dict:
        """Images per second, training and (when asked) inference, after a short re-warm."""
        out = {}
        for mode, step in (("train", self.train_step), ("eval", self.infer_step))[: 2 if inference else 1]:
            self.model.train(mode == "train")
            for _ in range(2):        # memory given back while waiting is taken again here, untimed
                step()
            self.sync()
            started = time.perf_counter()
            for _ in range(self.settings.steps):
                step()
            self.sync()
            out[f"{mode}_images_per_s"] = self.batch * self.settings.steps / (time.perf_counter() - started)
        return {"train_images_per_s": out["train_images_per_s"], "inference_images_per_s": out.get("eval_images_per_s")}


def _infers(model: str, regularisation: str) -> bool:
    # Inference does not depend on the regularisation: time it once per network.
    return regularisation != "none"


def _row(model: str, regularisation: str, mode: str, settings: Settings, rates: dict, seconds: float) -> dict:
    batch, size, _ = settings.input_for(model)
    return {"model": model, "regularisation": REGULARISATION[regularisation], "mode": mode, "batch": batch,
            "image_size": size, **rates, "warmup_seconds": round(seconds, 1)}


def _compiled_worker(model: str, regularisation: str, settings: Settings, connection) -> None:
    """In its own process: build, compile (by warming up), say ready, wait for 'go', time, report."""
    try:
        os.nice(10)   # compiling may run beside another job's GPU work: leave that job the CPU first
        if settings.device == "cpu":
            torch.set_num_threads(1)
        timed = _Timed(model, regularisation, settings, compiled=True)
        seconds = timed.warm_up(_infers(model, regularisation))
        if timed.cuda:
            torch.cuda.empty_cache()   # hand back the activations while others compile or are timed
        connection.send(("ready", seconds))
        if connection.recv() != "go":
            return
        connection.send(("done", _row(model, regularisation, "compile", settings,
                                      timed.rates(_infers(model, regularisation)), seconds)))
    except Exception as error:   # reported as a skipped row, never the end of the benchmark
        connection.send(("failed", f"{type(error).__name__}: {str(error)[:300]}"))


class Report:
    """The rows so far, printed as they come and rewritten to ``--json`` after each."""

    def __init__(self, path: str | None, header: dict):
        self.path, self.data = path, {**header, "rows": [], "skipped": []}

    def add(self, row: dict):
        self.data["rows"].append(row)
        print(f"  {row['model']:<28} {row['mode']:<8} {row['regularisation']:<32} "
              f"train {row['train_images_per_s']:>9,.0f} img/s"
              + (f"  inference {row['inference_images_per_s']:>9,.0f} img/s" if row["inference_images_per_s"] else ""),
              flush=True)
        self.save()

    def skip(self, what: str, why: str):
        self.data["skipped"].append(f"{what}: {why}")
        print(f"  skipped {what}: {why}", flush=True)
        self.save()

    def save(self):
        if self.path:
            self.data["ratios"] = ratios(self.data["rows"])
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            temporary = Path(self.path + ".tmp")
            temporary.write_text(json.dumps(self.data, indent=1))
            os.replace(temporary, self.path)


def ratios(rows: list[dict]) -> list[dict]:
    """effnet_lib's B0 over the fastest peer doing the same work, per mode and measure."""
    out = []
    for row in rows:
        if row["model"] != "effnet_lib b0":
            continue
        for measure in ("train_images_per_s", "inference_images_per_s"):
            peers = [r for r in rows if r["model"].split()[0] in ("timm", "torchvision") and r["mode"] == row["mode"]
                     and r[measure] and (measure == "inference_images_per_s" or r["regularisation"] == row["regularisation"])]
            if row[measure] and peers:
                best = max(peers, key=lambda r: r[measure])
                out.append({"mode": row["mode"], "measure": measure, "regularisation": row["regularisation"],
                            "ratio": row[measure] / best[measure], "best_peer": best["model"]})
    return out


def label(model: str, regularisation: str, mode: str) -> str:
    return f"{model} ({REGULARISATION[regularisation]}, {mode})"


def run(settings: Settings, modes: list[str], rows: list[tuple[str, str]], budget: float | None, parallel: int,
        report: Report, wait_for: str | None = None) -> None:
    """Compile (in workers) first, then time the eager rows, then the compiled ones, within ``budget`` s.

    With ``wait_for``, the workers compile while another job has the GPU, and nothing is timed
    (and the budget does not start) before the file ``wait_for`` exists; a number of seconds
    written in it replaces ``budget`` (the job before may have left more time than planned).
    """
    available = []
    for model, regularisation in rows:
        try:
            build(model, regularisation, 10)
            available.append((model, regularisation))
        except (ImportError, ValueError) as error:
            report.skip(label(model, regularisation, "both modes"), f"cannot be built here ({error})")
    eager = available if "eager" in modes else []
    compiled = available[:parallel] if "compile" in modes else []
    for model, regularisation in (available[parallel:] if "compile" in modes else []):
        report.skip(label(model, regularisation, "compile"), f"only {parallel} models are compiled per run "
                    "(--parallel); time it in a run of its own with --models")

    context = multiprocessing.get_context("spawn")
    workers = []
    for model, regularisation in compiled:
        ours, theirs = context.Pipe()
        process = context.Process(target=_compiled_worker, args=(model, regularisation, settings, theirs))
        process.start()
        workers.append((model, regularisation, process, ours))

    if wait_for is not None:
        print(f"  compiling {len(workers)} models; timing starts when {wait_for} exists", flush=True)
        while not Path(wait_for).exists():
            time.sleep(0.5)
        time.sleep(0.1)   # the writer's few bytes
        given = Path(wait_for).read_text().strip()
        budget = float(given) if given else budget
        print(f"  the GPU is free; {budget:.0f} s to time the rows", flush=True)
    started = time.monotonic()

    def left() -> float:
        return float("inf") if budget is None else budget - (time.monotonic() - started)

    eager_seconds, per_compiled = 8.0, 10.0   # rough cost of timing one row, for the deadlines
    ready, waiting = [], list(workers)
    while waiting and left() > eager_seconds * len(eager) + per_compiled * (len(ready) + 1):
        for worker in list(waiting):
            model, regularisation, process, connection = worker
            if connection.poll(0.1):
                kind, value = connection.recv()
                waiting.remove(worker)
                if kind == "ready":
                    ready.append(worker)
                else:
                    report.skip(label(model, regularisation, "compile"), value)
            elif not process.is_alive():
                waiting.remove(worker)
                report.skip(label(model, regularisation, "compile"), f"its process died (exit code {process.exitcode})")
    for model, regularisation, process, _ in waiting:
        report.skip(label(model, regularisation, "compile"), "compiling did not finish within the time budget")
        process.terminate()

    for model, regularisation in eager:
        if left() < eager_seconds + per_compiled * len(ready):
            report.skip(label(model, regularisation, "eager"), "the time budget was spent")
            continue
        try:
            timed = _Timed(model, regularisation, settings, compiled=False)
            seconds = timed.warm_up(_infers(model, regularisation))
            report.add(_row(model, regularisation, "eager", settings, timed.rates(_infers(model, regularisation)),
                            seconds))
        except Exception as error:   # out of memory, ...: the other rows still run
            report.skip(label(model, regularisation, "eager"), f"failed ({type(error).__name__}: {str(error)[:300]})")
        timed = None
        if settings.device == "cuda":
            torch.cuda.empty_cache()   # the next row (or a worker) gets the memory back

    for model, regularisation, process, connection in ready:
        if left() < per_compiled / 2:
            report.skip(label(model, regularisation, "compile"), "compiled, but no time was left to time it")
            connection.send("stop")
        else:
            connection.send("go")
            kind, value = connection.recv()
            if kind == "done":
                report.add(value)
            else:
                report.skip(label(model, regularisation, "compile"), value)
        process.join(timeout=30)
    for _, _, process, _ in workers:
        if process.is_alive():
            process.terminate()


def count_ops(image_size: int = 64, batch: int = 2) -> dict:
    """Operators dispatched per training forward, backward and inference forward, per model.

    On a GPU in eager mode each is one kernel launch (views aside), so equal counts mean the
    networks do the same work step by step; a difference points at the block that differs.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = collections.Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.overloadpacket.__name__
            if not (name in ("dropout", "dropout_") and not args[2]):   # at evaluation: the input, no kernel
                self.ops[name] += 1
            return func(*args, **(kwargs or {}))

    views = {"view", "_unsafe_view", "t", "detach", "expand", "as_strided", "alias", "flatten", "select", "slice"}
    counts = {}
    for model, regularisation in ROWS[:5]:
        try:
            net = build(model, regularisation)
        except (ImportError, ValueError):
            continue
        torch.manual_seed(0)
        x, y = torch.randn(batch, 3, image_size, image_size), torch.randint(0, 10, (batch,))
        net.train()
        with Count() as forward:
            logits = net(x)
        with Count() as backward:
            F.cross_entropy(logits, y).backward()
        net.eval()
        with torch.inference_mode(), Count() as inference:
            net(x)
        counts[label(model, regularisation, "eager")] = {
            part: {op: n for op, n in sorted(c.ops.items()) if op not in views}
            for part, c in (("train forward", forward), ("backward", backward), ("inference", inference))}
    return counts


def print_counts(counts: dict) -> None:
    names = list(counts)
    short = [f"{n.split()[0]}{'/plain' if 'no dropout' in n else ''}" for n in names]
    for part in ("train forward", "backward", "inference"):
        ops = sorted(set().union(*(counts[n][part] for n in names)))
        print(f"\n{part:<28}" + "".join(f"{s:>18}" for s in short))
        for op in ops:
            values = [counts[n][part].get(op, 0) for n in names]
            if len(set(values)) > 1 or op in ("convolution", "convolution_backward", "native_batch_norm"):
                print(f"  {op:<26}" + "".join(f"{v:>18}" for v in values))
        print(f"  {'all (views left out)':<26}" + "".join(f"{sum(counts[n][part].values()):>18}" for n in names))
    print("\nRows show every operator whose count differs, plus convolutions and BatchNorm for scale.")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cpu", action="store_true", help="run on the CPU with shrunk settings (batch 8, 112 px, few steps)")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--image-size", type=int, default=None, help="pixels (default 224; 112 with --cpu)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--modes", nargs="+", default=None, choices=["eager", "compile"])
    p.add_argument("--budget-seconds", type=float, default=None, help="skip (and name) the rows that would not fit")
    p.add_argument("--parallel", type=int, default=3, help="models compiled side by side (default 3)")
    p.add_argument("--models", nargs="+", default=None, choices=sorted({m for m, _ in ROWS}),
                   help="time only these models (default: all, in the order of ROWS)")
    p.add_argument("--wait-for", default=None, help="compile at once, but time nothing before this file exists")
    p.add_argument("--compile-backend", default="inductor", help=argparse.SUPPRESS)  # "eager": tests only
    p.add_argument("--count-ops", action="store_true", help="print operator counts per step instead of timing")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)

    if args.count_ops:
        counts = count_ops()
        print_counts(counts)
        if args.json:
            Path(args.json).write_text(json.dumps(counts, indent=1))
        return counts

    cuda = torch.cuda.is_available() and not args.cpu
    if not cuda and not args.cpu:
        print("note: no GPU here; running the shrunk CPU settings (pass --cpu to say so explicitly)")
    settings = Settings(device="cuda" if cuda else "cpu", batch=args.batch or (256 if cuda else 8),
                        image_size=args.image_size or (224 if cuda else 112), steps=args.steps or (30 if cuda else 3),
                        warmup=args.warmup if args.warmup is not None else (10 if cuda else 1),
                        compile_backend=args.compile_backend)
    modes = args.modes or (["eager", "compile"] if cuda else ["eager"])
    # Inductor needs a compiler; the "eager" backend (the tests' quick check) only traces.
    blocker = compile_blocker(settings.device) if "compile" in modes and settings.compile_backend == "inductor" else None
    if blocker is not None:
        modes = [m for m in modes if m != "compile"]
    where = describe(hardware("cuda" if cuda else "cpu"))
    print(f"{where}, torch {torch.__version__}: batch {settings.batch}, {settings.image_size} px, "
          f"{'bf16 autocast, channels-last' if cuda else 'float32'}, {settings.steps} timed steps after "
          f"{settings.warmup} warm-up", flush=True)
    report = Report(args.json, {"device": where, "torch": torch.__version__, "settings": asdict(settings),
                                "modes": modes, "budget_seconds": args.budget_seconds,
                                "compiler": blocker or ("found" if "compile" in modes else "not needed")})
    rows = [(m, r) for m, r in ROWS if args.models is None or m in args.models]
    if blocker is not None:
        print(f"  torch.compile cannot build kernels here: {blocker}", flush=True)
        for model, regularisation in rows:
            report.skip(label(model, regularisation, "compile"), f"timed eager only: {blocker}")
    run(settings, modes, rows, args.budget_seconds, args.parallel, report, args.wait_for)
    report.save()
    print("\nratio: effnet_lib's B0 over the fastest peer doing the same work (>= 1.0: at least as fast)")
    for r in ratios(report.data["rows"]):
        print(f"  {r['mode']:<8} {r['measure'].split('_')[0]:<10} {r['regularisation']:<32} {r['ratio']:.2f} "
              f"(best peer: {r['best_peer']})")
    return report.data


if __name__ == "__main__":
    main()
