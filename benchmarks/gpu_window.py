"""One GPU window: the GPU study, the throughput table and the training-loop comparison in 9 minutes.

GPU time comes rarely and in windows of about 10 minutes, so everything the course needs from a
GPU is this one command, tested here on the tiny data set (tests/test_gpu_window.py) so that no
window is lost to a typo. From a cold start (Python start-up and every compile included) its
stages are scheduled to end by 530 s, inside 9 minutes of one H100 or H200 (it has not run on a
GPU yet), and it writes at most 8 files, all directly in OUT_DIR:

    figures-gpu.jsonl       the GPU study (studies.study("figures", "gpu")), one run record per
                            finished run (an earlier file's records first)
    figures-gpu.weights.pt  the models the study keeps (float16), when it kept any
    throughput.json         benchmarks/throughput.py's rows, ratios and skipped rows
    train_loop.json         benchmarks/train_throughput.py: our training loop against the reference
    window.json             what each stage did: command, seconds, exit status, whether it was
                            stopped; whether torch.compile can build kernels here
    window.log              every stage's output, each line stamped with the second and the stage

(A study of WINDOW_STUDIES with a GPU preset, e.g. a GPU pilot, would run first and bring back its
two files the same way.) The engine writes its lock, claims and epoch checkpoints beside its results
file, so the study runs in a scratch folder and only the results and kept weights are copied to
OUT_DIR (after the study stage, even a stopped one); a run stopped half-way is named in window.json
and trained again by the next window.

The stages share the window like this (seconds from the start):

    0 ... 320   the study, in its priority order; the engine starts no run it expects to end after
                295 s (judged from the runs finished in this window, the first, cold run set aside
                once a second has finished), and a run still going at 320 s is stopped (every
                finished run is already recorded). Meanwhile throughput.py compiles three models on
                the spare CPU cores (niced); their few warm-up steps share the GPU with the study for
                a few seconds, which the study's per-epoch timings (not its accuracies) may show.
    ... +75     throughput.py times its eager rows, then its compiled ones, alone on the GPU; it
                gets at least 75 s, and whatever the study left beyond the last 130 s.
    ... 530     train_throughput.py: the reference loop, then ours (skipping what cannot finish,
                judged from the warm epochs it measured), saving its JSON after every epoch.

A stage that ends early hands its time to the next. Every stage that compiles asks first whether a
C compiler is there for torch.compile (benchmarks/compiler_check.py) and runs eager, saying why,
when it is not. Only Python 3.12, torch, torchvision, timm and tqdm are needed: the course is not
installed there, it is imported from this checkout.

Preparation, here, once per window (the data travels in a git-ignored folder):

    mkdir -p .gpu-data/fashion-mnist
    cp /usr/share/datasets/fashion-mnist/*-ubyte.gz .gpu-data/fashion-mnist/

The device call (the device tool's run; $OUT is its folder of files that come back):

    command:   PYTHONUNBUFFERED=1 python3 benchmarks/gpu_window.py $OUT
    carry:     [".gpu-data"]
    timeout_s: 600

It continues the study from the committed data/results/figures-gpu.jsonl (and its kept weights)
when there is one, or from the file named as a second argument. Afterwards copy $OUT/figures-gpu.*
over data/results/ and commit them with the throughput table.

    python benchmarks/gpu_window.py OUT_DIR --smoke      # the same stages on tiny data, CPU, ~a minute
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))   # the course, imported from this checkout (studies.py needs no torch)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiler_check import compile_blocker  # noqa: E402

DEFAULT_DATA = REPOSITORY / ".gpu-data" / "fashion-mnist"
# Where the course keeps its studies' results (effnet_lib.learn.study_results; a test keeps them equal).
COMMITTED = REPOSITORY / "data" / "results"
# The studies a window runs, in this order, those of them that have a GPU preset (a pilot first: the
# figures study reuses its runs).
WINDOW_STUDIES = ("pilot", "figures")
FASHION_MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
MAX_FILES = 8          # what the device tool brings back from $OUT
MAX_DEPTH = 3          # OUT/a/b/file: parts below OUT_DIR


@dataclass(frozen=True)
class Schedule:
    """When each stage must be done, in seconds from the window's start."""

    study_end: float          # the study is stopped here
    study_margin: float       # the study's own budget ends this much earlier (it starts no run it expects to overrun)
    throughput_seconds: float  # timing budget of throughput.py once the GPU is free (at least)
    window_end: float         # everything is over here
    loop_seconds: float       # kept for train_throughput.py; time the study leaves over goes to throughput.py


