"""The double-click build is consistent with the code, checked without building (a build takes minutes):
the PyInstaller spec collects every folder the resource resolver serves, at the place the frozen resolver
looks; the entry points exist; the frozen app starts its workers with its own executable; the desktop
entry template and the .tern file type are valid and install into a user's folders; nothing the studio
imports is excluded from the bundle and no resource file is dropped."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from studio import resources
from studio.jobs import train_command

REPO = Path(__file__).resolve().parents[1]


def _load_build_info():
    spec = importlib.util.spec_from_file_location("build_info", REPO / "packaging" / "build_info.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


info = _load_build_info()
SPEC_TEXT = (REPO / "packaging" / "tern_studio.spec").read_text(encoding="utf-8")


# ------------------------------------------------------------------ resources: spec <-> resolver
def test_spec_collects_every_folder_the_resolver_serves():
    datas = info.resource_datas()
    assert {target for _, target in datas} == {f"{resources.PACKAGE}/{d}" for d in resources.RESOURCE_DIRS}
    assert all(Path(source).is_dir() for source, _ in datas)
    assert "info.resource_datas()" in SPEC_TEXT  # ... and the spec's Analysis uses them


def test_every_resources_folder_is_served_or_build_only():
    folders = {p.name for p in (REPO / "resources").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(resources.RESOURCE_DIRS) | set(info.BUILD_ONLY_RESOURCE_DIRS)
    assert not set(resources.RESOURCE_DIRS) & set(info.BUILD_ONLY_RESOURCE_DIRS)


def test_frozen_resolver_finds_what_the_spec_collects(tmp_path, monkeypatch):
    for source, target in info.resource_datas():  # lay out a bundle as PyInstaller would
        shutil.copytree(source, tmp_path / target)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.is_frozen()
    assert resources.resources_dir() == tmp_path / resources.PACKAGE
    assert (resources.resource("demo") / "data.yaml").is_file()
    assert resources.resource("icons", "tern.svg").is_file()


def test_no_resource_file_is_dropped_from_the_bundle():
    for flavour in info.FLAVOURS:
        for source, target in info.resource_datas():
            for path in Path(source).rglob("*"):
                bundle_path = f"{target}/{path.relative_to(source).as_posix()}"
                assert not info.dropped(bundle_path, flavour), bundle_path


def test_dropped_files_by_flavour():
    cuda_provider = "onnxruntime/capi/libonnxruntime_providers_cuda.so"
    assert info.dropped(cuda_provider, "cpu") and not info.dropped(cuda_provider, "cuda")
    for kept in ("onnxruntime/capi/libonnxruntime.so.1.31.1", "torch/lib/libtorch_cpu.so",
                 "torch/bin/torch_shm_manager", "PySide6/Qt/plugins/platforms/libqoffscreen.so"):
        assert not info.dropped(kept, "cpu"), kept
    for gone in ("torch/include/ATen/ATen.h", "torch/test/Dict_test", "PySide6/Qt/translations/qt_de.qm"):
        assert info.dropped(gone, "cpu"), gone


def test_no_excluded_module_is_imported_by_the_studio():
    imported = set()
    for path in [*(REPO / "studio").rglob("*.py"), *(REPO / "app").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    clashes = {m for m in imported for x in info.EXCLUDED_MODULES if m == x or m.startswith(x + ".")}
    assert not clashes


# ------------------------------------------------------------------ names, version, entry points
def test_version_comes_from_pyproject():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert info.version() == project["version"]
    assert project["name"] == info.DISTRIBUTION


def test_entry_points_exist():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    scripts = {**project["scripts"], **project["gui-scripts"]}
    assert set(scripts) == {"tern", info.APP_NAME}
    for target in scripts.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))


def test_frozen_entry_script_starts_spawn_children_before_the_app():
    text = info.ENTRY_SCRIPT.read_text(encoding="utf-8")
    assert text.index("multiprocessing.freeze_support()") < text.index("from app.__main__ import main")
    assert "str(info.ENTRY_SCRIPT)" in SPEC_TEXT and "name=info.APP_NAME" in SPEC_TEXT


def test_spec_takes_the_flavour_and_checks_it():
    assert '"--flavour", choices=sorted(info.FLAVOURS)' in SPEC_TEXT
    assert "info.check_flavour(FLAVOUR)" in SPEC_TEXT
    with pytest.raises(ValueError, match="unknown flavour"):
        info.check_flavour("rocm")


def test_worker_is_the_frozen_executable_in_worker_mode(monkeypatch):
    assert train_command.worker_argv() == [sys.executable, "-m", "studio.cli"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", "/bundle/_internal", raising=False)
    assert train_command.worker_argv() == [sys.executable, "--worker"]
    argv = train_command.train_argv("detect", {"epochs": 1})
    assert argv[:4] == [sys.executable, "--worker", "train", "detect"]


def test_worker_mode_runs_the_tern_command(capsys):
    from app.__main__ import main

    assert main(["--worker"]) == 0  # `tern` alone prints its help
    assert capsys.readouterr().out.startswith("usage: tern ")


# ------------------------------------------------------------------ desktop integration (Linux)
def _desktop_entry(text: str) -> dict[str, str]:
    """The [Desktop Entry] group of a desktop file; AssertionError on lines the spec does not allow."""
    groups: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            assert re.fullmatch(r"\[[^\[\]]+\]", line), line
            current = groups.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"key before any group: {line}"
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z0-9-]+(\[[^\]]+\])?", key.strip()), line
        assert key.strip() not in current, f"duplicate key {key}"
        current[key.strip()] = value.strip()
    assert next(iter(groups)) == "Desktop Entry"
    return groups["Desktop Entry"]


def _mime_types() -> dict[str, list[str]]:
    root = ET.parse(info.DESKTOP_DIR / "tern-studio-mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    return {t.get("type"): [g.get("pattern") for g in t.findall("m:glob", ns)]
            for t in root.findall("m:mime-type", ns)}


def test_desktop_entry_template_is_valid():
    entry = _desktop_entry((info.DESKTOP_DIR / "tern-studio.desktop.in").read_text(encoding="utf-8"))
    assert entry["Type"] == "Application" and entry["Name"] == info.DISPLAY_NAME
    assert entry["Exec"] == "@EXEC@ %f"  # one file (a .tern project, a data.yaml) per launch
    assert entry["Icon"] == info.APP_NAME and entry["Terminal"] == "false"
    for key in ("Categories", "MimeType", "Keywords"):
        assert entry[key].endswith(";"), key
    assert _mime_types() == {"application/x-tern-project": ["*.tern"]}
    assert entry["MimeType"].rstrip(";").split(";") == ["application/x-tern-project"]


def test_desktop_files_and_icons_exist():
    for source in info.DESKTOP_FILES:
        assert (info.DESKTOP_DIR / source).is_file(), source
    for source in info.ICON_FILES:
        assert source.is_file(), source
    assert info.ICON_PNG.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("sh") is None, reason="a POSIX shell script")
def test_install_desktop_entry_into_a_users_folders(tmp_path):
    bundle = tmp_path / "Tern Studio $1 & 50%"  # a folder name that needs quoting in Exec
    bundle.mkdir()
    for source, target in info.DESKTOP_FILES.items():
        shutil.copy2(info.DESKTOP_DIR / source, bundle / target)
    for source, target in info.ICON_FILES.items():
        shutil.copy2(source, bundle / target)
    (bundle / info.APP_NAME).write_text("#!/bin/sh\n", encoding="utf-8")
    (bundle / info.APP_NAME).chmod(0o755)
    data = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    subprocess.run(["sh", str(bundle / "install-desktop-entry.sh")], check=True, env=env, capture_output=True)
    entry = _desktop_entry((data / "applications" / "tern-studio.desktop").read_text(encoding="utf-8"))
    exe = str(bundle / info.APP_NAME).replace("$", "\\\\$").replace("%", "%%")
    assert entry["Exec"] == f'"{exe}" %f'
    assert (data / "icons/hicolor/scalable/apps/tern-studio.svg").is_file()
    assert (data / "icons/hicolor/256x256/apps/tern-studio.png").is_file()
    assert (data / "mime/packages/tern-studio.xml").is_file()
    subprocess.run(["sh", str(bundle / "install-desktop-entry.sh"), "--uninstall"], check=True, env=env,
                   capture_output=True)
    assert not (data / "applications" / "tern-studio.desktop").exists()
