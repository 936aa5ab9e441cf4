"""Before the window opens: are the system libraries Qt's xcb platform needs there, and a display?

``python -m app.check_system`` (run by ``make run``) prints exactly what is missing and the one
``apt-get`` line that installs it, then exits 1; it exits 0 silently when all is there, off Linux, or
when ``QT_QPA_PLATFORM`` asks for a platform that needs no X (offscreen, minimal, wayland, ...).
Nothing here imports Qt: a missing library would make that import fail with a stack trace.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

# shared object -> Debian/Ubuntu package that ships it
XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
NO_X_PLATFORMS = ("offscreen", "minimal", "vnc", "wayland", "eglfs", "linuxfb", "vkkhrdisplay")


def library_present(soname: str) -> bool:
    """True when the dynamic loader can load ``soname`` (e.g. 'libxcb-cursor.so.0') as Qt will: by
    that exact name, so another major version of the library does not count."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(present: Callable[[str], bool] = library_present) -> list[str]:
    """The shared objects of XCB_LIBRARIES that cannot be loaded, in table order."""
    return [soname for soname in XCB_LIBRARIES if not present(soname)]


def needs_x(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """False off Linux or when QT_QPA_PLATFORM names a platform plugin that does not use X."""
    if not platform.startswith("linux"):
        return False
    requested = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    return requested not in NO_X_PLATFORMS


def report(env: Mapping[str, str], present: Callable[[str], bool] = library_present,
           platform: str = sys.platform) -> list[str]:
    """The lines to print (empty when all is well)."""
    if not needs_x(env, platform):
        return []
    lines: list[str] = []
    missing = missing_libraries(present)
    if missing:
        lines.append("Tern Studio cannot open its window: Qt needs these system libraries, "
                     "which are missing:")
        lines += [f"  {soname}" for soname in missing]
        lines.append("Install them with:")
        lines.append("  sudo apt-get install " + " ".join(XCB_LIBRARIES[s] for s in missing))
        lines.append("(other distributions: install the packages that provide the files above)")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        lines.append("No display: neither DISPLAY nor WAYLAND_DISPLAY is set. Run Tern Studio from a "
                     "desktop session, use `ssh -X`, or run under `xvfb-run` for a virtual display.")
    return lines


def main() -> int:
    lines = report(os.environ, library_present, sys.platform)
    if lines:
        print("\n".join(lines), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
