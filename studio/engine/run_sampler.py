"""The training loader's sampler for a whole run: it lives in the main process and is told the epoch
(and where to start, when resuming mid-epoch) before each pass, so worker processes can stay up and the
item order still depends only on (seed, epoch)."""

from __future__ import annotations

import math

from torch.utils.data import Sampler

from studio.data.sampler import EpochSampler


class RunSampler(Sampler[int]):
    def __init__(self, n: int, *, shuffle: bool = True, seed: int = 0, rank: int = 0, world_size: int = 1):
        self.n, self.shuffle, self.seed, self.rank, self.world_size = n, shuffle, seed, rank, world_size
        self.set_epoch(0)

    @property
    def per_rank(self) -> int:
        """Keys each rank sees in a full epoch (padded to a multiple of the world size)."""
        return math.ceil(self.n / self.world_size)

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.current = EpochSampler(self.n, shuffle=self.shuffle, seed=self.seed, epoch=epoch, start=start,
                                    rank=self.rank, world_size=self.world_size)

    def __iter__(self):
        return iter(self.current)

    def __len__(self) -> int:
        return len(self.current)
