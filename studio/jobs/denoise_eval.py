"""``tern denoise eval``: PSNR / SSIM per image and their mean, for a trained denoiser and for the classical
baselines (BM3D, non-local means, bilateral; ``studio/evaluation/baselines.py``) on the same noisy data:
noisy/clean pairs, or clean RAWs with synthetic noise at fixed levels (fixed seeds). Every method is told
the true noise level (the synthesis parameters, or the level fitted on the pair)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.data.noise import NoiseParams, add_noise

NOISY = "noisy input"


@dataclass
class EvalCase:
    """One noisy/clean image pair to score (packed (4, h, w))."""

    name: str
    noisy: np.ndarray
    clean: np.ndarray
    params: NoiseParams


@dataclass
class EvalTable:
    """method -> per-case (psnr, ssim, seconds), in ``cases`` order."""

    cases: list[str] = field(default_factory=list)
    scores: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)

    def mean(self, method: str) -> tuple[float, float, float]:
        values = np.asarray(self.scores[method], dtype=np.float64)
        return tuple(float(v) for v in values.mean(0))

    def format(self) -> str:
        width = max([len(c) for c in self.cases] + [10])
        lines = [f"{'image':<{width}} " + " ".join(f"{m[:18]:>18}" for m in self.scores)]
        for i, case in enumerate(self.cases):
            cells = [f"{self.scores[m][i][0]:7.2f} / {self.scores[m][i][1]:.4f}" for m in self.scores]
            lines.append(f"{case:<{width}} " + " ".join(f"{c:>18}" for c in cells))
        means = [f"{self.mean(m)[0]:7.2f} / {self.mean(m)[1]:.4f}" for m in self.scores]
        lines.append(f"{'mean':<{width}} " + " ".join(f"{c:>18}" for c in means))
        lines.append("(PSNR dB / SSIM on the packed black-subtracted mosaic in [0, 1])")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"cases": self.cases,
                "methods": {m: {"per_image": [dict(zip(("psnr", "ssim", "seconds"), s, strict=True))
                                              for s in v],
                                "mean": dict(zip(("psnr", "ssim", "seconds"), self.mean(m), strict=True))}
                            for m, v in self.scores.items()}}


def center_crop(packed: np.ndarray, crop: int) -> np.ndarray:
    """The central crop x crop RAW pixels (crop // 2 packed; even offsets), or everything when crop is 0."""
    if crop <= 0:
        return packed
    side = crop // 2
    h, w = packed.shape[1:]
    y, x = max((h - side) // 2, 0), max((w - side) // 2, 0)
    return packed[:, y:y + side, x:x + side]


def build_cases(clean: Path, noisy: Path | str, levels: Sequence[tuple[str, NoiseParams]], crop: int,
                seed: int = 0) -> tuple[list[EvalCase], list[str]]:
    """(cases, notes): pairs when ``noisy`` is given, else each clean image at each synthetic level."""
    from studio.data.denoise_data import load_images

    images, notes = load_images(clean, noisy)
    cases = []
    for i, image in enumerate(images):
        target = center_crop(image.clean, crop)
        if image.noisy is not None:
            assert image.params is not None
            cases.append(EvalCase(image.name, center_crop(image.noisy, crop), target, image.params))
            continue
        for j, (label, params) in enumerate(levels):
            rng = np.random.default_rng([seed, i, j])
            cases.append(EvalCase(f"{image.name} {label}", add_noise(target, params, rng).astype(np.float32),
                                  target, params))
    return cases, notes


def evaluate(cases: Sequence[EvalCase], methods: dict[str, Callable[[np.ndarray, NoiseParams], np.ndarray]],
             progress: Callable[[str], None] | None = None) -> EvalTable:
    """Score the noisy input and every method on every case (clipped to [0, 1] before scoring)."""
    from studio.evaluation.image_quality import psnr, ssim

    table = EvalTable(cases=[c.name for c in cases])
    table.scores[NOISY] = []
    for name in methods:
        table.scores[name] = []
    for case in cases:
        clean = np.clip(case.clean, 0, 1)
        noisy = np.clip(case.noisy, 0, 1)
        table.scores[NOISY].append((psnr(noisy, clean), ssim(noisy, clean), 0.0))
        for name, method in methods.items():
            start = time.perf_counter()
            out = np.clip(method(case.noisy, case.params), 0, 1)
            seconds = time.perf_counter() - start
            table.scores[name].append((psnr(out, clean), ssim(out, clean), seconds))
            if progress is not None:
                progress(f"{case.name}: {name} {table.scores[name][-1][0]:.2f} dB ({seconds:.1f} s)")
    return table


def model_method(denoiser) -> Callable[[np.ndarray, NoiseParams], np.ndarray]:
    """A trained denoiser (``studio.jobs.denoise_apply.Denoiser``) as an eval method."""
    return lambda noisy, params: denoiser.denoise(noisy, params.k, params.sigma)
