"""A plain UNet baseline for packed RAW denoising, the network of "Learning to See in the Dark" (Chen et al.
2018) that PMRID and most RAW denoisers compare against: double 3x3 conv + LeakyReLU(0.2) units, 2x2 max
pool down, 2x2 stride-2 transposed conv up, skips concatenated, a 1x1 conv out, plus a global residual."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from studio.errors import ConfigError
from studio.models.denoise.layers import pad_to_multiple


class DoubleConv(nn.Sequential):
    """(B, c_in, H, W) -> (B, c_out, H, W): (3x3 conv -> LeakyReLU(0.2)) twice."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.LeakyReLU(0.2, inplace=True))


def _stage(c_in: int, c_out: int, units: int) -> nn.Sequential:
    """``units`` DoubleConvs, the first changing c_in to c_out."""
    return nn.Sequential(DoubleConv(c_in, c_out), *[DoubleConv(c_out, c_out) for _ in range(units - 1)])


class UNet(nn.Module):
    """(B, in_channels, H, W) float, any H and W -> (B, in_channels, H, W): input + UNet(input).

    Level i (0 first) works at width * 2 ** i channels and 1 / 2 ** i of the resolution; enc_blocks[i] /
    dec_blocks[i] DoubleConv units per level (at least 1), middle_blocks at the bottom (width * 2 ** levels
    channels). ``multiple`` = 2 ** levels: the input is padded to it with replicated edges and cropped back.
    """

    def __init__(self, in_channels: int = 4, width: int = 32, enc_blocks: Sequence[int] = (1, 1, 1, 1),
                 middle_blocks: int = 1, dec_blocks: Sequence[int] = (1, 1, 1, 1)) -> None:
        super().__init__()
        if len(enc_blocks) != len(dec_blocks) or min((*enc_blocks, *dec_blocks, middle_blocks)) < 1:
            raise ConfigError(f"UNet needs as many decoder as encoder levels and at least one unit in each: "
                              f"enc_blocks {tuple(enc_blocks)}, middle_blocks {middle_blocks}, "
                              f"dec_blocks {tuple(dec_blocks)}")
        self.in_channels = in_channels
        chans = [width * 2 ** i for i in range(len(enc_blocks) + 1)]
        self.encoders = nn.ModuleList(_stage(c_in, c_out, n) for c_in, c_out, n
                                      in zip([in_channels, *chans], chans, enc_blocks, strict=False))
        self.pool = nn.MaxPool2d(2)
        self.middle = _stage(chans[-2], chans[-1], middle_blocks)
        deep_first = chans[::-1]
        self.ups = nn.ModuleList(nn.ConvTranspose2d(c, c // 2, 2, stride=2) for c in deep_first[:-1])
        self.decoders = nn.ModuleList(_stage(c, c // 2, n)
                                      for c, n in zip(deep_first, dec_blocks, strict=False))
        self.ending = nn.Conv2d(width, in_channels, 1)
        self.multiple = 2 ** len(enc_blocks)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        h, w = inp.shape[-2:]
        padded = pad_to_multiple(inp, self.multiple)
        x, skips = padded, []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.middle(x)
        for decoder, up, skip in zip(self.decoders, self.ups, skips[::-1], strict=True):
            x = decoder(torch.cat([up(x), skip], dim=1))
        return (padded + self.ending(x))[..., :h, :w]
