"""The results layer: where the course's data lives, the run record, and the one interval rule."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace

import pytest

from effnet_lib.results import analysis, locations, records
from effnet_lib.results.records import DataSplit, Epoch, NetworkShape, RunRecord


def record(strategy="baseline", group="baseline", seed=0, validation=0.9, test=0.89, madds=1_000_000, **changes):
    """A run record as the engine writes it, with made-up numbers."""
    depth = {"depth": 2.0}.get(strategy, 1.0)
    width = {"width": 1.4}.get(strategy, 1.0)
    resolution = {"resolution": 1.4}.get(strategy, 1.0)
    if strategy == "compound":
        depth, width, resolution = 1.2, 1.1, 1.15
    base = RunRecord(
        study="figures", preset="cpu", settings={"recipe": {"epochs": 2, "batch_size": 128}}, strategy=strategy, group=group, phi=None,
        seed=seed, depth=depth, width=width, resolution=resolution, recipe_changes={},
        network=NetworkShape(14, (1, 2), (8, 16), 8, 64, 3, 7), multiply_adds=madds, parameters=1000,
        cost_ratio=madds / 1_000_000, data=DataSplit("fashion-mnist", 50_000, 10_000, 10_000, (0.3,), (0.35,), ("a", "b")),
        epochs=(Epoch(1, 0.9, 0.7, 0.6, validation - 0.02, 0.004, 10.0, 500.0),
                Epoch(2, 0.7, 0.8, 0.5, validation, 0.0, 10.0, 500.0)),
        validation_accuracy=validation, test_accuracy=test, train_seconds=20.0, wall_seconds=22.0,
        hardware={"device": "cpu", "cpu": "test"}, library_version="0.1.0", finished="2026-12-03T00:00:00Z")
    return replace(base, **changes)


# --------------------------------------------------------------------------- locations

def test_the_course_data_folder_is_found_from_the_checkout():
    assert (locations.course_data() / "results").is_dir()
    assert locations.results_dir() == locations.course_data() / "results"


def test_an_environment_variable_points_an_installed_copy_at_its_data(tmp_path, monkeypatch):
    monkeypatch.setenv(locations.ENVIRONMENT_VARIABLE, str(tmp_path))
    monkeypatch.setattr(locations, "checkout", lambda: None)
    monkeypatch.chdir(tmp_path)
    assert locations.course_data() == tmp_path


def test_a_missing_data_folder_is_refused_naming_the_variable_and_the_argument(tmp_path, monkeypatch):
    monkeypatch.delenv(locations.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(locations, "checkout", lambda: None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(locations.CourseDataNotFound, match=locations.ENVIRONMENT_VARIABLE) as error:
        locations.course_data()
    assert "folder=" in str(error.value)
    with pytest.raises(locations.CourseDataNotFound, match="the folder passed in"):
        locations.course_data(tmp_path / "nowhere")


def test_a_plain_install_finds_its_data_through_the_variable(tmp_path):
    # A copy of the package alone (as site-packages holds it), run from elsewhere: no checkout beside it.
    import shutil

    shutil.copytree(locations.checkout() / "effnet_lib", tmp_path / "site" / "effnet_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = "from effnet_lib.results import locations; print(locations.results_dir())"
    env = {"PYTHONPATH": str(tmp_path / "site"), locations.ENVIRONMENT_VARIABLE: str(locations.course_data()),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(locations.course_data() / "results")
    del env[locations.ENVIRONMENT_VARIABLE]
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and locations.ENVIRONMENT_VARIABLE in out.stderr


# --------------------------------------------------------------------------- the run record

def test_a_record_survives_its_json_round_trip(tmp_path):
    path = tmp_path / "r.jsonl"
    written = record()
    records.append_record(path, written)
    (read,), skipped = records.read_records(path)
    assert read == written and not skipped
    assert read.run_id == records.RunId("baseline", "baseline", 0) and read.label == "baseline | baseline | seed 0"


def test_a_partly_written_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "r.jsonl"
    records.append_record(path, record(seed=0))
    with open(path, "a") as f:
        f.write('{"format": "effnet_lib.run/2", "study"')      # a run killed while writing
    with pytest.warns(UserWarning, match="line 2"):
        assert [r.seed for r in records.read_records(path)[0]] == [0]
    records.append_record(path, record(seed=1))                  # the next record starts on a line of its own
    with pytest.warns(UserWarning):
        assert [r.seed for r in records.read_records(path)[0]] == [0, 1]


def test_lines_of_another_format_or_shape_are_set_aside_with_the_reason(tmp_path):
    path = tmp_path / "r.jsonl"
    good = record().to_json()
    lines = [{"format": "effnet_lib.study/1", "key": "baseline | baseline | seed 0"},
             {**good, "extra": 1}, {k: v for k, v in good.items() if k != "seed"}, good, good]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kept, skipped = records.read_records(path)
    assert len(kept) == 1
    reasons = [s.reason for s in skipped]
    assert "format 'effnet_lib.study/1'" in reasons[0] and "unknown ['extra']" in reasons[1]
    assert "missing ['seed']" in reasons[2] and reasons[3] == "a second record of a run already recorded"


# --------------------------------------------------------------------------- the one interval rule

@pytest.mark.parametrize("df, quantile", [(1, 12.7062), (2, 4.3027), (4, 2.7764), (10, 2.2281), (30, 2.0423),
                                          (1000, 1.9623)])
def test_student_t_quantiles_match_the_tables(df, quantile):
    assert analysis.t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-4)


def test_seed_noise_is_pooled_over_every_network_with_several_seeds():
    runs = [record("baseline", seed=s, test=v) for s, v in enumerate((0.90, 0.91, 0.92))]
    runs += [record("width", "phi=1", seed=s, test=v, madds=2_000_000) for s, v in enumerate((0.93, 0.95))]
    runs += [record("depth", "phi=1", seed=0, test=0.90, madds=2_000_000)]
    summaries = analysis.summarize(runs)
    noise = analysis.noise(summaries)
    # sum of squared deviations 0.0002 + 0.0002 over 2 + 1 degrees of freedom
    assert noise.df == 3 and noise.networks == 2 and noise.sd == pytest.approx(math.sqrt(0.0004 / 3))
    assert [s.strategy for s in summaries] == ["baseline", "depth", "width"]


def test_a_difference_is_beyond_noise_only_when_its_interval_excludes_zero():
    a = analysis.NetworkSummary("compound", "phi=1", 1.0, 1.2, 1.1, 1.15, 16, 2, 1, 2.0, (0, 1, 2), (0.91, 0.92, 0.93), 1)
    b = replace(a, strategy="width", values=(0.90, 0.91, 0.92))
    c = replace(a, strategy="depth", values=(0.87, 0.88, 0.89))
    noise = analysis.noise([a, b, c])
    near, far = analysis.difference(a, b, noise), analysis.difference(a, c, noise)
    assert near.estimate == pytest.approx(0.01) and not near.beyond_noise and near.low < 0 < near.high
    assert far.estimate == pytest.approx(0.04) and far.beyond_noise
    half = analysis.t_quantile(0.975, 6) * 0.01 * math.sqrt(2 / 3)
    assert near.half_width == pytest.approx(half)


def test_without_repeated_seeds_the_noise_cannot_be_estimated():
    with pytest.raises(ValueError, match="more than one seed"):
        analysis.noise(analysis.summarize([record(seed=0), record("width", "phi=1")]))


def test_runs_of_two_studies_are_not_summarised_together():
    with pytest.raises(ValueError, match="several studies"):
        analysis.summarize([record(), record(study="pilot", seed=1)])


def test_compound_is_compared_with_each_rival_of_its_own_group():
    runs = [record("baseline", seed=s, test=0.9 + s / 100) for s in range(3)]
    for strategy, mean in (("compound", 0.95), ("depth", 0.92), ("width", 0.93), ("resolution", 0.94)):
        runs += [record(strategy, "phi=1", seed=s, test=mean + s / 1000, madds=2_000_000) for s in range(3)]
    comparisons = analysis.matched_comparisons(analysis.summarize(runs), analysis.noise(analysis.summarize(runs)))
    assert [(c.rival.strategy, round(c.gap.estimate, 3)) for c in comparisons] == [
        ("depth", 0.03), ("resolution", 0.01), ("width", 0.02)]


def test_the_pilot_asks_whether_each_dimension_pays_then_flattens():
    runs = [record("baseline", seed=s, validation=0.900 + s / 1000) for s in range(5)]
    for strategy, gains in (("depth", (0.02, 0.005)), ("width", (0.02, 0.03)), ("resolution", (0.0, 0.0))):
        for i, group in enumerate(("phi=1", "phi=2")):
            changes = {strategy: (1.5, 2.5)[i]}
            runs.append(record(strategy, group, validation=0.902 + sum(gains[:i + 1]), madds=(2, 4)[i] * 1_000_000,
                               **changes))
    summaries = analysis.summarize(runs, "validation_accuracy")
    checks = {c.dimension: c for c in analysis.pilot_checks(summaries, analysis.noise(summaries))}
    assert checks["depth"].pays and checks["depth"].flattens
    assert checks["width"].pays and not checks["width"].flattens
    assert not checks["resolution"].pays


def test_recipe_trials_are_set_against_the_base_on_validation():
    runs = [record("baseline", seed=s, validation=0.90 + s / 1000) for s in range(3)]
    runs.append(record("baseline", "recipe: lr 0.002", validation=0.85, test=None, recipe_changes={"lr": 0.002}))
    noise = analysis.noise(analysis.summarize(runs, "validation_accuracy"))
    (trial,) = analysis.recipe_trials(runs, noise)
    assert trial.changes == {"lr": 0.002} and trial.gain.estimate == pytest.approx(-0.051) and trial.gain.beyond_noise
    # A trial is not a network of the study: it never enters a summary.
    assert [s.group for s in analysis.summarize(runs, "validation_accuracy")] == ["baseline"]
