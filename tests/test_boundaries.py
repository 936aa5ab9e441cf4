"""The architecture's rules, enforced (DESIGN.md section 1): studio never imports Qt or app, studio
imports without PySide6 installed, and the GUI's start-up modules do not load torch, cv2 or onnxruntime."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_STUDIO = ("PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6", "pyqtgraph", "app")
HEAVY = ("torch", "cv2", "onnxruntime")


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_studio_never_imports_qt_or_app():
    offenders = {
        str(path.relative_to(REPO)): sorted(_imported_roots(path) & set(FORBIDDEN_IN_STUDIO))
        for path in sorted((REPO / "studio").rglob("*.py"))
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"studio must stay headless, but these modules import Qt/app: {offenders}"


def test_the_boundary_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6 import QtCore\n    import app.session\n")
    assert {"PySide6", "app"} <= _imported_roots(bad)


BLOCK_QT = """
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError(f'blocked for this test: {{name}}')
sys.meta_path.insert(0, Block())
import studio
for mod in pkgutil.walk_packages(studio.__path__, 'studio.'):
    importlib.import_module(mod.name)
print('imported', len(sys.modules))
"""


def test_every_studio_module_imports_with_pyside6_blocked():
    code = BLOCK_QT.format(blocked=set(FORBIDDEN_IN_STUDIO))
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_gui_start_up_modules_do_not_load_heavy_libraries():
    code = (
        "import sys, app.__main__, app.main_window\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", f"the GUI start-up imported {run.stdout.strip()}"
