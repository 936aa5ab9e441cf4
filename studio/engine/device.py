"""``--device``: '' (auto: the first GPU, else the CPU), cpu, cuda, 0, 0,1 (several GPUs -> DDP)."""

from __future__ import annotations

import os

import torch

from studio.errors import ConfigError


def parse_devices(spec: str) -> list[int] | None:
    """GPU indices named by ``spec`` (None for cpu; [] for auto/cuda meaning 'the first one')."""
    spec = spec.strip().lower()
    if spec == "cpu":
        return None
    if spec in ("", "cuda", "gpu"):
        return []
    try:
        return [int(part) for part in spec.replace("cuda:", "").split(",") if part.strip()]
    except ValueError as exc:
        raise ConfigError(f"--device {spec!r}: use cpu, cuda, a GPU index (0) or a list (0,1)") from exc


def select_device(spec: str, local_rank: int = 0) -> torch.device:
    """The device this process trains on; clear errors when the GPU asked for is not there."""
    wanted = parse_devices(spec)
    if wanted is None:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        if spec.strip().lower() in ("",):
            return torch.device("cpu")
        raise ConfigError(f"--device {spec}: no CUDA GPU is available to this process "
                          f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}); "
                          "use --device cpu")
    count = torch.cuda.device_count()
    index = wanted[local_rank] if local_rank < len(wanted) else (wanted[0] if wanted else local_rank)
    if index >= count:
        raise ConfigError(f"--device {spec}: GPU {index} does not exist (this machine has {count})")
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def wants_launcher(spec: str) -> bool:
    """True when several GPUs are named and we are not yet under torchrun."""
    wanted = parse_devices(spec)
    return bool(wanted) and len(wanted) > 1 and "LOCAL_RANK" not in os.environ
