"""Latency as Table 4 measures it: batch 1, warm-up passes untimed, the mean (and spread) of 20 runs."""
from __future__ import annotations

import json
import time

import pytest
import torch
from torch import nn

import effnet_lib as en
from effnet_lib.learn import latency
from effnet_lib.learn.hardware import describe


class Recorder(nn.Module):
    """A stand-in network that remembers every input it was given and can take a set time."""

    def __init__(self, spec=None, sleep: float = 0.0):
        super().__init__()
        self.spec, self.sleep, self.shapes = spec, sleep, []
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        self.shapes.append(tuple(x.shape))
        self.training_during_forward = self.training
        if self.sleep:
            time.sleep(self.sleep)
        return x.mean()


def test_table4_speedups_are_the_printed_ratios():
    # B1 runs 5.7x faster than ResNet-152 and B7 6.1x faster than GPipe (Table 4, one CPU core).
    assert round(latency.paper_speedup("resnet-152", "b1"), 1) == 5.7
    assert round(latency.paper_speedup("gpipe", "b7"), 1) == 6.1
    for slow, fast, printed in latency.TABLE_4_PAIRS:
        assert round(latency.paper_speedup(slow, fast), 1) == printed


def test_table4_pairs_networks_of_similar_accuracy():
    for slow, fast, _ in latency.TABLE_4_PAIRS:
        assert latency.TABLE_4[fast].top1 >= latency.TABLE_4[slow].top1   # as accurate, and faster
        assert abs(latency.TABLE_4[fast].top1 - latency.TABLE_4[slow].top1) <= 1.0


def test_warmup_runs_are_not_timed():
    model = Recorder(spec=en.SMALL_B0)
    result = latency.measure(model, runs=5, warmup=2)
    assert len(model.shapes) == 7 and result.runs == 5 and result.warmup == 2


def test_one_image_at_the_networks_own_resolution_in_eval_mode():
    model = Recorder(spec=en.SMALL_B0).train()
    result = latency.measure(model, runs=1, warmup=0)
    assert model.shapes == [(1, en.SMALL_B0.in_channels, en.SMALL_B0.image_size, en.SMALL_B0.image_size)]
    assert result.batch_size == 1 and result.image_size == en.SMALL_B0.image_size
    assert model.training_during_forward is False     # BatchNorm and dropout in inference mode
    assert model.training is True                     # and the caller's mode is given back


def test_mean_is_the_time_a_forward_pass_takes():
    result = latency.measure(Recorder(spec=en.SMALL_B0, sleep=0.02), runs=3, warmup=0)
    assert 0.02 <= result.mean < 0.5
    assert len(result.times) == 3 and all(t >= 0.02 for t in result.times)


def test_a_name_is_built_and_costed():
    result = latency.measure("b0", image_size=32, runs=2, warmup=1)
    assert result.name == "b0" and result.image_size == 32
    assert result.multiply_adds == en.cost("b0", 32).multiply_adds
    assert result.machine and result.threads == 1


def test_threads_are_given_back():
    before = torch.get_num_threads()
    latency.measure(Recorder(spec=en.SMALL_B0), runs=1, warmup=0, threads=1)
    assert torch.get_num_threads() == before


def test_statistics_and_plain_data():
    result = latency.Latency("x", 224, 1, "cpu", 1, 0, times=[1.0, 2.0, 3.0, 6.0])
    assert result.mean == 3.0 and result.median == 2.5 and result.minimum == 1.0
    assert result.std == pytest.approx((14 / 3) ** 0.5)   # sample standard deviation
    assert json.loads(json.dumps(result.to_dict()))["mean"] == 3.0
    assert latency.Latency("x", 224, 1, "cpu", 1, 0, times=[0.5]).std == 0.0


def test_compare_labels_each_model():
    results = latency.compare({"small": en.SMALL_B0, "tiny": Recorder(spec=en.SMALL_B0)}, runs=1, warmup=0)
    assert [r.name for r in results] == ["small", "tiny"]


