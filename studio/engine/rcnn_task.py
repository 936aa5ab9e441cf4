"""The detection task for the two-stage detector (``--arch faster_rcnn``): the same trainer, data sources,
validation (pycocotools), checkpoints and run folder as the one-stage detector; what differs is the input
(aspect kept, short side ``imgsz``, long side at most ``max_size``), the training forward (the model
samples proposals against the targets) and the criterion."""

from __future__ import annotations

import torch
from torch import nn

from studio.data.resize_dataset import ResizeDetectionDataset
from studio.engine.detect_task import DetectTask
from studio.models.losses.rcnn import PART_NAMES, RCNNLoss
from studio.models.registry import build_detector

LOSS_NAMES = tuple(f"train/{part}_loss" for part in PART_NAMES)


class RCNNDetectTask(DetectTask):
    loss_names = LOSS_NAMES
    cpu_bf16 = False  # not measured for the two-stage detector: float32 on CPUs

    def build_model(self) -> nn.Module:
        return build_detector(self.model_config())

    def build_criterion(self, model: nn.Module) -> RCNNLoss:
        return RCNNLoss(model.cfg)

    def datasets(self, epochs: int) -> tuple[ResizeDetectionDataset, ResizeDetectionDataset]:
        assert self.data is not None
        c = self.cfg
        train = ResizeDetectionDataset(self.data.train, c.imgsz, c.max_size, c.augment, seed=c.seed,
                                       epochs=epochs)
        return train, self.val_dataset(self.data.val, c.imgsz, c.max_size)

    @staticmethod
    def val_dataset(records, imgsz: int, max_size: int = 0, cache: bool = False) -> ResizeDetectionDataset:
        """Validation items: aspect kept, short side imgsz, long side at most max_size (imgsz when 0)."""
        del cache  # the resized images differ in size; the cache is for square inputs
        return ResizeDetectionDataset(records, imgsz, max(max_size, imgsz), None)

    def checkpoint_meta(self, model: nn.Module) -> dict:
        return {**super().checkpoint_meta(model), "max_size": self.cfg.max_size}

    @staticmethod
    def forward(model: nn.Module, images: torch.Tensor, targets: torch.Tensor):
        """The model matches and samples its proposals against the targets inside the forward."""
        return model(images, targets)
