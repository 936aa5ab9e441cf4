"""The detection task: what the shared trainer needs to know about detectors (model, criterion, data,
validation). Pose and denoise bring their own task objects with the same methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from studio.data.cache import auto_cache
from studio.data.collate import collate
from studio.data.detection import DetectionDataset
from studio.engine.config import TrainConfig
from studio.engine.data_source import TrainingData, load_training_data
from studio.engine.validate_detect import validate_detector
from studio.errors import ConfigError
from studio.models.config import ModelConfig
from studio.models.registry import ASSIGNERS, build_detector

LOSS_NAMES = ("train/box_loss", "train/cls_loss", "train/dfl_loss")


def fitness(metrics: dict[str, float]) -> float:
    """Which epoch is best: 0.1 * mAP50 + 0.9 * mAP50-95 (as the YOLO trainers do)."""
    return 0.1 * metrics.get("metrics/mAP50(B)", 0.0) + 0.9 * metrics.get("metrics/mAP50-95(B)", 0.0)


class DetectTask:
    name = "detect"
    loss_names = LOSS_NAMES
    cpu_bf16 = True  # --bf16 trains it in bfloat16 on a CPU that computes it (studio.engine.precision)
    collate = staticmethod(collate)

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.data: TrainingData | None = None

    def load_data(self) -> TrainingData:
        self.data = load_training_data(self.cfg.data, self.cfg.images, self.cfg.val_fraction)
        return self.data

    def model_config(self) -> ModelConfig:
        assert self.data is not None
        c = self.cfg
        return ModelConfig(arch=c.arch, scale=c.model, backbone=c.backbone, neck=c.neck,
                           nc=len(self.data.names))

    def build_model(self) -> nn.Module:
        """channels_last: about 1.22x faster CPU training steps (bench/bench_train.py). Strided 1x1 convs
        with fewer than 16 input channels (the RepVGG stems' 1x1 branch) stay NCHW: oneDNN's NHWC weight
        gradient of such a conv corrupts memory (oneDNN issue #6035)."""
        model = build_detector(self.model_config()).to(memory_format=torch.channels_last)
        if self.cfg.backbone == "repvgg":
            model.backbone.stem.to(memory_format=torch.contiguous_format)
        for conv in model.modules():
            if isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1) and conv.stride != (1, 1) \
                    and conv.in_channels < 16:
                conv.to(memory_format=torch.contiguous_format)
        return model

    def build_criterion(self, model: nn.Module):
        from studio.models.losses.detection import DetectionLoss

        nc = model.nc
        if self.cfg.assigner not in ASSIGNERS:
            raise ConfigError(f"--assigner {self.cfg.assigner!r}: choose one of {', '.join(ASSIGNERS)}")
        assigner = ASSIGNERS[self.cfg.assigner](num_classes=nc)
        return DetectionLoss(nc, model.reg_max, model.strides, assigner)

    def datasets(self, epochs: int) -> tuple[DetectionDataset, DetectionDataset]:
        assert self.data is not None
        c = self.cfg
        cache = self.cache_images()
        train = DetectionDataset(self.data.train, c.imgsz, c.augment, seed=c.seed, epochs=epochs,
                                 cache=cache)
        return train, self.val_dataset(self.data.val, c.imgsz, c.max_size, cache=cache)

    def cache_images(self) -> bool:
        """--cache, or a set small enough to keep in RAM unasked (``studio.data.cache.auto_cache``)."""
        assert self.data is not None
        return auto_cache(len(self.data.train) + len(self.data.val), self.cfg.imgsz, asked=self.cfg.cache,
                          workers=self.cfg.workers)

    @staticmethod
    def val_dataset(records, imgsz: int, max_size: int = 0, cache: bool = False) -> DetectionDataset:
        """Validation items as this detector family sees them (letterboxed to imgsz x imgsz)."""
        del max_size  # square inputs
        return DetectionDataset(records, imgsz, None, cache=cache)

    @staticmethod
    def forward(model: nn.Module, images: torch.Tensor, targets: torch.Tensor):
        """The training forward whose outputs the criterion takes (the one-stage model needs no targets)."""
        return model(images)

    @staticmethod
    def batch_inputs(batch: dict[str, Any], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(images float (B,3,S,S) in [0,1], targets (N,6) [batch_idx, cls, x1, y1, x2, y2] px)."""
        images = batch["images"].to(device, non_blocking=True).float().div_(255)
        return images, batch["targets"].to(device)

    def validate(self, model: nn.Module, loader, device: torch.device, plots: Path | None = None,
                 heartbeat=None) -> dict[str, float]:
        assert self.data is not None
        return validate_detector(model, loader, self.data, device, plots=plots, heartbeat=heartbeat).metrics

    def fitness(self, metrics: dict[str, float]) -> float:
        return fitness(metrics)

    def finish(self, trainer, run: Path, events) -> list[str]:
        from studio.engine.detect_finish import finish_detect

        return finish_detect(trainer, run, events)

    def checkpoint_meta(self, model: nn.Module) -> dict[str, Any]:
        assert self.data is not None
        return {"model_config": self.model_config().to_dict(), "names": self.data.names,
                "class_ids": self.data.class_ids, "imgsz": self.cfg.imgsz, "task": self.name}
