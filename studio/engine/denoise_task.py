"""The denoise task (``tern train denoise``): a NAFNet-style UNet (or the plain UNet) on packed Bayer crops,
on the same trainer, run folder, events, resume, DDP and export as the detectors. What differs: RAW data
(clean files plus synthetic Poisson-Gaussian noise, or noisy/clean pairs), the k-sigma input transform, the
L1 + PSNR + FFT + adjacent-pixel loss, and validation by PSNR / SSIM on fixed crops (best by PSNR)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

from studio.data.denoise_data import DenoiseCrops, DenoiseValCrops, PackedImage, collate_denoise, load_images
from studio.data.noise import NoiseModel
from studio.engine.config import TrainConfig
from studio.engine.denoise_meta import DenoiseMeta, middle_iso
from studio.errors import ConfigError

MIN_VAL_IMAGES = 5  # fewer images than this: validate on fixed crops of the training images


class DenoiseTask:
    name = "denoise"
    cpu_bf16 = False  # a denoiser's output needs float32's precision (bfloat16 would cap PSNR near 48 dB)
    collate = staticmethod(collate_denoise)

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.train_images: list[PackedImage] = []
        self.val_images: list[PackedImage] = []
        self.meta: DenoiseMeta | None = None
        self._noisy_scores: dict[int, dict[str, torch.Tensor]] = {}  # per val loader: the input's scores
        weights = {k: v for k, v in cfg.denoise.loss_weights().items() if v > 0}
        self.loss_names = ("train/loss", *(f"train/{k}_loss" for k in weights))

    # ---- data ---------------------------------------------------------------------------------
    def load_data(self):
        from studio.engine.data_source import TrainingData

        c = self.cfg
        images, notes = load_images(c.data, c.denoise.noisy, rgb=c.denoise.rgb)
        self.train_images, self.val_images, split_note = split_images(images, c.val_fraction)
        notes.append(split_note)
        noise_model = resolve_noise_model(c.denoise.noise, images)
        self.meta = DenoiseMeta(denoiser_config(c.arch, c.model), noise_model, c.denoise.ksigma,
                                k_ref=noise_model.params(middle_iso(noise_model)).k, crop=c.imgsz)
        return TrainingData(names=[], class_ids=[], train=[], val=[], notes=notes)

    def datasets(self, epochs: int) -> tuple[DenoiseCrops, DenoiseValCrops]:
        del epochs
        c, meta = self.cfg, self.meta
        assert meta is not None
        crop = _fit_crop(c.imgsz, self.train_images)
        train = DenoiseCrops(self.train_images, crop, c.denoise.crops_per_image, meta.noise_model,
                             seed=c.seed, darken=c.denoise.darken)
        val = DenoiseValCrops(self.val_images, _fit_crop(c.denoise.val_crop, self.val_images),
                              c.denoise.val_crops, validation_levels(meta.noise_model), seed=c.seed)
        return train, val

    # ---- model --------------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        from studio.models.denoise.presets import build_denoiser

        assert self.meta is not None
        return build_denoiser(self.meta.denoiser)

    def build_criterion(self, model: nn.Module):
        from studio.models.losses.denoise import DenoiseLoss

        del model
        return DenoiseCriterion(DenoiseLoss(self.cfg.denoise.loss_weights()))

    @staticmethod
    def batch_inputs(batch: dict[str, Any], device: torch.device) -> tuple[torch.Tensor, dict]:
        """(noisy (B, 4, c, c), {"clean": (B, 4, c, c), "params": (B, 2) [k, sigma]}) on ``device``."""
        targets = {"clean": batch["clean"].to(device, non_blocking=True),
                   "params": batch["params"].to(device, non_blocking=True)}
        return batch["noisy"].to(device, non_blocking=True), targets

    def forward(self, model: nn.Module, noisy: torch.Tensor, targets: dict) -> torch.Tensor:
        """The denoised packed batch (B, 4, c, c) in [0, 1] units: encode -> network -> decode."""
        assert self.meta is not None
        k, sigma = targets["params"][:, 0], targets["params"][:, 1]
        return self.meta.decode(model(self.meta.encode(noisy, k, sigma)), k, sigma)

    # ---- validation ---------------------------------------------------------------------------
    def validate(self, model: nn.Module, loader, device, plots: Path | None = None,
                 heartbeat=None) -> dict[str, float]:
        from studio.engine.validate_denoise import validate_denoiser

        noisy = self._noisy_scores.setdefault(id(loader), {})  # the crops and their noise are fixed
        return validate_denoiser(model, loader, self, device, plots=plots, heartbeat=heartbeat,
                                 noisy_scores=noisy).metrics

    @staticmethod
    def fitness(metrics: dict[str, float]) -> float:
        return metrics.get("val/psnr", 0.0)

    def finish(self, trainer, run: Path, events) -> list[str]:
        from studio.engine.denoise_finish import finish_denoise

        return finish_denoise(trainer, run, events)

    def checkpoint_meta(self, model: nn.Module) -> dict[str, Any]:
        del model
        assert self.meta is not None
        return {"task": self.name, "denoise": self.meta.to_dict(), "imgsz": self.cfg.imgsz}


class DenoiseCriterion:
    """(pred, targets) -> (weighted total, parts (1 + P,): the total then each unweighted part), the parts
    in ``loss_names`` order (train/loss, train/l1_loss, ...)."""

    def __init__(self, loss) -> None:
        self.loss = loss

    def __call__(self, pred: torch.Tensor, targets: dict) -> tuple[torch.Tensor, torch.Tensor]:
        total, parts = self.loss(pred, targets["clean"])
        return total, torch.cat([total.detach().reshape(1), parts.to(total.dtype)])


def denoiser_config(arch: str, model: str):
    """The network preset: ``model`` names a preset (small, width32, ...); --arch unet takes the unet
    preset unless ``model`` names another unet preset."""
    from studio.models.denoise.presets import PRESETS

    if arch == "unet" and (model not in PRESETS or PRESETS[model].arch != "unet"):
        model = "unet"
    if model not in PRESETS or PRESETS[model].arch != arch:
        names = [n for n, p in PRESETS.items() if p.arch == arch]
        raise ConfigError(f"--model {model!r} is not a {arch} preset: choose one of {', '.join(names)}")
    return PRESETS[model]


def split_images(images: list[PackedImage], val_fraction: float) -> tuple[list, list, str]:
    """(train, val, note): by a hash of the file name (DESIGN's split) when there are at least
    MIN_VAL_IMAGES images and both sides get one; else every image trains and validation uses fixed crops
    of them (said in the note)."""
    from studio.io.splits import hash_split

    if len(images) >= MIN_VAL_IMAGES:
        val = [im for im in images if hash_split(im.name, val_fraction) == "val"]
        train = [im for im in images if hash_split(im.name, val_fraction) != "val"]
        if val and train:
            return train, val, f"{len(train)} training and {len(val)} validation images"
    return images, images, (f"{len(images)} image(s), fewer than {MIN_VAL_IMAGES} to hold some out: "
                            "validation uses fixed crops of the training images with fixed noise")


def resolve_noise_model(spec: str, images: list[PackedImage]) -> NoiseModel:
    """--noise: a preset name or a calibration file; paired data without it: fitted on the pairs."""
    from studio.data.noise import DEFAULT_PRESET, NOISE_PRESETS, fit_model

    if spec:
        if spec in NOISE_PRESETS:
            return NOISE_PRESETS[spec]
        if Path(spec).is_file():
            return NoiseModel.load(spec)
        raise ConfigError(f"--noise {spec!r}: not a preset ({', '.join(NOISE_PRESETS)}) nor a calibration "
                          "file (make one with `tern denoise calibrate`)")
    paired = [(im.iso, im.params) for im in images if im.params is not None]
    if paired:
        return fit_model(paired)
    return NOISE_PRESETS[DEFAULT_PRESET]


def validation_levels(model: NoiseModel):
    """Two noise levels for synthetic validation: at 1/4 and 3/4 of the ISO range (log scale)."""
    lo, hi = model.iso_range
    return [model.params(math.exp(math.log(lo) + f * (math.log(hi) - math.log(lo)))) for f in (0.25, 0.75)]


def _fit_crop(crop: int, images: list[PackedImage]) -> int:
    """The crop side (RAW pixels) shrunk to fit the smallest image (a multiple of 32, leaving the flip's
    margin)."""
    smallest = min(min(im.clean.shape[1:]) for im in images) * 2 - 4
    side = min(crop, smallest) // 32 * 32
    if side < 32:
        raise ConfigError(f"an image is too small for denoising crops ({smallest + 4} RAW pixels)")
    return int(side)
