"""Image data for training small EfficientNets: find it, read it, check it.

Three data sets, one shape of answer (an :class:`ImageData` of uint8 tensors):

* **Fashion-MNIST** (28 x 28 grey, 10 classes), the default because it works offline. It is
  looked for in a folder given by the caller, ``$EFFNET_DATA``, the course's ``data/`` folder, then
  where Debian's ``dataset-fashion-mnist`` package puts it (``/usr/share/datasets/fashion-mnist``),
  and downloaded through torchvision only when the caller says ``download=True``.
* **CIFAR-10** (32 x 32 colour, 10 classes) through torchvision, for machines that are online.
* **tiny**: a few hundred generated 16 x 16 images whose class is a visible texture, so tests
  can train a model in seconds and still see it learn.

Data is checked where it enters: a file that is truncated or not in the IDX format, or images and
labels that do not pair up, are refused with the file's name. Batching (shuffling, augmentation
on the device) is :mod:`.batches`' job.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..results.locations import course_data
from ..rules.vocabulary import DATASET_CLASSES, DATASETS

__all__ = [
    "ImageData",
    "DataNotFoundError",
    "DEBIAN_FASHION_MNIST_DIR",
    "fashion_mnist_locations",
    "load_fashion_mnist",
    "load_cifar10",
    "tiny_dataset",
    "load_dataset",
    "dataset_classes",
    "save_test_sample",
]

#: Where Debian's ``dataset-fashion-mnist`` package installs the original gzip files.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)

# The four files of the original release; a folder counts as "found" when all four are there,
# either gzip-compressed (as distributed) or already unpacked (as some mirrors keep them).
_FASHION_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class ImageData:
    """A labelled image data set held as uint8 tensors of shape (N, C, H, W).

    ``mean`` and ``std`` (one value per channel, on the 0..1 scale) are the training set's
    statistics, used to normalise batches.
    """

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str = ""
    validation_images: torch.Tensor | None = None   # carved from the training images by split_validation
    validation_labels: torch.Tensor | None = None

    SPLITS = ("train", "validation", "test")

    @property
    def has_validation(self) -> bool:
        return self.validation_labels is not None and len(self.validation_labels) > 0

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(images, labels) of the split called ``name``: "train", "validation" or "test"."""
        if name not in self.SPLITS:
            raise ValueError(f"split must be one of {self.SPLITS}, got {name!r}.")
        if name == "validation" and not self.has_validation:
            raise ValueError(f"{self.name} has no validation split; carve one from the training images with "
                             "data.split_validation(count).")
        return getattr(self, f"{name}_images"), getattr(self, f"{name}_labels")

    def split_validation(self, count: int, seed: int = 0) -> "ImageData":
        """A copy whose training images lose ``count`` (the same number per class) to a validation split.

        Every choice a study makes (learning rate, schedule, whether a design passes) is made on these,
        so the test images are used once, at the end. The normalisation statistics are recomputed from
        the images left for training.
        """
        if self.has_validation:
            raise ValueError(f"{self.name} already has a validation split of {len(self.validation_labels):,} images.")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 < count < len(self.train_labels):
            raise ValueError(f"a validation split takes between 1 and {len(self.train_labels) - 1:,} of the "
                             f"{len(self.train_labels):,} training images, got {count!r}.")
        chosen = _balanced(self.train_labels, count, self.num_classes, seed)
        keep = torch.ones(len(self.train_labels), dtype=torch.bool)
        keep[chosen] = False
        train_images = self.train_images[keep.to(self.train_images.device)]
        mean, std = _statistics(train_images)
        return replace(self, train_images=train_images, train_labels=self.train_labels[keep.to(self.train_labels.device)],
                       validation_images=self.train_images[chosen.to(self.train_images.device)],
                       validation_labels=self.train_labels[chosen.to(self.train_labels.device)], mean=mean, std=std)

    @property
    def channels(self) -> int:
        return self.train_images.shape[1]

    @property
    def native_size(self) -> int:
        return self.train_images.shape[-1]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __repr__(self) -> str:
        validation = f" / {len(self.validation_labels)} validation" if self.has_validation else ""
        return (f"ImageData({self.name!r}: {len(self.train_labels)} train{validation} / {len(self.test_labels)} "
                f"test images, {self.channels}x{self.native_size}x{self.native_size}, "
                f"{self.num_classes} classes, from {self.source or 'memory'})")

    def subset(self, train: int | None = None, test: int | None = None, seed: int = 0) -> "ImageData":
        """A smaller copy with ``train`` / ``test`` images per split, the same number per class.

        Balanced so that a 2,000-image CPU run sees every class equally often.
        """
        def pick(labels: torch.Tensor, count: int | None) -> torch.Tensor:
            if count is None or count >= len(labels):
                return torch.arange(len(labels))
            return _balanced(labels, count, self.num_classes, seed)

        tr, te = pick(self.train_labels, train), pick(self.test_labels, test)
        return replace(self,
                       train_images=self.train_images[tr.to(self.train_images.device)],
                       train_labels=self.train_labels[tr.to(self.train_labels.device)],
                       test_images=self.test_images[te.to(self.test_images.device)],
                       test_labels=self.test_labels[te.to(self.test_labels.device)])

    def to(self, device: str | torch.device) -> "ImageData":
        """The same data on ``device`` (e.g. ``"cuda"``): batches are then cut without copies."""
        return replace(self, **{k: getattr(self, k).to(device) for k in
                                ("train_images", "train_labels", "test_images", "test_labels",
                                 "validation_images", "validation_labels") if getattr(self, k) is not None})


