"""The Results dock's charts: the per-class AP table, the curves (precision-recall, or P / R / F1 over
confidence; pyqtgraph, imported when first drawn) and the confusion matrix (painted here: counts,
coloured by each true class's share, class names on both axes)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QComboBox, QTableWidget, QTableWidgetItem, QToolTip, QVBoxLayout, QWidget

from app.canvas.palette import class_color, text_color_on
from app.widgets.tables import setup_row_table
from studio.evaluation.review import Review

AP_COLUMNS = ("Class", "Images", "Instances", "AP50", "AP50-95", "Precision", "Recall")
CURVES = ("Precision – recall", "F1 – confidence", "Precision – confidence", "Recall – confidence")
CELL_MIN = 30  # px: the smallest confusion cell before the view scrolls
HOT = QColor("#2f7bf6")  # a cell holding all of its true class; an empty one has the base colour


class SortItem(QTableWidgetItem):
    """A cell that shows ``text`` and sorts by ``key`` (nan first)."""

    def __init__(self, text: str, key: float | str) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.key, getattr(other, "key", other.text())
        if isinstance(mine, float) and isinstance(theirs, float):
            return (not math.isnan(mine), mine) < (not math.isnan(theirs), theirs)
        return str(mine).lower() < str(theirs).lower()


def at_confidence(review: Review, curve: np.ndarray, conf: float) -> np.ndarray:
    """(nc,) each class's value of ``curve`` (nc, C) at confidence ``conf`` (nan rows stay nan)."""
    return np.array([np.interp(conf, review.confidence, row) for row in curve])


def fill_ap_table(table: QTableWidget, review: Review, conf: float) -> None:
    """One row per class: images, instances, AP50, AP50-95, and P / R at ``conf``."""
    if table.columnCount() != len(AP_COLUMNS):
        setup_row_table(table, AP_COLUMNS)
        for column in (5, 6):
            table.horizontalHeaderItem(column).setToolTip("At the slider's confidence (IoU 0.5)")
    table.setSortingEnabled(False)
    table.setRowCount(len(review.per_class))
    p, r = at_confidence(review, review.p, conf), at_confidence(review, review.r, conf)
    for row, (name, images, instances, ap50, ap) in enumerate(review.per_class):
        cells = [SortItem(name, name), SortItem(str(images), float(images)),
                 SortItem(str(instances), float(instances))]
        cells += [SortItem(_fixed(v), float(v)) for v in (ap50, ap, p[row], r[row])]
        cells[0].setData(Qt.ItemDataRole.DecorationRole, class_color(row))
        for column, item in enumerate(cells):
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, column, item)
    table.setSortingEnabled(True)
    table.resizeColumnsToContents()


