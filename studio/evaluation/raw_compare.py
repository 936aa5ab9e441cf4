"""What the RAW compare viewer shows, without Qt: up to three RAW files of one scene (noisy, denoised,
clean) read and packed, their PSNR / SSIM against the clean one, and two renderings of each at packed
resolution (one pixel per 2x2 site): a linear view (white-balanced, exposed, no tone curve) and rawpy's
sRGB preview (demosaiced at half size with the camera's white balance)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.errors import RawFileError

ROLES = ("noisy", "denoised", "clean")


@dataclass
class CompareImage:
    role: str                    # noisy | denoised | clean
    path: Path
    packed: np.ndarray           # (4, h, w) float32
    psnr: float | None = None    # against the clean image (None without one, or for the clean image)
    ssim: float | None = None


@dataclass
class CompareSet:
    images: dict[str, CompareImage] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)   # files that could not be used, and why

    @property
    def roles(self) -> list[str]:
        return [r for r in ROLES if r in self.images]

    def readout(self) -> str:
        """One line: each image's PSNR / SSIM against the clean one."""
        parts = [f"{r}: PSNR {im.psnr:.2f} dB, SSIM {im.ssim:.4f}" for r, im in self.images.items()
                 if im.psnr is not None]
        if not parts:
            return "no clean image to compare against" if "clean" not in self.images else ""
        return "  |  ".join(parts) + "  (vs clean, packed data in [0, 1])"


def load_compare_set(paths: dict[str, Path | str | None]) -> CompareSet:
    """Read the files given per role; a file that cannot be used is left out with a note; images whose
    size differs from the first one are left out too. Scores need the clean image."""
    from studio.io.raw import read_raw

    out = CompareSet()
    shape = None
    for role in ROLES:
        path = paths.get(role)
        if not path:
            continue
        try:
            packed = read_raw(path).packed()
        except RawFileError as exc:
            out.notes.append(f"{role}: {exc}")
            continue
        if shape is not None and packed.shape != shape:
            out.notes.append(f"{role}: {Path(path).name} is {packed.shape[2] * 2}x{packed.shape[1] * 2}, the "
                             f"others {shape[2] * 2}x{shape[1] * 2}: not the same scene")
            continue
        shape = packed.shape
        out.images[role] = CompareImage(role, Path(path), packed)
    score(out)
    return out


def score(compare: CompareSet) -> None:
    from studio.evaluation.image_quality import psnr, ssim

    clean = compare.images.get("clean")
    if clean is None:
        return
    target = np.clip(clean.packed, 0, 1)
    for role, image in compare.images.items():
        if role != "clean":
            pred = np.clip(image.packed, 0, 1)
            image.psnr, image.ssim = psnr(pred, target), ssim(pred, target)


def linear_view(packed: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8: R, mean G, B scaled by the reference image's grey-world gains and its 99.5th
    percentile (so every image of a set is shown alike), linear (no gamma)."""
    ref = np.clip(reference, 0, 1)
    means = np.array([ref[0].mean(), 0.5 * (ref[1].mean() + ref[2].mean()), ref[3].mean()]) + 1e-6
    gains = means[1] / means
    p = np.clip(packed, 0, 1)
    rgb = np.stack([p[0], 0.5 * (p[1] + p[2]), p[3]], axis=-1) * gains.astype(np.float32)
    scale = max(float(np.percentile(np.stack([ref[0] * gains[0], ref[1] * gains[1], ref[3] * gains[2]]),
                                    99.5)), 1e-6)
    return (np.clip(rgb / scale, 0, 1) * 255 + 0.5).astype(np.uint8)


def srgb_preview(path: Path | str, shape: tuple[int, int]) -> np.ndarray:
    """(h, w, 3) uint8 rendered by rawpy (half size, camera white balance), cropped or padded to ``shape``
    (the packed size: rawpy's half size counts the whole sensor area it renders)."""
    import rawpy

    with rawpy.imread(str(path)) as raw:
        rgb = raw.postprocess(half_size=True, use_camera_wb=True, no_auto_bright=False, output_bps=8)
    h, w = shape
    out = np.zeros((h, w, 3), np.uint8)
    out[: min(h, rgb.shape[0]), : min(w, rgb.shape[1])] = rgb[:h, :w]
    return out