@pytest.mark.parametrize("bad, message", [
    (dict(runs=0), "runs"), (dict(warmup=-1), "warmup"), (dict(batch_size=0), "batch_size"),
    (dict(threads=0), "threads")])
def test_bad_settings_say_what_is_wrong(bad, message):
    with pytest.raises(ValueError, match=message):
        latency.measure(Recorder(spec=en.SMALL_B0), **bad)


def test_unknown_image_size_and_wrong_types_are_refused():
    with pytest.raises(ValueError, match="image_size"):
        latency.measure(Recorder(spec=None))
    with pytest.raises(TypeError, match="network name"):
        latency.measure(42)
    with pytest.raises(ValueError, match="unknown network"):
        latency.measure("b9")
    with pytest.raises(ValueError, match="Table 4 has no row"):
        latency.paper_speedup("resnet-50", "b0")


def _option(name, top1, seconds, madds=1e9):
    return latency.Option(name, top1, "test", madds, seconds)


def test_pick_is_the_most_accurate_model_within_the_budget():
    choices = [_option("small", 75.0, 0.01, 4e8), _option("medium", 78.0, 0.03, 1e9), _option("large", 81.0, 0.09, 4e9)]
    assert latency.pick(choices, seconds=0.05).name == "medium"
    assert latency.pick(choices, seconds=1.0).name == "large"
    assert latency.pick(choices, multiply_adds=5e8).name == "small"
    assert latency.pick(choices, seconds=0.05, multiply_adds=5e8).name == "small"   # both budgets hold
    assert latency.pick(choices, seconds=0.001) is None                              # nothing fits
    assert latency.pick(choices).name == "large"                                     # no budget at all


def test_pick_breaks_ties_in_accuracy_by_speed():
    assert latency.pick([_option("slow", 77.0, 0.05), _option("fast", 77.0, 0.02)], seconds=1).name == "fast"


@pytest.mark.parametrize("budget", [dict(seconds=0), dict(seconds=-1), dict(multiply_adds=0), dict(seconds="1s")])
def test_pick_refuses_a_budget_that_is_not_positive(budget):
    with pytest.raises(ValueError, match="positive"):
        latency.pick([_option("a", 75.0, 0.01)], **budget)


def test_options_join_timings_with_published_accuracy():
    timed = latency.Latency("b0", 224, 1, "cpu", 1, 0, times=[0.02, 0.04], multiply_adds=385814752)
    (option,) = latency.options([timed], {"b0": (77.1, "Table 2 (v5)")})
    assert option == latency.Option("b0", 77.1, "Table 2 (v5)", 385814752, pytest.approx(0.03))
    with pytest.raises(ValueError, match="no published accuracy for b0"):
        latency.options([timed], {})


def test_compare_steps_a_progress_bar_once_per_pass():
    # A bar that stepped once per model sat still while ResNet-152 was timed: it counts passes instead.
    class Bar:
        def __init__(self, total, label):
            self.total, self.label, self.count, self.closed = total, label, 0, False

        def update(self):
            self.count += 1

        def close(self):
            self.closed = True

    made = []
    results = latency.compare({"small": en.SMALL_B0, "tiny": Recorder(spec=en.SMALL_B0)}, runs=2, warmup=1,
                              bar=lambda **kw: made.append(Bar(**kw)) or made[-1], label="latency, 2 models")
    assert [r.name for r in results] == ["small", "tiny"]
    (bar,) = made
    assert (bar.label, bar.total, bar.count, bar.closed) == ("latency, 2 models", 6, 6, True)


def test_each_timing_carries_the_hardware_record_it_was_measured_on():
    result = latency.measure(Recorder(spec=en.SMALL_B0), runs=1, warmup=0, threads=1)
    assert result.hardware["device"] == "cpu" and result.hardware["torch_threads"] == 1
    assert result.machine == describe(result.hardware)
    assert json.loads(json.dumps(result.to_dict()))["hardware"]["cpu"] == result.hardware["cpu"]