GPU = Schedule(study_end=320, study_margin=25, throughput_seconds=75, window_end=530, loop_seconds=130)
# Tiny data on a CPU: the same stages and files, in about a minute on a quiet 2-core machine.
SMOKE = Schedule(study_end=120, study_margin=60, throughput_seconds=90, window_end=400, loop_seconds=60)


def window_studies() -> list[str]:
    """The studies of WINDOW_STUDIES that have a GPU preset (the smoke window runs their smoke presets)."""
    from effnet_lib.learn.studies import STUDIES   # plain data, no torch

    return [name for name in WINDOW_STUDIES if "gpu" in STUDIES.get(name, {})]


def results_file(folder: Path, name: str, preset: str) -> Path:
    """A study's results file in ``folder``, named as the engine names it (study_results.results_path)."""
    return folder / f"{name}-{preset}.jsonl"


def weights_file(results: Path) -> Path:
    """The kept models beside a results file, named as the engine names them (study_results.weights_path)."""
    return results.with_name(results.stem + ".weights.pt")


def study_command(studies: list[str], results_dir: Path, data_root: Path | None, budget_minutes: float,
                  smoke: bool) -> list[str]:
    """The experiment engine's command line for the GPU studies (or the smoke studies on tiny data)."""
    command = [sys.executable, "-m", "effnet_lib.learn.experiments", "run", *studies,
               "--preset", "smoke" if smoke else "gpu", "--results-dir", str(results_dir),
               "--budget-minutes", f"{budget_minutes:.2f}", "--no-progress"]
    if data_root is not None:
        command += ["--data-root", str(data_root)]
    return command


def throughput_command(out: Path, go: Path, seconds: float, smoke: bool) -> list[str]:
    command = [sys.executable, str(REPOSITORY / "benchmarks" / "throughput.py"), "--json", str(out),
               "--wait-for", str(go), "--budget-seconds", str(seconds)]
    if smoke:   # one small model, eager and "compiled" by tracing only: the plumbing, in seconds
        command += ["--cpu", "--models", "effnet_lib small-b0", "--modes", "eager", "compile",
                    "--compile-backend", "eager", "--steps", "1", "--warmup", "1"]
    return command


def train_loop_command(out: Path, data_root: Path | None, seconds: float, smoke: bool) -> list[str]:
    command = [sys.executable, str(REPOSITORY / "benchmarks" / "train_throughput.py"), "--json", str(out),
               "--budget-seconds", str(seconds)]
    if smoke:
        return command + ["--tiny", "--epochs", "1", "--reference-compile", "none", "--ours", "none"]
    return command + ["--data-root", str(data_root)]


class Log:
    """One log for the whole window: every line stamped with the second and the stage it came from."""

    def __init__(self, path: Path, start: float):
        self.file, self.start, self.lock = open(path, "a", buffering=1), start, threading.Lock()

    def write(self, stage: str, line: str) -> None:
        with self.lock:
            self.file.write(f"[{time.monotonic() - self.start:6.1f} s {stage}] {line}\n")

    def copy(self, stage: str, stream) -> None:
        for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self.write(stage, line.split("\r")[-1])   # a progress bar's latest state only


