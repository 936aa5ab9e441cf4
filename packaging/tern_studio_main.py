"""The frozen app's entry script: PyInstaller builds the ``tern-studio`` executable from this file.

Everything else is app/__main__.py (the window, ``--worker``, ``--smoke-test``); here only what a frozen
program needs first: the data loader's ``spawn`` processes re-enter this executable, and
``freeze_support`` turns them into loader processes before anything heavy loads.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.__main__ import main

    sys.exit(main())
