"""Mixed precision: which dtype autocast trains in on this device.

CUDA (``amp``, on by default): float16 with loss scaling (``GradScaler``). A CPU, with ``--bf16`` and a task
whose ``cpu_bf16`` allows it (detect, pose), where the CPU computes bfloat16 natively (the AVX512-BF16 or
AMX-BF16 instructions: recent AMD EPYC / Ryzen and Intel Xeon): bfloat16, which keeps float32's range and
needs no loss scaling; convolutions then run about 1.6x faster forward and backward and whole steps about
1.4x (bench/bench_train.py). It is opt-in because over four seeds its mAP50-95 came out 0.035 lower on
average than float32's, within the seed-to-seed spread but not shown equal (bench/bench_accuracy.py). Any
other CPU trains in float32: there bfloat16 is emulated and slower. The weights, the optimiser, the loss and
validation stay float32 either way."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import torch

NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs with bfloat16 arithmetic


def autocast_dtype(device: torch.device, amp: bool, cpu_bf16: bool = False) -> torch.dtype | None:
    """The dtype autocast uses on ``device`` (None: train in float32). amp: mixed precision at all (CUDA
    and CPU); cpu_bf16: bfloat16 on a CPU is asked for (``--bf16``) and the task allows it."""
    if not amp:
        return None
    if device.type == "cuda":
        return torch.float16
    if device.type == "cpu" and cpu_bf16 and cpu_has_native_bf16():
        return torch.bfloat16
    return None


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (Linux: read from /proc/cpuinfo; elsewhere False,
    which keeps float32) and torch's oneDNN can use it."""
    if not sys.platform.startswith("linux") or not torch.backends.mkldnn.is_available():
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace").split()
    except OSError:
        return False
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def bf16_problem(task_allows: bool, amp: bool = True) -> str:
    """Why ``--bf16`` cannot train in bfloat16 on this CPU ('' when it can). task_allows: the task's
    ``cpu_bf16``."""
    if not amp:
        return "--no-amp turns mixed precision off"
    if not task_allows:
        return "this model trains in float32 on CPUs"
    if not cpu_has_native_bf16():
        return "this CPU has no native bfloat16 (AVX512-BF16 or AMX) and emulating it is slower"
    return ""


def describe(dtype: torch.dtype | None) -> str:
    """"float16 mixed precision", "bfloat16 mixed precision" or "float32"."""
    return "float32" if dtype is None else f"{str(dtype).removeprefix('torch.')} mixed precision"
