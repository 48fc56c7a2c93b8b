"""The training loop: the paper's recipe as data, learning, checkpoints, resume and DDP."""

import collections
import json
import math
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import effnet_lib as en
from effnet_lib.learn.datasets import tiny_dataset
from effnet_lib.learn import train_command
from effnet_lib.learn.checkpoints import CheckpointError, load as load_checkpoint
from effnet_lib.learn.recipes import learning_rate, recipe
from effnet_lib.learn.train import History, train
from effnet_lib.learn.train_command import main

# A network small enough to train on 16 px tiny images in about a second an epoch.
TINY = en.scale(en.SMALL_B0, width=0.25, depth=0.25).with_(name="tiny-b0", image_size=16)


def tiny_model(seed=0, spec=TINY):
    torch.manual_seed(seed)
    return en.efficientnet(spec, num_classes=4)


def quick(epochs=2, **changes):
    return recipe("short", **{"epochs": epochs, "batch_size": 32, "lr": 3e-3, **changes})


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny models on a shared 2-core machine: one thread avoids OpenMP oversubscription stalls.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny():
    return tiny_dataset(train=128, test=64)


def test_paper_recipe_is_section_5_2():
    r = recipe("paper", batch_size=4096)
    assert (r.optimizer, r.rmsprop_decay, r.momentum) == ("rmsprop", 0.9, 0.9)
    assert r.bn_momentum == 0.01           # TensorFlow's BatchNorm decay 0.99
    assert r.weight_decay == 1e-5
    assert r.lr == pytest.approx(0.256)    # per 4,096 images ...
    assert recipe("paper", batch_size=512).lr == pytest.approx(0.032)  # ... scaled linearly
    assert (r.decay_rate, r.decay_epochs) == (0.97, 2.4)


def test_paper_learning_rate_decays_by_097_every_24_epochs():
    r = recipe("paper", batch_size=4096, warmup_epochs=0)
    lrs = [learning_rate(r, epoch * 10, 10) for epoch in range(8)]
    assert lrs[:3] == [0.256] * 3                           # epochs 0, 1, 2 (< 2.4)
    assert lrs[3] == pytest.approx(0.256 * 0.97)            # epoch 3
    assert lrs[5] == pytest.approx(0.256 * 0.97 ** 2)       # epoch 5 (>= 4.8)


def test_short_recipe_warms_up_then_anneals_to_almost_zero():
    r = recipe("short", epochs=10)
    lrs = [learning_rate(r, step, 10) for step in range(100)]
    peak = lrs.index(max(lrs))
    assert 0 < peak < 50 and max(lrs) == pytest.approx(r.lr, rel=0.05)
    assert lrs[-1] < 0.01 * r.lr and r.label_smoothing == 0.1


def test_unknown_recipe_or_field_is_refused():
    with pytest.raises(ValueError, match="paper, short"):
        recipe("imagenet")
    with pytest.raises(ValueError, match="Unknown recipe field"):
        recipe("short", learning_rat=1.0)


def test_training_learns_the_tiny_data_set(tiny):
    history = train(tiny_model(), tiny, quick(epochs=4), progress=False)
    assert isinstance(history, History) and len(history.epochs) == 4
    assert history.final_accuracy > 0.6          # chance is 0.25
    assert history.epochs[-1]["train_loss"] < history.epochs[0]["train_loss"]
    json.dumps(history.to_dict())                # plain data, ready for JSON


