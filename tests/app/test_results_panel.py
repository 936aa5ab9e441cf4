"""The Results dock on a review file written by the core from hand-made detections on three small generated
PNGs (no model): the AP table, the curves, worst-first gallery with its colours, the confidence slider
driving the counter and the confusion matrix (on its worker), double-click / Enter opening an image, and
runs without a review file (old, denoise, broken) showing why and their plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from app.panels.results import NO_RUN, ResultsPanel
from app.panels.results_gallery import FP_COLOR, MISSED_COLOR, TP_COLOR
from app.thumbnails import READY, ThumbnailStore
from studio.data.records import ImageRecord
from studio.engine.data_source import TrainingData
from studio.evaluation.coco_map import evaluate_detections
from studio.evaluation.review import REVIEW_FILE, confusion_at, load_review, write_review
from studio.events import EventWriter

NAMES = ["cat", "dog"]
A, B, C = [4, 4, 40, 30], [50, 20, 90, 56], [10, 36, 36, 58]


def det(box, score, cls):
    return [*box, score, cls]


def write_images(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, shade in enumerate((70, 110, 150)):
        path = folder / f"img_{i}.png"
        Image.new("RGB", (96, 64), (shade, shade, shade)).save(path)
        paths.append(path)
    return paths


def make_run(root: Path, images: list[Path]) -> Path:
    """A detect run folder whose review.json has: image 0 all found, image 1 a false positive and a missed
    dog, image 2 a low-scoring dog (found below 0.5, missed above)."""
    run = root / "detect" / "exp"
    objects = (([A], [0]), ([A, B], [0, 1]), ([C], [1]))
    records = [ImageRecord(i + 1, str(path), 96, 64, np.array(boxes, np.float32), np.array(classes),
                           np.zeros(len(classes), bool))
               for i, (path, (boxes, classes)) in enumerate(zip(images, objects, strict=True))]
    predictions = {1: np.array([det(A, 0.9, 0)]),
                   2: np.array([det(A, 0.8, 0), det(C, 0.7, 0)]),
                   3: np.array([det(C, 0.3, 1)])}
    data = TrainingData([], records, NAMES, [1, 2], [])
    detail = evaluate_detections(records, predictions, data.class_ids, data.names)
    write_review(run / REVIEW_FILE, data, predictions, detail)
    return run


@pytest.fixture
def panel(qtbot, tmp_path) -> ResultsPanel:
    dock = ResultsPanel(thumbnails=ThumbnailStore(tmp_path / "thumbs"))
    qtbot.addWidget(dock)
    dock.resize(1000, 640)
    yield dock
    dock.wait()
    dock.thumbnails.wait()


@pytest.fixture
def run(tmp_path) -> Path:
    return make_run(tmp_path / "runs", write_images(tmp_path / "images"))


def show(qtbot, panel: ResultsPanel, run: Path) -> None:
    """Show ``run`` and wait for its review, read and matched on the worker."""
    panel.show_run(run)
    qtbot.waitUntil(lambda: panel.review is not None and panel.run == run)


def gallery_paths(panel: ResultsPanel) -> list[str]:
    model = panel.gallery.gallery
    return [model.entry(row)[0].path for row in range(model.rowCount())]


def test_panel_fills_from_the_review_file(qtbot, panel, run, tmp_path) -> None:
    show(qtbot, panel, run)
    review = load_review(run / REVIEW_FILE)
    assert panel.stack.currentIndex() == 0 and panel.review is not None
    assert "detect/exp" in panel.summary.text() and f"mAP50 <b>{review.map50:.3f}" in panel.summary.text()
    assert panel.table.rowCount() == 2
    assert [panel.table.item(r, 0).text() for r in range(2)] == NAMES
    assert panel.table.item(0, 3).text() == f"{review.per_class[0][3]:.3f}"
    panel.table.sortItems(3, Qt.SortOrder.AscendingOrder)  # by AP50
    low_first = sorted(NAMES, key=lambda n: dict((r[0], r[3]) for r in review.per_class)[n])
    assert [panel.table.item(r, 0).text() for r in range(2)] == low_first
    # default confidence: the best F1's (here 0: every detection helps), on the slider's 0.01 steps
    assert panel.slider.value() == max(1, round(review.best_conf * 100))
    panel.set_conf(0.25)
    qtbot.waitUntil(lambda: panel.conf == 0.25)
    images = tmp_path / "images"
    # worst first: img_1 (1 false positive + 1 missed), then the clean ones by id
    assert gallery_paths(panel) == [str(images / "img_1.png"), str(images / "img_0.png"),
                                    str(images / "img_2.png")]
    assert panel.counter.text() == "1 of 3 images with errors at conf 0.25"


def test_slider_changes_counts_and_confusion(qtbot, panel, run) -> None:
    show(qtbot, panel, run)
    panel.set_conf(0.25)
    qtbot.waitUntil(lambda: panel.confusion_conf == 0.25, timeout=15000)  # the worker loads torch once
    review = panel.review
    assert panel.confusion.matrix.tolist() == confusion_at(review, 0.25).tolist()
    assert panel.confusion.matrix[1, 1] == 1  # the dog of img_2 found at 0.25
    panel.slider.setValue(50)
    assert panel.conf_label.text() == "0.50"
    qtbot.waitUntil(lambda: panel.counter.text() == "2 of 3 images with errors at conf 0.50")
    assert gallery_paths(panel)[:2] == [review.images[1].path, review.images[2].path]
    qtbot.waitUntil(lambda: panel.confusion_conf == 0.5, timeout=15000)
    at_half = confusion_at(review, 0.5)
    assert panel.confusion.matrix.tolist() == at_half.tolist()
    assert at_half[1, 1] == 0 and at_half[2, 1] == 2  # the low dog is now missed (with img_1's dog)
    # P / R in the table follow the slider too
    assert panel.table.item(1, 6).text() != ""


def test_gallery_draws_outcomes_and_opens_images(qtbot, panel, run) -> None:
    show(qtbot, panel, run)
    panel.set_conf(0.25)
    qtbot.waitUntil(lambda: panel.conf == 0.25)
    panel.tabs.setCurrentIndex(3)
    panel.show()
    qtbot.waitExposed(panel)
    view = panel.gallery
    first = gallery_paths(panel)[0]
    qtbot.waitUntil(lambda: panel.thumbnails.state(first) == READY)  # decoded on the pool, then painted
    shot = view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    colours = _colours(shot)
    for colour in (TP_COLOR, FP_COLOR, MISSED_COLOR):
        assert colour.rgb() & 0xFFFFFF in colours, colour.name()
    centre = view.visualRect(view.model().index(0, 0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    with qtbot.waitSignal(panel.open_image, timeout=2000) as opened:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert opened.args == [first]
    view.setCurrentIndex(view.model().index(2, 0))
    with qtbot.waitSignal(panel.open_image, timeout=2000) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [gallery_paths(panel)[2]]


def _colours(image: QImage) -> set[int]:
    bits = image.constBits()
    pixels = np.frombuffer(bits, np.uint32, image.width() * image.height()).copy()
    return set((pixels & 0xFFFFFF).tolist())


def test_curves_draw_one_line_per_class_and_the_mean(qtbot, panel, run) -> None:
    show(qtbot, panel, run)
    panel.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not panel.curves.stale)
    review = panel.review
    assert sorted(panel.curves.curves) == sorted([f"cat  {review.per_class[0][3]:.3f}",
                                                  f"dog  {review.per_class[1][3]:.3f}",
                                                  f"all classes  mAP50 {review.map50:.3f}"])
    panel.curves.choice.setCurrentIndex(1)  # F1 over confidence, with the slider's confidence marked
    assert panel.curves._marker is not None and panel.curves._marker.value() == pytest.approx(panel.conf)
    panel.set_conf(0.4)
    qtbot.waitUntil(lambda: panel.curves._marker.value() == pytest.approx(0.4))


def test_runs_without_a_review_say_why_and_list_plots(qtbot, panel, run, tmp_path) -> None:
    assert panel.stack.currentIndex() == 1 and panel.plot_images.message.text() == NO_RUN
    old = tmp_path / "runs" / "detect" / "old"  # a finished run from before review files
    (old / "plots").mkdir(parents=True)
    events = EventWriter(old / "events.jsonl")
    events.started({"epochs": 1}, None)
    events.finished("ok")
    events.close()
    Image.new("RGB", (40, 30), (200, 0, 0)).save(old / "plots" / "pr_curve.png")
    panel.show_run(old)
    assert panel.stack.currentIndex() == 1
    assert "no review.json" in panel.plot_images.message.text()
    assert panel.plot_images.files.count() == 1 and not panel.plot_images.image.picture.isNull()
    # the file appears (the run finished): refresh picks it up
    (old / REVIEW_FILE).write_bytes((run / REVIEW_FILE).read_bytes())
    panel.refresh()
    qtbot.waitUntil(lambda: panel.review is not None)
    assert panel.stack.currentIndex() == 0
    denoise = tmp_path / "runs" / "denoise" / "d1"
    denoise.mkdir(parents=True)
    panel.show_runs([denoise])
    assert "denoise run has no detection review" in panel.plot_images.message.text()
    assert panel.plot_images.files.count() == 0 and panel.gallery.gallery.rowCount() == 0
    (old / REVIEW_FILE).write_text("{broken")
    panel.show_run(old)
    qtbot.waitUntil(lambda: "Cannot show" in panel.plot_images.message.text())
    text = panel.plot_images.message.text()
    assert "Cannot show this run's review" in text and str(old / REVIEW_FILE) in text
    panel.show_runs([])
    assert panel.plot_images.message.text() == NO_RUN and panel.review is None


def test_gallery_colours_are_distinct() -> None:
    assert len({QColor(c).name() for c in (TP_COLOR, FP_COLOR, MISSED_COLOR)}) == 3


def test_gallery_draws_a_pose_runs_keypoints_and_skeleton(qtbot) -> None:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter

    from app.panels.results_gallery import paint_keypoints
    from studio.evaluation.review import ImageMatch, ReviewImage

    empty = np.zeros(0, np.int64)
    img = ReviewImage(1, "/x.png", 100, 100, np.array([[0, 0, 50, 50], [60, 60, 90, 90]], float),
                      np.array([0, 0]), np.array([[0, 0, 50, 50, 0.9, 0]], float),
                      gt_kpts=np.array([[[10, 10, 2], [40, 10, 2]], [[70, 70, 2], [80, 85, 0]]], float),
                      det_kpts=np.array([[[10, 10, 0.9], [40, 40, 0.2]]], float))
    match = ImageMatch(np.array([0]), empty, np.array([1]))  # the det is a TP; object 1 was missed
    canvas = QImage(100, 100, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#000000"))
    painter = QPainter(canvas)
    paint_keypoints(painter, img, match, QRectF(0, 0, 100, 100), ((1, 2),))
    painter.end()

    def colour(x: int, y: int) -> int:
        return canvas.pixel(x, y) & 0xFFFFFF

    assert colour(10, 10) == TP_COLOR.rgb() & 0xFFFFFF      # a sure keypoint of the found object
    assert colour(40, 40) == 0 and colour(25, 25) == 0       # an unsure one: no point, no edge to it
    assert colour(70, 70) == MISSED_COLOR.rgb() & 0xFFFFFF   # a labelled point of the missed object
    assert colour(80, 85) == 0                               # its unlabelled point (v = 0) is not drawn
    img_with_edge = ReviewImage(1, "/x.png", 100, 100, img.gt_boxes, img.gt_classes, img.dets,
                                gt_kpts=img.gt_kpts, det_kpts=np.array([[[10, 10, 0.9], [40, 10, 0.8]]]))
    canvas.fill(QColor("#000000"))
    painter = QPainter(canvas)
    paint_keypoints(painter, img_with_edge, match, QRectF(0, 0, 100, 100), ((1, 2),))
    painter.end()
    assert colour(25, 10) == TP_COLOR.rgb() & 0xFFFFFF      # the edge between two sure points
