"""The experiment engine: cost matching, the paper's protocol as a plan, JSON-lines results that
survive a kill, the runner and its command line, and the CPU study the course ships."""

import math
from dataclasses import replace

import pytest
import torch

import effnet_lib as en
from effnet_lib.learn import experiments, records, studies
from effnet_lib.learn.experiments import RunOptions, load_trained_models, main, read_results, run_study
from effnet_lib.learn.studies import Run, Variant, plan, study
from effnet_lib.rules import matching


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared 2-core machine: avoid OpenMP oversubscription
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------------- matching (rules layer)

def _madds(spec, classes=10):
    return en.cost(spec, num_classes=classes).multiply_adds


@pytest.mark.parametrize("strategy", ["depth", "width", "resolution", "compound"])
@pytest.mark.parametrize("ratio", [2.0, 4.0, 8.0])
def test_nearest_lands_on_the_step_of_the_staircase_closest_to_the_target(strategy, ratio):
    target = ratio * _madds(en.SMALL_B0)
    m = matching.nearest(en.SMALL_B0, strategy, target, num_classes=10)
    assert m.multiply_adds == _madds(m.network)
    below = matching.largest_within(en.SMALL_B0, strategy, target, num_classes=10)
    # No grid step lies between the two candidates, and the answer is the closer one on a log scale.
    assert below.multiply_adds <= target
    assert abs(math.log(m.multiply_adds / target)) <= abs(math.log(below.multiply_adds / target)) + 1e-12


def test_largest_within_is_the_last_step_that_fits():
    budget = 3 * _madds(en.SMALL_B0)
    m = matching.largest_within(en.SMALL_B0, "width", budget, num_classes=10)
    assert m.multiply_adds <= budget < _madds(en.scale(en.SMALL_B0, width=m.width + 0.01))


def test_single_dimension_matches_change_only_their_dimension():
    target = 4 * _madds(en.SMALL_B0)
    for strategy in ("depth", "width", "resolution"):
        m = matching.nearest(en.SMALL_B0, strategy, target, num_classes=10)
        others = [getattr(m, d) for d in ("depth", "width", "resolution") if d != strategy]
        assert getattr(m, strategy) > 1 and others == [1.0, 1.0], strategy


def test_a_matched_multiplier_is_the_smallest_that_builds_its_network():
    m = matching.nearest(en.SMALL_B0, "depth", 4 * _madds(en.SMALL_B0), num_classes=10)
    smaller = en.scale(en.SMALL_B0, depth=round(m.depth - 0.01, 2))
    assert not matching.same_network(smaller, m.network)


def test_an_unknown_strategy_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="depth, width, resolution, compound"):
        matching.nearest(en.SMALL_B0, "height", 1e7)


# --------------------------------------------------------------------------- the protocol

def test_compound_points_follow_eq_3_and_change_all_three_dimensions():
    s = study("figures", "gpu")
    for phi in s.compound:
        compound_variant = studies.compound_set(s, phi)[0]
        assert (compound_variant.depth, compound_variant.width, compound_variant.resolution) == \
            pytest.approx(tuple(en.compound(phi)))
        net = compound_variant.network(s.base)
        assert net.image_size != s.base.image_size
        assert [x.repeats for x in net.stages] != [x.repeats for x in s.base.stages]
        assert [x.channels for x in net.stages] != [x.channels for x in s.base.stages]


def test_a_phi_that_rounds_away_a_dimension_is_refused():
    s = replace(study("figures", "cpu"), compound=(0.1,), first_seed_only=())
    with pytest.raises(ValueError, match="leaves the width"):
        plan(s)


@pytest.mark.parametrize("preset", ["cpu", "gpu"])
def test_rivals_cost_within_ten_percent_of_their_compound_model(preset):
    s = study("figures", preset)
    for point in s.compound:
        compound_variant, *rivals = studies.compound_set(s, point)
        target = _madds(compound_variant.network(s.base))
        for rival in rivals:
            assert abs(_madds(rival.network(s.base)) / target - 1) < 0.10, (point, rival)


