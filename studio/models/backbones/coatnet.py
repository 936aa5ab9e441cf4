"""CoAtNet-0 (Dai et al. 2021, "CoAtNet: Marrying Convolution and Attention for All Data Sizes",
NeurIPS, Table 3: S0 conv stem 64, S1-S2 MBConv 96/192 (2 and 3 blocks), S3-S4 relative-attention
transformer 384/768 (5 and 2 blocks), 25 M parameters), laid out as timm's ``coatnet_0_224`` (the config
that follows the paper): ``stem`` (``conv1``, ``norm1``, ``conv2``), ``stages.N.blocks.M``; MBConv blocks
(``shortcut``, ``pre_norm``, ``conv1_1x1``, ``norm1``, ``conv2_kxk``, ``norm2``, ``se.fc1``/``fc2``,
``conv3_1x1``) and transformer blocks (``shortcut``, ``norm1``, ``attn.qkv``/``rel_pos``/``proj``, ``norm2``,
``mlp.fc1``/``fc2``). timm's ``head`` (pool, ``norm``, ``pre_logits.fc`` + tanh, ``fc``) is ``classifier()``.

Every stage halves the map (MBConv: stride-2 depthwise conv; transformer: 2x2 average pool before
attention), shortcuts pool 2x2 and project with a 1x1 conv. Attention is over the whole map with a
relative position bias learned for the 224 px maps (14 x 14 in S3, 7 x 7 in S4) and bicubically resized
to (2H - 1, 2W - 1) offsets for other sizes. Stride-4/8/16/32 maps are the outputs of S1-S4.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.relative_attention import RelPosAttention2d
from studio.models.blocks.se import SqueezeExcitation
from studio.models.blocks.transformer import DropPath, LayerNorm2d, stochastic_depth_rates


@dataclass(frozen=True)
class CoAtNetLayout:
    stem_width: int = 64
    embed_dims: tuple[int, ...] = (96, 192, 384, 768)  # S1..S4
    depths: tuple[int, ...] = (2, 3, 5, 2)
    block_types: tuple[str, ...] = ("C", "C", "T", "T")  # C: MBConv, T: relative-attention transformer
    expand_ratio: int = 4
    dim_head: int = 32
    pretrain_size: int = 224  # the relative bias tables cover the maps of this input size
    drop_path_rate: float = 0.0  # timm's default


COATNET_0 = CoAtNetLayout()


class BatchNormAct2d(nn.BatchNorm2d):
    """(B, C, H, W) -> (B, C, H, W): BatchNorm then ``act`` (timm's ``BatchNormAct2d``: same keys as
    ``nn.BatchNorm2d``)."""

    def __init__(self, channels: int, act: Callable[[], nn.Module] = nn.GELU) -> None:
        super().__init__(channels)
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x))


class Downsample2d(nn.Module):
    """(B, c1, H, W) -> (B, c2, H/2, W/2): 2x2 average pool, then a 1x1 ``expand`` conv when c1 != c2."""

    def __init__(self, c1: int, c2: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(2, 2)
        self.expand = nn.Conv2d(c1, c2, 1) if c1 != c2 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.expand(self.pool(x))


class MbConvBlock(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / stride, W / stride): pre-norm inverted bottleneck (1x1 to 4 * c2,
    3x3 depthwise with the stride, SE with c2 / 4 hidden, 1x1 to c2), GELU, residual with stochastic depth."""

    def __init__(self, c1: int, c2: int, stride: int, expand: int, drop_path: float) -> None:
        super().__init__()
        mid = c2 * expand
        self.shortcut = Downsample2d(c1, c2) if stride == 2 else nn.Identity()
        self.pre_norm = BatchNormAct2d(c1, nn.Identity)
        self.conv1_1x1 = nn.Conv2d(c1, mid, 1, bias=False)
        self.norm1 = BatchNormAct2d(mid)
        self.conv2_kxk = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.norm2 = BatchNormAct2d(mid)
        self.se = SqueezeExcitation(mid, c2 // 4, act=nn.SiLU)
        self.conv3_1x1 = nn.Conv2d(mid, c2, 1)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(self.conv1_1x1(self.pre_norm(x)))
        y = self.conv3_1x1(self.se(self.norm2(self.conv2_kxk(y))))
        return self.shortcut(x) + self.drop_path(y)


class ConvMlp(nn.Module):
    """(B, C, H, W) -> (B, C, H, W): 1x1 conv ``fc1`` to ``hidden``, GELU, 1x1 conv ``fc2``."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock2d(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / stride, W / stride): pre-norm relative attention (the stride-2 block
    pools after ``norm1`` and on the shortcut), then a pre-norm 4x MLP; residuals with stochastic depth."""

    def __init__(self, c1: int, c2: int, stride: int, size: int, dim_head: int, drop_path: float) -> None:
        super().__init__()
        if stride == 2:
            self.shortcut: nn.Module = Downsample2d(c1, c2)
            self.norm1: nn.Module = nn.Sequential(OrderedDict([
                ("norm", LayerNorm2d(c1, eps=1e-6)), ("down", Downsample2d(c1, c1))]))
        else:
            self.shortcut, self.norm1 = nn.Identity(), LayerNorm2d(c1, eps=1e-6)
        self.attn = RelPosAttention2d(c1, c2, (size, size), dim_head)
        self.drop_path1 = DropPath(drop_path)
        self.norm2 = LayerNorm2d(c2, eps=1e-6)
        self.mlp = ConvMlp(c2, 4 * c2)
        self.drop_path2 = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.shortcut(x) + self.drop_path1(self.attn(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


class Stem(nn.Module):
    """(B, 3, H, W) -> (B, C, H/2, W/2): 3x3 stride-2 conv, BN + GELU, 3x3 conv (S0 of the paper)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 2, 1, bias=False)
        self.norm1 = BatchNormAct2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.norm1(self.conv1(x)))


class Stage(nn.Module):
    """(B, c1, H, W) -> (B, c2, H/2, W/2): ``blocks``, the first with stride 2."""

    def __init__(self, blocks: list[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


def _init_conv_block(module: nn.Module) -> None:
    """timm's "vit_eff" init of conv parts: normal(0, sqrt(2 / fan_out)), biases zero."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _init_transformer_block(module: nn.Module) -> None:
    """timm's "vit_eff" init of transformer parts: xavier uniform weights, MLP biases normal(1e-6),
    other biases zero."""
    for name, m in module.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=1e-6) if "mlp" in name else nn.init.zeros_(m.bias)


class CoAtNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 96, H/4, W/4), 8: (B, 192, ...), 16: (B, 384, ...),
    32: (B, 768, H/32, W/32)} for CoAtNet-0 (H, W multiples of 32)."""

    act = "silu"

    def __init__(self, layout: CoAtNetLayout = COATNET_0) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.stem = Stem(layout.stem_width)
        _init_conv_block(self.stem)
        rates = stochastic_depth_rates(layout.drop_path_rate, layout.depths)
        c1, stages, self.out_channels = layout.stem_width, [], {}
        for i, (c2, kind) in enumerate(zip(layout.embed_dims, layout.block_types, strict=True)):
            size, blocks = layout.pretrain_size // (4 * 2**i), []
            for j, rate in enumerate(rates[i]):
                stride, cin = (2, c1) if j == 0 else (1, c2)
                if kind == "C":
                    blocks.append(MbConvBlock(cin, c2, stride, layout.expand_ratio, rate))
                    _init_conv_block(blocks[-1])
                else:
                    blocks.append(TransformerBlock2d(cin, c2, stride, size, layout.dim_head, rate))
                    _init_transformer_block(blocks[-1])
            stages.append(Stage(blocks))
            self.out_channels[4 * 2**i] = c1 = c2
        self.stages = nn.Sequential(*stages)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.stem(self.normalize(x))
        out: dict[int, torch.Tensor] = {}
        for i, stage in enumerate(self.stages):
            x = stage(x)
            out[4 * 2**i] = x
        return out

    def classifier(self, num_classes: int = 1000) -> CoAtNetClassifier:
        """timm's ``head``: global average pool, LayerNorm, ``pre_logits`` (Linear + tanh), ``fc``."""
        return CoAtNetClassifier(self.out_channels[32], num_classes)


class NormMlpHead(nn.Module):
    """(B, C, h, w) -> logits (B, num_classes) (timm's ``NormMlpClassifierHead``)."""

    def __init__(self, dim: int, num_classes: int) -> None:
        super().__init__()
        self.norm = LayerNorm2d(dim, eps=1e-6)
        self.pre_logits = nn.Sequential(OrderedDict([("fc", nn.Linear(dim, dim)), ("act", nn.Tanh())]))
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x.mean(dim=(2, 3), keepdim=True)).flatten(1)
        return self.fc(self.pre_logits(x))


class CoAtNetClassifier(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes); the child ``head`` keeps timm's keys."""

    def __init__(self, dim: int, num_classes: int) -> None:
        super().__init__()
        self.head = NormMlpHead(dim, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.head(feats[32])


def coatnet_0(**overrides) -> CoAtNet:
    """CoAtNet-0, 25 M parameters as a classifier (Dai et al. 2021, Table 3; timm ``coatnet_0_224``).
    Overrides are ``CoAtNetLayout`` fields."""
    return CoAtNet(CoAtNetLayout(**overrides))
