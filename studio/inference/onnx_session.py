"""Opening an ONNX file with onnxruntime the one way the predictors do: errors-only logging, providers in
``choose_providers`` order (TensorRT > CUDA > CPU) unless given, a typed error when it cannot load."""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from studio.errors import CheckpointError

# onnxruntime execution providers, fastest first; the CPU one is always there
PROVIDER_PREFERENCE = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


# what a GPU provider needs beyond the onnxruntime-gpu wheel: the NVIDIA driver, and TensorRT for its provider
# (the wheel offers both providers everywhere; without these libraries onnxruntime prints errors and a
# banner on every session before it falls back)
PROVIDER_LIBRARIES = {
    "CUDAExecutionProvider": {"linux": ("libcuda.so.1",), "win32": ("nvcuda.dll",)},
    "TensorrtExecutionProvider": {"linux": ("libnvinfer.so.10", "libnvinfer.so.8"),
                                  "win32": ("nvinfer_10.dll", "nvinfer.dll")},
}


@functools.cache
def libraries_load(provider: str) -> bool:
    """Whether the system libraries ``provider`` needs load here (providers without a list: True)."""
    table = PROVIDER_LIBRARIES.get(provider)
    if table is None:
        return True
    return any(_loads(name) for name in table["win32" if sys.platform == "win32" else "linux"])


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def choose_providers(available: Sequence[str], loadable: Callable[[str], bool] = libraries_load) -> list[str]:
    """The providers of ``available`` whose libraries load (``loadable``) in the order TensorRT > CUDA > CPU
    (others are not used); the CPU provider ends the list even when ``available`` forgets it."""
    gpu = [p for p in PROVIDER_PREFERENCE if p != "CPUExecutionProvider"]
    chosen = [p for p in gpu if p in available and loadable(p)]
    return [*chosen, "CPUExecutionProvider"]


def open_session(onnx_path: Path | str, providers: Sequence[str] | None = None, threads: int | None = None):
    """An ``onnxruntime.InferenceSession`` of ``onnx_path``. providers: None = the fastest onnxruntime
    offers; threads: intra-op threads (None = onnxruntime's default, one per core). CheckpointError when
    the file is missing or onnxruntime cannot load it."""
    import onnxruntime as ort

    path = Path(onnx_path)
    if not path.is_file():
        raise CheckpointError(path, "no such ONNX file")
    # the GPU wheel offers CUDA and TensorRT even where their libraries are missing: the session then falls
    # back to the CPU, and onnxruntime's own warning about it would only alarm
    ort.set_default_logger_severity(3)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: no warnings about unused initialisers
    if threads is not None:
        options.intra_op_num_threads = threads
    chosen = list(providers or choose_providers(ort.get_available_providers()))
    try:
        return ort.InferenceSession(str(path), options, providers=chosen)
    except Exception as exc:  # onnxruntime raises its own exception types, none exported
        raise CheckpointError(path, f"onnxruntime cannot load it ({exc}); export it again") from exc
