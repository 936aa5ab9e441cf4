"""The RAW compare viewer on small synthetic DNGs: scores against the clean file, side-by-side views that
zoom together, the A/B split, both renderings, and files that cannot be compared."""

from __future__ import annotations

import numpy as np
import pytest

from app.dialogs.raw_compare import RawCompareWindow
from tests.raw_helpers import write_synthetic_dng

BLACK, WHITE = 64, 4000


def _scene(seed: int | None = None, h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    level = BLACK + (0.2 + 0.5 * x / w + 0.1 * np.sin(y / 7.0)) * (WHITE - BLACK)
    if seed is not None:
        level = level + np.random.default_rng(seed).normal(0, 60, level.shape)
    return np.clip(level, 0, WHITE).astype(np.uint16)


def _load(qtbot, window, paths):
    with qtbot.waitSignal(window.loaded, timeout=20_000) as blocker:
        window.load(paths)
    return blocker.args[0]


@pytest.fixture()
def files(tmp_path):
    made = {}
    for role, seed in (("clean", None), ("noisy", 1), ("denoised", None)):
        mosaic = _scene(seed) if role != "denoised" else \
            (_scene() * 0.98 + _scene(2) * 0.02).astype(np.uint16)
        made[role] = write_synthetic_dng(tmp_path / f"{role}.dng", mosaic, "RGGB", black=(BLACK,) * 4,
                                         white=WHITE)
    return made


def test_side_by_side_scores_and_zooms_together(qtbot, files):
    window = RawCompareWindow()
    qtbot.addWidget(window)
    compare = _load(qtbot, window, files)
    assert compare.roles == ["noisy", "denoised", "clean"]
    noisy, denoised = compare.images["noisy"], compare.images["denoised"]
    assert denoised.psnr > noisy.psnr and denoised.ssim > noisy.ssim
    assert "noisy: PSNR" in window.readout.text() and "denoised: PSNR" in window.readout.text()
    assert [item.pixmap().size().toTuple() for item in window.side_items] == [(64, 48)] * 3
    assert window.side_labels[0].text().startswith("noisy: noisy.dng  PSNR")
    window.show()
    window.side_views[1].zoom_by(3.0)
    assert all(v.transform().m11() == pytest.approx(window.side_views[1].transform().m11())
               for v in window.side_views)


def test_ab_split_and_linear_view(qtbot, files):
    window = RawCompareWindow()
    qtbot.addWidget(window)
    _load(qtbot, window, files)
    window.mode.setCurrentIndex(1)
    window.rendering.setCurrentIndex(1)  # linear
    window.split.setValue(250)
    assert window.stack.currentIndex() == 1
    assert (window.a_pick.currentText(), window.b_pick.currentText()) == ("noisy", "denoised")
    assert window.b_clip.rect().x() == pytest.approx(64 * 0.25)
    linear = window.render("clean")
    assert linear.shape == (48, 64, 3) and linear.dtype == np.uint8 and linear.max() > 200


def test_files_that_cannot_be_compared_are_named(qtbot, files, tmp_path):
    small = write_synthetic_dng(tmp_path / "small.dng", _scene(h=64, w=64), "RGGB", black=(BLACK,) * 4,
                                white=WHITE)
    broken = tmp_path / "broken.dng"
    broken.write_bytes(b"not a raw file")
    window = RawCompareWindow()
    qtbot.addWidget(window)
    compare = _load(qtbot, window, {"noisy": broken, "denoised": small, "clean": files["clean"]})
    assert compare.roles == ["denoised"]  # the first usable file sets the size; the clean one differs
    text = window.readout.text()
    assert "noisy: " in text and "broken.dng" in text
    assert "not the same scene" in text
    window = RawCompareWindow()
    qtbot.addWidget(window)
    _load(qtbot, window, {"noisy": files["noisy"]})
    assert window.readout.text() == "no clean image to compare against"


def test_the_reading_thread_never_holds_the_window(qtbot, files, monkeypatch):
    """A window whose last reference went with the worker thread would be destroyed on that thread (a
    crash): the thread gets only the relay object and the paths."""
    import gc
    import threading

    started = []
    real_thread = threading.Thread

    def spy(*args, **kwargs):
        started.append((kwargs["target"], kwargs.get("args", ())))
        return real_thread(*args, **kwargs)

    monkeypatch.setattr(threading, "Thread", spy)
    window = RawCompareWindow()
    qtbot.addWidget(window)
    _load(qtbot, window, {"noisy": files["noisy"], "clean": files["clean"]})
    ((target, args),) = started
    reachable, layer = [], [target, *args]
    for _ in range(3):  # a bound method, a closure's cell, a container of arguments
        reachable += layer
        layer = [r for item in layer for r in gc.get_referents(item) if not isinstance(r, (dict, type))]
    assert not any(item is window for item in reachable + layer)
