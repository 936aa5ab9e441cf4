"""Every buildable model part by name: explicit dict literals (DESIGN rule 4), and build_detector."""

from __future__ import annotations

from torch import nn

from studio.errors import ConfigError
from studio.models.assigners.simota import SimOTAAssigner
from studio.models.assigners.tal import TaskAlignedAssigner
from studio.models.backbones.botnet import botnet50
from studio.models.backbones.coatnet import coatnet_0
from studio.models.backbones.darknet import cspdarknet53, darknet19, darknet53
from studio.models.backbones.densenet import densenet121
from studio.models.backbones.dpn import dpn68
from studio.models.backbones.efficientnet import (
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnetv2_s,
)
from studio.models.backbones.elan import elan
from studio.models.backbones.espnetv2 import espnetv2
from studio.models.backbones.ghostnet import ghostnet_1_0
from studio.models.backbones.inception import inception_v3
from studio.models.backbones.inception_resnet import inception_resnet_v2
from studio.models.backbones.mnasnet import mnasnet1_0
from studio.models.backbones.mobilenet import mobilenet_v1, mobilenet_v2
from studio.models.backbones.mobilenet_v3 import mobilenet_v3_large, mobilenet_v3_small
from studio.models.backbones.peleenet import peleenet
from studio.models.backbones.pvt import pvt_tiny
from studio.models.backbones.repvgg import repvgg
from studio.models.backbones.repvgg_zoo import repvgg_a0
from studio.models.backbones.res2net import res2net50_26w_4s
from studio.models.backbones.resnest import resnest50
from studio.models.backbones.resnet import (
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnext50_32x4d,
    se_resnet50,
)
from studio.models.backbones.shufflenet import shufflenet_v1_g3, shufflenet_v2_x1_0
from studio.models.backbones.sknet import sknet50
from studio.models.backbones.squeezenet import squeezenet1_1
from studio.models.backbones.swin import swin_t
from studio.models.backbones.vgg import vgg16
from studio.models.backbones.vit import vit_s16
from studio.models.backbones.xception import xception
from studio.models.config import ModelConfig
from studio.models.detectors.one_stage import Detector
from studio.models.detectors.rcnn_config import RCNNConfig
from studio.models.detectors.two_stage import TwoStageDetector
from studio.models.heads.decoupled import DetectHead
from studio.models.heads.pose import PoseHead
from studio.models.layers import make_divisible
from studio.models.necks.bifpn import bifpn
from studio.models.necks.fpn import fpn
from studio.models.necks.pan import pan

