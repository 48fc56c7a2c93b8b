"""The scaling study: matched-FLOPS variants, the plan, chunked runs, JSON results and their plots."""

import json
import math
from dataclasses import replace

import matplotlib
import pytest

matplotlib.use("Agg")

import effnet_lib as en
from effnet_lib.learn import experiments
from effnet_lib.face import study_plots
from effnet_lib.learn.experiments import STUDIES, Study, Variant, match_flops, plan, run_study


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared 2-core machine: avoid OpenMP oversubscription
    yield
    torch.set_num_threads(threads)


def _ratio(base, variant):
    return en.cost(variant.spec(base), num_classes=10).multiply_adds / en.cost(base, num_classes=10).multiply_adds


@pytest.mark.parametrize("strategy", ["depth", "width", "resolution", "compound"])
@pytest.mark.parametrize("target", [2.0, 4.0, 8.0])
def test_each_strategy_lands_near_its_flops_target_on_the_small_baseline(strategy, target):
    v = match_flops(en.SMALL_B0, strategy, target)
    assert v.strategy == strategy and v.target == target
    assert abs(math.log(_ratio(en.SMALL_B0, v) / target)) < math.log(1.25)  # within 25% despite rounding


def test_single_dimension_variants_change_only_their_dimension():
    d, w, r = (match_flops(en.SMALL_B0, s, 4.0) for s in ("depth", "width", "resolution"))
    assert d.depth > 1 and (d.width, d.resolution) == (1.0, 1.0)
    assert w.width > 1 and (w.depth, w.resolution) == (1.0, 1.0)
    assert r.resolution > 1 and (r.depth, r.width) == (1.0, 1.0)


def test_compound_variant_follows_eq_3():
    v = match_flops(en.SMALL_B0, "compound", 4.0)
    phi = math.log(v.depth) / math.log(1.2)
    assert v.width == pytest.approx(1.1 ** phi, rel=1e-3)
    assert round(24 * v.resolution) == round(24 * 1.15 ** phi)


def test_width_needs_about_sqrt2_for_twice_the_flops():
    # FLOPS grow with w^2 (Section 3.3): twice the cost needs w near 1.41, not 2.
    assert 1.3 < match_flops(en.SMALL_B0, "width", 2.0).width < 1.5


def test_plan_has_every_strategy_target_and_seed_once():
    study = STUDIES["gpu"]
    runs = plan(study)
    keys = [(v.key, s) for v, s in runs]
    assert len(keys) == len(set(keys))
    for strategy in ("depth", "width", "resolution", "compound"):
        targets = {v.target for v, s in runs if v.strategy == strategy and s == 0}
        assert targets == set(study.targets)
    assert {s for _, s in runs} == set(study.seeds) and len(study.seeds) >= 2
    grid = {(v.depth, v.resolution) for v, _ in runs if v.strategy == "grid"}
    assert grid >= {(1.0, 1.3), (2.0, 1.0), (2.0, 1.3)}  # (1, 1) is the baseline's own line


@pytest.fixture
def smoke(tmp_path):
    return STUDIES["smoke"], tmp_path / "results"


def test_a_study_runs_writes_json_and_then_skips_what_is_done(smoke):
    study, out = smoke
    lines = []
    results = run_study(study, out, progress=False, log=lines.append)
    assert len(results) == len(plan(study, num_classes=4)) and len(list(out.glob("*.json"))) == len(results)
    r = results[0]
    for key in ("study", "variant", "seed", "multiply_adds", "parameters", "test_accuracy", "epochs",
                "seconds", "hardware", "library_version"):
        assert key in r, key
    assert r["hardware"]["torch"] and r["library_version"] == en.__version__
    assert len(r["test_accuracy"]) == study.epochs
    assert not list((out / "checkpoints").glob("*.pt"))  # finished runs leave no checkpoint behind
    again = []
    run_study(study, out, progress=False, log=again.append)
    assert "0 runs to go" in again[0]


