"""The data module: where Fashion-MNIST is found, what a missing data set says, and batches."""

import gzip
import struct

import pytest
import torch

from effnet_lib.learn import datasets as data_module
from effnet_lib.learn.batches import Batches
from effnet_lib.learn.datasets import DataNotFoundError, load_dataset, load_fashion_mnist, tiny_dataset
from effnet_lib.model.inputs import prepare_images


def _write_idx(path, array: torch.Tensor) -> None:
    header = bytes([0, 0, 0x08, array.dim()]) + b"".join(struct.pack(">I", s) for s in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.to(torch.uint8).numpy().tobytes())


@pytest.fixture
def fake_fashion_mnist(tmp_path):
    """A folder with the four Fashion-MNIST files, 20 training and 10 test images."""
    g = torch.Generator().manual_seed(0)
    parts = {"train-images-idx3-ubyte.gz": torch.randint(0, 256, (20, 28, 28), generator=g),
             "train-labels-idx1-ubyte.gz": torch.arange(20) % 10,
             "t10k-images-idx3-ubyte.gz": torch.randint(0, 256, (10, 28, 28), generator=g),
             "t10k-labels-idx1-ubyte.gz": torch.arange(10) % 10}
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name, array in parts.items():
        _write_idx(folder / name, array)
    return tmp_path, parts


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """Hide the course folder, $EFFNET_DATA and Debian's folder, as on a fresh machine."""
    monkeypatch.setattr(data_module, "course_data", lambda must_exist=True: tmp_path / "course-data")
    monkeypatch.setattr(data_module, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "debian")
    monkeypatch.delenv("EFFNET_DATA", raising=False)
    return tmp_path


def test_fashion_mnist_files_in_a_data_root_are_read_exactly(fake_fashion_mnist, nowhere):
    root, parts = fake_fashion_mnist
    data = load_fashion_mnist(root)
    assert data.train_images.shape == (20, 1, 28, 28) and data.test_images.shape == (10, 1, 28, 28)
    assert torch.equal(data.train_images[:, 0], parts["train-images-idx3-ubyte.gz"].to(torch.uint8))
    assert torch.equal(data.test_labels, parts["t10k-labels-idx1-ubyte.gz"])
    assert data.num_classes == 10 and data.classes[9] == "Ankle boot"


def test_missing_fashion_mnist_says_where_it_looked_and_how_to_fix_it(nowhere):
    with pytest.raises(DataNotFoundError) as error:
        load_fashion_mnist()
    message = str(error.value)
    assert str(nowhere / "course-data") in message and str(nowhere / "debian") in message
    assert "apt-get install dataset-fashion-mnist" in message           # Debian
    assert "!python -m effnet_lib.learn.datasets fashion-mnist --download" in message  # Colab
    assert "download=True" in message


def test_a_truncated_file_is_refused_with_advice(fake_fashion_mnist, nowhere):
    root, _ = fake_fashion_mnist
    path = root / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(ValueError, match="truncated"):
        load_fashion_mnist(root)


def test_a_gzip_cut_short_is_refused_naming_the_file(fake_fashion_mnist, nowhere):
    root, _ = fake_fashion_mnist
    path = root / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])          # a download that stopped early
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz cannot be read.*truncated"):
        load_fashion_mnist(root)


def test_labels_that_do_not_pair_with_the_images_are_refused(fake_fashion_mnist, nowhere):
    root, _ = fake_fashion_mnist
    # 10 labels beside 20 training images: the test split's label file put in the training slot.
    _write_idx(root / "fashion-mnist" / "train-labels-idx1-ubyte.gz", torch.arange(10) % 10)
    with pytest.raises(ValueError, match="20 images .* but train-labels-idx1-ubyte.gz holds 10 labels"):
        load_fashion_mnist(root)


@pytest.mark.parametrize("subset", [{"train": -5}, {"test": 0}, {"train": 2.5}])
def test_a_subset_that_is_not_a_positive_count_is_refused(subset):
    with pytest.raises(ValueError, match="number of images >= 1"):
        load_dataset("tiny", **subset)


