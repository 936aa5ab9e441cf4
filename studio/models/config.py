"""Which detector to build: one typed frozen dataclass, saved inside every checkpoint as a plain dict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from studio.errors import ConfigError
from studio.utils.config_keys import check_keys


@dataclass(frozen=True)
class ModelConfig:
    """A detector's architecture; ``studio.models.registry.build_detector(cfg)`` builds it.
    Names are checked against the registry when the config is made (a ConfigError lists the choices)."""

    arch: str = "yolo"      # detector family: yolo (one-stage, anchor-free, DFL head)
    scale: str = "n"        # a SCALES name: n | s | m (depth and width multipliers)
    backbone: str = "elan"  # a BACKBONES name: elan | repvgg
    neck: str = "pan"       # a NECKS name: pan | fpn | bifpn
    nc: int = 80            # number of classes
    reg_max: int = 16       # DFL bins per box side
    num_keypoints: int = 0  # K > 0: a pose model (yolo only), K keypoints per object

    def __post_init__(self) -> None:
        from studio.models.registry import ARCHS, BACKBONES, NECKS, SCALES

        for what, value, choices in (("arch", self.arch, ARCHS), ("scale", self.scale, SCALES),
                                     ("backbone", self.backbone, BACKBONES), ("neck", self.neck, NECKS)):
            if value not in choices:
                raise ConfigError(f"unknown model {what} {value!r}; choose one of {', '.join(choices)}")
        if not isinstance(self.nc, int) or self.nc < 1:
            raise ConfigError(f"model nc must be a positive number of classes, got {self.nc!r}")
        if not isinstance(self.reg_max, int) or self.reg_max < 2:
            raise ConfigError(f"model reg_max must be an integer >= 2, got {self.reg_max!r}")
        if not isinstance(self.num_keypoints, int) or self.num_keypoints < 0:
            raise ConfigError(f"model num_keypoints must be 0 (detection) or more: {self.num_keypoints!r}")
        if self.num_keypoints and self.arch != "yolo":
            raise ConfigError(f"pose models are one-stage (arch yolo); {self.arch} has no keypoint head")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe values (str and int)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """The inverse of ``to_dict``; missing keys take their defaults, unknown keys are an error."""
        check_keys(cls, data, "model config")
        return cls(**data)