def test_a_spent_time_budget_stops_starting_runs_and_a_rerun_finishes(smoke):
    study, out = smoke
    lines = []
    run_study(study, out, budget_minutes=0, progress=False, log=lines.append)
    assert not list(out.glob("*.json")) and any("run again" in line for line in lines)
    run_study(study, out, progress=False, log=lines.append)
    assert len(list(out.glob("*.json"))) == len(plan(study, num_classes=4))


def test_results_of_other_settings_are_not_overwritten(smoke):
    study, out = smoke
    run_study(study, out, progress=False, only=["baseline"], log=lambda _: None)
    saved = {p: p.read_text() for p in out.glob("*.json")}
    with pytest.raises(ValueError, match="other study settings"):
        run_study(replace(study, epochs=2), out, progress=False, only=["baseline"], log=lambda _: None)
    assert {p: p.read_text() for p in out.glob("*.json")} == saved


def _fake_result(strategy, depth, width, resolution, target, seed, accuracy, madds):
    v = Variant(strategy, depth, width, resolution, target)
    return {"study": {"name": "fake", "data": "x", "train_subset": None, "epochs": 1},
            "variant": {**vars(v), "key": v.key}, "seed": seed,
            "network": {"resolution": round(24 * resolution)}, "multiply_adds": madds, "parameters": 1000,
            "flops_ratio": madds / 1e6, "final_accuracy": accuracy, "best_accuracy": accuracy,
            "seconds": 1.0, "hardware": {"device_name": "test"}}


@pytest.fixture
def fake_results():
    out = []
    for seed, noise in ((0, 0.0), (1, 0.01)):
        out += [_fake_result("baseline", 1, 1, 1, 1, seed, 0.80 + noise, 1e6),
                _fake_result("depth", 2, 1, 1, 2, seed, 0.82 + noise, 2e6),
                _fake_result("width", 1, 1.4, 1, 2, seed, 0.83 + noise, 2e6),
                _fake_result("resolution", 1, 1, 1.4, 2, seed, 0.81 + noise, 2e6),
                _fake_result("compound", 1.1, 1.05, 1.1, 2, seed, 0.80 + noise, 2e6),
                _fake_result("grid", 2, 1.4, 1.3, 1, seed, 0.85 + noise, 6e6),
                _fake_result("grid", 2, 1.0, 1.3, 1, seed, 0.84 + noise, 3e6)]
    return out


def test_summary_averages_seeds_and_keeps_the_spread(fake_results):
    rows = {r["strategy"]: r for r in study_plots.summarize(fake_results)}
    assert rows["width"]["accuracy"] == pytest.approx(0.835)
    assert (rows["width"]["low"], rows["width"]["high"]) == (0.83, 0.84)
    assert rows["baseline"]["seeds"] == [0, 1]


def test_findings_say_when_compound_does_not_win(fake_results):
    text = " ".join(study_plots.findings(fake_results))
    assert "best is width" in text and "compound does not win" in text and "-3.0 points" in text


def test_figures_3_4_and_8_draw_from_results_alone(fake_results):
    for figure in (study_plots.figure_3, study_plots.figure_4, study_plots.figure_8):
        fig = figure(fake_results)
        assert fig.axes and any(line.get_xdata().size for ax in fig.axes for line in ax.get_lines())
    fig4 = study_plots.figure_4(fake_results)
    assert len(fig4.axes[0].get_legend().get_texts()) == 2  # the (1, 1) and (2, 1.3) bases


def test_stored_study_results_are_labelled_with_their_hardware():
    results = experiments.load_results()
    if not results:
        pytest.skip("no stored study results")
    for r in results:
        assert r["hardware"]["device"] in ("cpu", "cuda") and r["library_version"]
        assert len(r["test_accuracy"]) == r["study"]["epochs"]
        assert r["multiply_adds"] == en.cost(Variant(**{k: r["variant"][k] for k in
                                                        ("strategy", "depth", "width", "resolution", "target")})
                                             .spec(_base_of(r)).with_(in_channels=1), num_classes=10).multiply_adds


def _base_of(result):
    return next(s.base for s in STUDIES.values() if s.config() == result["study"])