# name -> constructor of a module with forward(x) -> {stride: map} and out_channels {stride: channels}:
# the YOLO backbones of SCALED_BACKBONES take (width, depth) and give strides 8/16/32; the zoo entries take
# no arguments (their published layout) and give strides 4/8/16/32 (studio/models/classify.py checks it)
BACKBONES = {
    "elan": elan,  # YOLOv7-style ELAN stages, SiLU
    "repvgg": repvgg,  # YOLOv6 EfficientRep: RepVGG blocks (one 3x3 conv each after fuse), ReLU
    # the zoo: published layouts, torchvision's (else timm's) module names
    "resnet18": resnet18,  # ResNet-18 (torchvision), basic blocks, ReLU
    "resnet34": resnet34,  # ResNet-34 (torchvision), basic blocks
    "resnet50": resnet50,  # ResNet-50 (torchvision), bottlenecks (stride in the 3x3, "v1.5")
    "resnet101": resnet101,  # ResNet-101 (torchvision)
    "resnext50_32x4d": resnext50_32x4d,  # ResNeXt-50 32x4d (torchvision)
    "se_resnet50": se_resnet50,  # SE-ResNet-50, SE r=16 in every bottleneck (timm seresnet50 names)
    "res2net50_26w_4s": res2net50_26w_4s,  # Res2Net-50 26w x 4s (timm names)
    "resnest50": resnest50,  # ResNeSt-50: split attention radix 2, deep stem, avg-down (timm resnest50d)
    "sknet50": sknet50,  # SKNet-50: selective kernel 3x3 + dilated 3x3, G=32 r=16 L=32 (timm names)
    "vgg16": vgg16,  # VGG-16 (torchvision layout, no BN), maps after pools 2-5, ReLU
    "densenet121": densenet121,  # DenseNet-121 (torchvision), dense block 1-4 outputs, ReLU
    "dpn68": dpn68,  # Dual Path Network 68 (timm), residual + dense paths concatenated, ReLU
    "darknet19": darknet19,  # YOLO9000 Darknet-19, max-pool stages, leaky ReLU 0.1
    "darknet53": darknet53,  # YOLOv3 Darknet-53 (timm layout), residual stages, leaky ReLU
    "cspdarknet53": cspdarknet53,  # CSPDarknet-53 (timm layout), cross stage partial stages, leaky ReLU
    "inception_v3": inception_v3,  # Inception-v3 (torchvision, no aux head), padded for exact strides
    "inception_resnet_v2": inception_resnet_v2,  # Inception-ResNet-v2 (timm), padded for exact strides
    "xception": xception,  # Xception (timm legacy), padded stem for exact strides
    "mobilenet_v1": mobilenet_v1,  # MobileNet-V1 1.0, depthwise separable convs, ReLU6 (timm names)
    "mobilenet_v2": mobilenet_v2,  # MobileNetV2 1.0 (torchvision), inverted residuals, ReLU6
    "mobilenet_v3_large": mobilenet_v3_large,  # MobileNetV3-Large (torchvision), SE + Hardswish
    "mobilenet_v3_small": mobilenet_v3_small,  # MobileNetV3-Small (torchvision), SE + Hardswish
    "mnasnet1_0": mnasnet1_0,  # MnasNet-B1 1.0 (torchvision), ReLU
    "efficientnet_b0": efficientnet_b0,  # EfficientNet-B0 (torchvision), MBConv + SE, SiLU
    "efficientnet_b1": efficientnet_b1,  # EfficientNet-B1 (width 1.0, depth 1.1)
    "efficientnet_b2": efficientnet_b2,  # EfficientNet-B2 (width 1.1, depth 1.2)
    "efficientnet_b3": efficientnet_b3,  # EfficientNet-B3 (width 1.2, depth 1.4)
    "efficientnetv2_s": efficientnetv2_s,  # EfficientNetV2-S (torchvision), Fused-MBConv then MBConv, SiLU
    "shufflenet_v1_g3": shufflenet_v1_g3,  # ShuffleNet 1x g=3 (megvii names), grouped 1x1 + channel shuffle
    "shufflenet_v2_x1_0": shufflenet_v2_x1_0,  # ShuffleNet V2 1x (torchvision), channel split + shuffle
    "squeezenet1_1": squeezenet1_1,  # SqueezeNet 1.1 (torchvision), Fire modules, padded stem
    "ghostnet_1_0": ghostnet_1_0,  # GhostNet 1.0x (timm ghostnet_100), Ghost bottlenecks + SE
    "peleenet": peleenet,  # PeleeNet (authors' names), stem block + two-way dense layers
    "espnetv2": espnetv2,  # ESPNetv2 s=2 (authors' EdgeNets names), EESP units, PReLU
    "repvgg_a0": repvgg_a0,  # RepVGG-A0 (authors' names), 3x3+1x1+identity branches fuse to one 3x3 conv
    "swin_t": swin_t,  # Swin-T (torchvision): shifted-window attention, padded to its 7x7 window grid
    "pvt_tiny": pvt_tiny,  # PVT-Tiny: spatial-reduction attention (8/4/2/1), resized position embeddings
    "vit_s16": vit_s16,  # ViT-S/16 (timm names) with ViTDet's simple feature pyramid from stride 16
    "botnet50": botnet50,  # BoT50: ResNet-50 whose c5 3x3 convs are 4-head MHSA with 2D relative logits
    "coatnet_0": coatnet_0,  # CoAtNet-0 (timm names): conv stem, MBConv+SE, relative-attention stages
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

SCALED_BACKBONES = ("elan", "repvgg")  # built at the scale's width and depth
YOLO_STRIDES = (8, 16, 32)
YOLO_NECK_BASE = {8: 256, 16: 512, 32: 1024}  # neck channels over a zoo backbone, times the scale's width
# two-stage detector by scale -> (neck channels, box-head width, proposals sampled per image); m is the
# reference Faster R-CNN-FPN (Lin et al. 2017: 256, 1024, 512) and the faster_rcnn default
RCNN_SCALES = {
    "n": (64, 256, 128),
    "s": (128, 512, 256),
    "m": (256, 1024, 512),
}

# name -> (num_classes) -> assigner: which anchor points learn which ground-truth box
ASSIGNERS = {
    "tal": TaskAlignedAssigner,  # TOOD / YOLOv8: top-10 by score^0.5 * IoU^6 among points inside the box
    "simota": SimOTAAssigner,  # YOLOX: dynamic k by summed IoU, lowest cost wins
}


def build_backbone(name: str, width: float = 1.0, depth: float = 1.0) -> nn.Module:
    """``BACKBONES[name]``: the scaled YOLO backbones at (width, depth), a zoo entry as published."""
    return BACKBONES[name](width, depth) if name in SCALED_BACKBONES else BACKBONES[name]()


def build_one_stage(cfg: ModelConfig) -> Detector:
    """Backbone (strides 8/16/32 used) -> neck -> DFL head. Over a zoo backbone the neck first brings each
    level to YOLO_NECK_BASE * width channels (lateral 1x1 Convs). The neck uses the backbone's activation
    (ReLU for repvgg, as YOLOv6), the head SiLU. ``cfg.num_keypoints`` > 0 gives a pose head."""
    depth, width = SCALES[cfg.scale]
    backbone = build_backbone(cfg.backbone, width, depth)
    in_channels = {s: backbone.out_channels[s] for s in YOLO_STRIDES}
    extra = {} if cfg.backbone in SCALED_BACKBONES else \
        {"channels": {s: make_divisible(c * width) for s, c in YOLO_NECK_BASE.items()}}
    neck = NECKS[cfg.neck](in_channels, width, depth, act=backbone.act, **extra)
    if cfg.num_keypoints:
        head = PoseHead(neck.out_channels, cfg.nc, cfg.num_keypoints, cfg.reg_max)
    else:
        head = DetectHead(neck.out_channels, cfg.nc, cfg.reg_max)
    return Detector(backbone, neck, head)


def build_two_stage(cfg: ModelConfig) -> TwoStageDetector:
    """Faster R-CNN-FPN: a zoo backbone (it needs the stride-4 map, C2-C5) -> neck on strides 4-32 (P6 is
    subsampled from P5 inside the detector) -> RPN -> RoIAlign -> box head. The scale sets the neck's
    channels and depth, the box head's width and the proposals sampled per image (RCNN_SCALES)."""
    if cfg.backbone in SCALED_BACKBONES:
        zoo = ", ".join(n for n in BACKBONES if n not in SCALED_BACKBONES)
        raise ConfigError(f"--arch faster_rcnn needs a backbone with a stride-4 map (C2-C5); {cfg.backbone} "
                          f"has none: choose one of the zoo ({zoo})")
    depth, _ = SCALES[cfg.scale]
    channels, hidden, per_image = RCNN_SCALES[cfg.scale]
    backbone = build_backbone(cfg.backbone)
    neck = NECKS[cfg.neck](dict(backbone.out_channels), 1.0, depth, act=backbone.act, channels=channels)
    return TwoStageDetector(backbone, neck, cfg.nc, RCNNConfig(hidden=hidden, roi_per_image=per_image))


# detector family -> builder (ModelConfig -> a freshly initialised, unfused, train-mode detector)
DETECTORS = {
    "yolo": build_one_stage,  # anchor-free one-stage detector, DFL head, task-aligned or SimOTA assigner
    "faster_rcnn": build_two_stage,  # Faster R-CNN with FPN: RPN, RoIAlign, two-FC box head
}
ARCHS = tuple(DETECTORS)  # detector families build_detector knows


def build_detector(cfg: ModelConfig) -> nn.Module:
    """A freshly initialised (unfused, train-mode) detector for ``cfg``; names were checked by ModelConfig."""
    return DETECTORS[cfg.arch](cfg)