def test_plan_runs_in_the_papers_priority_order():
    runs = plan(study("figures", "gpu"))
    order = [(r.variant.strategy, r.variant.group, r.seed) for r in runs]
    assert len(order) == len(set(order))
    first = [r for r in runs if r.seed == 0][:9]
    assert [r.variant.group for r in first] == ["baseline"] + ["phi=1"] * 4 + ["phi=2"] * 4
    assert order[9:18] == [(s, g, 1) for s, g, _ in order[:9]]            # then seed 1 of the same
    assert {r.variant.group for r in runs[18:22]} == {"phi=3"}
    assert all(r.variant.strategy == "grid" for r in runs[22:])
    bases = {(r.variant.depth, r.variant.resolution) for r in runs if r.variant.strategy == "grid"}
    assert bases == {(1.0, 1.3), (2.0, 1.0), (2.0, 1.3)}   # (1, 1) is the baseline and the width rivals


def test_every_study_has_three_presets_and_plans_without_error():
    for name, presets in studies.STUDIES.items():
        assert set(presets) == set(studies.PRESETS)
        for s in presets.values():
            assert plan(s) and s.label == f"{name}-{s.preset}"


def test_table7_models_are_compared_at_the_compound_models_cost():
    s = study("table7", "cpu")
    runs = [r for r in plan(s) if r.seed == 0]
    assert [r.variant.strategy for r in runs] == ["baseline", "compound", "depth", "width", "resolution"]
    assert (runs[1].variant.depth, runs[1].variant.width, runs[1].variant.resolution) == (1.4, 1.2, 1.3)


@pytest.mark.parametrize("change, message", [
    ({"train_images": -5}, "train_images must be a whole number"),
    ({"seeds": ()}, "at least one seed"),
    ({"compound": (0.0,), "first_seed_only": ()}, "phi must be > 0"),
    ({"compound": ((1.4, 1.0, 1.3),), "first_seed_only": ()}, "scales every dimension up"),
    ({"data": "mnist"}, "data must be one of"),
])
def test_a_bad_study_is_refused_where_it_is_made(change, message):
    with pytest.raises(ValueError, match=message):
        replace(study("figures", "cpu"), **change)


# --------------------------------------------------------------------------- results files

def test_a_partly_written_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "r.jsonl"
    records.append_record(path, {"a": 1})
    with open(path, "a") as f:
        f.write('{"a": 2, "b"')                     # a run killed while writing
    with pytest.warns(UserWarning, match="line 2"):
        assert records.read_records(path) == [{"a": 1}]
    records.append_record(path, {"a": 3})            # the next record starts on a line of its own
    with pytest.warns(UserWarning):
        assert records.read_records(path) == [{"a": 1}, {"a": 3}]


def test_records_of_other_settings_or_versions_are_skipped_with_the_reason():
    config = {"name": "figures", "recipe": {"epochs": 2}}
    ok = {"format": records.FORMAT, "library_version": "1.0", "study": config}
    assert records.check_record(ok, config, "1.0") is None
    assert "effnet_lib 0.9" in records.check_record({**ok, "library_version": "0.9"}, config, "1.0")
    other = {**ok, "study": {"name": "figures", "recipe": {"epochs": 3}}}
    assert "recipe" in records.check_record(other, config, "1.0")


# --------------------------------------------------------------------------- the runner

@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """The table7 smoke study, run once: a few seconds of training on the generated data."""
    folder = tmp_path_factory.mktemp("results")
    s = study("table7", "smoke")
    path = experiments.results_path(s, folder)
    lines = []
    done = run_study(s, path, options=RunOptions(progress=False), log=lines.append)
    return s, path, done, lines


