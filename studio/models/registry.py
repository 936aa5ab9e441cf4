"""Every buildable model part by name: explicit dict literals (DESIGN rule 4), and build_detector."""

from __future__ import annotations

from studio.models.assigners.simota import SimOTAAssigner
from studio.models.assigners.tal import TaskAlignedAssigner
from studio.models.backbones.elan import elan
from studio.models.backbones.repvgg import repvgg
from studio.models.config import ModelConfig
from studio.models.detectors.one_stage import Detector
from studio.models.heads.decoupled import DetectHead
from studio.models.necks.bifpn import bifpn
from studio.models.necks.fpn import fpn
from studio.models.necks.pan import pan

# name -> (width: float, depth: float, **overrides) -> module with forward(x) -> {stride: map} for 8/16/32
# and out_channels {stride: channels}
BACKBONES = {
    "elan": elan,  # YOLOv7-style ELAN stages, SiLU
    "repvgg": repvgg,  # YOLOv6 EfficientRep: RepVGG blocks (one 3x3 conv each after fuse), ReLU
}

# name -> (in_channels: {stride: ch}, width, depth, **overrides) -> module with forward(feats) -> feats
# for the same strides and out_channels {stride: ch}
NECKS = {
    "pan": pan,  # top-down FPN then bottom-up path (YOLOv8 / v6)
    "fpn": fpn,  # top-down only: lateral 1x1, nearest upsample + add, 3x3 output convs
    "bifpn": bifpn,  # EfficientDet: weighted bidirectional fusion, depthwise-separable convs
}

# name -> (depth multiple, width multiple), as YOLOv8 n / s / m
SCALES = {
    "n": (0.33, 0.25),
    "s": (0.33, 0.5),
    "m": (0.67, 0.75),
}

ARCHS = ("yolo",)  # detector families build_detector knows

# name -> (num_classes) -> assigner: which anchor points learn which ground-truth box
ASSIGNERS = {
    "tal": TaskAlignedAssigner,  # TOOD / YOLOv8: top-10 by score^0.5 * IoU^6 among points inside the box
    "simota": SimOTAAssigner,  # YOLOX: dynamic k by summed IoU, lowest cost wins
}


def build_detector(cfg: ModelConfig) -> Detector:
    """A freshly initialised (unfused, train-mode) detector for ``cfg``; names were checked by ModelConfig.
    The neck uses the backbone's activation (ReLU for repvgg, as YOLOv6), the head SiLU."""
    depth, width = SCALES[cfg.scale]
    backbone = BACKBONES[cfg.backbone](width, depth)
    neck = NECKS[cfg.neck](backbone.out_channels, width, depth, act=backbone.act)
    head = DetectHead(neck.out_channels, cfg.nc, cfg.reg_max)
    return Detector(backbone, neck, head)
