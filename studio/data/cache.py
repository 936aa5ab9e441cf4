"""RAM cache of decoded, long-side-resized images, in one buffer that worker processes share.

Memory: every image takes h' * w' * 3 bytes at its resized size (long side = imgsz), at most
3 * imgsz**2: about 1.2 MB per image at 640 (0.9 MB for 4:3 photos), so 10,000 images need ~9-12 GB.
The buffer is one torch uint8 tensor: when a DataLoader starts ``spawn`` workers, torch moves it to shared
memory once and the workers map it instead of copying it (so the cost is paid once, not per worker; on
Linux it lives in /dev/shm, which must be large enough, e.g. ``docker run --shm-size``).

``auto_cache`` keeps small sets in RAM without being asked: decoding a PNG or JPEG every time an image is
used (four times per mosaic) is about a fifth of a CPU training step at imgsz 320 (bench/bench_train.py
--cache).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from studio.data.decode import read_rgb, resize_long_side, resized_shape
from studio.data.records import ImageRecord

AUTO_CACHE_BYTES = 1 << 30  # a set is cached unasked up to this size (and a quarter of the free memory)


def auto_cache(num_images: int, size: int, *, asked: bool, workers: int) -> bool:
    """Whether to keep the decoded images in RAM: asked (``--cache``), or the set is small: at most
    ``3 * size**2`` bytes an image, 1 GiB in all, a quarter of the memory available now and, with worker
    processes, a quarter of the free shared memory."""
    if asked:
        return True
    need = num_images * size * size * 3
    budget = min(AUTO_CACHE_BYTES, available_memory() // 4)
    if workers > 0 and os.path.isdir("/dev/shm"):
        stat = os.statvfs("/dev/shm")
        budget = min(budget, stat.f_bavail * stat.f_frsize // 4)
    return need <= budget


def available_memory() -> int:
    """Bytes of memory available now (Linux: MemAvailable; elsewhere free pages, or 4 GiB if unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 4 * AUTO_CACHE_BYTES


class ImageCache:
    """Every record's image, decoded and resized (long side ``size``) at construction.

    ``get(i)`` -> (read-only (h, w, 3) uint8 RGB view, original (h0, w0)). Images whose decoded size
    differs from the size their record declares are kept apart (not shared with workers).
    Raises DatasetFormatError (from read_rgb) for the first image that cannot be decoded.
    """

    def __init__(self, records: Sequence[ImageRecord], size: int, *, fast: bool) -> None:
        shapes = [resized_shape(r.height, r.width, size) if r.width > 0 and r.height > 0 else (0, 0)
                  for r in records]
        self._shapes = np.asarray(shapes, dtype=np.int64).reshape(-1, 2)
        sizes = self._shapes[:, 0] * self._shapes[:, 1] * 3
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._buffer = torch.empty(int(self._offsets[-1]), dtype=torch.uint8)
        self._orig = np.zeros((len(records), 2), dtype=np.int64)
        self._apart: dict[int, np.ndarray] = {}
        flat = self._buffer.numpy()

        def fill(i: int) -> None:
            img = read_rgb(records[i].path)
            self._orig[i] = img.shape[:2]
            img = resize_long_side(img, size, fast=fast)
            if img.shape[:2] == tuple(self._shapes[i]):
                flat[self._offsets[i]:self._offsets[i + 1]] = img.reshape(-1)
            else:
                self._apart[i] = img

        threads = max(1, min(8, os.cpu_count() or 1))
        with ThreadPoolExecutor(threads, thread_name_prefix="image-cache") as pool:
            list(pool.map(fill, range(len(records))))

    @property
    def nbytes(self) -> int:
        """Bytes held (shared buffer plus images kept apart)."""
        return int(self._offsets[-1]) + sum(a.nbytes for a in self._apart.values())

    def get(self, i: int) -> tuple[np.ndarray, tuple[int, int]]:
        orig = (int(self._orig[i, 0]), int(self._orig[i, 1]))
        if i in self._apart:
            img = self._apart[i].view()
        else:
            h, w = self._shapes[i]
            img = self._buffer.numpy()[self._offsets[i]:self._offsets[i + 1]].reshape(h, w, 3)
        img.flags.writeable = False
        return img, orig