class Stage:
    """One program of the window, in its own process group so that stopping it stops its workers too."""

    def __init__(self, name: str, command: list[str], log: Log, env: dict):
        self.name, self.log = name, log
        self.record = {"command": " ".join(command), "seconds": None, "exit": None, "stopped": False}
        log.write("window", f"{name}: {self.record['command']}")
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                        cwd=REPOSITORY, start_new_session=True)
        self.reader = threading.Thread(target=log.copy, args=(name, self.process.stdout), daemon=True)
        self.reader.start()

    def finish(self, deadline: float, grace: float = 10.0, tick=None, every: float = 15.0) -> dict:
        """Wait until ``deadline`` (monotonic), then interrupt, then kill; return the record.

        ``tick`` is called every ``every`` seconds while waiting (the study's results are copied out
        as they grow, so a window killed from outside still brings back what finished).
        """
        try:
            while True:
                try:
                    self.process.wait(timeout=max(0.0, min(deadline - time.monotonic(), every if tick else 1e9)))
                    break
                except subprocess.TimeoutExpired:
                    if tick is None or time.monotonic() >= deadline:
                        raise
                    tick()
        except subprocess.TimeoutExpired:
            self.record["stopped"] = True
            self.log.write("window", f"{self.name}: out of time, interrupting it")
            self._signal(signal.SIGINT)           # a run in progress may still save what it has
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        self._signal(signal.SIGKILL)              # leftover workers of a finished stage
        self.reader.join(timeout=5)
        self.record.update(seconds=round(time.monotonic() - self.started, 1), exit=self.process.returncode)
        self.log.write("window", f"{self.name}: {self.record}")
        return self.record

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def bring_back(work: Path, out: Path, studies: list[str], preset: str) -> list[str]:
    """Copy each study's results and kept weights from the scratch folder into OUT_DIR; return the
    runs that were stopped half-way (their epoch checkpoints stay behind: the next window retrains them)."""
    for name in studies:
        results = results_file(work, name, preset)
        for path in (results, weights_file(results)):
            if path.is_file():
                partial = out / f".{path.name}.partial"
                shutil.copyfile(path, partial)
                os.replace(partial, out / path.name)   # a window killed mid-copy never leaves half a file
    return sorted(str(p.relative_to(work)) for p in (work / "checkpoints").rglob("*.pt")) \
        if (work / "checkpoints").is_dir() else []


