"""What a denoiser carries besides its weights (in its checkpoint and its ONNX metadata): the network
config, the noise model it was trained with and the input transform. The same transform runs in training,
validation, ``tern denoise apply`` (torch or onnxruntime) and ``tern denoise eval``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.data.noise import NoiseModel, NoiseParams, inverse_ksigma, ksigma
from studio.models.denoise.presets import DenoiserConfig


@dataclass(frozen=True)
class DenoiseMeta:
    denoiser: DenoiserConfig
    noise_model: NoiseModel
    use_ksigma: bool = True   # the network sees k_ref * (x / k + sigma^2 / k^2) (PMRID's k-sigma transform)
    k_ref: float = 1.0        # k at the noise model's middle ISO: keeps the network's input near [0, 1]
    crop: int = 256           # training crop side (RAW pixels)

    def encode(self, x, k, sigma):
        """Network input from packed noisy data x (B, 4, h, w) in [0, 1]; k, sigma (B,) (torch or numpy)."""
        if not self.use_ksigma:
            return x
        return ksigma(x, k.reshape(-1, 1, 1, 1), sigma.reshape(-1, 1, 1, 1)) * self.k_ref

    def decode(self, y, k, sigma):
        """Packed [0, 1] data from the network's output (the inverse of ``encode``)."""
        if not self.use_ksigma:
            return y
        return inverse_ksigma(y / self.k_ref, k.reshape(-1, 1, 1, 1), sigma.reshape(-1, 1, 1, 1))

    def params_for(self, iso: float | None) -> NoiseParams:
        """The noise level of an image taken at ``iso`` (the model's middle ISO when unknown)."""
        return self.noise_model.params(iso if iso else middle_iso(self.noise_model))

    def to_dict(self) -> dict[str, Any]:
        return {"denoiser": self.denoiser.to_dict(), "noise_model": self.noise_model.to_dict(),
                "use_ksigma": self.use_ksigma, "k_ref": self.k_ref, "crop": self.crop}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DenoiseMeta:
        return cls(DenoiserConfig.from_dict(data["denoiser"]), NoiseModel.from_dict(data["noise_model"]),
                   bool(data["use_ksigma"]), float(data["k_ref"]), int(data["crop"]))


def middle_iso(model: NoiseModel) -> float:
    """The geometric middle of the noise model's ISO range."""
    lo, hi = model.iso_range
    return math.sqrt(lo * hi)


def load_denoiser(path: Path | str):
    """(model in eval mode on the CPU, DenoiseMeta) from a denoise checkpoint file."""
    from studio.engine.checkpoint import load_checkpoint
    from studio.errors import CheckpointError
    from studio.models.denoise.presets import build_denoiser

    ckpt = load_checkpoint(path)
    if ckpt.get("task") != "denoise" or "denoise" not in ckpt:
        raise CheckpointError(path, f"a {ckpt.get('task', 'detect')} model, not a denoiser (train one with "
                                    "`tern train denoise`)")
    meta = DenoiseMeta.from_dict(ckpt["denoise"])
    model = build_denoiser(meta.denoiser)
    model.load_state_dict(ckpt["model"])
    return model.eval(), meta
