"""Shuffled, augmented batches prepared on the data's own device (the GPU when there is one).

Doing the crop, flip, resize and normalisation on the device instead of in DataLoader worker
processes is what keeps a small model's GPU busy: a 28 px image is far cheaper to train on than
to decode and copy.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch

from ..model.inputs import prepare_images


class Batches:
    """Shuffled batches of one split, prepared on the data's device.

    ``epoch`` and ``seed`` fix the order and the augmentation completely, so epoch 7 of a resumed
    run sees exactly the batches epoch 7 of an uninterrupted run saw. Under DDP each of
    ``world_size`` ranks takes every ``world_size``-th batch of the same permutation. Training
    drops the last incomplete batch (constant shapes: no recompiles, no tiny noisy step);
    evaluation pads it (``mask`` marks the real images) for the same reason.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, image_size: int,
                 mean: Sequence[float], std: Sequence[float], *, train: bool, augment: bool = False,
                 seed: int = 0, rank: int = 0, world_size: int = 1):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        self.images, self.labels = images, labels
        self.batch_size, self.image_size = batch_size, image_size
        self.mean, self.std = tuple(mean), tuple(std)
        self.train, self.augment = train, augment and train
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.labels)
        if self.train:
            return (n // self.batch_size) // self.world_size
        return math.ceil(math.ceil(n / self.batch_size) / self.world_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        device = self.images.device
        n = len(self.labels)
        if self.train:
            order_gen = torch.Generator().manual_seed(_mix(self.seed, self.epoch))
            order = torch.randperm(n, generator=order_gen).to(device)
        else:
            order = torch.arange(n, device=device)
        # Augmentation differs between ranks (they see different images anyway) but is fixed by
        # (seed, epoch, rank); the generator lives on the data's device so no copies are needed.
        augment_gen = torch.Generator(device=device).manual_seed(_mix(self.seed, self.epoch, self.rank, 1))
        mean = torch.tensor(self.mean, device=device)
        std = torch.tensor(self.std, device=device)
        total = (n // self.batch_size) if self.train else math.ceil(n / self.batch_size)
        for b in range(self.rank, total - (total % self.world_size if self.train else 0), self.world_size):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            mask = torch.ones(len(index), dtype=torch.bool, device=device)
            if len(index) < self.batch_size:  # evaluation only: pad with copies of the first image
                fill = self.batch_size - len(index)
                index = torch.cat([index, index[:1].expand(fill)])
                mask = torch.cat([mask, torch.zeros(fill, dtype=torch.bool, device=device)])
            x = prepare_images(self.images[index], self.image_size, mean, std,
                               augment=self.augment, generator=augment_gen)
            yield x, self.labels[index], mask


def _mix(*numbers: int) -> int:
    """A seed from several integers, different for each combination (a small integer hash)."""
    h = 0x9E3779B97F4A7C15
    for v in numbers:
        h = ((h ^ (int(v) + 0x632BE59BD9B4E019)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h & 0x7FFFFFFFFFFFFFFF
