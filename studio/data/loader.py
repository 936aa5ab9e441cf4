"""The DataLoader of a training or validation dataset: spawn workers (OpenMP and rawpy deadlock under
fork)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from studio.data.collate import collate


def worker_init(worker_id: int) -> None:
    """In each worker process: no OpenCV thread pool and one torch thread (the workers are the
    parallelism; more threads per worker only oversubscribe the cores)."""
    cv2.setNumThreads(0)
    torch.set_num_threads(1)


def build_loader(dataset: Dataset, sampler: Sampler[int], batch_size: int, workers: int, *,
                 pin_memory: bool | None = None, persistent: bool = False,
                 collate_fn: Callable[[list], Any] = collate) -> DataLoader:
    """Batches of ``collate_fn`` (default: the detection ``collate``) over the keys ``sampler`` yields
    (drop_last False).

    workers > 0: that many ``spawn`` worker processes, started anew for every pass over the loader unless
    ``persistent`` (the trainer keeps them for the whole run: the sampler lives in this process, so one
    told a new epoch / start still takes effect at the next ``iter``, and the dataset holds no epoch state).
    pin_memory: default True only when CUDA is available.
    """
    if workers < 0 or batch_size < 1:
        raise ValueError(f"workers ({workers}) must be >= 0 and batch_size ({batch_size}) >= 1")
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    # its own generator: each new iterator draws a base seed, which must not come from the global RNG (a
    # resumed run restores that RNG and then starts an iterator; the two-stage detector samples from it)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      generator=torch.Generator().manual_seed(0),
                      collate_fn=collate_fn, pin_memory=pin_memory, drop_last=False,
                      worker_init_fn=worker_init if workers > 0 else None,
                      multiprocessing_context="spawn" if workers > 0 else None,
                      persistent_workers=persistent and workers > 0)
