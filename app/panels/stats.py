"""The statistics dock: a bar chart of objects per class and a scatter of box width against height
(pixels) over the whole project, drawn with pyqtgraph in the classes' colours.

pyqtgraph is imported when the dock is first shown (start-up never loads it). The plots refresh on
demand (Refresh), when a project opens, and ``REFRESH_DELAY_MS`` after the last of a run of edits
(one QTimer single-shot, not one query per edit); a hidden dock refreshes when it is shown again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton, QWidget

from app.canvas.palette import class_color
from app.session import Session
from app.widgets.dock_body import header_column

REFRESH_DELAY_MS = 1000
SCATTER_LIMIT = 20_000  # points drawn at most (evenly thinned)


class StatsPanel(QDockWidget):
    """``bars`` (pyqtgraph BarGraphItem) and ``scatter`` (ScatterPlotItem) exist once shown."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Statistics", parent)
        self.setObjectName("stats_dock")
        self.session = session
        self.plots: Any = None  # pyqtgraph GraphicsLayoutWidget, made on first show
        self.bars: Any = None
        self.scatter: Any = None
        self.counts_plot: Any = None
        self.size_plot: Any = None
        self.stale = True
        self.shown = False  # on screen: visible and, when tabbed, the picked tab
        self.summary = QLabel()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self._layout = header_column(self, self.summary, self.refresh_button)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        session.project_changed.connect(self._changed)
        session.categories_changed.connect(self._changed)
        session.annotations_changed.connect(lambda _id: self._changed())
        self.visibilityChanged.connect(self._visibility)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        """Import pyqtgraph and make the two plots (once)."""
        import pyqtgraph as pg

        background = self.palette().color(self.backgroundRole())
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(background)
        self.counts_plot = self.plots.addPlot(row=0, col=0, title="Objects per class")
        self.counts_plot.setMouseEnabled(x=False, y=False)
        self.counts_plot.hideButtons()
        self.size_plot = self.plots.addPlot(row=1, col=0, title="Box size (px)")
        self.size_plot.setLabel("bottom", "width")
        self.size_plot.setLabel("left", "height")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.counts_plot.addItem(self.bars)
        self.scatter = pg.ScatterPlotItem(size=4, pen=None)
        self.size_plot.addItem(self.scatter)
        self._layout.addWidget(self.plots, 1)

    def _visibility(self, shown: bool) -> None:
        """``visibilityChanged``: shown, or its tab picked (isVisible stays True for a covered tab)."""
        self.shown = shown
        if shown and self.plots is None:
            self._build()
        if shown and self.stale:
            QTimer.singleShot(0, self._refresh_if_shown)  # after the dock has painted

    # ------------------------------------------------------------------ refreshing
    def _changed(self) -> None:
        self.stale = True
        if self.shown:
            self._timer.start()

    def _refresh_if_shown(self) -> None:
        if self.shown and self.stale:
            self.refresh()

    def refresh(self) -> None:
        """Read the figures from the project and redraw both plots."""
        if self.plots is None:
            self._build()
        self.stale = False
        project = self.session.project
        categories = self.session.categories()
        counts = project.category_counts() if project is not None else {}
        heights = [counts.get(c.id, 0) for c in categories]
        colors = [class_color(i) for i in range(len(categories))]
        self.bars.setOpts(x=np.arange(len(categories)), height=heights, width=0.7, brushes=colors,
                          pens=[c.darker(150) for c in colors])
        self.counts_plot.getAxis("bottom").setTicks([[(i, c.name) for i, c in enumerate(categories)]])
        self.counts_plot.setXRange(-0.6, max(len(categories), 1) - 0.4, padding=0)
        self.counts_plot.setYRange(0, max(heights, default=1) * 1.08 or 1, padding=0)
        sizes, total = project.box_sizes(SCATTER_LIMIT) if project is not None else (np.zeros((0, 3)), 0)
        self.scatter.setData(x=sizes[:, 0], y=sizes[:, 1], brush=self._point_brushes(sizes[:, 2]))
        shown = f", {len(sizes):,} drawn" if len(sizes) < total else ""
        self.summary.setText(f"{total:,} objects in {len(categories)} classes{shown}")

    def _point_brushes(self, category_ids: np.ndarray) -> list:
        """One shared, half-transparent brush per class, looked up per point."""
        import pyqtgraph as pg

        index = self.session.category_index()
        lut = {}
        for cid, i in index.items():
            color = class_color(i)
            color.setAlpha(170)
            lut[cid] = pg.mkBrush(color)
        unknown = pg.mkBrush("#ff0000")
        return [lut.get(cid, unknown) for cid in category_ids.astype(np.int64).tolist()]