def test_a_study_writes_one_line_per_run_with_everything_a_plot_needs(smoke_run):
    s, path, done, _ = smoke_run
    assert len(done) == len(plan(s)) == len(path.read_text().splitlines())
    r = done[1]
    assert r["strategy"] == "compound" and r["multipliers"] == {"depth": 1.4, "width": 1.2, "resolution": 1.3}
    spec = Variant("compound", 1.4, 1.2, 1.3).network(s.base)
    assert r["network"]["repeats"] == [x.repeats for x in spec.stages] and r["network"]["image_size"] == 21
    assert r["multiply_adds"] == _madds(spec, 4) and r["parameters"] == en.cost(spec, num_classes=4).parameters
    assert len(r["test_accuracy"]) == s.recipe.epochs and r["final_accuracy"] == r["test_accuracy"][-1]
    assert r["data"]["test_images"] == 64 and r["hardware"]["device"] == "cpu"
    assert r["library_version"] == experiments.library_version() != "unknown"


def test_a_rerun_trains_nothing_that_is_done(smoke_run):
    s, path, _, _ = smoke_run
    lines = []
    again = run_study(s, path, options=RunOptions(progress=False), log=lines.append)
    assert len(again) == len(plan(s)) and "0 to go" in lines[0]


def test_a_spent_budget_starts_nothing_and_a_restart_continues(tmp_path):
    s = replace(study("table7", "smoke"), seeds=(0,))
    path = tmp_path / "r.jsonl"
    lines = []
    assert run_study(s, path, options=RunOptions(budget_minutes=0, progress=False), log=lines.append) == []
    assert not path.exists() and "left for the next call" in lines[-1]
    # A run killed after two records: the rerun trains the other three only.
    full = run_study(replace(s), path, options=RunOptions(strategies=("baseline", "compound"), progress=False),
                     log=lambda _: None)
    assert len(full) == 2
    lines = []
    assert len(run_study(s, path, options=RunOptions(progress=False), log=lines.append)) == 5
    assert "2 of 5 runs done, 3 to go" in lines[0]


def test_kept_models_come_back_with_the_accuracy_they_were_recorded_with(smoke_run):
    s, path, done, _ = smoke_run
    from effnet_lib.learn.datasets import load_dataset
    from effnet_lib.learn.train import evaluate

    models = load_trained_models("table7", "smoke", results=path)
    assert [m.record["key"] for m in models] == [r.key for r in plan(s)]
    data = load_dataset("tiny", train=s.train_images, test=s.test_images)
    for trained in models[:2]:
        measured = evaluate(trained.model, data, trained.record["network"]["image_size"])["test_accuracy"]
        assert measured == pytest.approx(trained.record["final_accuracy"], abs=2 / 64)  # float16 weights


def test_records_of_another_study_in_the_file_are_skipped_not_plotted(smoke_run, tmp_path):
    s, path, done, _ = smoke_run
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(path.read_text())
    records.append_record(mixed, {**done[0], "study": {**done[0]["study"], "train_images": 999}})
    kept, skipped = read_results(mixed, s)
    assert len(kept) == len(done) and len(skipped) == 1 and "train_images: 999 there" in skipped[0].reason
    with pytest.warns(UserWarning, match="1 record"):
        experiments.load_results(s, path=mixed)


def test_a_run_trained_by_a_sibling_study_is_reused_not_retrained(smoke_run, tmp_path, monkeypatch):
    s, path, done, _ = smoke_run
    twin = replace(s, name="twin", keep_weights=False)
    monkeypatch.setitem(studies.STUDIES, "twin", {"smoke": twin})
    monkeypatch.setattr(experiments, "train_run", lambda *a, **k: pytest.fail("retrained a reused run"))
    lines = []
    reused = run_study(twin, path.with_name("twin-smoke.jsonl"), options=RunOptions(progress=False), log=lines.append)
    assert [r["final_accuracy"] for r in reused] == [r["final_accuracy"] for r in done]
    assert all(r["reused_from"].startswith("table7-smoke:") for r in reused)


