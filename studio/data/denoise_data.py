"""Denoising data: RAW files read once and packed (``studio/io/raw.py``), then training crops (random,
Bayer-preserving flips, synthetic Poisson-Gaussian noise unless a paired noisy file exists) and fixed
validation crops. Every item is a pure function of (seed, key), so a resumed run sees the same crops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from studio.data.noise import NoiseModel, NoiseParams, add_noise, fit_pair
from studio.errors import ConfigError, DatasetFormatError, DatasetNotFoundError, RawFileError

# extensions LibRaw reads (the common ones); other files in a folder are ignored
RAW_EXTENSIONS = (".dng", ".nef", ".nrw", ".cr2", ".cr3", ".crw", ".arw", ".srf", ".sr2", ".raf", ".rw2",
                  ".orf", ".pef", ".srw", ".3fr", ".iiq", ".erf", ".kdc", ".mrw", ".x3f", ".raw", ".rwl",
                  ".mos", ".mef")


@dataclass
class PackedImage:
    """One RAW image as the trainer uses it: packed (4, h, w) float32 RGGB in [0, 1] (not clipped)."""

    name: str
    clean: np.ndarray
    noisy: np.ndarray | None = None      # the paired noisy file, same shape
    params: NoiseParams | None = None    # fitted on the pair (paired data only)
    iso: float | None = None


def list_raw_files(folder: Path | str) -> list[Path]:
    """RAW files in ``folder`` (not recursive) sorted by name, or the one file when ``folder`` is a file."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise DatasetNotFoundError(folder, "no such folder of RAW files")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in RAW_EXTENSIONS)


def list_rgb_files(folder: Path | str, raw_files: Sequence[Path]) -> list[Path]:
    """sRGB images (JPEG, PNG, ...) in ``folder`` (not recursive), sorted, leaving out a camera's JPEG
    preview of a RAW file in the list (same stem)."""
    from studio.io.images import is_image_file

    folder, raw_stems = Path(folder), {p.stem for p in raw_files}
    if folder.is_file():
        return [folder] if is_image_file(folder.name) else []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and is_image_file(p.name) and p.stem not in raw_stems)


def load_images(clean_dir: Path | str, noisy_dir: Path | str = "", *,
                rgb: bool = False) -> tuple[list[PackedImage], list[str]]:
    """The usable images and one note per file that was skipped (why). Paired data: each clean file is
    matched with the noisy file of the same stem (two files are a pair whatever their names); a clean file
    without a partner is skipped. ``rgb``: the sRGB images of ``clean_dir`` count too, unprocessed to RAW
    (``studio/data/unprocess.py``; synthetic noise only, so not with ``noisy_dir``)."""
    from studio.io.raw import read_raw

    files = list_raw_files(clean_dir)
    photos = list_rgb_files(clean_dir, files) if rgb else []
    if not files and not photos:
        what = "RAW files" + (" or sRGB images" if rgb else "")
        hint = "" if rgb or not Path(clean_dir).is_dir() or not list_rgb_files(clean_dir, []) else \
            "; it has photos: add --rgb to train on them, unprocessed to RAW"
        raise DatasetNotFoundError(clean_dir, f"no {what} ({', '.join(RAW_EXTENSIONS[:6])}, ...) here{hint}")
    if photos and noisy_dir:
        raise ConfigError("sRGB images (--rgb) get synthetic noise: leave out --noisy, or --rgb")
    partners = {p.stem: p for p in list_raw_files(noisy_dir)} if noisy_dir else {}
    if noisy_dir and Path(noisy_dir).is_file() and len(files) == 1:  # two files: a pair whatever their names
        partners = {files[0].stem: Path(noisy_dir)}
    images, notes = [], []
    for path in files:
        try:
            raw = read_raw(path)
            image = PackedImage(path.name, raw.packed(), iso=raw.iso)
            if noisy_dir:
                _attach_noisy(image, path, partners, read_raw)
        except RawFileError as exc:
            notes.append(f"skipped {exc}")
            continue
        images.append(image)
    images += _unprocessed(photos, notes)
    if not images:
        raise DatasetNotFoundError(clean_dir, "none of its files can be used: " + "; ".join(notes))
    return images, notes


PHOTO_MAX_SIDE = 2048  # larger photos are shrunk first: bounded memory, and less JPEG noise and blocking


def _unprocessed(photos: Sequence[Path], notes: list[str]) -> list[PackedImage]:
    """sRGB photos as clean packed RAW (a random camera each, seeded by the file name), the long side
    shrunk to PHOTO_MAX_SIDE first."""
    from studio.data.decode import read_rgb, resize_long_side
    from studio.data.unprocess import name_seed, unprocess

    images = []
    for path in photos:
        try:
            rgb = read_rgb(path)
        except DatasetFormatError as exc:
            notes.append(f"skipped {exc}")
            continue
        if min(rgb.shape[:2]) < 64:
            size = f"{rgb.shape[1]}x{rgb.shape[0]}"
            notes.append(f"skipped {path}: {size} is too small (at least 64 px a side)")
            continue
        if max(rgb.shape[:2]) > PHOTO_MAX_SIDE:
            rgb = resize_long_side(rgb, PHOTO_MAX_SIDE, fast=False)
        images.append(PackedImage(path.name, unprocess(rgb, np.random.default_rng(name_seed(path.name)))))
    if images:
        notes.append(f"{len(images)} sRGB image(s) unprocessed to RAW (a random camera each)")
    return images


