"""What the throughput rows rest on, checked on the CPU: effnet_lib's B0 does no more work per step
than timm's or torchvision's, and the fast path of stochastic depth computes what the plain one does."""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from effnet_lib.model.layers import stochastic_depth

REPOSITORY = Path(__file__).resolve().parent.parent


def _throughput():
    spec = importlib.util.spec_from_file_location("throughput", REPOSITORY / "benchmarks" / "throughput.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["throughput"] = module
    spec.loader.exec_module(module)
    return module


def test_stochastic_depth_added_to_a_residual_is_the_sum_in_one_pass():
    x, residual = torch.randn(64, 8, 4, 4), torch.randn(64, 8, 4, 4)
    torch.manual_seed(3)
    fused = stochastic_depth(x, 0.3, training=True, residual=residual)
    torch.manual_seed(3)                  # the same per-sample draws
    plain = residual + stochastic_depth(x, 0.3, training=True)
    torch.testing.assert_close(fused, plain)
    dropped = (fused == residual).flatten(1).all(1)
    assert 5 < dropped.sum() < 35         # about 30% of 64 samples lost their branch
    assert torch.equal(stochastic_depth(x, 0.3, training=False, residual=residual), residual + x)


def test_fused_stochastic_depth_passes_the_same_gradients():
    x = torch.randn(16, 4, 3, 3, requires_grad=True)
    residual = torch.randn(16, 4, 3, 3, requires_grad=True)
    torch.manual_seed(0)
    stochastic_depth(x, 0.5, training=True, residual=residual).square().sum().backward()
    fused = x.grad.clone(), residual.grad.clone()
    x.grad = residual.grad = None
    torch.manual_seed(0)
    (residual + stochastic_depth(x, 0.5, training=True)).square().sum().backward()
    torch.testing.assert_close(fused, (x.grad, residual.grad))


@pytest.fixture(scope="module")
def op_counts():
    pytest.importorskip("timm")
    pytest.importorskip("torchvision")
    return _throughput().count_ops()


def _total(counts, model_start, regularisation, part):
    (name,) = [n for n in counts if n.startswith(model_start) and regularisation in n]
    return sum(counts[name][part].values())


def test_effnet_lib_b0_dispatches_no_more_operators_per_training_step_than_its_peers(op_counts):
    # With the paper's regularisation (dropout 0.2, stochastic depth 0.2), as torchvision trains by default.
    ours = sum(_total(op_counts, "effnet_lib b0", "dropout 0.2", part) for part in ("train forward", "backward"))
    for peer in ("timm", "torchvision"):
        assert ours <= sum(_total(op_counts, peer, "dropout 0.2", part) for part in ("train forward", "backward"))
    # Without it, effnet_lib's B0 and timm's do the same operators, one for one.
    for part in ("train forward", "backward", "inference"):
        assert _total(op_counts, "effnet_lib b0", "no dropout", part) <= _total(op_counts, "timm", "no dropout", part)


def test_squeeze_excite_pools_with_a_mean_as_timm_does(op_counts):
    # torchvision's adaptive_avg_pool2d per block: under torch.compile a pool over more than 25 pixels
    # falls back to a separate kernel, where a mean fuses with the ops around it.
    (ours,) = [n for n in op_counts if n.startswith("effnet_lib b0") and "dropout 0.2" in n]
    assert op_counts[ours]["inference"].get("adaptive_avg_pool2d", 0) == 1     # only the head's
    assert op_counts[ours]["inference"]["mean"] == 16                           # one per block


def test_every_row_of_the_throughput_table_builds_here():
    pytest.importorskip("timm")
    throughput = _throughput()
    for model, regularisation in throughput.ROWS:
        net = throughput.build(model, regularisation, num_classes=10)
        assert sum(p.numel() for p in net.parameters()) > 100_000
    ratios = throughput.ratios([
        {"model": "effnet_lib b0", "mode": "eager", "regularisation": "a", "train_images_per_s": 90.0,
         "inference_images_per_s": 300.0},
        {"model": "timm efficientnet_b0", "mode": "eager", "regularisation": "a", "train_images_per_s": 100.0,
         "inference_images_per_s": 200.0},
        {"model": "timm efficientnet_b0", "mode": "eager", "regularisation": "b", "train_images_per_s": 50.0,
         "inference_images_per_s": None},
    ])
    assert [(r["measure"], r["ratio"]) for r in ratios] == [("train_images_per_s", 0.9), ("inference_images_per_s", 1.5)]
