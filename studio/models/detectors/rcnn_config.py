"""The settings of the two-stage detector (Faster R-CNN with FPN): a typed frozen dataclass whose
defaults are the reference values (torchvision / Detectron2 "1x")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RCNNConfig:
    anchor_sizes: tuple[float, ...] = (32, 64, 128, 256, 512)  # one size per level, P2 .. P6
    anchor_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)  # height / width
    rpn_pre_nms_train: int = 2000   # proposals kept per level by objectness before NMS (training)
    rpn_pre_nms_test: int = 1000    # the same at inference
    rpn_post_nms: int = 1000        # proposals kept per image after NMS
    rpn_nms_iou: float = 0.7        # NMS threshold between proposals (within a level)
    rpn_fg_iou: float = 0.7         # anchor IoU at or above: object (plus each box's best anchor)
    rpn_bg_iou: float = 0.3         # anchor IoU below: background
    rpn_per_image: int = 256        # anchors sampled per image for the RPN loss
    rpn_positive_fraction: float = 0.5
    roi_fg_iou: float = 0.5         # proposal IoU at or above: object; below: background
    roi_per_image: int = 512        # proposals sampled per image for the box head loss
    roi_positive_fraction: float = 0.25
    pool_size: int = 7              # RoIAlign output (aligned, sampling ratio 2)
    hidden: int = 1024              # width of the two fully connected layers
    box_weights: tuple[float, float, float, float] = (10.0, 10.0, 5.0, 5.0)  # box coder of the head
    score_thresh: float = 0.05      # inference: class score kept at or above
    nms_iou: float = 0.5            # inference: per-class NMS
    max_det: int = 100              # inference: detections per image
