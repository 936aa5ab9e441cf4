"""Build and check the double-click app and the wheel; prints the figures (build time, sizes, smoke test).

    python packaging/package.py build [--flavour cpu|cuda]   # dist/<flavour>/tern-studio (PyInstaller)
    python packaging/package.py test  [--flavour cpu|cuda]   # build, then `tern-studio --smoke-test` from it
    python packaging/package.py wheel-test                   # wheel + sdist, fresh venv, tern --help, smoke

``make package``, ``make package-test`` and ``make wheel-test`` run these (under ``nice``). The same
commands work on macOS and Windows (there the bundle is ``Tern Studio.app`` / ``tern-studio.exe``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

_spec = importlib.util.spec_from_file_location("build_info", Path(__file__).with_name("build_info.py"))
info = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(info)

SPEC = info.REPO / "packaging" / "tern_studio.spec"
DIST = info.REPO / "dist"
TORCH = os.environ.get("TORCH", "torch==2.13.0")  # what wheel-test installs first, as a user would
SMOKE_TIMEOUT_S = 1200


def bundle_dir(flavour: str) -> Path:
    """The built app: the .app on macOS, else the one-folder bundle."""
    base = DIST / flavour
    return base / f"{info.DISPLAY_NAME}.app" if sys.platform == "darwin" else base / info.APP_NAME


def executable(flavour: str) -> Path:
    if sys.platform == "darwin":
        return bundle_dir(flavour) / "Contents" / "MacOS" / info.APP_NAME
    return bundle_dir(flavour) / (info.APP_NAME + (".exe" if sys.platform == "win32" else ""))


def build(flavour: str) -> float:
    """PyInstaller with the spec; the seconds it took."""
    started = time.monotonic()
    work = info.REPO / "build" / f"pyinstaller-{flavour}"
    subprocess.run([sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(DIST / flavour), "--workpath", str(work), "--", "--flavour", flavour],
                   check=True, cwd=info.REPO)
    seconds = time.monotonic() - started
    bundle = bundle_dir(flavour)
    print(f"package: built {bundle} ({info.APP_NAME} {info.version()}, {flavour}) in {seconds:.0f} s")
    print(f"package: bundle size {_mib(_size(bundle)):.0f} MiB ({_files(bundle)} files)")
    return seconds


def smoke(command: list[str], env: dict[str, str] | None = None) -> float:
    """Run ``command + ["--smoke-test"]`` offscreen; its seconds. SystemExit with the reason on failure."""
    started = time.monotonic()
    env = {**os.environ, **(env or {}), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([*command, "--smoke-test"], env=env, timeout=SMOKE_TIMEOUT_S, check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"package: the smoke test FAILED (exit {result.returncode}) after {seconds:.0f} s")
    print(f"package: smoke test passed in {seconds:.0f} s ({' '.join(command)} --smoke-test)")
    return seconds


def package_test(flavour: str, skip_build: bool) -> None:
    seconds = 0.0 if skip_build else build(flavour)
    exe = executable(flavour)
    if not exe.is_file():
        raise SystemExit(f"package: no {exe}; build it first (make package)")
    with tempfile.TemporaryDirectory(prefix="tern-package-test-") as home:  # no settings of the user's
        took = smoke([str(exe)], env=_isolated_home(Path(home)))
    size = _mib(_size(bundle_dir(flavour)))
    packed = _mib(_archive_size(bundle_dir(flavour)))
    print(f"package-test: flavour {flavour}; build {seconds:.0f} s; bundle {size:.0f} MiB "
          f"(~{packed:.0f} MiB as .tar.gz); smoke test ok in {took:.0f} s")


def wheel_test() -> None:
    """python -m build, then a fresh venv: torch first, then the wheel; `tern --help` and the smoke test."""
    out = DIST / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(info.REPO)], check=True,
                   env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wheel = next(out.glob("*.whl"))
    sdist = next(out.glob("*.tar.gz"))
    print(f"wheel-test: built {wheel.name} ({_mib(wheel.stat().st_size):.1f} MiB) and {sdist.name} "
          f"({_mib(sdist.stat().st_size):.1f} MiB) in {time.monotonic() - started:.0f} s")
    _check_sdist(sdist)
    with tempfile.TemporaryDirectory(prefix="tern-wheel-test-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
        pip = [str(bindir / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, TORCH], check=True)
        subprocess.run([*pip, str(wheel)], check=True)
        subprocess.run([str(bindir / "tern"), "--help"], check=True, stdout=subprocess.DEVNULL)
        version = subprocess.run([str(bindir / "tern"), "--version"], check=True, capture_output=True,
                                 text=True).stdout.strip()
        print(f"wheel-test: `tern --help` works; `tern --version`: {version}")
        took = smoke([str(bindir / "tern-studio")], env=_isolated_home(Path(tmp) / "home"))
    print(f"wheel-test: ok (wheel {wheel.name}, smoke test {took:.0f} s)")


def _check_sdist(sdist: Path) -> None:
    """The sdist carries what a wheel is rebuilt from: the demo, the icons, the desktop files."""
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = ["pyproject.toml", "resources/demo/data.yaml", "resources/icons/tern.svg",
              "resources/desktop/tern-studio.desktop.in", "studio/cli.py", "app/__main__.py"]
    missing = [n for n in needed if n not in names]
    if missing:
        raise SystemExit(f"wheel-test: the sdist lacks {', '.join(missing)}")


def _isolated_home(home: Path) -> dict[str, str]:
    """Environment for a smoke test that must not see (or write) the user's own config and data."""
    home.mkdir(parents=True, exist_ok=True)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CACHE_HOME": str(home / ".cache")}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _files(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file())


def _archive_size(path: Path) -> int:
    """Bytes of the bundle as a .tar.gz (what a download would be)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "bundle.tar.gz"
        with tarfile.open(target, "w:gz", compresslevel=6) as tar:
            tar.add(path, arcname=path.name)
        return target.stat().st_size


def _mib(n: int) -> float:
    return n / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="package.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("build", "test", "wheel-test"))
    parser.add_argument("--flavour", choices=sorted(info.FLAVOURS), default=info.DEFAULT_FLAVOUR)
    parser.add_argument("--no-build", action="store_true", help="test: use the bundle already built")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.flavour)
    elif args.command == "test":
        package_test(args.flavour, args.no_build)
    else:
        wheel_test()
    return 0


if __name__ == "__main__":
    sys.exit(main())
