"""Train the five small models that notebook 6 draws class activation maps for (Figure 7, Table 7).

The paper's Figure 7 compares B0 with its depth-, width-, resolution- and compound-scaled versions
at about the same FLOPS. This script does the same at a scale a CPU can afford:

* the baseline is `SMALL_B0` (B0's table for 28 px images) at width x0.25 and depth x0.5;
* the compound model is Eq. 3 at `--phi` (alpha, beta, gamma = 1.2, 1.1, 1.15);
* the depth-, width- and resolution-only models each take the multiplier whose analytic
  multiply-adds (`effnet_lib.rules.cost`) come nearest the compound model's, so all four match;
* every variant is scaled from SMALL_B0's own table (baseline multipliers times the variant's),
  as B1..B7 are scaled from B0, so repeats round up from the original counts, not from ones;
* training is `effnet_lib.learn.train.train` with the short recipe on a class-balanced subset of
  Fashion-MNIST, the same subset for every model and seed.

Each model is saved as `data/cam_models/<strategy>_seed<seed>.pt` (weights in float16, to keep the
folder small) next to a JSON file with its configuration, multiply-adds, parameters, accuracy
(measured again after the float16 rounding), training time and hardware.
`effnet_lib.explain.cam.load_cam_models` reads them back. The first 500 Fashion-MNIST test images are kept
there too (`fashion_mnist_test_sample.npz`, 0.3 MB), so the notebook runs without the data set.

    python benchmarks/train_cam_models.py --seed 0          # one seed, about 10 minutes on 1 CPU core
    python benchmarks/train_cam_models.py --seed 1
"""
from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

import torch

import effnet_lib
from effnet_lib import SMALL_B0, compound, cost, scale
from effnet_lib.learn import experiments
from effnet_lib.learn.datasets import load_dataset
from effnet_lib.explain.cam import float16_state, save_cam_model
from effnet_lib.learn.train import evaluate, recipe, train

OUT = Path(__file__).resolve().parent.parent / "data" / "cam_models"
BASE_DEPTH, BASE_WIDTH = 0.5, 0.25          # the CAM baseline, relative to SMALL_B0
STRATEGIES = ("baseline", "depth", "width", "resolution", "compound")


def variant(depth: float = 1.0, width: float = 1.0, resolution: float = 1.0):
    """SMALL_B0 at the baseline's multipliers times (depth, width, resolution)."""
    return scale(SMALL_B0, depth=BASE_DEPTH * depth, width=BASE_WIDTH * width, resolution=resolution)


def madds(spec) -> int:
    return cost(spec, num_classes=10).multiply_adds


def matched_multipliers(phi: float) -> dict[str, tuple[float, float, float]]:
    """(depth, width, resolution) for each strategy, single dimensions matched to compound's FLOPS."""
    d, w, r = compound(phi)
    target = madds(variant(d, w, r))
    chosen = {"baseline": (1.0, 1.0, 1.0), "compound": (round(d, 4), round(w, 4), round(r, 4))}
    for index, name in enumerate(("depth", "width", "resolution")):
        best = None
        for step in range(1, 801):                     # multipliers 1.005 .. 5.0
            m = 1.0 + step * 0.005
            multipliers = [1.0, 1.0, 1.0]
            multipliers[index] = m
            gap = abs(madds(variant(*multipliers)) - target)
            if best is None or gap < best[0]:
                best = (gap, tuple(multipliers))
        chosen[name] = best[1]
    return chosen


def hardware() -> dict:
    """The study's hardware record, plus how busy the (shared) machine was when training started."""
    return {**experiments.hardware("cpu"), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def write_sample(out: Path, count: int = 500) -> Path:
    """The first `count` images of Fashion-MNIST's official test split, so notebook 6 runs without the data set."""
    import numpy as np

    from effnet_lib.explain.cam import SAMPLE_FILE
    from effnet_lib.learn.datasets import load_fashion_mnist

    data = load_fashion_mnist()
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / SAMPLE_FILE, images=data.test_images[:count].numpy(),
                        labels=data.test_labels[:count].numpy().astype(np.uint8),
                        classes=np.array(data.classes))
    return out / SAMPLE_FILE


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--phi", type=float, default=1.5)
    p.add_argument("--train-images", type=int, default=3000)
    p.add_argument("--test-images", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--strategies", nargs="*", default=list(STRATEGIES))
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--sample-only", action="store_true", help="only write the sample of test images")
    args = p.parse_args()
    write_sample(args.out)
    if args.sample_only:
        return

    torch.set_num_threads(args.threads)
    data = load_dataset("fashion-mnist", train=args.train_images, test=args.test_images, seed=0)
    r = recipe("short", epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, augment=False)
    multipliers = matched_multipliers(args.phi)
    args.out.mkdir(parents=True, exist_ok=True)
    for strategy in args.strategies:
        d, w, res = multipliers[strategy]
        spec = variant(d, w, res)
        torch.manual_seed(args.seed)                     # the initial weights
        # Channels-last makes depthwise convolutions about 1.5x faster on a CPU.
        model = effnet_lib.efficientnet(spec, num_classes=10).to(memory_format=torch.channels_last)
        started = time.perf_counter()
        history = train(model, data, r, seed=args.seed, device="cpu", progress=False)
        seconds = time.perf_counter() - started
        # Measure the accuracy of the weights as stored (float16), not of the float32 ones.
        model.load_state_dict({k: v.float() if v.is_floating_point() else v
                               for k, v in float16_state(model).items()})
        rounded = evaluate(model, data, spec.image_size)
        c = cost(spec, num_classes=10)
        record = {
            "strategy": strategy, "seed": args.seed,
            "multipliers": {"depth": d, "width": w, "resolution": res},
            "spec": {"base": "small-b0", "depth": BASE_DEPTH * d, "width": BASE_WIDTH * w, "resolution": res},
            "resolution_px": spec.image_size, "repeats": [s.repeats for s in spec.stages],
            "channels": [s.channels for s in spec.stages], "head_channels": spec.head_channels,
            "num_classes": data.num_classes, "classes": list(data.classes),
            "mean": list(data.mean), "std": list(data.std),
            "multiply_adds": c.multiply_adds, "parameters": c.parameters,
            "test_accuracy": rounded["test_accuracy"], "test_accuracy_float32": history.final_accuracy,
            "phi": args.phi, "data": {"name": data.name, "train_images": len(data.train_labels),
                                      "test_images": len(data.test_labels), "subset_seed": 0},
            "recipe": history.recipe, "epochs": history.epochs, "train_seconds": round(seconds, 1),
            "hardware": hardware(), "effnet_lib": effnet_lib.__version__,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": "python benchmarks/train_cam_models.py " + " ".join(
                f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                if k not in ("strategies", "out", "sample_only")),
        }
        save_cam_model(model, record, args.out)
        print(f"{strategy:>10} seed {args.seed}: {c.multiply_adds / 1e6:.2f}M multiply-adds, "
              f"{c.parameters / 1e3:.0f}k parameters, {spec.image_size} px, "
              f"test accuracy {rounded['test_accuracy']:.3f}, {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
