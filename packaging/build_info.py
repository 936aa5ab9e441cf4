"""Everything the double-click build needs to know, in one place: app name, icon, version (pyproject's),
the flavours, what the bundle collects and what it leaves out. packaging/tern_studio.spec builds from
it, tests/test_packaging_spec.py checks it against the resource resolver (studio/resources.py) without
building.

(The folder is ``packaging/`` but not an importable package: the PyPI distribution ``packaging`` owns that
name. The spec and the test load this file by its path.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the spec runs inside PyInstaller, whose cwd may be anywhere
    sys.path.insert(0, str(REPO))

from studio.resources import PACKAGE, RESOURCE_DIRS  # noqa: E402  (after the path set-up above)

APP_NAME = "tern-studio"              # executable, bundle folder, desktop entry id, icon name in themes
DISPLAY_NAME = "Tern Studio"          # menus, the macOS .app
BUNDLE_ID = "io.github.tern-studio"   # macOS CFBundleIdentifier
DISTRIBUTION = "tern-studio"          # pyproject's [project] name: its metadata goes into the bundle
ENTRY_SCRIPT = REPO / "packaging" / "tern_studio_main.py"
ICON_SVG = REPO / "resources" / "icons" / "tern.svg"
ICON_PNG = REPO / "resources" / "icons" / "tern-256.png"  # Windows .ico / macOS .icns are made from it
DESKTOP_DIR = REPO / "resources" / "desktop"
# copied next to the Linux executable: name in resources/desktop -> name in the bundle folder
DESKTOP_FILES = {"tern-studio.desktop.in": "tern-studio.desktop.in",
                 "tern-studio-mime.xml": "tern-studio-mime.xml",
                 "install-desktop-entry.sh": "install-desktop-entry.sh"}
ICON_FILES = {ICON_SVG: f"{APP_NAME}.svg", ICON_PNG: f"{APP_NAME}.png"}
BUILD_ONLY_RESOURCE_DIRS = ("desktop",)  # resources/ folders the build reads but the app never does

# flavour -> (what torch must be, which onnxruntime libraries stay)
FLAVOURS = {
    "cpu": "CPU torch and onnxruntime's CPU provider: the small build, runs everywhere",
    "cuda": "CUDA torch and onnxruntime-gpu: trains and predicts on an NVIDIA GPU, several GB larger",
}
DEFAULT_FLAVOUR = "cpu"

# modules the studio never imports (test tools, other GUI toolkits, notebooks, TensorBoard)
EXCLUDED_MODULES = (
    "tkinter", "_tkinter", "IPython", "ipykernel", "jupyter_client", "notebook", "pytest", "_pytest",
    "hypothesis", "pytestqt", "sphinx", "docutils", "tensorboard", "torch.utils.tensorboard",
    "torchvision", "torchaudio", "triton", "setuptools", "pip", "PyInstaller",
    "matplotlib.backends.backend_tkagg", "matplotlib.backends.backend_qtagg",
    "matplotlib.backends.backend_qt", "matplotlib.backends.backend_webagg",
    # Qt add-ons the studio does not use (pyqtgraph offers them optionally)
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtNetwork",
    "PySide6.QtWebEngineCore",
    "PySide6.QtMultimedia", "PySide6.QtPdf", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDBus",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtDesigner", "PySide6.QtUiTools",
    "PySide6.QtXml", "PySide6.QtHelp", "PySide6.QtPrintSupport", "PySide6.QtConcurrent",
)

# files dropped from the collected binaries and data (bundle paths, regular expressions): headers, CMake
# files, torch's C++ test programs and test libraries, Qt translations; for the CPU flavour onnxruntime's
# CUDA/TensorRT providers. (torch/bin stays: torch_shm_manager serves the data loader's processes.)
DROPPED_FILES = (
    r"^torch/include/", r"^torch/share/", r"^torch/lib/.*\.a$", r"^torch/test/",
    r"^torch/lib/lib(jitbackend_test|torchbind_test|backend_with_compiler|aoti_custom_ops)\.so",
    r"^torch/testing/_internal/(?!__init__)",
    r"^(?!tern_resources/).*/tests?/.*\.(py|pyc|npz|npy|csv|txt|json|jpg|png)$",  # libraries' own tests
    r"^PySide6/Qt/translations/", r"^PySide6/Qt/plugins/(qmltooling|sqldrivers|multimedia|webview)/",
    r"^cv2/.*\.pyi$", r"\.pyi$", r"^onnx/backend/test/",
)
DROPPED_FOR_FLAVOUR = {
    "cpu": (r"^onnxruntime/capi/libonnxruntime_providers_(cuda|tensorrt)\.(so|dll)$",
            r"^onnxruntime/capi/onnxruntime_providers_(cuda|tensorrt)\.dll$"),
    "cuda": (),
}


def version() -> str:
    """pyproject's ``[project] version``: the one place the version is written."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'(?ms)^\[project\]$.*?^version\s*=\s*"([^"]+)"', text)
    if match is None:
        raise ValueError("pyproject.toml has no [project] version")
    return match.group(1)


def resource_datas() -> list[tuple[str, str]]:
    """PyInstaller ``datas``: every folder the resolver serves, at ``<bundle>/tern_resources/<dir>`` (where
    studio.resources.resources_dir looks when frozen)."""
    return [(str(REPO / "resources" / name), f"{PACKAGE}/{name}") for name in RESOURCE_DIRS]


def dropped(bundle_path: str, flavour: str) -> bool:
    """Whether a collected file (its path inside the bundle, ``/`` separated) is left out of ``flavour``."""
    path = bundle_path.replace("\\", "/")
    return any(re.search(p, path) for p in (*DROPPED_FILES, *DROPPED_FOR_FLAVOUR[flavour]))


def check_flavour(flavour: str) -> None:
    """ValueError when the build environment cannot make ``flavour`` (e.g. a CPU torch for ``cuda``)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    import torch

    cuda_torch = torch.version.cuda is not None
    if flavour == "cuda" and not cuda_torch:
        raise ValueError("the cuda flavour needs a CUDA torch in the build environment (found "
                         f"{torch.__version__}): pip install torch==2.14.1 --index-url "
                         "https://download.pytorch.org/whl/cu130 (CUDA 13, as onnxruntime-gpu 1.31 needs)")
    if flavour == "cpu" and cuda_torch:
        raise ValueError(f"the cpu flavour needs the CPU torch (found {torch.__version__}, CUDA "
                         f"{torch.version.cuda}): pip install torch==2.13.0 --index-url "
                         "https://download.pytorch.org/whl/cpu")