def _fixed(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


class CurvesView(QWidget):
    """A choice of curve and one pyqtgraph plot: a line per class with ground truth plus the mean (thick);
    over confidence, a vertical line marks the slider's confidence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = QComboBox()
        self.choice.addItems(CURVES)
        self.choice.currentIndexChanged.connect(lambda _i: self.redraw())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.choice, 0, Qt.AlignmentFlag.AlignLeft)
        self.plot: Any = None
        self.review: Review | None = None
        self.conf = 0.25
        self.curves: dict[str, Any] = {}  # legend name -> PlotDataItem
        self._marker: Any = None  # the slider's confidence on a plot over confidence
        self.stale = True

    def set_review(self, review: Review | None, conf: float) -> None:
        self.review, self.conf, self.stale = review, conf, True

    def set_conf(self, conf: float) -> None:
        self.conf = conf
        if self._marker is not None:
            self._marker.setValue(conf)

    def redraw(self) -> None:
        """(Re)draw the chosen curves; builds the plot (importing pyqtgraph) the first time."""
        import pyqtgraph as pg

        if self.plot is None:
            self.plot = pg.PlotWidget()
            self.plot.setBackground(self.palette().color(self.backgroundRole()))
            self.layout().addWidget(self.plot, 1)
        self.stale = False
        plot = self.plot.getPlotItem()
        plot.clear()
        if plot.legend is not None:
            plot.legend.clear()
        self.curves, self._marker = {}, None
        foreground = self.palette().color(self.foregroundRole())
        translucent = QColor(self.palette().color(self.backgroundRole()))
        translucent.setAlpha(200)
        legend = plot.addLegend(offset=(-6, 6), labelTextColor=foreground, labelTextSize="8pt",
                                brush=translucent, pen=None)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.hideButtons()
        plot.setLimits(xMin=-0.02, xMax=1.02, yMin=-0.02, yMax=1.05)
        plot.setXRange(0, 1, padding=0.02)
        plot.setYRange(0, 1.0, padding=0.03)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(foreground)
        if self.review is None:
            return
        self._draw_lines(pg, plot, legend, foreground)

    def _draw_lines(self, pg, plot, legend, foreground: QColor) -> None:
        review = self.review
        kind = self.choice.currentIndex()
        x_label, y_label = (("recall", "precision") if kind == 0 else
                            ("confidence", ("F1", "precision", "recall")[kind - 1]))
        plot.setLabel("bottom", x_label, color=foreground)
        plot.setLabel("left", y_label, color=foreground)
        x = review.recall_points if kind == 0 else review.confidence
        ys = (review.pr, review.f1, review.p, review.r)[kind]
        ap50 = np.array([row[3] for row in review.per_class], dtype=float)
        has = ~np.isnan(ys).all(axis=1)
        for cls in np.flatnonzero(has):
            name = f"{review.names[cls]}  {ap50[cls]:.3f}" if kind == 0 else review.names[cls]
            self.curves[name] = plot.plot(x, ys[cls], pen=pg.mkPen(class_color(int(cls)), width=2),
                                          name=name)
        if has.any():
            mean = np.nanmean(ys[has], axis=0)
            name = (f"all classes  mAP50 {review.map50:.3f}" if kind == 0 else
                    f"all classes  {y_label} {mean.max():.2f} at {x[int(mean.argmax())]:.2f}")
            self.curves[name] = plot.plot(x, mean, pen=pg.mkPen(foreground, width=3.5), name=name)
        if kind:
            dashed = pg.mkPen(foreground, style=Qt.PenStyle.DashLine)
            self._marker = pg.InfiniteLine(self.conf, angle=90, pen=dashed)
            plot.addItem(self._marker)
        legend.setVisible(bool(self.curves))


class ConfusionView(QWidget):
    """``matrix`` (nc + 1, nc + 1) counts, rows predicted, columns true, the last of each background;
    cells coloured by the column's share, counts written in them; the tooltip names the cell."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names: list[str] = []
        self.matrix = np.zeros((1, 1), np.int64)
        self.setMouseTracking(True)

    def set_matrix(self, names: list[str], matrix: np.ndarray) -> None:
        self.names, self.matrix = list(names), np.asarray(matrix)
        self.updateGeometry()
        self.update()

    def labels(self) -> list[str]:
        return [*self.names, "background"]

    def _label_width(self) -> int:
        metrics = QFontMetrics(self.font())
        return max((metrics.horizontalAdvance(n) for n in self.labels()), default=40) + 12

    def minimumSizeHint(self) -> QSize:
        side = self._label_width() + len(self.labels()) * CELL_MIN + 40
        return QSize(side, side)

    def _geometry(self) -> tuple[float, float, float]:
        """(left, top, cell) of the grid."""
        n = len(self.labels())
        label = self._label_width()
        line = QFontMetrics(self.font()).height()
        cell = max(8.0, min((self.width() - label - line - 12) / n, (self.height() - label - line - 12) / n))
        return float(label + line + 6), float(label + line + 6), cell

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.matrix.size <= 1 and not self.names:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, top, cell = self._geometry()
        share = self.matrix / np.maximum(self.matrix.sum(0, keepdims=True), 1)
        cold = self.palette().color(QPalette.ColorRole.Base)
        for (row, column), count in np.ndenumerate(self.matrix):
            rect = QRectF(left + column * cell, top + row * cell, cell - 1, cell - 1)
            color = _blend(cold, HOT, float(share[row, column]))
            painter.fillRect(rect, color)
            if count:
                painter.setPen(text_color_on(color))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(count)))
        self._paint_labels(painter, left, top, cell)
        painter.end()

    def _paint_labels(self, painter: QPainter, left: float, top: float, cell: float) -> None:
        line = QFontMetrics(self.font()).height()
        painter.setPen(self.palette().color(self.foregroundRole()))
        n = len(self.labels())
        for i, name in enumerate(self.labels()):
            painter.drawText(QRectF(0, top + i * cell, left - 6, cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            painter.save()  # column names written upwards above the grid
            painter.translate(QPointF(left + i * cell, top - 6))
            painter.rotate(-90)
            painter.drawText(QRectF(0, 0, top - line - 6, cell),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            painter.restore()
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(left, 0, n * cell, line), Qt.AlignmentFlag.AlignCenter, "True class")
        painter.save()
        painter.translate(QPointF(0, top + n * cell))
        painter.rotate(-90)
        painter.drawText(QRectF(0, 0, n * cell, line), Qt.AlignmentFlag.AlignCenter, "Predicted class")
        painter.restore()

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) under the point, or None."""
        left, top, cell = self._geometry()
        row, column = int((y - top) // cell), int((x - left) // cell)
        n = len(self.labels())
        return (row, column) if 0 <= row < n and 0 <= column < n and x >= left and y >= top else None

    def event(self, event) -> bool:
        if isinstance(event, QHelpEvent):
            hit = self.cell_at(event.pos().x(), event.pos().y())
            if hit is None or self.matrix.shape[0] != len(self.labels()):
                QToolTip.hideText()
                return True
            row, column = hit
            names = self.labels()
            QToolTip.showText(event.globalPos(), f"true {names[column]}, predicted {names[row]}: "
                              f"{int(self.matrix[row, column])}", self)
            return True
        return super().event(event)


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    t = min(max(t, 0.0), 1.0)
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))
