"""Training and inference throughput: effnet_lib's B0 against timm's and torchvision's.

Same settings for every model in one run: random images at 224 px, batch 256, bf16 autocast and
channels-last memory on a GPU, one SGD step per training iteration, eager and torch.compile.
It also times the small-image baseline (SMALL_B0) at its own training size. The table gives
images per second and, for B0, the ratio to the best peer (>= 1.0 means effnet_lib is at least
as fast).

    python benchmarks/throughput.py                      # GPU, the full settings
    python benchmarks/throughput.py --cpu                # shrunk so a CPU finishes in a minute or two
    python benchmarks/throughput.py --json out.json      # also write the numbers

A peer whose package is not installed (timm is optional) is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
import effnet_lib as en  # noqa: E402


def peers(num_classes: int) -> dict[str, callable]:
    """Model builders by name; each returns a fresh, randomly initialised B0."""
    builders = {"effnet_lib b0": lambda: en.efficientnet("b0", num_classes)}
    try:
        from torchvision.models import efficientnet_b0
        builders["torchvision efficientnet_b0"] = lambda: efficientnet_b0(weights=None, num_classes=num_classes)
    except ImportError as error:
        print(f"note: torchvision is missing ({error}); skipping its efficientnet_b0")
    try:
        import timm
        builders["timm efficientnet_b0"] = lambda: timm.create_model("efficientnet_b0", pretrained=False,
                                                                     num_classes=num_classes)
    except ImportError:
        print("note: timm is not installed (pip install timm); skipping timm's efficientnet_b0")
    return builders


def measure(build, batch: int, resolution: int, channels: int, device: torch.device, compile: bool,
            steps: int, warmup: int) -> tuple[float, float]:
    """(training images/s, inference images/s) of one model."""
    model = build().to(device)
    cuda = device.type == "cuda"
    memory = torch.channels_last if cuda else torch.contiguous_format
    model = model.to(memory_format=memory)
    x = torch.randn(batch, channels, resolution, resolution, device=device).contiguous(memory_format=memory)
    y = torch.randint(0, 10, (batch,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    net = torch.compile(model) if compile else model
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    def train_step():
        with autocast:
            loss = F.cross_entropy(net(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def infer_step():
        with torch.inference_mode(), autocast:
            net(x)

    rates = []
    for mode, step in (("train", train_step), ("eval", infer_step)):
        model.train(mode == "train")
        for _ in range(warmup):
            step()
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        rates.append(batch * steps / (time.perf_counter() - start))
    return rates[0], rates[1]


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cpu", action="store_true", help="run on the CPU with shrunk settings (batch 8, 112 px, few steps)")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--resolution", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--modes", nargs="+", default=None, choices=["eager", "compile"])
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)

    cuda = torch.cuda.is_available() and not args.cpu
    device = torch.device("cuda" if cuda else "cpu")
    batch = args.batch or (256 if cuda else 8)
    resolution = args.resolution or (224 if cuda else 112)
    steps = args.steps or (30 if cuda else 3)
    warmup = args.warmup if args.warmup is not None else (10 if cuda else 1)
    modes = args.modes or (["eager", "compile"] if cuda else ["eager"])
    if not cuda and not args.cpu:
        print("note: no GPU here; running the shrunk CPU settings (pass --cpu to say so explicitly)")
    where = torch.cuda.get_device_name(device) if cuda else f"{platform.processor() or platform.machine()} CPU"
    print(f"{where}, torch {torch.__version__}: batch {batch}, {resolution} px, "
          f"{'bf16 autocast, channels-last' if cuda else 'float32'}, {steps} timed steps after {warmup} warm-up")

    rows = []
    for mode in modes:
        for name, build in peers(1000).items():
            train, infer = measure(build, batch, resolution, 3, device, mode == "compile", steps, warmup)
            rows.append({"model": name, "mode": mode, "batch": batch, "resolution": resolution,
                         "train_images_per_s": train, "inference_images_per_s": infer})
        # The small-image baseline at the size the study trains it: 24 px, one channel, 10 classes.
        small_batch = 512 if cuda else 32
        train, infer = measure(lambda: en.efficientnet("small-b0", 10), small_batch, en.SMALL_B0.image_size,
                               en.SMALL_B0.in_channels, device, mode == "compile", steps, warmup)
        rows.append({"model": "effnet_lib small-b0", "mode": mode, "batch": small_batch,
                     "resolution": en.SMALL_B0.image_size, "train_images_per_s": train,
                     "inference_images_per_s": infer})

    print(f"\n{'model':<30} {'mode':<8} {'train img/s':>12} {'ratio':>6} {'infer img/s':>12} {'ratio':>6}")
    for row in rows:
        others = [r for r in rows if r["mode"] == row["mode"] and not r["model"].startswith("effnet_lib")]
        ratios = ["", ""]
        if row["model"] == "effnet_lib b0" and others:
            ratios = [f"{row[k] / max(r[k] for r in others):.2f}" for k in ("train_images_per_s", "inference_images_per_s")]
            row["ratio_to_best_peer"] = {"train": float(ratios[0]), "inference": float(ratios[1])}
        print(f"{row['model']:<30} {row['mode']:<8} {row['train_images_per_s']:>12,.0f} {ratios[0]:>6} "
              f"{row['inference_images_per_s']:>12,.0f} {ratios[1]:>6}")
    print("ratio: effnet_lib's B0 over the fastest peer in the same mode (>= 1.0: at least as fast)")
    if args.json:
        Path(args.json).write_text(json.dumps({"device": where, "torch": torch.__version__, "rows": rows}, indent=1))
    return rows


if __name__ == "__main__":
    main()
