"""ESPNetv2 (Mehta et al. 2019, "ESPNetv2: A Light-weight, Power Efficient, and General Purpose Convolutional
Neural Network", Sec. 3.3 and Table 1), laid out and named as the authors' ImageNet code (sacmehta/EdgeNets
``model/classification/espnetv2.py``): ``level1`` (3x3/2 CBR), ``level2_0`` ... ``level5_0`` (DownSamplers
with input reinforcement but for the last), ``level3`` / ``level4`` / ``level5`` (3 / 7 / 3 EESP units, 4
branches, receptive-field limits 13/11/9/7/5 by level), ``level5`` closing with a depthwise 3x3 CBR and a
grouped 1x1 CBR to 1280 channels (s = 2), and the head ``classifier``.

Differences from the reference: the input image is pooled to each DownSampler's stride by a fixed number of
3x3/2 average pools (the reference loops until the widths match); ``level5_0`` has no ``inp_reinf`` and the
DownSamplers' inner EESP no ``module_act`` (the reference builds both and never uses them: 6.2 k parameters).

Taps: 4 = ``level2_0`` (128 at s = 2), 8 = ``level3`` (256), 16 = ``level4`` (512), 32 = ``level5`` (1280).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.eesp import CBR, EESP, DownSampler
from studio.models.blocks.normalize import ImageNetNormalize

# The reference's ``sc_ch_dict``: channels of level1-level5 and of level5's last 1x1 CBR, by scale s.
SCALE_CHANNELS: dict[float, tuple[int, ...]] = {
    0.5: (16, 32, 64, 128, 256, 1024),
    1.0: (32, 64, 128, 256, 512, 1024),
    1.25: (32, 80, 160, 320, 640, 1024),
    1.5: (32, 96, 192, 384, 768, 1024),
    2.0: (32, 128, 256, 512, 1024, 1280),
}
REPEATS = (3, 7, 3)  # EESP units after the DownSampler of levels 3, 4, 5
RECEPTIVE_LIMITS = (13, 11, 9, 7, 5)
BRANCHES = 4


class ESPNetV2(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, C2, H/4, W/4), 8: (B, C3, H/8, W/8), 16: (B, C4, H/16, W/16),
    32: (B, C6, H/32, W/32)} with C = ``SCALE_CHANNELS[s]``."""

    act = "relu"

    def __init__(self, s: float = 2.0, dropout: float = 0.2) -> None:
        super().__init__()
        if s not in SCALE_CHANNELS:
            raise ValueError(f"ESPNetv2 scale s={s} is not one of {sorted(SCALE_CHANNELS)}")
        ch, k, r = SCALE_CHANNELS[s], BRANCHES, RECEPTIVE_LIMITS
        self.normalize = ImageNetNormalize()
        self.dropout = dropout
        self.level1 = CBR(3, ch[0], 3, 2)
        self.level2_0 = DownSampler(ch[0], ch[1], k=k, r_lim=r[0])
        self.level3_0 = DownSampler(ch[1], ch[2], k=k, r_lim=r[1])
        self.level3 = nn.ModuleList(EESP(ch[2], ch[2], 1, k, r[2]) for _ in range(REPEATS[0]))
        self.level4_0 = DownSampler(ch[2], ch[3], k=k, r_lim=r[2])
        self.level4 = nn.ModuleList(EESP(ch[3], ch[3], 1, k, r[3]) for _ in range(REPEATS[1]))
        self.level5_0 = DownSampler(ch[3], ch[4], k=k, r_lim=r[3], reinf=False)
        self.level5 = nn.ModuleList(EESP(ch[4], ch[4], 1, k, r[4]) for _ in range(REPEATS[2]))
        self.level5.append(CBR(ch[4], ch[4], 3, 1, groups=ch[4]))
        self.level5.append(CBR(ch[4], ch[5], 1, 1, groups=k))
        self.out_channels = {4: ch[1], 8: ch[2], 16: ch[3], 32: ch[5]}
        for m in self.modules():  # the reference's init
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        image = self.normalize(x)
        x = self.level1(image)
        images = []  # the normalised image average-pooled to strides 2, 4, 8, 16
        for _ in range(4):
            image = F.avg_pool2d(image, kernel_size=3, stride=2, padding=1)
            images.append(image)
        c4 = self.level2_0(x, images[1])
        c8 = _run(self.level3, self.level3_0(c4, images[2]))
        c16 = _run(self.level4, self.level4_0(c8, images[3]))
        c32 = _run(self.level5, self.level5_0(c16))
        return {4: c4, 8: c8, 16: c16, 32: c32}

    def classifier(self, num_classes: int = 1000) -> ESPNetV2Head:
        """The reference head: global average pool, dropout 0.2, ``classifier`` Linear."""
        return ESPNetV2Head(self.out_channels[32], num_classes, dropout=self.dropout)


def _run(layers: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
    for layer in layers:
        x = layer(x)
    return x


class ESPNetV2Head(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int, *, dropout: float = 0.2) -> None:
        super().__init__()
        self.classifier = nn.Linear(channels, num_classes)
        self.dropout = dropout
        nn.init.normal_(self.classifier.weight, std=0.001)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x = F.dropout(feats[32].mean((2, 3)), p=self.dropout, training=self.training)
        return self.classifier(x)


def espnetv2(**overrides) -> ESPNetV2:
    """ESPNetv2 at s = 2: 3.49 M parameters as a classifier (paper: 3.5 M at s = 2)."""
    return ESPNetV2(**overrides)
