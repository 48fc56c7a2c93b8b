"""The CPU training-loop benchmark (benchmarks/cpu_train_loop.py) runs end to end on tiny settings and
prints one row per way of running the loop for each network. Its speeds are its output, never checked
here: a ratio is read from the benchmark's own table, measured side by side."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPOSITORY = Path(__file__).resolve().parent.parent
BENCHMARK = REPOSITORY / "benchmarks" / "cpu_train_loop.py"
TINY = ["--tiny", "--images", "32", "--batch", "8", "--large-batch", "16", "--repeats", "1", "--no-compile"]


def _load():
    spec = importlib.util.spec_from_file_location("cpu_train_loop", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules["cpu_train_loop"] = module      # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cpu-loop") / "loop.json"
    done = subprocess.run([sys.executable, str(BENCHMARK), *TINY, "--json", str(out)], cwd=REPOSITORY,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_every_way_of_running_the_loop_is_timed_on_both_networks(tiny_run):
    report, _ = tiny_run
    names = [w.name for w in _load().ways(8, 16)]
    assert [n["name"] for n in report["networks"]] == ["base", "phi=2"]
    for network in report["networks"]:
        assert [w["way"] for w in network["ways"]] == names
        ways = {w["way"]: w for w in network["ways"]}
        assert ways["compiled"]["skipped"] == "not asked for (--no-compile)" and ways["compiled"]["turns"] == []
        for name in set(names) - {"compiled"}:
            assert ways[name]["skipped"] is None, ways[name]
            assert len(ways[name]["turns"]) == 1 and ways[name]["median_images_per_s"] > 0
        assert ways["b419088"]["ratio_to_reference"] == 1.0
        assert (ways["b419088"]["channels_last"], ways["b419088"]["batch"]) == (False, 8)
        assert (ways["two-processes"]["processes"], ways["two-threads"]["threads"]) == (2, 2)
        for role in ("reference", "now"):
            epoch = network["epoch"][role]
            assert 0 < epoch["preparation_share"] < 1 and 0 < epoch["validation_share"] < 1
    # The loop now: its own layout on the CPU (channels-last) at the larger batch (the study's; 16 here).
    assert report["now"] == ("large-batch" if _load().current_layout() else None)


def test_the_table_has_a_row_per_way_and_the_load_beside_it(tiny_run):
    report, printed = tiny_run
    rows = [line for line in printed.splitlines() if line.startswith("  ") and line.split()[0] in
            {w.name for w in _load().ways(8, 16)}]
    assert len(rows) == 2 * 6
    assert sum("skipped: not asked for (--no-compile)" in row for row in rows) == 2
    assert "load average before:" in printed and len(report["hardware"]["load_average"]) == 3
    assert len(report["load_average_after"]) == 3


def test_the_reference_way_trains_contiguous_as_b419088_did_and_the_others_channels_last():
    bench = _load()
    cpu = bench.find_study("figures", "cpu")
    data = bench.load_data(cpu, True, 16, 256, None)
    piece = bench.data_slice(data, 16, 256)
    threads = torch.get_num_threads()
    try:
        for way in bench.ways(8, 16)[:2]:
            model = bench.build_model(cpu, bench.Run(bench.Variant("baseline"), 0))
            rates = bench.turn(model, piece, way, cpu.recipe)
            # The stem's weight has one input channel, so both layouts count as contiguous; its strides
            # still tell them apart (channels-last puts the channel stride at 1, NCHW at kernel x kernel).
            stem = next(p for p in model.parameters() if p.ndim == 4)
            assert stem.shape[1] == 1 and stem.shape[2] > 1
            assert (stem.stride()[1] == 1) == way.channels_last, (way, stem.stride())
            assert rates["train_images_per_s"] > 0 and rates["validation_images_per_s"] > 0
    finally:
        torch.set_num_threads(threads)
    assert bench.current_layout() is bench.loop._channels_last(torch.device("cpu"))   # the switch is put back


@pytest.mark.parametrize("argv, words", [
    (["--large-batch", "100"], "must be a multiple of --batch"),
    (["--validation-images", "100"], "must be a multiple of 256"),
    (["--repeats", "0"], "--repeats must be at least 1"),
])
def test_bad_settings_are_refused_before_anything_runs(argv, words, capsys):
    with pytest.raises(SystemExit) as refused:
        _load().main(["--tiny", *argv])
    assert refused.value.code == 2 and words in capsys.readouterr().err


def test_a_network_is_named_base_or_by_its_phi():
    bench = _load()
    cpu = bench.find_study("figures", "cpu")
    chosen = bench.network_variants(cpu, ["base", "phi=2"])
    assert chosen["base"].strategy == "baseline" and (chosen["phi=2"].strategy, chosen["phi=2"].phi) == ("compound", 2.0)
    with pytest.raises(SystemExit, match="'base' or 'phi=P'"):
        bench.network_variants(cpu, ["phi two"])
