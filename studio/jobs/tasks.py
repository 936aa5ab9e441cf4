"""The task registry: ``tern train <task>`` -> the object that knows its model, data and metrics."""

from __future__ import annotations

from studio.engine.denoise_task import DenoiseTask
from studio.engine.detect_task import DetectTask
from studio.engine.pose_task import PoseTask
from studio.engine.rcnn_task import RCNNDetectTask

# task -> {arch -> the task object's class}: what ``tern train <task> --arch <arch>`` trains
TASKS = {
    "detect": {"yolo": DetectTask, "faster_rcnn": RCNNDetectTask},
    "pose": {"yolo": PoseTask},  # YOLO-Pose: the one-stage detector with a keypoint head
    "denoise": {"nafnet": DenoiseTask, "unet": DenoiseTask},  # RAW denoisers on packed Bayer data
}
