"""torch.distributed for DDP training: the same ``tern train`` runs under ``torchrun``; rank 0 writes
events and checkpoints. ``--device 0,1`` re-launches itself through ``torch.distributed.run``."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def from_env() -> DistInfo:
    """What torchrun set (RANK, LOCAL_RANK, WORLD_SIZE), or a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return DistInfo(int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")), world)


def init(info: DistInfo, device: torch.device) -> None:
    if info.enabled and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def shutdown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def broadcast(value, info: DistInfo):
    """Rank 0's ``value`` on every rank (a picklable object: run folder, stop flag)."""
    if not info.enabled:
        return value
    box = [value if info.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def all_reduce_mean(tensor: torch.Tensor, info: DistInfo) -> torch.Tensor:
    if not info.enabled:
        return tensor
    out = tensor.clone()
    dist.all_reduce(out)
    return out / info.world_size


def launch(argv: list[str], nproc: int, worker: list[str] | None = None) -> int:
    """Run ``tern <argv>`` under torch.distributed.run with ``nproc`` processes; its exit code.

    worker: the program that is ``tern`` (``studio.jobs.train_command.worker_argv()``). ``python -m
    studio.cli`` (the default) goes through ``python -m torch.distributed.run``; any other program (the
    frozen app, which has no Python to run ``-m`` with) is started by torch.distributed.run in this process
    with ``--no-python``.
    """
    options = ["--standalone", f"--nproc_per_node={nproc}"]
    if worker is None or worker[1:3] == ["-m", "studio.cli"]:
        return subprocess.call([sys.executable, "-m", "torch.distributed.run", *options, "-m", "studio.cli",
                                *argv])
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    try:
        torchrun([*options, "--no-python", *worker, *argv])
    except ChildFailedError:
        return 1
    return 0
