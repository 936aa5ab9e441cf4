"""Which denoiser to build: ``DenoiserConfig`` (saved in checkpoints and ONNX metadata as a plain dict),
named presets, the explicit ``DENOISERS`` registry and ``build_denoiser``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from studio.errors import ConfigError
from studio.models.denoise.nafnet import NAFNet
from studio.models.denoise.unet import UNet
from studio.utils.config_keys import check_keys

DENOISERS = {"nafnet": NAFNet, "unet": UNet}  # arch -> class taking the config's fields as keywords


@dataclass(frozen=True)
class DenoiserConfig:
    """A denoiser's architecture; every model maps (B, in_channels, H, W) -> the same shape."""

    arch: str = "nafnet"                          # a DENOISERS name: nafnet | unet
    width: int = 16                               # channels at full resolution (doubled per level)
    enc_blocks: tuple[int, ...] = (1, 1, 1, 1)    # blocks per encoder level; levels = its length
    middle_blocks: int = 1                        # blocks at the lowest resolution
    dec_blocks: tuple[int, ...] = (1, 1, 1, 1)    # blocks per decoder level, deepest first; same len as enc
    in_channels: int = 4                          # 4: packed Bayer R, Gr, Gb, B

    def __post_init__(self) -> None:
        object.__setattr__(self, "enc_blocks", tuple(self.enc_blocks))
        object.__setattr__(self, "dec_blocks", tuple(self.dec_blocks))
        if self.arch not in DENOISERS:
            raise ConfigError(f"unknown denoiser arch {self.arch!r}; choose one of {', '.join(DENOISERS)}")
        for name in ("width", "in_channels"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"denoiser {name} must be a positive integer, got {value!r}")
        blocks = (*self.enc_blocks, *self.dec_blocks, self.middle_blocks)
        if not all(isinstance(n, int) and n >= 0 for n in blocks):
            raise ConfigError(f"denoiser block counts must be integers >= 0: enc {self.enc_blocks}, "
                              f"middle {self.middle_blocks!r}, dec {self.dec_blocks}")
        if len(self.enc_blocks) != len(self.dec_blocks):
            raise ConfigError(f"denoiser enc_blocks {self.enc_blocks} and dec_blocks {self.dec_blocks} "
                              "must have the same number of levels")

    @property
    def multiple(self) -> int:
        """Inputs are padded to a multiple of this (2 ** levels) inside the model."""
        return 2 ** len(self.enc_blocks)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe values (str, int and lists of int)."""
        data = asdict(self)
        return {**data, "enc_blocks": list(self.enc_blocks), "dec_blocks": list(self.dec_blocks)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DenoiserConfig:
        """The inverse of ``to_dict``; missing keys take their defaults, unknown keys are an error."""
        check_keys(cls, data, "denoiser config")
        return cls(**data)


PRESETS = {
    # CPU-friendly NAFNet, 1.72M parameters: a 256 x 256 packed crop trains at ~3.5 steps/s on 2 cores
    "small": DenoiserConfig(width=16, enc_blocks=(1, 1, 1, 2), middle_blocks=2, dec_blocks=(1, 1, 1, 1)),
    # NAFNet-width32 as trained on SIDD (options/train/SIDD/NAFNet-width32.yml of the reference repo), 29.16M
    "width32": DenoiserConfig(width=32, enc_blocks=(2, 2, 4, 8), middle_blocks=12, dec_blocks=(2, 2, 2, 2)),
    # the Learning-to-See-in-the-Dark UNet at half its width (16 .. 256 channels): 1.94M parameters, about
    # those of "small", ~6 steps/s on a 256 crop; SID's own (7.76M) is DenoiserConfig(arch="unet", width=32)
    "unet": DenoiserConfig(arch="unet", width=16, enc_blocks=(1, 1, 1, 1), middle_blocks=1,
                           dec_blocks=(1, 1, 1, 1)),
}


def build_denoiser(cfg: DenoiserConfig) -> nn.Module:
    """A new, randomly initialised model for ``cfg`` (forward: (B, in_channels, H, W) -> same shape)."""
    return DENOISERS[cfg.arch](in_channels=cfg.in_channels, width=cfg.width, enc_blocks=cfg.enc_blocks,
                               middle_blocks=cfg.middle_blocks, dec_blocks=cfg.dec_blocks)
