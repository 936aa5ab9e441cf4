"""ThumbnailStore: made on a background pool, announced by a signal, written to disk, read back from
disk by a second store; missing files reported; a changed file gets a new thumbnail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from app.thumbnails import MISSING, READY, SIDE, ThumbnailStore, cache_key


def _image(path: Path, size=(800, 600), color=(200, 30, 30)) -> Path:
    Image.new("RGB", size, color).save(path, quality=90)
    return path


@pytest.fixture
def store(qtbot, tmp_path):
    store = ThumbnailStore(tmp_path / "thumbs")
    yield store
    store.wait()


def test_a_thumbnail_arrives_by_signal_and_is_written_to_disk(qtbot, store, tmp_path):
    path = _image(tmp_path / "a.jpg")
    with qtbot.waitSignal(store.ready, timeout=5000) as blocker:
        assert store.get(path) is None  # never decoded on the caller's thread
    assert blocker.args == [str(path)]
    image = store.get(path)
    assert image is not None and (image.width(), image.height()) == (SIDE, SIDE * 3 // 4)
    assert store.state(path) == READY and store.decodes == 1
    st = os.stat(path)
    assert (tmp_path / "thumbs" / f"{cache_key(str(path), st.st_mtime_ns, st.st_size)}.jpg").is_file()


def test_a_second_store_reads_the_thumbnail_from_disk(qtbot, store, tmp_path):
    path = _image(tmp_path / "b.jpg")
    with qtbot.waitSignal(store.ready, timeout=5000):
        store.get(path)
    again = ThumbnailStore(tmp_path / "thumbs")
    with qtbot.waitSignal(again.ready, timeout=5000):
        again.get(path)
    assert again.disk_hits == 1 and again.decodes == 0
    assert again.get(path).width() == SIDE
    again.wait()


def test_a_changed_file_gets_a_new_thumbnail(qtbot, store, tmp_path):
    path = _image(tmp_path / "c.jpg")
    with qtbot.waitSignal(store.ready, timeout=5000):
        store.get(path)
    _image(path, size=(300, 600), color=(0, 0, 255))
    os.utime(path, ns=(1, 1))
    fresh = ThumbnailStore(tmp_path / "thumbs")
    with qtbot.waitSignal(fresh.ready, timeout=5000):
        fresh.get(path)
    assert fresh.decodes == 1 and fresh.get(path).height() == SIDE
    assert len(list((tmp_path / "thumbs").glob("*.jpg"))) == 2
    fresh.wait()


def test_small_images_keep_their_size_and_alpha_goes_to_png(qtbot, store, tmp_path):
    path = tmp_path / "d.png"
    Image.new("RGBA", (40, 30), (0, 255, 0, 128)).save(path)
    with qtbot.waitSignal(store.ready, timeout=5000):
        store.get(path)
    assert store.get(path).width() == 40
    assert len(list((tmp_path / "thumbs").glob("*.png"))) == 1


def test_a_missing_file_is_reported_once(qtbot, store, tmp_path):
    path = tmp_path / "gone.jpg"
    with qtbot.waitSignal(store.missing, timeout=5000) as blocker:
        store.get(path)
    assert blocker.args == [str(path)] and store.state(path) == MISSING
    with qtbot.assertNotEmitted(store.missing, wait=50):
        assert store.get(path) is None  # not asked again
    store.forget_problems()
    assert store.state(path) is None