def _balanced(labels: torch.Tensor, count: int, num_classes: int, seed: int) -> torch.Tensor:
    """``count`` indices of ``labels``, the same number per class (the remainder spread over the first
    classes), drawn at random by ``seed``, in increasing order."""
    generator = torch.Generator().manual_seed(seed)
    labels = labels.cpu()
    chosen = []
    for c in range(num_classes):
        members = torch.nonzero(labels == c).flatten()
        take = count // num_classes + (1 if c < count % num_classes else 0)
        chosen.append(members[torch.randperm(len(members), generator=generator)[:take]])
    return torch.cat(chosen).sort().values


class DataNotFoundError(FileNotFoundError):
    """The data set is not on this machine; the message says where we looked and how to fix it."""


# --------------------------------------------------------------------------- Fashion-MNIST

def fashion_mnist_locations(root: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for Fashion-MNIST, in order.

    ``root`` (if given) comes first, then ``$EFFNET_DATA``, the course's ``data/`` folder and
    Debian's package folder. For each data root, both a plain ``fashion-mnist/`` folder and
    torchvision's ``FashionMNIST/raw/`` layout (what ``download=True`` writes) are tried.
    """
    roots: list[Path] = []
    if root is not None:
        roots.append(Path(root).expanduser())
    if os.environ.get("EFFNET_DATA"):
        roots.append(Path(os.environ["EFFNET_DATA"]).expanduser())
    roots.append(course_data(must_exist=False))
    places: list[Path] = []
    for r in roots:
        places += [r, r / "fashion-mnist", r / "FashionMNIST" / "raw"]
    places.append(DEBIAN_FASHION_MNIST_DIR)
    unique: list[Path] = []
    for p in places:
        if p not in unique:
            unique.append(p)
    return unique


def _idx_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path) -> np.ndarray:
    """Read one file in the IDX format of MNIST: a magic number, the dimensions, then uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (EOFError, gzip.BadGzipFile, OSError) as error:   # a download cut short, or not gzip at all
        raise ValueError(f"{path} cannot be read ({type(error).__name__}: {error}); the file is truncated "
                         "or damaged. Delete it and fetch the data again.") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (damaged download?). "
                         "Delete it and fetch the data again.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(shape):
        raise ValueError(f"{path} holds {data.size} bytes of data where its header promises "
                         f"{math.prod(shape)} (truncated?). Delete it and fetch the data again.")
    return data.reshape(shape)


def _fix_commands(dataset: str) -> str:
    return (
        "Fix it with one of these:\n"
        "  Debian / Ubuntu:  sudo apt-get install dataset-fashion-mnist\n"
        f"  Colab:            !python -m effnet_lib.learn.datasets {dataset} --download\n"
        f"  elsewhere:        python -m effnet_lib.learn.datasets {dataset} --download\n"
        f"(the last two need internet and save into {course_data(must_exist=False)}); or pass download=True."
        if dataset == "fashion-mnist" else
        "Fix it with one of these (both need internet):\n"
        f"  Colab:            !python -m effnet_lib.learn.datasets {dataset} --download\n"
        f"  elsewhere:        python -m effnet_lib.learn.datasets {dataset} --download\n"
        f"(saves into {course_data(must_exist=False)}); or pass download=True."
    )


def _download_fashion_mnist(root: Path) -> Path:
    from torchvision.datasets import FashionMNIST

    root.mkdir(parents=True, exist_ok=True)
    try:
        FashionMNIST(str(root), train=True, download=True)
        FashionMNIST(str(root), train=False, download=True)
    except Exception as error:  # network errors come in many types; say what happened
        raise DataNotFoundError(
            f"Downloading Fashion-MNIST into {root} failed ({type(error).__name__}: {error}).\n"
            + _fix_commands("fashion-mnist")) from error
    return root / "FashionMNIST" / "raw"


def load_fashion_mnist(root: str | os.PathLike | None = None, download: bool = False) -> ImageData:
    """Fashion-MNIST's 60,000 training and 10,000 test images (1 x 28 x 28, uint8).

    Looks in :func:`fashion_mnist_locations` and downloads through torchvision into the course's
    ``data/`` folder (or ``root``) only when ``download=True``.
    """
    searched = fashion_mnist_locations(root)
    folder = next((p for p in searched
                   if all(_idx_file(p, stem) for stem in _FASHION_MNIST_FILES.values())), None)
    if folder is None:
        if not download:
            raise DataNotFoundError(
                "Fashion-MNIST was not found. Looked for its four files "
                "(train-images-idx3-ubyte[.gz], ...) in:\n"
                + "".join(f"  {p}\n" for p in searched) + _fix_commands("fashion-mnist"))
        folder = _download_fashion_mnist(Path(root) if root is not None else course_data(must_exist=False))
    files = {key: _idx_file(folder, stem) for key, stem in _FASHION_MNIST_FILES.items()}
    arrays = {key: _read_idx(path) for key, path in files.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{files[f'{split}_images'].name} holds {len(images):,} images shaped {images.shape[1:]} but "
                f"{files[f'{split}_labels'].name} holds {len(labels):,} labels (in {folder}): the files do "
                "not belong together. Fetch the four files of one Fashion-MNIST release again.")
        if labels.size and labels.max() >= len(FASHION_MNIST_CLASSES):
            raise ValueError(f"{files[f'{split}_labels']} has label {labels.max()}, but Fashion-MNIST has "
                             f"{len(FASHION_MNIST_CLASSES)} classes (0-9); the file is not Fashion-MNIST's.")
    images = {k: torch.from_numpy(arrays[k].copy()).unsqueeze(1) for k in ("train_images", "test_images")}
    labels = {k: torch.from_numpy(arrays[k].astype(np.int64)) for k in ("train_labels", "test_labels")}
    mean, std = _statistics(images["train_images"])
    return ImageData("fashion-mnist", images["train_images"], labels["train_labels"],
                     images["test_images"], labels["test_labels"], FASHION_MNIST_CLASSES,
                     mean, std, source=str(folder))


# --------------------------------------------------------------------------- CIFAR-10

def load_cifar10(root: str | os.PathLike | None = None, download: bool = False) -> ImageData:
    """CIFAR-10's 50,000 training and 10,000 test images (3 x 32 x 32, uint8), via torchvision."""
    from torchvision.datasets import CIFAR10

    folder = Path(root).expanduser() if root is not None else course_data(must_exist=False)
    try:
        train = CIFAR10(str(folder), train=True, download=download)
        test = CIFAR10(str(folder), train=False, download=download)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
        raise DataNotFoundError(
            f"CIFAR-10 was not found in {folder / 'cifar-10-batches-py'} ({error}).\n"
            + _fix_commands("cifar10")) from error
    except OSError as error:  # no network while downloading
        raise DataNotFoundError(
            f"Downloading CIFAR-10 into {folder} failed ({error}).\n" + _fix_commands("cifar10")) from error

    def tensors(split):
        return (torch.from_numpy(split.data).permute(0, 3, 1, 2).contiguous(),
                torch.tensor(split.targets, dtype=torch.int64))

    (xtr, ytr), (xte, yte) = tensors(train), tensors(test)
    mean, std = _statistics(xtr)
    return ImageData("cifar10", xtr, ytr, xte, yte, CIFAR10_CLASSES, mean, std,
                     source=str(folder / "cifar-10-batches-py"))


# --------------------------------------------------------------------------- tiny generated set

TINY_CLASSES = DATASET_CLASSES["tiny"]     # the generated set's default number of classes


def tiny_dataset(train: int = 256, test: int = 128, image_size: int = 16, channels: int = 1,
                 num_classes: int = TINY_CLASSES, seed: int = 0) -> ImageData:
    """A generated data set for fast tests: each class is a texture, drawn with noise.

    The classes are horizontal stripes, vertical stripes, a checkerboard and concentric rings,
    then the same four at a coarser period (up to 8 classes). Each image has a random phase,
    contrast and noise. All four survive a crop and a horizontal flip (the short recipe's
    augmentation), and a small network gets well above chance in a few epochs, so a test can
    check that training learns without any file on disk.
    """
    if not 2 <= num_classes <= 8:
        raise ValueError(f"tiny_dataset draws 2 to 8 classes, got num_classes={num_classes}.")
    generator = torch.Generator().manual_seed(seed)
    coords = torch.arange(image_size, dtype=torch.float32) - (image_size - 1) / 2
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    radius = torch.sqrt(xx ** 2 + yy ** 2)

    def draw(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = (torch.arange(count) % num_classes)[torch.randperm(count, generator=generator)]
        phase = torch.rand(count, 1, 1, generator=generator) * 2 * math.pi
        period = torch.where(labels >= 4, 6.0, 3.5).view(-1, 1, 1)
        f = 2 * math.pi / period
        kind = (labels % 4).view(-1, 1, 1)
        patterns = torch.where(kind == 0, torch.sin(f * yy + phase),
                   torch.where(kind == 1, torch.sin(f * xx + phase),
                   torch.where(kind == 2, torch.sin(f * xx + phase) * torch.sin(f * yy + phase),
                               torch.sin(f * radius + phase))))
        contrast = 0.25 + 0.2 * torch.rand(count, 1, 1, generator=generator)
        noise = 0.15 * torch.randn(count, channels, image_size, image_size, generator=generator)
        images = 0.5 + (contrast * patterns)[:, None] + noise
        return (images.clamp(0, 1) * 255).round().to(torch.uint8), labels

    xtr, ytr = draw(train)
    xte, yte = draw(test)
    mean, std = _statistics(xtr)
    names = ("horizontal stripes", "vertical stripes", "checkerboard", "rings")
    classes = tuple(names[c % 4] + (" (coarse)" if c >= 4 else "") for c in range(num_classes))
    return ImageData("tiny", xtr, ytr, xte, yte, classes, mean, std, source="generated")


# --------------------------------------------------------------------------- one entry point



def load_dataset(name: str = "fashion-mnist", root: str | os.PathLike | None = None,
                 download: bool = False, train: int | None = None, test: int | None = None,
                 seed: int = 0) -> ImageData:
    """Load a data set by name (``"fashion-mnist"``, ``"cifar10"`` or ``"tiny"``).

    ``train`` and ``test`` cut a class-balanced subset (for CPU runs); ``seed`` picks which.
    """
    for split, count in (("train", train), ("test", test)):
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError(f"{split} is a number of images >= 1 (or None for the whole split), got {count!r}.")
    key = _key(name)
    if key == "fashion-mnist":
        data = load_fashion_mnist(root, download)
    elif key == "cifar10":
        data = load_cifar10(root, download)
    elif key == "tiny":
        return tiny_dataset(train=train or 256, test=test or 128, seed=seed)
    else:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    return data.subset(train, test, seed) if (train or test) else data


def _key(name: str) -> str:
    key = name.lower().replace("_", "-")
    return {"fashionmnist": "fashion-mnist", "cifar-10": "cifar10"}.get(key, key)


def dataset_classes(name: str) -> int:
    """How many classes a data set has, without loading it (the study plans its variants with it).

    >>> dataset_classes("fashion-mnist"), dataset_classes("tiny")
    (10, 4)
    """
    if _key(name) not in DATASET_CLASSES:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    return DATASET_CLASSES[_key(name)]


def _statistics(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images, from a 256-bin histogram per channel.

    Exact, and without a float copy of the whole set (Fashion-MNIST's would be 750 MB in double).
    """
    levels = torch.arange(256, dtype=torch.float64) / 255
    means, stds = [], []
    for channel in range(images.shape[1]):
        counts = torch.bincount(images[:, channel].reshape(-1).cpu(), minlength=256).double()
        n = counts.sum()
        mean = (counts * levels).sum() / n
        variance = (counts * (levels - mean) ** 2).sum() / (n - 1)   # unbiased, as Tensor.std
        means.append(round(float(mean), 4))
        stds.append(round(max(float(variance.sqrt()), 1e-3), 4))
    return tuple(means), tuple(stds)


def save_test_sample(path: str | os.PathLike, count: int = 500, root: str | os.PathLike | None = None) -> Path:
    """Save the first ``count`` images of Fashion-MNIST's test split, with their labels and the class
    names, as one small ``.npz`` (0.3 MB for 500), so a notebook that looks at a few images (the class
    activation maps of notebook 6) runs where the data set is not installed.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        raise ValueError(f"count is a number of test images from 1 to 10,000, got {count!r}.")
    data = load_fashion_mnist(root)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=data.test_images[:count].numpy(),
                        labels=data.test_labels[:count].numpy().astype(np.uint8), classes=np.array(data.classes))
    return path


# --------------------------------------------------------------------------- command line

def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m effnet_lib.learn.datasets",
        description="Check that a data set is on this machine, or download it into the course's data/ folder.")
    parser.add_argument("dataset", choices=[d for d in DATASETS if d != "tiny"])
    parser.add_argument("--download", action="store_true", help="download it if it is missing (needs internet)")
    parser.add_argument("--root", default=None, help="data folder (default: the course's data/)")
    parser.add_argument("--sample", default=None, type=Path, metavar="FILE.npz",
                        help="also save the first 500 test images there (Fashion-MNIST only), e.g. "
                             "data/samples/fashion_mnist_test_sample.npz for notebook 6")
    args = parser.parse_args(argv)
    if args.sample is not None and args.dataset != "fashion-mnist":
        parser.error("--sample saves Fashion-MNIST test images; name fashion-mnist.")
    try:
        data = load_dataset(args.dataset, args.root, download=args.download)
        if args.sample is not None:
            print(f"saved {save_test_sample(args.sample, root=args.root)}")
    except DataNotFoundError as error:
        raise SystemExit(str(error))
    print(data)


if __name__ == "__main__":
    main()
