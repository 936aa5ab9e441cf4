"""Where the bundled, read-only resources are, however the studio runs (one resolver for all three):

* a frozen bundle (PyInstaller, ``sys.frozen``): ``<sys._MEIPASS>/tern_resources``, collected there by
  packaging/tern_studio.spec (it collects every folder of RESOURCE_DIRS);
* a checkout: ``<repo>/resources``;
* an installed wheel: the package ``tern_resources`` (pyproject maps ``resources/`` onto it).

Nothing here is ever written: runs go beside the project, caches and settings to the user's folders
(app/settings.py UserDirs).
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = "tern_resources"  # the resources' name inside a wheel and inside the frozen bundle
# the sub-folders the studio reads at run time (the spec collects exactly these; resources/desktop is only
# read by the build: the Linux desktop entry goes next to the executable)
RESOURCE_DIRS = ("demo", "icons")
_CHECKOUT = Path(__file__).resolve().parents[1] / "resources"


def is_frozen() -> bool:
    """True inside a PyInstaller bundle (the double-click app), False in a checkout or an installed wheel."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resources_dir() -> Path:
    """The folder holding RESOURCE_DIRS (``demo/``, ``icons/``)."""
    if is_frozen():
        return Path(sys._MEIPASS) / PACKAGE
    if (_CHECKOUT / "__init__.py").is_file():
        return _CHECKOUT
    from importlib.resources import files

    return Path(str(files(PACKAGE)))


def resource(*parts: str) -> Path:
    """A path inside the resources folder, e.g. ``resource("demo")``."""
    return resources_dir().joinpath(*parts)