def test_debian_package_location_holds_the_real_data_set():
    if not (data_module.DEBIAN_FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed here")
    data = load_fashion_mnist()
    assert len(data.train_labels) == 60_000 and len(data.test_labels) == 10_000
    assert torch.bincount(data.test_labels).tolist() == [1000] * 10  # 1,000 test images per class
    assert data.native_size == 28 and data.channels == 1


def test_unknown_data_set_name_lists_the_choices():
    with pytest.raises(ValueError, match="fashion-mnist, cifar10, tiny"):
        load_dataset("imagenet")


def test_subset_takes_the_same_number_of_images_from_every_class():
    data = tiny_dataset(train=400, test=200).subset(train=40, test=21)
    assert torch.bincount(data.train_labels).tolist() == [10, 10, 10, 10]
    assert len(data.test_labels) == 21


def test_tiny_dataset_is_the_same_for_the_same_seed_and_differs_otherwise():
    a, b, c = tiny_dataset(seed=3), tiny_dataset(seed=3), tiny_dataset(seed=4)
    assert torch.equal(a.train_images, b.train_images)
    assert not torch.equal(a.train_images, c.train_images)


@pytest.mark.parametrize("resolution", [8, 16, 40])
def test_images_are_resized_to_any_resolution_and_normalised(resolution):
    data = tiny_dataset(train=64)
    x = prepare_images(data.train_images, resolution, data.mean, data.std)
    assert x.shape == (64, 1, resolution, resolution) and x.dtype == torch.float32
    if resolution == 16:  # the native size: exactly the data set's statistics
        assert abs(x.mean().item()) < 1e-3 and abs(x.std().item() - 1) < 1e-2


def test_augmentation_is_a_shifted_crop_and_a_horizontal_flip():
    images = torch.arange(64, dtype=torch.uint8).view(1, 1, 8, 8).repeat(200, 1, 1, 1)
    plain = prepare_images(images[:1], 8, (0.0,), (1.0,))[0]
    g = torch.Generator().manual_seed(0)
    x = prepare_images(images, 8, (0.0,), (1.0,), augment=True, generator=g, crop_padding=0)
    flipped = torch.tensor([torch.equal(xi, plain.flip(-1)) for xi in x])
    same = torch.tensor([torch.equal(xi, plain) for xi in x])
    assert (flipped | same).all() and 60 < flipped.sum() < 140  # about half flipped
    shifted = prepare_images(images, 8, (0.0,), (1.0,), augment=True, generator=g, crop_padding=2)
    assert (shifted == 0).any()  # the padding shows at the borders of shifted crops


def test_batches_replay_an_epoch_exactly_and_reshuffle_the_next():
    data = tiny_dataset(train=96)
    batches = Batches(data.train_images, data.train_labels, 32, 16, data.mean, data.std,
                      train=True, augment=True, seed=5)

    def epoch(e):
        batches.set_epoch(e)
        return [(x, y) for x, y, _ in batches]

    first, again, second = epoch(0), epoch(0), epoch(1)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(first, again))
    assert not torch.equal(first[0][1], second[0][1])


def test_two_ranks_share_an_epoch_without_overlap():
    labels = torch.arange(100)
    images = torch.zeros(100, 1, 4, 4, dtype=torch.uint8)
    seen = []
    for rank in (0, 1):
        batches = Batches(images, labels, 10, 4, (0.0,), (1.0,), train=True, seed=1, rank=rank, world_size=2)
        assert len(batches) == 5
        seen += [int(i) for _, y, _ in batches for i in y]
    assert len(seen) == 100 and len(set(seen)) == 100


def test_evaluation_sees_every_test_image_once_with_a_padded_last_batch():
    labels = torch.arange(70)
    images = torch.zeros(70, 1, 4, 4, dtype=torch.uint8)
    batches = Batches(images, labels, 32, 4, (0.0,), (1.0,), train=False)
    shapes = [x.shape[0] for x, _, _ in batches]
    seen = [int(i) for _, y, m in batches for i in y[m]]
    assert shapes == [32, 32, 32] and sorted(seen) == list(range(70))


def test_missing_cifar10_says_where_it_looked_and_how_to_fix_it(tmp_path):
    with pytest.raises(DataNotFoundError) as error:
        load_dataset("cifar10", root=tmp_path)
    message = str(error.value)
    assert str(tmp_path) in message and "python -m effnet_lib.learn.datasets cifar10 --download" in message
