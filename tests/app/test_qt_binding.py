"""The installed Qt binding must not leak references: PySide6 6.12.0 dropped one reference to None
per call of a void method, so a long labeling session aborted ("none_dealloc") on Python < 3.12."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from PySide6.QtGui import QPen
pen = QPen()
before = sys.getrefcount(None)
for _ in range(20000):
    pen.setCosmetic(True)
print(before - sys.getrefcount(None))
"""


def test_void_qt_calls_do_not_leak_references_to_none():
    run = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-500:]
    assert abs(int(run.stdout.strip())) < 100  # other threads may hold a few
