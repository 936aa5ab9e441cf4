"""Checkpoints: plain dicts of tensors and primitives, loaded with ``weights_only=True`` (nothing a user
opens can run code). Keys: model (the EMA weights when EMA is on, float32), model_config, names, class_ids,
imgsz, train_config, epoch, step, best_fitness, for pose models ``pose`` (skeleton, keypoint_names, flip_idx,
sigmas), and for resuming: raw_model, optimizer, ema_updates, scaler, rng."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from studio.errors import CheckpointError, ConfigError
from studio.models.config import ModelConfig
from studio.utils.atomic import atomic_write_bytes

FORMAT = "tern-checkpoint-1"
DENOISER_HINT = ("these weights are a RAW denoiser, not a detector: use `tern denoise apply` or "
                 "`tern denoise eval`")


@dataclass(frozen=True)
class CheckpointMeta:
    names: list[str]
    class_ids: list[int]
    imgsz: int
    model_config: ModelConfig
    max_size: int = 0  # faster_rcnn: the long-side cap of its input (imgsz is the short side)
    skeleton: tuple[tuple[int, int], ...] = ()  # pose: 1-based keypoint edges
    keypoint_names: tuple[str, ...] = ()        # pose: names in keypoint order ('' when unnamed)
    flip_idx: tuple[int, ...] = ()              # pose: left-right partner of each keypoint
    kpt_sigmas: tuple[float, ...] = ()          # pose: the OKS sigmas it was trained and evaluated with


def save_checkpoint(path: Path | str, payload: dict[str, Any]) -> None:
    """Write atomically (a crash mid-save leaves the previous file intact)."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, **payload}, buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())


def load_checkpoint(path: Path | str, *, mmap: bool = False) -> dict[str, Any]:
    """The checkpoint dict (``mmap``: tensors mapped from the file, not read: cheap when only its
    metadata is wanted)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such weights file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as exc:  # torch raises many kinds for a corrupt or foreign file
        raise CheckpointError(path, f"cannot read this checkpoint ({type(exc).__name__}: {exc}); "
                                    "it may be truncated or not a Tern checkpoint") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(path, "not a Tern checkpoint (no 'format' key); for fine-tuning from "
                                    "foreign weights pass a state dict whose names match ours")
    return ckpt


def checkpoint_meta(ckpt: dict[str, Any]) -> CheckpointMeta:
    pose = ckpt.get("pose") or {}
    return CheckpointMeta(list(ckpt["names"]), [int(i) for i in ckpt["class_ids"]], int(ckpt["imgsz"]),
                          ModelConfig.from_dict(ckpt["model_config"]), int(ckpt.get("max_size", 0)),
                          skeleton=tuple((int(a), int(b)) for a, b in pose.get("skeleton", ())),
                          keypoint_names=tuple(str(n) for n in pose.get("keypoint_names", ())),
                          flip_idx=tuple(int(i) for i in pose.get("flip_idx", ())),
                          kpt_sigmas=tuple(float(x) for x in pose.get("sigmas", ())))


def model_from_checkpoint(ckpt: dict[str, Any]) -> tuple[torch.nn.Module, CheckpointMeta]:
    """The trained (EMA) model in eval mode, on the CPU, and what it was trained on."""
    from studio.models.registry import build_detector

    if ckpt.get("task") == "denoise":
        raise ConfigError(DENOISER_HINT)
    meta = checkpoint_meta(ckpt)
    model = build_detector(meta.model_config)
    model.load_state_dict(ckpt["model"])
    return model.eval(), meta


def load_matching(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """Copy every tensor whose name and shape fit (fine-tuning, e.g. with another class count);
    returns (copied, total in model)."""
    own = model.state_dict()
    fit = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(fit, strict=False)
    return len(fit), len(own)


def state_from_weights_file(path: Path | str) -> dict[str, torch.Tensor]:
    """The model tensors of a Tern checkpoint, or a plain state dict saved by torch (local files only)."""
    path = Path(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise CheckpointError(path, "no such weights file") from exc
    except Exception as exc:
        raise CheckpointError(path, f"cannot read these weights ({type(exc).__name__}: {exc})") from exc
    if isinstance(ckpt, dict) and "model" in ckpt and isinstance(ckpt["model"], dict):
        ckpt = ckpt["model"]
    if isinstance(ckpt, dict) and "state_dict" in ckpt and isinstance(ckpt["state_dict"], dict):
        ckpt = ckpt["state_dict"]
    if not isinstance(ckpt, dict) or not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CheckpointError(path, "holds no state dict of tensors")
    return ckpt