def test_zero_init_last_makes_every_residual_block_start_as_the_identity():
    model = experiments.build_model(study("figures", "cpu"), Run(Variant("baseline"), 0)).eval()
    from effnet_lib.model.layers import MBConv

    blocks = [m for m in model.modules() if isinstance(m, MBConv) and m.residual]
    assert blocks
    for block in blocks:
        x = torch.randn(2, block.project[0].out_channels, 4, 4)
        assert torch.equal(block(x), x)


# --------------------------------------------------------------------------- the command line

def test_the_gpu_command_runs_here_on_the_tiny_data(tmp_path, capsys):
    # The GPU window runs `run figures table7 --preset gpu ...`; the same command at the smoke preset.
    main(["run", "figures", "table7", "--preset", "smoke", "--results-dir", str(tmp_path), "--threads", "1",
          "--budget-minutes", "5", "--no-progress"])
    out = capsys.readouterr().out
    assert "figures-smoke: all" in out and "table7-smoke: all" in out
    assert {p.name for p in tmp_path.iterdir()} == {"figures-smoke.jsonl", "table7-smoke.jsonl",
                                                   "table7-smoke.weights.pt"}


@pytest.mark.parametrize("argv, message", [
    (["run", "figures", "--seeds", "99"], r"seed\(s\) \[99\] are not among them"),
    (["run", "figures", "--threads", "0"], "threads must be at least 1"),
    (["run", "figures", "--budget-minutes", "-1"], "budget_minutes must be"),
    (["run", "figures", "--strategies", "height"], "invalid choice|unknown strategies"),
    (["run", "figures", "table7", "--results", "x.jsonl"], "with several studies use --results-dir"),
    (["run", "figures", "--data-root", "/nowhere/at/all"], "is not a folder"),
    (["run", "figures", "--seeds", "-2"], "seeds are whole numbers"),
    (["run", "figures", "--groups", "phi=7"], r"\['phi=7'\] is not among them"),
])
def test_bad_options_are_refused_before_any_work(argv, message, capsys, monkeypatch):
    monkeypatch.setattr(experiments, "run_study", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(SystemExit):
        main(argv)
    assert __import__("re").search(message, capsys.readouterr().err)


def test_list_names_every_run_of_the_gpu_study(capsys):
    main(["list", "figures", "--preset", "gpu"])
    out = capsys.readouterr().out
    assert out.count("| seed ") == len(plan(study("figures", "gpu")))


# --------------------------------------------------------------------------- what the notebooks state

def test_table7s_printed_models_are_not_at_equal_cost():
    # Notebook 5: by the analytic cost model, compound (1.4, 1.2, 1.3) has 14-24% more multiply-adds
    # than the printed d=4, w=2, r=2 models (1.575B, 1.450B, 1.538B against 1.800B).
    compound_cost = _madds(en.scale(en.B0, *studies.TABLE_7_COMPOUND), 1000)
    extra = {name: compound_cost / _madds(en.scale(en.B0, **{name: m}), 1000) - 1
             for name, m in (("depth", 4.0), ("width", 2.0), ("resolution", 2.0))}
    assert round(min(extra.values()), 2) == 0.14 and round(max(extra.values()), 2) == 0.24
    assert round(compound_cost / 1e9, 3) == 1.800


def test_the_cpu_study_is_sized_as_notebooks_2_and_5_say():
    # "a 200,000-parameter network trained for 312 steps"; "20,000 images"; every run tested on 10,000.
    s = study("figures", "cpu")
    assert round(en.cost(s.base, num_classes=10).parameters, -4) == 200_000
    assert s.train_images // s.recipe.batch_size * s.recipe.epochs == 312 and s.train_images == 20_000
    assert s.test_images is None and not s.recipe.augment and s.zero_init_last


# --------------------------------------------------------------------------- the shipped CPU study

def _shipped(name):
    s = study(name, "cpu")
    kept, skipped = read_results(experiments.results_path(s), s)
    assert not skipped, [x.reason for x in skipped]
    return s, kept


def test_the_shipped_cpu_study_has_every_run_with_its_seeds():
    s, results = _shipped("figures")
    assert {r["key"] for r in results} == {r.key for r in plan(s)}
    for strategy in ("baseline", "compound", "depth", "width", "resolution"):
        for group in (("baseline",) if strategy == "baseline" else ("phi=1", "phi=2")):
            seeds = {r["seed"] for r in results if (r["strategy"], r["group"]) == (strategy, group)}
            assert len(seeds) >= 2, (strategy, group)


def test_the_shipped_cpu_baseline_reaches_85_percent_on_the_full_test_set():
    _, results = _shipped("figures")
    baselines = [r for r in results if r["strategy"] == "baseline"]
    assert len(baselines) >= 2
    for r in baselines:
        assert r["data"]["test_images"] == 10_000 and r["final_accuracy"] >= 0.85, r["key"]


def test_every_shipped_record_costs_what_the_library_says():
    for name in ("figures", "table7"):
        s, results = _shipped(name)
        for r in results:
            spec = Variant(r["strategy"], **r["multipliers"]).network(s.base)
            assert r["multiply_adds"] == _madds(spec) and r["network"]["image_size"] == spec.image_size
            assert r["hardware"]["device"] in ("cpu", "cuda") and r["seconds"] > 0


def test_the_shipped_table7_models_load_with_their_records():
    s, results = _shipped("table7")
    models = load_trained_models("table7", "cpu")
    assert len(models) == len(results) == len(plan(s))
    for trained in models:
        spec = trained.model.spec
        assert en.cost(spec, num_classes=10).parameters == trained.record["parameters"]


def test_parts_run_apart_merge_into_one_file_with_their_weights(tmp_path):
    s = replace(study("table7", "smoke"), seeds=(0, 1))
    options = {seed: RunOptions(seeds=(seed,), strategies=("baseline",), progress=False) for seed in (0, 1)}
    parts = [tmp_path / f"part{seed}.jsonl" for seed in (0, 1)]
    for seed, part in zip((0, 1), parts):
        run_study(s, part, options=options[seed], log=lambda _: None)
    target = tmp_path / "table7-smoke.jsonl"
    assert experiments.merge_results(s, parts, target, log=lambda _: None) == 2
    assert experiments.merge_results(s, parts, target, log=lambda _: None) == 0      # nothing twice
    merged = read_results(target, s)[0]
    assert sorted(r["seed"] for r in merged) == [0, 1]
    assert set(torch.load(experiments.weights_path(target), weights_only=True)) == {r["key"] for r in merged}


def test_no_variant_of_the_shipped_study_ends_below_its_baseline():
    # The recipe must train every variant: a scaled network that ends below the baseline by more than
    # the seed spread would mean the recipe failed it (as the first CPU study's depth variants did).
    from effnet_lib.face import study_plots

    _, results = _shipped("figures")
    rows = study_plots.summarize(results)
    baseline = next(r for r in rows if r["strategy"] == "baseline")
    noise = study_plots.noise_level(results)
    for r in rows:
        assert r["accuracy"] >= baseline["accuracy"] - noise, (r["strategy"], r["group"], r["accuracy"])


def test_compound_at_phi_1_costs_over_three_times_the_cpu_baseline_and_phi_2_needs_upsampling():
    # Notebook 5: rounding makes phi = 1 cost more than 3x (not 2x); the resolution rival at phi = 2
    # needs more than Fashion-MNIST's 28 px, the one at phi = 1 does not.
    s = study("figures", "cpu")
    sets = {phi: studies.compound_set(s, phi) for phi in (1.0, 2.0)}
    assert _madds(sets[1.0][0].network(s.base)) > 3 * _madds(s.base)
    resolution = {phi: next(v for v in variants if v.strategy == "resolution").network(s.base).image_size
                  for phi, variants in sets.items()}
    assert resolution[1.0] <= 28 < resolution[2.0]
    assert study("table3", "cpu").train_images == 10_000 and study("table3", "cpu").recipe.epochs == 1
