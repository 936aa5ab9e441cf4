"""The end of a pose run: the detection run's ending (``finish_run``) with the pose report: box and keypoint
metrics of best.pt, the per-class table and the val grid with skeletons."""

from __future__ import annotations

from pathlib import Path

from studio.engine.checkpoint import CheckpointMeta
from studio.engine.detect_finish import finish_run, format_class_table, val_artifacts
from studio.engine.validate_pose import format_keypoint_line, validate_pose
from studio.events import EventWriter


def finish_pose(trainer, run: Path, events: EventWriter) -> list[str]:
    return finish_run(trainer, run, events, pose_report)


def pose_report(model, meta: CheckpointMeta, trainer, plots: Path, events: EventWriter) -> list[str]:
    data = trainer.task.data
    result = validate_pose(model, trainer.val_loader, data, meta.kpt_sigmas, trainer.device, plots=plots)
    val_artifacts(events, plots)
    table = format_class_table(result.boxes)
    keypoints = format_keypoint_line(result.keypoints)
    events.log(f"{len(data.val)} val images:\n{table}\n{keypoints}")
    return [f"box mAP50 {result.boxes.map50:.3f}  mAP50-95 {result.boxes.map:.3f}; keypoint OKS AP50 "
            f"{result.keypoints.map50:.3f}  AP {result.keypoints.map:.3f}", table, keypoints]