def check_outputs(out_dir: Path) -> list[str]:
    """Problems with what OUT_DIR holds, measured against what the device tool brings back."""
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    problems = []
    if len(files) > MAX_FILES:
        problems.append(f"{len(files)} files, more than the {MAX_FILES} that come back")
    for p in files:
        parts = p.relative_to(out_dir).parts
        if len(parts) > MAX_DEPTH:
            problems.append(f"{p} is more than two folders down")
        if any(not all(c.isalnum() or c in "._-" for c in part) for part in parts):
            problems.append(f"{p}: a name with characters other than letters, digits, '.', '_' and '-'")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir", type=Path, help="where the files go (must be empty or new)")
    p.add_argument("earlier_results", type=Path, nargs="?", default=None,
                   help="an earlier figures-gpu.jsonl to continue from, its .weights.pt beside it (default: the "
                        "committed data/results/figures-gpu.jsonl, when there is one)")
    p.add_argument("--data-root", type=Path, default=None,
                   help=f"the folder with Fashion-MNIST's four .gz files (default: {DEFAULT_DATA})")
    p.add_argument("--smoke", action="store_true", default=os.environ.get("EFFNET_WINDOW_SMOKE") == "1",
                   help="tiny data, tiny budgets, CPU: checks the window end to end (also EFFNET_WINDOW_SMOKE=1)")
    args = p.parse_args(argv)
    start = time.monotonic()
    schedule = SMOKE if args.smoke else GPU

    # Everything that can be wrong is checked before the first second of GPU time is spent.
    out = args.out_dir
    if out.exists() and any(out.iterdir()):
        p.error(f"{out} is not empty; give a new or empty folder (nothing in it is overwritten).")
    preset = "smoke" if args.smoke else "gpu"
    studies = window_studies()
    if args.earlier_results is not None and not args.earlier_results.is_file():
        p.error(f"earlier results {args.earlier_results} do not exist; leave the argument out to continue "
                f"from {results_file(COMMITTED, 'figures', 'gpu').relative_to(REPOSITORY)} (or to start afresh "
                "without it).")
    # What each study continues from: the file given (the figures study's), else the committed one.
    earlier = {name: results_file(COMMITTED, name, preset) for name in studies}
    earlier = {name: path for name, path in earlier.items() if not args.smoke and path.is_file()}
    if args.earlier_results is not None:
        earlier["figures"] = args.earlier_results
    data_root = None
    if not args.smoke:
        data_root = (args.data_root or DEFAULT_DATA).resolve()
        missing = [f for f in FASHION_MNIST_FILES if not (data_root / f).is_file()]
        if missing:
            p.error(f"{data_root} lacks {', '.join(missing)}. Prepare it with:\n"
                    f"  mkdir -p {DEFAULT_DATA.relative_to(REPOSITORY)} && "
                    f"cp /usr/share/datasets/fashion-mnist/*-ubyte.gz {DEFAULT_DATA.relative_to(REPOSITORY)}/\n"
                    "and name .gpu-data in the device call's carry.")
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"gpu-window-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    go = scratch / "gpu-is-free"
    # The engine keeps its lock, claims and epoch checkpoints beside the results: it works in scratch.
    work = scratch / "results"
    work.mkdir()
    for name, path in earlier.items():
        shutil.copyfile(path, results_file(work, name, preset))
        if weights_file(path).is_file():
            shutil.copyfile(weights_file(path), weights_file(results_file(work, name, preset)))
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(REPOSITORY), *filter(None, [os.environ.get("PYTHONPATH")])]),
           # processes that share the GPU one after another give memory back in whole segments
           "PYTORCH_CUDA_ALLOC_CONF": os.environ.get("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")}
    window = {"schedule": asdict(schedule), "smoke": args.smoke, "studies": studies,
              "earlier_results": {name: str(path) for name, path in earlier.items()},
              # every stage that compiles asks this itself, and runs eager when it is not None
              "compiler": compile_blocker("cpu" if args.smoke else "cuda") or "found", "stages": {}}
    log = Log(out / "window.log", start)

    def save():
        (out / "window.json").write_text(json.dumps(window, indent=1))

    def at(seconds: float) -> float:
        return start + seconds

    save()   # even a window cut short leaves its plan behind

    throughput = Stage("throughput", throughput_command(out / "throughput.json", go, schedule.throughput_seconds,
                                                        args.smoke), log, env)
    # The engine starts no run it expects to end after its budget; the margin covers a wrong guess.
    budget = max(0.1, (schedule.study_end - schedule.study_margin - (time.monotonic() - start)) / 60)
    study = Stage("study", study_command(studies, work, data_root, budget, args.smoke), log, env)
    window["stages"]["study"] = study.finish(at(schedule.study_end),
                                             tick=lambda: bring_back(work, out, studies, preset))
    window["stages"]["study"]["unfinished"] = bring_back(work, out, studies, preset)
    save()
    # The GPU is free: throughput.py starts timing, with whatever the study left beyond the loop's share.
    seconds = max(schedule.throughput_seconds, at(schedule.window_end - schedule.loop_seconds) - time.monotonic())
    go.write_text(f"{seconds:.0f}")
    grace = 20.0                                  # its slowest single row may overrun its budget a little
    window["stages"]["throughput"] = throughput.finish(
        min(time.monotonic() + seconds + grace, at(schedule.window_end - schedule.loop_seconds / 2)))
    save()
    left = at(schedule.window_end) - time.monotonic()
    if left > 15:
        loop = Stage("train_loop", train_loop_command(out / "train_loop.json", data_root, left - 5, args.smoke),
                     log, env)
        window["stages"]["train_loop"] = loop.finish(at(schedule.window_end))
    else:
        window["stages"]["train_loop"] = {"skipped": f"only {left:.0f} s were left"}
    window["seconds"] = round(time.monotonic() - start, 1)
    window["problems"] = check_outputs(out)
    save()
    shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(window, indent=1))
    # A stage stopped at its time is the plan working; one that exited with an error is not.
    failed = [name for name, record in window["stages"].items()
              if record.get("exit") not in (0, None) and not record.get("stopped")]
    return 1 if window["problems"] or failed else 0


if __name__ == "__main__":
    sys.exit(main())
