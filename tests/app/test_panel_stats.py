"""The statistics dock: pyqtgraph loads only when it is shown, the bars are the store's class counts
in the classes' colours, the scatter holds every box's size, and edits refresh it after a pause."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from canvas_driver import open_window
from PySide6.QtGui import QColor

from app.canvas.palette import class_color

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def win(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    yield win
    win.close()


def _heights(win) -> list[int]:
    return [int(h) for h in win.stats.bars.opts["height"]]


def test_bars_and_scatter_show_the_project(win, qtbot):
    win.stats.raise_()
    qtbot.waitUntil(lambda: win.stats.bars is not None and not win.stats.stale)
    project = win.session.project
    counts = project.category_counts()
    categories = win.session.categories()
    assert _heights(win) == [counts[c.id] for c in categories] and sum(_heights(win)) > 0
    assert [QColor(b) for b in win.stats.bars.opts["brushes"]] == [class_color(i) for i in range(2)]
    ticks = win.stats.counts_plot.getAxis("bottom")._tickLevels[0]
    assert [name for _, name in ticks] == [c.name for c in categories]
    x, y = win.stats.scatter.getData()
    boxes = [a.box for r in project.page(0, 100) for a in project.annotations(r.id)]
    widths = sorted(b[2] - b[0] for b in boxes)
    heights = sorted(b[3] - b[1] for b in boxes)
    np.testing.assert_allclose(sorted(x), widths)
    np.testing.assert_allclose(sorted(y), heights)
    assert win.stats.summary.text() == f"{len(boxes)} objects in 2 classes"


def test_edits_refresh_the_bars_once_after_a_pause(win, qtbot, monkeypatch):
    win.stats.raise_()
    qtbot.waitUntil(lambda: win.stats.bars is not None and not win.stats.stale)
    before = _heights(win)
    refreshes = []
    original = win.stats.refresh
    monkeypatch.setattr(win.stats, "refresh", lambda: (refreshes.append(1), original())[1])
    session, image_id = win.session, win.session.current_image_id
    boat = session.categories()[1].id
    for i in range(5):  # a burst of edits
        session.edit(lambda p, i=i: p.add_box(image_id, boat, (i, i, 20 + i, 20 + i)), image_id=image_id)
    assert _heights(win) == before  # not redrawn per edit
    qtbot.waitUntil(lambda: _heights(win) == [before[0], before[1] + 5], timeout=5000)
    assert len(refreshes) == 1


def test_the_window_opens_without_loading_pyqtgraph(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from pathlib import Path
        from PySide6.QtWidgets import QApplication
        from app.__main__ import create_window
        from app.settings import UserDirs
        app = QApplication([])
        home = Path({str(tmp_path)!r})
        win = create_window(None, UserDirs(home / "d", home / "c", home / "k"))
        win.show()
        app.processEvents()
        print("pyqtgraph" in sys.modules, win.stats.shown)
        win.stats.raise_()
        app.processEvents()
        print("pyqtgraph" in sys.modules, win.stats.shown)
        win.close()
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["False False", "True True"]
