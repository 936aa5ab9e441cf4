"""The RAW compare viewer: noisy | denoised | clean side by side with zoom and pan kept in step, or two of
them in one view split by a slider (A/B), with each image's PSNR / SSIM against the clean one, in a linear
view or rawpy's sRGB preview. The images and scores come from ``studio.evaluation.raw_compare``."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.evaluation.raw_compare import CompareSet, linear_view, load_compare_set, srgb_preview

ZOOM_STEP = 1.25


def to_pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb)
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.shape[1] * 3, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


class SyncedView(QGraphicsView):
    """A view whose wheel zooms about the cursor; ``peers`` follow its zoom and scroll position."""

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.peers: list[SyncedView] = []
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self._following = False
        self.horizontalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def zoom_by(self, factor: float) -> None:
        self.scale(factor, factor)
        self._push()

    def _scrolled(self) -> None:
        if not self._following:
            self._push()

    def _push(self) -> None:
        for peer in self.peers:
            peer._follow(self)

    def _follow(self, leader: SyncedView) -> None:
        """The leader's zoom, centred on the scene point at the middle of the leader's viewport."""
        self._following = True
        self.setTransform(leader.transform())
        self.centerOn(leader.mapToScene(leader.viewport().rect().center()))
        self._following = False


class _Relay(QObject):
    """Carries the worker thread's CompareSet to the GUI thread. The worker holds only this child object,
    never the window: a window whose last Python reference went with the worker would be destroyed on the
    worker thread, and Qt crashes on that."""

    read = Signal(object)


def _read_in_background(relay: _Relay, paths: dict[str, Path | str | None]) -> None:
    compare = load_compare_set(paths)
    with contextlib.suppress(RuntimeError):  # the window was closed and deleted meanwhile
        relay.read.emit(compare)


class RawCompareWindow(QWidget):
    """``load(paths)`` with paths per role (noisy, denoised, clean); at least one. Reading and scoring run
    on a worker thread (a 9-megapixel pair takes seconds); ``loaded`` comes when the views are drawn.
    ``mode``: side by side or A/B; ``rendering``: linear or sRGB preview."""

    loaded = Signal(object)  # the CompareSet

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Compare RAW — Tern Studio")
        self.setObjectName("raw_compare")
        self.compare = CompareSet()
        self.renders: dict[str, dict[str, np.ndarray]] = {}
        self.mode = QComboBox(objectName="compare_mode")
        self.mode.addItems(["Side by side", "A/B split"])
        self.rendering = QComboBox(objectName="compare_rendering")
        self.rendering.addItems(["sRGB preview", "Linear"])
        self.a_pick, self.b_pick = QComboBox(objectName="compare_a"), QComboBox(objectName="compare_b")
        self.split = QSlider(Qt.Orientation.Horizontal, objectName="compare_split")
        self.split.setRange(0, 1000)
        self.split.setValue(500)
        self.readout = QLabel(objectName="compare_readout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self._build_views()
        self._layout()
        for combo in (self.mode, self.rendering, self.a_pick, self.b_pick):
            combo.currentIndexChanged.connect(self.redraw)
        self.split.valueChanged.connect(self._move_split)
        self._relay = _Relay(self)  # the worker's result, delivered on the GUI thread
        self._relay.read.connect(self._show_loaded)
        self.resize(1400, 640)

    # ------------------------------------------------------------------ building
    def _build_views(self) -> None:
        self.side_scenes = [QGraphicsScene(self) for _ in range(3)]
        self.side_items = [QGraphicsPixmapItem() for _ in range(3)]
        self.side_labels = [QLabel() for _ in range(3)]
        self.side_views = [SyncedView(s) for s in self.side_scenes]
        side = QWidget()
        row = QHBoxLayout(side)
        row.setContentsMargins(0, 0, 0, 0)
        for scene, item, label, view in zip(self.side_scenes, self.side_items, self.side_labels,
                                             self.side_views, strict=True):
            scene.addItem(item)
            view.peers = [v for v in self.side_views if v is not view]
            column = QVBoxLayout()
            column.addWidget(label)
            column.addWidget(view, 1)
            row.addLayout(column, 1)
        self.ab_scene = QGraphicsScene(self)
        self.a_item = QGraphicsPixmapItem()
        self.b_clip = QGraphicsRectItem()
        self.b_clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self.b_clip.setPen(QPen(Qt.PenStyle.NoPen))
        self.b_item = QGraphicsPixmapItem(self.b_clip)
        self.split_line = QGraphicsLineItem()
        self.split_line.setPen(QPen(Qt.GlobalColor.yellow, 0))
        for item in (self.a_item, self.b_clip, self.split_line):
            self.ab_scene.addItem(item)
        self.ab_view = SyncedView(self.ab_scene)
        self.stack.addWidget(side)
        self.stack.addWidget(self.ab_view)

    def _layout(self) -> None:
        bar = QHBoxLayout()
        for text, widget in (("Mode", self.mode), ("View", self.rendering), ("A", self.a_pick),
                             ("B", self.b_pick)):
            bar.addWidget(QLabel(text))
            bar.addWidget(widget)
        bar.addWidget(QLabel("Split"))
        bar.addWidget(self.split, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.readout)

    # ------------------------------------------------------------------ data
    def load(self, paths: dict[str, Path | str | None]) -> None:
        """Read and score ``paths`` off the GUI thread; the views update when ``loaded`` is emitted."""
        names = ", ".join(Path(p).name for p in paths.values() if p)
        self.readout.setText(f"reading {names} ...")
        threading.Thread(target=_read_in_background, args=(self._relay, dict(paths)), name="raw-compare",
                         daemon=True).start()

    def _show_loaded(self, compare: CompareSet) -> None:
        self.compare = compare
        self.renders = {}
        roles = self.compare.roles
        for combo, default in ((self.a_pick, 0), (self.b_pick, 1)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(roles)
            combo.setCurrentIndex(min(default, max(len(roles) - 1, 0)))
            combo.blockSignals(False)
        text = self.compare.readout()
        if self.compare.notes:
            text = "; ".join(self.compare.notes) + ("  |  " + text if text else "")
        self.readout.setText(text)
        self.redraw()
        self.fit()
        self.loaded.emit(compare)

    def render(self, role: str) -> np.ndarray:
        """The (h, w, 3) uint8 rendering of ``role`` in the chosen view (cached)."""
        kind = self.rendering.currentText()
        cache = self.renders.setdefault(kind, {})
        if role not in cache:
            image = self.compare.images[role]
            if kind == "Linear":
                reference = self.compare.images.get("clean", image).packed
                cache[role] = linear_view(image.packed, reference)
            else:
                cache[role] = srgb_preview(image.path, image.packed.shape[1:])
        return cache[role]

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        roles = self.compare.roles
        ab = self.mode.currentIndex() == 1
        self.stack.setCurrentIndex(1 if ab else 0)
        for widget in (self.a_pick, self.b_pick, self.split):
            widget.setEnabled(ab)
        if not roles:
            return
        if ab:
            self._draw_ab()
            return
        for i, (item, label) in enumerate(zip(self.side_items, self.side_labels, strict=True)):
            role = roles[i] if i < len(roles) else None
            item.setPixmap(to_pixmap(self.render(role)) if role else QPixmap())
            label.setText(self._caption(role) if role else "")
            self.side_views[i].setVisible(role is not None)
            self.side_scenes[i].setSceneRect(item.boundingRect())

    def _caption(self, role: str) -> str:
        image = self.compare.images[role]
        score = f"  PSNR {image.psnr:.2f} dB  SSIM {image.ssim:.4f}" if image.psnr is not None else ""
        return f"{role}: {image.path.name}{score}"

    def _draw_ab(self) -> None:
        a, b = self.a_pick.currentText(), self.b_pick.currentText()
        if not a or not b:
            return
        self.a_item.setPixmap(to_pixmap(self.render(a)))
        self.b_item.setPixmap(to_pixmap(self.render(b)))
        self.ab_scene.setSceneRect(self.a_item.boundingRect())
        self._move_split()

    def _move_split(self) -> None:
        rect = self.a_item.boundingRect()
        x = rect.width() * self.split.value() / 1000
        self.b_clip.setRect(QRectF(x, 0, rect.width() - x, rect.height()))
        self.split_line.setLine(x, 0, x, rect.height())

    def fit(self) -> None:
        for view in (*self.side_views, self.ab_view):
            view.fitInView(view.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)


def open_raw_compare(parent: QWidget) -> RawCompareWindow | None:
    """Ask for the files (clean first; cancel a later one to leave it out) and show the viewer."""
    paths = {}
    for role in ("clean", "noisy", "denoised"):
        path, _ = QFileDialog.getOpenFileName(parent, f"Compare RAW: the {role} file (cancel: none)", "",
                                              "RAW files (*.dng *.nef *.cr2 *.cr3 *.arw *.raf *.rw2 *.orf "
                                              "*.pef *.srw);;All files (*)")
        paths[role] = path or None
    if not any(paths.values()):
        return None
    window = RawCompareWindow(parent)
    window.load(paths)
    window.show()
    return window
