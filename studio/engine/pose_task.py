"""The pose task (``tern train pose``): the one-stage detector with a keypoint head (YOLO-Pose), on the same
trainer, data sources, run folder, checkpoints, resume, DDP and export as detection. What differs: the data
must carry keypoints, the criterion adds the OKS and visibility terms, validation adds keypoint OKS AP
(pycocotools, iouType "keypoints"), and checkpoints carry the skeleton, flip_idx and sigmas."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from studio.data.detection import DetectionDataset
from studio.engine.data_source import TrainingData
from studio.engine.detect_task import DetectTask
from studio.engine.detect_task import fitness as box_fitness
from studio.errors import ConfigError, DatasetFormatError
from studio.models.config import ModelConfig
from studio.models.registry import ASSIGNERS

LOSS_NAMES = ("train/box_loss", "train/cls_loss", "train/dfl_loss", "train/kpt_loss", "train/kobj_loss")


def fitness(metrics: dict[str, float]) -> float:
    """Which epoch is best: the box criterion plus the same on keypoints (0.1 AP50 + 0.9 AP, ``(P)``)."""
    return box_fitness(metrics) + 0.1 * metrics.get("metrics/mAP50(P)", 0.0) + \
        0.9 * metrics.get("metrics/mAP50-95(P)", 0.0)


class PoseTask(DetectTask):
    name = "pose"
    loss_names = LOSS_NAMES

    def load_data(self) -> TrainingData:
        data = super().load_data()
        if data.pose is None:
            raise DatasetFormatError(self.cfg.data, None, "the dataset has no keypoints (no kpt_shape in its "
                                     "data.yaml, no keypoints in its COCO categories): label keypoints, or "
                                     "train a box detector with `tern train detect`")
        return data

    @property
    def pose(self):
        assert self.data is not None and self.data.pose is not None
        return self.data.pose

    def model_config(self) -> ModelConfig:
        return replace(super().model_config(), num_keypoints=self.pose.num_keypoints)

    def sigmas(self) -> tuple[float, ...]:
        from studio.evaluation.coco_oks import pose_sigmas

        return pose_sigmas(self.pose)

    def build_criterion(self, model: nn.Module):
        from studio.models.losses.pose import PoseLoss

        if self.cfg.assigner not in ASSIGNERS:
            raise ConfigError(f"--assigner {self.cfg.assigner!r}: choose one of {', '.join(ASSIGNERS)}")
        assigner = ASSIGNERS[self.cfg.assigner](num_classes=model.nc)
        return PoseLoss(model.nc, model.reg_max, model.strides, assigner, self.sigmas())

    def datasets(self, epochs: int) -> tuple[DetectionDataset, DetectionDataset]:
        assert self.data is not None
        c = self.cfg
        cache = self.cache_images()
        train = DetectionDataset(self.data.train, c.imgsz, c.augment, seed=c.seed, epochs=epochs,
                                 cache=cache, flip_idx=self.pose.flip_idx)
        return train, self.val_dataset(self.data.val, c.imgsz, c.max_size, cache=cache)

    def validate(self, model: nn.Module, loader, device, plots: Path | None = None,
                 heartbeat=None) -> dict[str, float]:
        from studio.engine.validate_pose import validate_pose

        assert self.data is not None
        return validate_pose(model, loader, self.data, self.sigmas(), device, plots=plots,
                             heartbeat=heartbeat).metrics

    def fitness(self, metrics: dict[str, float]) -> float:
        return fitness(metrics)

    def finish(self, trainer, run: Path, events) -> list[str]:
        from studio.engine.pose_finish import finish_pose

        return finish_pose(trainer, run, events)

    def checkpoint_meta(self, model: nn.Module) -> dict[str, Any]:
        pose = self.pose
        about = {"skeleton": [list(e) for e in pose.skeleton], "keypoint_names": list(pose.keypoint_names),
                 "flip_idx": list(pose.flip_idx), "sigmas": list(self.sigmas())}
        return {**super().checkpoint_meta(model), "task": self.name, "pose": about}
