"""NAFNet (Chen et al. 2022, "Simple Baselines for Image Restoration", megvii-research/NAFNet): a UNet of
NAFBlocks with no nonlinear activation. Same structure and parameter names as the reference
``NAFNet_arch.py``, so its state_dicts load here; the input is padded with replicated edges (the reference
pads with zeros) to a multiple of 2 ** levels and the output cropped back."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from studio.errors import ConfigError
from studio.models.denoise.layers import LayerNorm2d, SimpleGate, SimplifiedChannelAttention, pad_to_multiple


class NAFBlock(nn.Module):
    """(B, c, H, W) -> (B, c, H, W). Spatial mixing: LayerNorm -> 1x1 conv (c -> 2c) -> depthwise 3x3 (2c)
    -> SimpleGate (-> c) -> SCA -> 1x1 conv -> dropout, added back scaled by ``beta``; then the
    feed-forward: LayerNorm -> 1x1 conv (c -> 2c) -> SimpleGate -> 1x1 conv -> dropout, added scaled by
    ``gamma``. beta and gamma (1, c, 1, 1) start at zero, so a new block is the identity."""

    def __init__(self, c: int, dw_expand: int = 2, ffn_expand: int = 2, drop_rate: float = 0.0) -> None:
        super().__init__()
        dw, ffn = c * dw_expand, c * ffn_expand
        self.conv1 = nn.Conv2d(c, dw, 1)
        self.conv2 = nn.Conv2d(dw, dw, 3, padding=1, groups=dw)
        self.conv3 = nn.Conv2d(dw // 2, c, 1)
        self.sca = SimplifiedChannelAttention(dw // 2)
        self.sg = SimpleGate()
        self.conv4 = nn.Conv2d(c, ffn, 1)
        self.conv5 = nn.Conv2d(ffn // 2, c, 1)
        self.norm1, self.norm2 = LayerNorm2d(c), LayerNorm2d(c)
        self.dropout1 = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.dropout2 = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.sca(self.sg(self.conv2(self.conv1(self.norm1(inp)))))
        y = inp + self.dropout1(self.conv3(x)) * self.beta
        x = self.conv5(self.sg(self.conv4(self.norm2(y))))
        return y + self.dropout2(x) * self.gamma


class NAFNet(nn.Module):
    """(B, in_channels, H, W) float, any H and W -> (B, in_channels, H, W): input + ending(UNet(input)).

    intro 3x3 conv (in_channels -> width); per level an encoder of NAFBlocks then a 2x2 stride-2 conv
    doubling the channels; the middle blocks; per level (deepest first) a 1x1 conv (c -> 2c) + PixelShuffle(2)
    halving the channels and the resolution step, the encoder's map added (skip), a decoder of NAFBlocks;
    ending 3x3 conv (width -> in_channels). ``multiple`` = 2 ** levels: the input is padded to it.
    """

    def __init__(self, in_channels: int = 4, width: int = 16, enc_blocks: Sequence[int] = (1, 1, 1, 1),
                 middle_blocks: int = 1, dec_blocks: Sequence[int] = (1, 1, 1, 1)) -> None:
        super().__init__()
        if len(enc_blocks) != len(dec_blocks):
            raise ConfigError(f"NAFNet needs as many decoder as encoder levels: enc_blocks "
                              f"{tuple(enc_blocks)}, dec_blocks {tuple(dec_blocks)}")
        self.in_channels = in_channels
        self.intro = nn.Conv2d(in_channels, width, 3, padding=1)
        self.ending = nn.Conv2d(width, in_channels, 3, padding=1)
        self.encoders, self.downs = nn.ModuleList(), nn.ModuleList()
        self.ups, self.decoders = nn.ModuleList(), nn.ModuleList()
        chan = width
        for num in enc_blocks:
            self.encoders.append(nn.Sequential(*[NAFBlock(chan) for _ in range(num)]))
            self.downs.append(nn.Conv2d(chan, 2 * chan, 2, 2))
            chan *= 2
        self.middle_blks = nn.Sequential(*[NAFBlock(chan) for _ in range(middle_blocks)])
        for num in dec_blocks:
            self.ups.append(nn.Sequential(nn.Conv2d(chan, chan * 2, 1, bias=False), nn.PixelShuffle(2)))
            chan //= 2
            self.decoders.append(nn.Sequential(*[NAFBlock(chan) for _ in range(num)]))
        self.multiple = 2 ** len(enc_blocks)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        h, w = inp.shape[-2:]
        padded = pad_to_multiple(inp, self.multiple)
        x = self.intro(padded)
        skips = []
        for encoder, down in zip(self.encoders, self.downs, strict=True):
            x = encoder(x)
            skips.append(x)
            x = down(x)
        x = self.middle_blks(x)
        for decoder, up, skip in zip(self.decoders, self.ups, skips[::-1], strict=True):
            x = decoder(up(x) + skip)
        return (padded + self.ending(x))[..., :h, :w]
