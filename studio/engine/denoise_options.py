"""What only a denoising run needs (``TrainConfig.denoise``): the paired-noisy folder, the noise model,
the loss weights and the validation crops. The clean folder is ``TrainConfig.data`` and the training crop
side (in RAW pixels) is ``TrainConfig.imgsz``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from studio.errors import ConfigError
from studio.utils.config_keys import check_keys


@dataclass(frozen=True)
class DenoiseOptions:
    noisy: str = ""                 # noisy RAWs paired by file stem with the clean ones ("": synthetic)
    rgb: bool = False               # also train on the folder's sRGB photos, unprocessed to RAW (Brooks 2019)
    noise: str = ""                 # noise model: a preset name or a calibration .yaml ("" default preset)
    ksigma: bool = True             # k-sigma transform: one model for every noise level (PMRID)
    l1: float = 1.0                 # loss weights: L1
    psnr: float = 0.0               # PSNR loss (NAFNet's)
    fft: float = 0.05               # L1 between the 2-D Fourier transforms
    adjacent: float = 0.1           # L1 between neighbouring-pixel differences
    val_crop: int = 512             # side (RAW pixels) of the fixed validation crops
    val_crops: int = 4              # validation crops per validation image
    crops_per_image: int = 64       # training crops drawn from each image per epoch
    darken: float = 0.0             # synthetic noise: clean crops darkened by 0..darken stops (dim scenes)

    def __post_init__(self) -> None:
        if min(self.l1, self.psnr, self.fft, self.adjacent) < 0 or \
                self.l1 + self.psnr + self.fft + self.adjacent <= 0:
            raise ConfigError("denoise loss weights must be >= 0 and not all 0 (l1, psnr, fft, adjacent)")
        if self.val_crop < 32 or self.val_crop % 32:
            raise ConfigError(f"denoise.val_crop {self.val_crop}: use a multiple of 32 (e.g. 512)")
        if not 0.0 <= self.darken <= 8.0:
            raise ConfigError(f"denoise.darken {self.darken}: give 0 (off) to 8 stops")
        if self.val_crops < 1 or self.crops_per_image < 1:
            raise ConfigError("denoise.val_crops and denoise.crops_per_image must be at least 1")

    def loss_weights(self) -> dict[str, float]:
        return {"l1": self.l1, "psnr": self.psnr, "fft": self.fft, "adjacent": self.adjacent}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DenoiseOptions:
        check_keys(cls, data, "denoise")
        return cls(**data)