def _attach_noisy(image: PackedImage, path: Path, partners: dict[str, Path], read_raw) -> None:
    partner = partners.get(path.stem)
    if partner is None:
        raise RawFileError(path, "no noisy file of the same name in the --noisy folder")
    noisy = read_raw(partner).packed()
    if noisy.shape != image.clean.shape:
        raise RawFileError(partner, f"its size {noisy.shape[1:]} (packed) differs from the clean file's "
                                    f"{image.clean.shape[1:]}")
    image.noisy = noisy
    try:
        image.params = fit_pair(noisy, image.clean)
    except ValueError as exc:
        raise RawFileError(partner, f"cannot measure its noise against {path.name} ({exc})") from exc


def crop_origins(h: int, w: int, side: int, count: int) -> list[tuple[int, int]]:
    """``count`` fixed top-left corners of side x side crops spread over an h x w packed image (row-major
    on a near-square grid; the crop shrinks to the image when the image is smaller)."""
    cols = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / cols))
    ys = np.linspace(0, max(h - side, 0), rows).round().astype(int)
    xs = np.linspace(0, max(w - side, 0), cols).round().astype(int)
    return [(int(y), int(x)) for y in ys for x in xs][:count]


class DenoiseCrops(Dataset):
    """Training crops. key = epoch * len + index; index // crops_per_image is the image.

    Items: noisy and clean (4, c, c) float32 tensors (c = crop // 2 packed pixels) and params (2,) [k,
    sigma] of the noise. Synthetic noise: params drawn from ``noise_model`` per crop (and with ``darken``
    the clean crop scaled by 2^-u, u uniform in [0, darken]: a dimmer shot); paired: the real noisy crop and
    the pair's fitted params."""

    def __init__(self, images: Sequence[PackedImage], crop: int, crops_per_image: int,
                 noise_model: NoiseModel, seed: int = 0, darken: float = 0.0) -> None:
        self.images, self.side, self.per_image = list(images), crop // 2, crops_per_image
        self.noise_model, self.seed, self.darken = noise_model, seed, darken

    def __len__(self) -> int:
        return len(self.images) * self.per_image

    def __getitem__(self, key: int) -> dict[str, Any]:
        key = int(key)
        image = self.images[(key % len(self)) // self.per_image]
        rng = np.random.default_rng([self.seed, key])
        clean, noisy = self._crop(image, rng)
        if image.noisy is None:
            if self.darken > 0:  # a dimmer exposure of the same scene: less light, relatively more noise
                clean = (clean * 2.0 ** -rng.uniform(0.0, self.darken)).astype(np.float32)
            params = self.noise_model.sample(rng)
            noisy = add_noise(clean, params, rng).astype(np.float32)
        else:
            params = image.params
        return _item(noisy, clean, params)

    def _crop(self, image: PackedImage, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The same Bayer-preserving flip and crop of the clean (and paired noisy) image."""
        from studio.data.bayer import bayer_augment, from_rggb_mosaic, random_crop, to_rggb_mosaic

        # a crop 2 packed pixels larger, so the flip's one-pixel shift still leaves a full crop
        arrays = [image.clean] + ([image.noisy] if image.noisy is not None else [])
        arrays = random_crop(arrays, self.side + 2, rng)
        flips = (bool(rng.random() < 0.5), bool(rng.random() < 0.5), bool(rng.random() < 0.5))
        out = []
        for packed in arrays:
            mosaic = bayer_augment(to_rggb_mosaic(packed), np.random.default_rng(0), *flips)
            out.append(from_rggb_mosaic(mosaic)[:, : self.side, : self.side])
        return out[0], (out[1] if len(out) > 1 else None)


class DenoiseValCrops(Dataset):
    """Fixed validation crops: ``count`` per image at fixed places; synthetic noise at each of ``levels``
    (fixed seeds), or the paired noisy crop."""

    def __init__(self, images: Sequence[PackedImage], crop: int, count: int,
                 levels: Sequence[NoiseParams], seed: int = 0) -> None:
        self.items: list[tuple[int, int, int, int]] = []  # (image, y, x, level)
        self.images, self.side, self.levels, self.seed = list(images), crop // 2, list(levels), seed
        for i, image in enumerate(self.images):
            h, w = image.clean.shape[1:]
            for y, x in crop_origins(h, w, self.side, count):
                for level in range(1 if image.noisy is not None else len(self.levels)):
                    self.items.append((i, y, x, level))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int) -> dict[str, Any]:
        i, y, x, level = self.items[int(key)]
        image = self.images[i]
        window = (slice(None), slice(y, y + self.side), slice(x, x + self.side))
        clean = image.clean[window]
        if image.noisy is not None:
            return _item(image.noisy[window], clean, image.params)
        params = self.levels[level]
        noisy = add_noise(clean, params, np.random.default_rng([self.seed, 1_000_003, int(key)]))
        return _item(noisy.astype(np.float32), clean, params)


def _item(noisy: np.ndarray, clean: np.ndarray, params: NoiseParams | None) -> dict[str, Any]:
    assert params is not None
    return {"noisy": torch.from_numpy(np.ascontiguousarray(noisy, dtype=np.float32)),
            "clean": torch.from_numpy(np.ascontiguousarray(clean, dtype=np.float32)),
            "params": torch.tensor([params.k, params.sigma], dtype=torch.float32)}


def collate_denoise(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """noisy, clean (B, 4, c, c) float32 (every item of a batch has one size); params (B, 2) [k, sigma]."""
    return {key: torch.stack([item[key] for item in items]) for key in ("noisy", "clean", "params")}