def test_paper_recipe_trains_with_section_5_2_settings(tiny, tmp_path):
    model = tiny_model()
    before = _weights(model)
    history = train(model, tiny, recipe("paper", epochs=1, batch_size=32), checkpoint=tmp_path / "paper.pt",
                    progress=False)
    saved = load_checkpoint(tmp_path / "paper.pt")["optimizer"]
    decay, no_decay = saved["param_groups"]
    assert (decay["alpha"], decay["eps"], decay["momentum"]) == (0.9, 1e-3, 0.9)   # RMSProp as the paper's
    assert (decay["weight_decay"], no_decay["weight_decay"]) == (1e-5, 0.0)
    assert all("square_avg" in state for state in saved["state"].values())        # RMSProp really stepped
    assert all(m.momentum == 0.01 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    steps = len(tiny.train_labels) // 32
    assert history.epochs[0]["lr"] == pytest.approx(learning_rate(recipe("paper", epochs=1, batch_size=32),
                                                                  steps - 1, steps))
    changed = [name for name, value in model.state_dict().items()
               if value.is_floating_point() and not torch.equal(value, before[name])]
    assert len(changed) > len(before) // 2 and math.isfinite(history.epochs[0]["train_loss"])


def test_first_batch_seeds_fresh_batchnorm_but_keeps_pretrained_statistics(tiny):
    from effnet_lib.learn.train import _seed_running_statistics
    model = tiny_model()
    pretrained = model.stem[0][1]
    pretrained.running_mean.fill_(0.5)            # as if loaded from a checkpoint
    pretrained.running_var.fill_(2.0)
    fresh = model.stages[-1][-1].project[1]
    x = torch.randn(8, 1, 16, 16)
    _seed_running_statistics(model, x)
    assert torch.all(pretrained.running_mean == 0.5) and torch.all(pretrained.running_var == 2.0)
    assert not torch.all(fresh.running_var == 1.0)


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_an_interrupted_run_resumes_to_the_same_weights(tiny, tmp_path):
    r = quick(epochs=3)
    straight = tiny_model()
    full = train(straight, tiny, r, seed=7, progress=False)

    def stop_after_first(record):
        if record["epoch"] == 1:
            raise KeyboardInterrupt

    checkpoint = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        train(tiny_model(), tiny, r, seed=7, checkpoint=checkpoint, progress=False, on_epoch_end=stop_after_first)
    assert load_checkpoint(checkpoint)["epoch"] == 1
    resumed_model = tiny_model(seed=99)  # different initial weights: everything must come from the file
    resumed = train(resumed_model, tiny, r, seed=7, checkpoint=checkpoint, resume=True, progress=False)
    for name, value in _weights(straight).items():
        assert torch.equal(value, resumed_model.state_dict()[name]), name
    assert resumed.accuracy == full.accuracy
    assert [e["train_loss"] for e in resumed.epochs] == [e["train_loss"] for e in full.epochs]


def test_an_existing_checkpoint_is_never_overwritten_silently(tiny, tmp_path):
    checkpoint = tmp_path / "mine.pt"
    checkpoint.write_bytes(b"a user's precious file")
    with pytest.raises(FileExistsError, match="resume=True"):
        train(tiny_model(), tiny, quick(epochs=1), checkpoint=checkpoint, progress=False)
    assert checkpoint.read_bytes() == b"a user's precious file"


def test_a_corrupted_checkpoint_gives_a_clear_error_and_is_kept(tiny, tmp_path):
    checkpoint = tmp_path / "broken.pt"
    checkpoint.write_bytes(b"\x80\x02garbage")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        train(tiny_model(), tiny, quick(epochs=1), checkpoint=checkpoint, resume=True, progress=False)
    assert checkpoint.read_bytes() == b"\x80\x02garbage"


def test_a_checkpoint_of_another_model_or_recipe_is_refused(tiny, tmp_path):
    checkpoint = tmp_path / "run.pt"
    train(tiny_model(), tiny, quick(epochs=1), checkpoint=checkpoint, progress=False)
    before = checkpoint.read_bytes()
    wider = en.scale(TINY, width=2.0)
    with pytest.raises(CheckpointError, match="the model differs"):
        train(tiny_model(spec=wider), tiny, quick(epochs=1), checkpoint=checkpoint, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="recipe field lr"):
        train(tiny_model(), tiny, quick(epochs=1, lr=1e-3), checkpoint=checkpoint, resume=True, progress=False)
    assert checkpoint.read_bytes() == before


def test_a_crash_while_saving_leaves_the_previous_checkpoint_intact(tiny, tmp_path, monkeypatch):
    checkpoint = tmp_path / "run.pt"
    train(tiny_model(), tiny, quick(epochs=1), checkpoint=checkpoint, progress=False)
    before = checkpoint.read_bytes()
    real_save = torch.save

    def save_half_then_crash(state, path):
        real_save(state, path)
        with open(path, "r+b") as f:
            f.truncate(100)
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", save_half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        train(tiny_model(), tiny, quick(epochs=2), checkpoint=tmp_path / "run.pt", overwrite=True, progress=False)
    assert checkpoint.read_bytes() == before
    assert load_checkpoint(checkpoint)["epoch"] == 1


def test_command_line_trains_and_writes_history(tmp_path):
    out = tmp_path / "history.json"
    model, history = main(["--data", "tiny", "--width", "0.25", "--depth", "0.25", "--resolution", "0.667",
                           "--epochs", "1", "--batch-size", "32", "--history", str(out), "--no-progress"])
    saved = json.loads(out.read_text())
    assert saved["image_size"] == 16 and len(saved["epochs"]) == 1
    assert saved["epochs"][0]["test_accuracy"] == history.final_accuracy


def test_command_line_refuses_to_overwrite_a_checkpoint(tmp_path):
    checkpoint = tmp_path / "mine.pt"
    checkpoint.write_bytes(b"keep me")
    with pytest.raises(SystemExit, match="already exists"):
        main(["--data", "tiny", "--width", "0.25", "--depth", "0.25", "--epochs", "1", "--batch-size", "32",
              "--checkpoint", str(checkpoint), "--no-progress"])
    assert checkpoint.read_bytes() == b"keep me"


@pytest.mark.parametrize("option, message", [
    (["--checkpoint", "{file}/run.pt"], "is a file, not a folder"),
    (["--history", "{folder}"], "is a folder"),
    (["--history", "{file}"], "already exists"),
    (["--batch-size", "0"], "batch_size must be a whole number of at least 1, got 0"),
    (["--train-subset", "-5"], "train_subset must be a whole number of at least 1"),
    (["--epochs", "0"], "epochs must be a whole number of at least 1"),
    (["--lr", "-1"], "lr must be positive"),
    (["--label-smoothing", "1.5"], "label_smoothing must be at least 0 and below 1"),
    (["--model", "b9"], "unknown network 'b9'"),
    (["--width", "0"], "width"),
    (["--resume"], "resume needs a checkpoint"),
    (["--compile-mode", "fastest"], "compile_mode must be one of"),
    (["--data", "mnist"], "data must be one of"),
])
def test_command_line_refuses_each_bad_value_with_its_own_message_before_any_work(
        option, message, tmp_path, monkeypatch, capsys):
    def no_work(*args, **kwargs):
        raise AssertionError("the data was loaded before the options were checked")

    monkeypatch.setattr(train_command, "load_dataset", no_work)
    (tmp_path / "file").write_text("a user's file")
    argv = ["--data", "tiny", "--no-progress"] + [a.format(file=tmp_path / "file", folder=tmp_path) for a in option]
    with pytest.raises(SystemExit):
        main(argv)
    assert message in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "a user's file"


def test_a_checkpoint_that_cannot_be_written_is_refused_before_training(tiny, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        train(tiny_model(), tiny, quick(epochs=1), checkpoint=tmp_path / "file" / "run.pt", progress=False,
              on_epoch_end=lambda record: pytest.fail("trained before checking the checkpoint path"))


def test_the_progress_bar_carries_the_label_it_is_given(tiny, capsys):
    train(tiny_model(), tiny, quick(epochs=1), label="scratch lite0")
    assert "scratch lite0" in capsys.readouterr().err


def _scalar_reads(run) -> int:
    """How often `run` reads a tensor's value back to Python (on a GPU, each is a wait for the GPU)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Reads(TorchDispatchMode):
        count = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.overloadpacket.__name__ == "_local_scalar_dense":
                self.count += 1
            return func(*args, **(kwargs or {}))

    with Reads() as reads:
        run()
    return reads.count


def test_no_training_step_reads_a_value_back(tiny):
    # Twice the steps, the same reads: the reads belong to the epoch (its tally) and to the first
    # step (seeding BatchNorm), none to a step.
    few = _scalar_reads(lambda: train(tiny_model(), tiny.subset(train=64), quick(epochs=1), progress=False))
    more = _scalar_reads(lambda: train(tiny_model(), tiny, quick(epochs=1), progress=False))
    assert len(tiny.train_labels) // 32 == 2 * (64 // 32) and few == more


def test_a_compiled_run_traces_the_step_once_per_mode_and_never_recompiles(tiny, monkeypatch):
    graphs = collections.Counter()

    def counting_backend(graph, example_inputs):   # records what would be compiled, runs it eagerly
        graphs["traced"] += 1
        return graph.forward

    real_compile = torch.compile
    monkeypatch.setattr(torch, "compile", lambda fn, mode=None, dynamic=None:
                        real_compile(fn, backend=counting_backend, dynamic=dynamic))
    torch._dynamo.reset()
    history = train(tiny_model(), tiny, quick(epochs=2), compile=True, progress=False)
    torch._dynamo.reset()
    assert graphs["traced"] == 2        # the training step and the evaluation step, each once for the run
    assert history.final_accuracy > 0.25


WORKER = """
import sys, torch
import torch.distributed as dist
torch.set_num_threads(1)
from effnet_lib.learn.train_command import main
model, history = main(sys.argv[1:])
torch.save(model.state_dict(), f"{OUT}/weights-rank{dist.get_rank()}.pt")
"""


@pytest.mark.slow
def test_torchrun_with_two_cpu_processes_keeps_ranks_identical(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER).replace("{OUT}", str(tmp_path)))
    checkpoint = tmp_path / "ckpt" / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
               "--data", "tiny", "--width", "0.25", "--depth", "0.25", "--resolution", "0.667", "--epochs", "2",
               "--batch-size", "32", "--device", "cpu", "--checkpoint", str(checkpoint), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": os.environ.get("GLOO_SOCKET_IFNAME", "lo")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    rank0 = torch.load(tmp_path / "weights-rank0.pt")
    rank1 = torch.load(tmp_path / "weights-rank1.pt")
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    assert [p.name for p in checkpoint.parent.iterdir()] == ["ddp.pt"]  # one checkpoint, no stray temporaries
    saved = load_checkpoint(checkpoint)
    assert saved["epoch"] == 2
    for name in rank0:
        assert torch.equal(saved["model"][name], rank0[name]), name
