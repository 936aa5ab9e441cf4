"""ImageLayer + ImageCache: a preview then the full image, tiles for a huge image, a placeholder for a
missing file, stale results dropped, prefetch makes the next image a cache hit (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

from app.canvas.image_cache import ImageCache
from app.canvas.image_layer import ImageLayer


def _jpeg(path: Path, size: tuple[int, int], color=(200, 40, 40),
          exif_orientation: int | None = None) -> Path:
    image = Image.new("RGB", size, color)
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 2))  # top-left quarter blue
    exif = Image.Exif()
    if exif_orientation:
        exif[0x0112] = exif_orientation
    image.save(path, quality=85, exif=exif)
    return path


@pytest.fixture(scope="module")
def huge(tmp_path_factory) -> Path:
    return _jpeg(tmp_path_factory.mktemp("huge") / "scene.jpg", (12000, 9000))


@pytest.fixture
def cache(qtbot):
    cache = ImageCache(budget_bytes=256 * 2**20)
    yield cache
    cache.wait()


@pytest.fixture
def viewer(qtbot, cache):
    view = QGraphicsView()
    view.setScene(QGraphicsScene(view))  # the view owns the scene, the scene the layer
    scene = view.scene()
    view.resize(400, 300)
    layer = ImageLayer(cache)
    scene.addItem(layer)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view, layer


def _render(view: QGraphicsView) -> QImage:
    out = QImage(view.viewport().size(), QImage.Format.Format_RGB32)
    out.fill(QColor("black"))
    painter = QPainter(out)
    view.render(painter, QRectF(out.rect()), view.viewport().rect())
    painter.end()
    return out


def test_a_large_image_shows_a_preview_then_full_resolution(qtbot, viewer, tmp_path):
    view, layer = viewer
    path = _jpeg(tmp_path / "a.jpg", (4000, 3000))
    with qtbot.waitSignal(layer.first_paint_ready, timeout=5000):
        layer.set_image(path, 4000, 3000)
    assert layer.boundingRect() == QRectF(0, 0, 4000, 3000)
    first = layer.pyramid()
    assert first is not None
    if not first.full:  # the preview won the race, as it should
        assert first.levels[0].width() == 2000
        with qtbot.waitSignal(layer.full_resolution_ready, timeout=5000):
            pass
    assert layer.is_full_resolution
    assert [lv.width() for lv in layer.pyramid().levels] == [4000, 2000, 1000]
    view.fitInView(layer, Qt.AspectRatioMode.KeepAspectRatio)
    shot = _render(view)
    centre_of_blue = view.mapFromScene(1000, 750)
    centre_of_red = view.mapFromScene(3000, 2250)
    assert QColor(shot.pixel(centre_of_blue)).blue() > 150
    assert QColor(shot.pixel(centre_of_red)).red() > 150


def test_the_bounding_rect_is_there_before_the_pixels(viewer, tmp_path):
    _, layer = viewer
    layer.set_image(_jpeg(tmp_path / "b.jpg", (3000, 2000)), 3000, 2000)
    assert layer.boundingRect() == QRectF(0, 0, 3000, 2000)


def test_exif_orientation_is_applied(qtbot, viewer, tmp_path):
    _, layer = viewer
    path = _jpeg(tmp_path / "r.jpg", (400, 300), exif_orientation=6)  # stored landscape, shown portrait
    with qtbot.waitSignal(layer.full_resolution_ready, timeout=5000):
        layer.set_image(path, 300, 400)
    level = layer.pyramid().levels[0]
    assert (level.width(), level.height()) == (300, 400)
    assert layer.pyramid().source_size == (300, 400)


def test_a_huge_image_paints_few_tiles_when_zoomed_in(qtbot, viewer, huge):
    view, layer = viewer
    with qtbot.waitSignal(layer.full_resolution_ready, timeout=30000):
        layer.set_image(huge, 12000, 9000)
    levels = layer.pyramid().levels
    assert (levels[0].width(), levels[0].height()) == (12000, 9000) and len(levels) >= 4
    view.fitInView(layer, Qt.AspectRatioMode.KeepAspectRatio)
    _render(view)
    assert 1 <= layer.tiles_painted <= 2  # the whole image from a ~1500 px level
    view.resetTransform()
    view.scale(2.0, 2.0)
    view.centerOn(6000, 4500)
    shot = _render(view)
    assert 1 <= layer.tiles_painted <= 4  # 200 x 150 image px of a 12 x 9 grid of full-size tiles
    assert QColor(shot.pixel(200, 150)).red() > 150


def test_a_missing_file_shows_a_placeholder(qtbot, viewer, tmp_path):
    view, layer = viewer
    with qtbot.waitSignal(layer.load_failed, timeout=5000) as blocker:
        layer.set_image(tmp_path / "gone.jpg", 640, 480)
    assert "gone.jpg" in blocker.args[0]
    assert layer.boundingRect() == QRectF(0, 0, 640, 480) and not layer.has_pixels
    view.fitInView(layer, Qt.AspectRatioMode.KeepAspectRatio)
    shot = _render(view)
    centre = view.mapFromScene(320, 300)
    assert QColor(shot.pixel(centre)).name() == "#3a3f46"


def test_stale_results_are_dropped(qtbot, viewer, tmp_path):
    _, layer = viewer
    first = _jpeg(tmp_path / "first.jpg", (3000, 2000), color=(0, 200, 0))
    second = _jpeg(tmp_path / "second.jpg", (300, 200))
    layer.set_image(first, 3000, 2000)
    with qtbot.waitSignal(layer.full_resolution_ready, timeout=5000):
        layer.set_image(second, 300, 200)
    layer.cache.wait()
    qtbot.waitUntil(lambda: first.as_posix() in layer.cache or not layer.cache.pool.activeThreadCount())
    assert layer.path == str(second) and layer.pyramid().levels[0].width() == 300


def test_prefetch_makes_the_next_image_a_cache_hit(qtbot, viewer, tmp_path):
    _, layer = viewer
    paths = [_jpeg(tmp_path / f"n{i}.jpg", (1600, 1200)) for i in range(3)]
    cache = layer.cache
    with qtbot.waitSignals([cache.decoded, cache.decoded], timeout=5000):
        cache.prefetch(paths[1:])
    assert paths[1] in cache and paths[2] in cache and paths[0] not in cache
    with qtbot.assertNotEmitted(cache.decoded), qtbot.waitSignal(layer.full_resolution_ready, timeout=100):
        layer.set_image(paths[1], 1600, 1200)  # from memory: no decode, at once
    assert layer.is_full_resolution


def test_the_cache_evicts_the_least_recently_used(qtbot, tmp_path):
    cache = ImageCache(budget_bytes=3 * 1024 * 768 * 4 + 10)
    paths = [_jpeg(tmp_path / f"e{i}.jpg", (1024, 768)) for i in range(4)]
    for path in paths[:3]:
        with qtbot.waitSignal(cache.decoded, timeout=5000):
            cache.request(path)
    assert cache.get(paths[0]) is not None  # now the most recently used
    with qtbot.waitSignal(cache.decoded, timeout=5000):
        cache.request(paths[3])
    assert paths[1] not in cache
    assert all(p in cache for p in (paths[0], paths[2], paths[3]))
    assert cache.nbytes <= cache.budget_bytes
