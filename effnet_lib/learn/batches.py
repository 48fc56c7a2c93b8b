"""Shuffled, augmented batches prepared on the data's own device (the GPU when there is one).

Doing the crop, flip, resize and normalisation on the device instead of in DataLoader worker
processes is what keeps a small model's GPU busy: a 28 px image is far cheaper to train on than
to decode and copy. The images are prepared many batches at a time (chunks of up to about
64 MB), so an epoch of small images costs a few dozen kernel launches for its data rather than a
few dozen per step: at 24 px a GPU step is short enough for launches to be what it waits on.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch

from ..model.inputs import prepare_images

# Prepared float32 images per chunk, in bytes: a small-image epoch is then a handful of chunks,
# and a chunk is still small beside a model's activations.
CHUNK_BYTES = 64 * 2 ** 20


class Batches:
    """Shuffled batches of one split, prepared on the data's device.

    ``epoch`` and ``seed`` fix the order and the augmentation completely, so epoch 7 of a resumed
    run sees exactly the batches epoch 7 of an uninterrupted run saw. Under DDP each of
    ``world_size`` ranks takes every ``world_size``-th batch of the same permutation. Training
    drops the last incomplete batch (constant shapes: no recompiles, no tiny noisy step);
    evaluation pads it (``mask`` marks the real images) for the same reason. With
    ``channels_last`` the batches come laid out as a GPU's convolutions want them.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, image_size: int,
                 mean: Sequence[float], std: Sequence[float], *, train: bool, augment: bool = False,
                 seed: int = 0, rank: int = 0, world_size: int = 1, channels_last: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        self.images, self.labels = images, labels
        self.batch_size, self.image_size = batch_size, image_size
        self.mean, self.std = tuple(mean), tuple(std)
        self.train, self.augment = train, augment and train
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self._my_batches())

    def _my_batches(self) -> range:
        """This rank's batch numbers: every ``world_size``-th, starting at ``rank``."""
        n = len(self.labels)
        total = n // self.batch_size if self.train else math.ceil(n / self.batch_size)
        if self.train:   # every rank takes the same number of steps
            total -= total % self.world_size
        return range(self.rank, total, self.world_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        device = self.images.device
        n = len(self.labels)
        if self.train:
            order_gen = torch.Generator().manual_seed(seed_from(self.seed, self.epoch))
            order = torch.randperm(n, generator=order_gen).to(device)
        else:
            order = torch.arange(n, device=device)
        mine = self._my_batches()
        if len(mine) == 0:
            return
        # Evaluation pads the last batch with copies of the first image, so every batch has one shape.
        padded = math.ceil(n / self.batch_size) * self.batch_size
        order = torch.cat([order, order[:1].expand(padded - n)]).view(-1, self.batch_size)
        # Augmentation differs between ranks (they see different images anyway) but is fixed by
        # (seed, epoch, rank); the generator lives on the data's device so no copies are needed.
        augment_gen = torch.Generator(device=device).manual_seed(seed_from(self.seed, self.epoch, self.rank, 1))
        mean = torch.tensor(self.mean, device=device)
        std = torch.tensor(self.std, device=device)
        every = torch.ones(self.batch_size, dtype=torch.bool, device=device)
        batch_bytes = 4 * self.batch_size * self.images.shape[1] * self.image_size ** 2
        per_chunk = max(1, CHUNK_BYTES // batch_bytes)
        for start in range(0, len(mine), per_chunk):
            chunk = mine[start:start + per_chunk]
            index = order[chunk.start:chunk.stop:chunk.step].flatten()
            x = prepare_images(self.images[index], self.image_size, mean, std,
                               augment=self.augment, generator=augment_gen)
            x = x.contiguous(memory_format=self.memory_format)
            y = self.labels[index]
            for j, b in enumerate(chunk):
                rows = slice(j * self.batch_size, (j + 1) * self.batch_size)
                real = n - b * self.batch_size           # how many of this batch's images are not padding
                mask = every if real >= self.batch_size else torch.arange(self.batch_size, device=device) < real
                yield x[rows], y[rows], mask


def seed_from(*numbers: int) -> int:
    """A seed from several integers, different for each combination (a small integer hash)."""
    h = 0x9E3779B97F4A7C15
    for v in numbers:
        h = ((h ^ (int(v) + 0x632BE59BD9B4E019)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h & 0x7FFFFFFFFFFFFFFF
