"""The order of keys in an epoch: deterministic, resumable mid-epoch, sharded over DDP ranks."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochSampler(Sampler[int]):
    """Yields the keys ``epoch * n + i`` of one epoch for one rank.

    Order: a permutation drawn from ``torch.Generator().manual_seed(seed + epoch)`` (0..n-1 in order when
    not shuffling); padded by repeating its start to a multiple of ``world_size`` (so every rank yields
    the same number, as DDP needs); rank r takes positions r, r + world_size, ...; the first ``start`` keys
    of this rank are skipped (resuming mid-epoch: start = steps done * batch size per rank).
    ``len()`` is the number it yields: ceil(n / world_size) - start (at least 0).
    """

    def __init__(self, n: int, *, shuffle: bool, seed: int, epoch: int = 0, start: int = 0, rank: int = 0,
                 world_size: int = 1) -> None:
        if n < 0 or epoch < 0 or start < 0:
            raise ValueError(f"n ({n}), epoch ({epoch}) and start ({start}) must not be negative")
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1} (world_size {world_size})")
        self.n, self.shuffle, self.seed, self.epoch = n, shuffle, seed, epoch
        self.start, self.rank, self.world_size = start, rank, world_size

    @property
    def per_rank(self) -> int:
        """Keys per rank in a whole epoch (including padding)."""
        return math.ceil(self.n / self.world_size)

    def indices(self) -> list[int]:
        """The image indices (0..n-1) this rank yields, in order (``start`` applied)."""
        if self.n == 0:
            return []
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.n, generator=generator).tolist()
        else:
            order = list(range(self.n))
        total = self.per_rank * self.world_size
        padded = (order * math.ceil(total / self.n))[:total]
        return padded[self.rank::self.world_size][self.start:]

    def __iter__(self) -> Iterator[int]:
        base = self.epoch * self.n
        return iter([base + i for i in self.indices()])

    def __len__(self) -> int:
        return max(self.per_rank - self.start, 0)
