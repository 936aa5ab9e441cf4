"""GUI figures for the labeling studio (issue 3's goals in brackets), measured, never asserted:

* start-up: process start to the main window's first paint, ``python -m app PROJECT``   [< 1.5 s]
* a 100,000-image project opened to a usable image list (rows painted); search and class filters
                                                                                           [< 1 s]
* next-image switch, 4000 x 3000 JPEGs at 5 switches/s with the neighbours prefetched
  (ImageLayer + ImageCache on a scene): ms to the first paint, median and p95            [p95 < 50 ms]
* a scene with 2,000 boxes over a 4000 x 3000 image: ms per frame for fit, pan and zoom steps,
  each frame rendered to an image                                                         [< 16 ms]

Runs under the current QT_QPA_PLATFORM (offscreen unless set; offscreen paints in software, into
memory, with no compositor: the figures are CPU painting costs). Prints a table and one JSON line.

    python bench/bench_gui.py [--images 100000] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import print_figures  # bench/ is on sys.path when a bench runs as a script

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------------- data
def make_project(path: Path, n_images: int, boxes: int = 3) -> Path:
    """A project of ``n_images`` rows (files not on disk: the list does not need them)."""
    from studio.annotations import Annotation, Category, Dataset, Sample
    from studio.store.project import Project

    if path.exists():
        return path
    cats = [Category(i + 1, f"class{i}") for i in range(10)]
    samples = []
    for i in range(n_images):
        anns = [Annotation(cats[(i + j) % 10].id, (10.0 * j, 10.0, 10.0 * j + 50, 80.0))
                for j in range(boxes)]
        samples.append(Sample(f"img_{i:06d}.jpg", path.parent / "images" / f"img_{i:06d}.jpg", 640, 480,
                              ("train", "val")[i % 5 == 0], anns, status=("done", "unlabeled")[i % 3 == 0]))
    Project.create(path, Dataset(cats, samples)).close()
    return path


def make_jpegs(folder: Path, count: int, size=(4000, 3000)) -> list[Path]:
    """Photo-like JPEGs (smooth noise upscaled, quality 90) of ``size``."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = folder / f"photo_{i:03d}.jpg"
        if not path.exists():
            small = rng.integers(0, 255, (size[1] // 40, size[0] // 40, 3), dtype=np.uint8)
            Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).save(path, quality=90)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------- figures
def startup(project: Path, home: Path, runs: int = 3) -> dict:
    """Wall time from Popen to the first paint of the main window (TERN_EXIT_AFTER_PAINT=1); the
    user folders point into ``home`` so the run leaves the user's settings alone."""
    env = dict(os.environ, TERN_EXIT_AFTER_PAINT="1", XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    times = []
    for _ in range(runs):
        t0 = time.time()
        run = subprocess.run([sys.executable, "-m", "app", str(project)], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=60)
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith('{"first_paint_time"')]
        if not lines:
            raise SystemExit(f"start-up run failed:\n{run.stderr}")
        times.append((json.loads(lines[-1])["first_paint_time"] - t0) * 1000)
    return {"startup_first_paint_ms": min(times), "startup_runs_ms": [round(t) for t in times]}


def open_big_project(project: Path, thumbs: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    from app.panels.image_list import ImageListPanel
    from app.session import Session
    from app.thumbnails import ThumbnailStore

    session = Session()
    panel = ImageListPanel(session, None, ThumbnailStore(thumbs))
    panel.resize(300, 900)
    panel.show()
    QApplication.processEvents()
    t = time.perf_counter()
    session.open_project(project)
    panel.view.viewport().repaint()
    open_ms = (time.perf_counter() - t) * 1000
    rows, total = panel.model.rowCount(), panel.model.total

    def timed(action) -> float:
        t = time.perf_counter()
        action()
        panel.view.viewport().repaint()
        return (time.perf_counter() - t) * 1000

    search_ms = timed(lambda: (panel.search_box.setText("99"), panel.filters._emit()))
    found = panel.model.total
    panel.search_box.setText("")
    class_ms = timed(lambda: panel.class_box.setCurrentIndex(3))
    with_class = panel.model.total
    panel.class_box.setCurrentIndex(0)
    end_ms = timed(lambda: panel.select_row(20_000))
    panel.thumbnails.pool.clear()
    panel.thumbnails.wait()
    session.close()
    return {"images": total, "open_to_list_ms": open_ms, "first_page_rows": rows,
            "search_ms": search_ms, "search_hits": found, "class_filter_ms": class_ms,
            "class_filter_hits": with_class, "jump_to_row_20000_ms": end_ms}


def switching(paths: list[Path], pace_s: float = 0.2) -> dict:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

    from app.canvas.image_cache import ImageCache
    from app.canvas.image_layer import ImageLayer

    cache = ImageCache()
    view = QGraphicsView()
    view.setScene(QGraphicsScene(view))
    view.resize(1280, 800)
    layer = ImageLayer(cache)
    view.scene().addItem(layer)
    view.show()

    def wait(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(max(0, int(seconds * 1000)), loop.quit)
        loop.exec()

    def spin_until(done) -> None:
        loop = QEventLoop()
        while not done():  # sleeps until the next event: the decoders keep the CPU
            loop.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    first, full, hits = [], [], 0
    start = time.perf_counter()
    for i, path in enumerate(paths):
        wait(start + i * pace_s - time.perf_counter())
        hit = path in cache
        t = time.perf_counter()
        layer.set_image(path, 4000, 3000)
        cache.prefetch([p for p in (paths[i + 1:i + 3] + paths[max(0, i - 2):i][::-1])], keep=(path,))
        if i == 0:
            view.fitInView(layer, Qt.AspectRatioMode.KeepAspectRatio)
        spin_until(lambda: layer.has_pixels)
        view.viewport().repaint()
        first.append((time.perf_counter() - t) * 1000)
        spin_until(lambda: layer.is_full_resolution)
        full.append((time.perf_counter() - t) * 1000)
        hits += hit
    cache.wait()
    warm = first[1:]  # the first image has no prefetched predecessor
    return {"switch_first_paint_median_ms": statistics.median(warm), "switch_first_paint_p95_ms": _p95(warm),
            "switch_full_res_median_ms": statistics.median(full[1:]), "switch_cache_hits": hits,
            "switches": len(warm), "cold_first_paint_ms": first[0]}


def frames(image: Path, n_boxes: int = 2000) -> dict:
    import numpy as np
    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QColor, QPainter
    from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

    from app.canvas.image_cache import ImageCache
    from app.canvas.image_layer import ImageLayer
    from app.canvas.items import annotation_items
    from studio.store.rows import AnnotationRow

    view = QGraphicsView()
    view.setScene(QGraphicsScene(view))
    view.resize(1280, 800)
    view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
    # the canvas's hints
    view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
    layer = ImageLayer(ImageCache())
    view.scene().addItem(layer)
    layer.set_image(image, 4000, 3000)
    loop = QEventLoop()
    while not layer.is_full_resolution:
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    view.show()
    image_only = _frame_series(view, layer)
    rng = np.random.default_rng(0)
    for i in range(n_boxes):
        x, y = rng.uniform(0, 3900), rng.uniform(0, 2900)
        box = (x, y, x + rng.uniform(10, 100), y + rng.uniform(10, 100))
        ann = AnnotationRow(i, 1, 1, box, None, False, None)
        for item in annotation_items(ann, QColor("#ffb000"), "ship", (), ()):
            view.scene().addItem(item)
    boxes = _frame_series(view, layer)
    every = [t for series in boxes.values() for t in series]
    return {"boxes": n_boxes,
            "frame_image_only_fit_median_ms": statistics.median(image_only["fit"]),
            "frame_image_only_pan_median_ms": statistics.median(image_only["pan"]),
            "frame_fit_median_ms": statistics.median(boxes["fit"]),
            "frame_pan_median_ms": statistics.median(boxes["pan"]),
            "frame_zoom_median_ms": statistics.median(boxes["zoom"]),
            "frame_p95_ms": _p95(every), "frame_max_ms": max(every)}


def _frame_series(view, layer) -> dict[str, list[float]]:
    """ms per frame (the viewport grabbed to an image): fit, pan steps (fitted and at 1.5x), zoom steps."""
    from PySide6.QtCore import Qt

    def frame() -> float:
        t = time.perf_counter()
        view.viewport().grab()
        return (time.perf_counter() - t) * 1000

    view.fitInView(layer, Qt.AspectRatioMode.KeepAspectRatio)
    fit = [frame() for _ in range(10)]
    pan = []
    view.resetTransform()
    view.scale(1.5, 1.5)
    view.centerOn(2000, 1500)
    for k in range(30):
        bar = view.horizontalScrollBar()
        bar.setValue(bar.value() + (40 if k < 15 else -40))
        pan.append(frame())
    view.fitInView(layer, Qt.AspectRatioMode.KeepAspectRatio)
    zoom = []
    for k in range(40):
        factor = 1.2 if k < 20 else 1 / 1.2
        view.scale(factor, factor)
        zoom.append(frame())
    return {"fit": fit, "pan": pan, "zoom": zoom}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--switches", type=int, default=30)
    parser.add_argument("--work", type=Path, default=None, help="keep the generated data here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tern-bench-gui-"))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    t = time.perf_counter()
    project = make_project(work / f"big{args.images}" / "big.tern", args.images)
    photos = make_jpegs(work / "photos", args.switches + 1)
    figures: dict = {"platform": app.platformName(), "generate_s": round(time.perf_counter() - t, 1)}
    figures.update(startup(project, work / "home"))
    figures.update(open_big_project(project, work / "thumbs"))
    figures.update(switching(photos))
    figures.update(frames(photos[0]))
    print(f"Qt platform: {figures['platform']} (software painting into memory)")
    print_figures("gui", figures)


if __name__ == "__main__":
    main()
