"""The metrics dock: the curves of the selected runs over epochs, one colour per run (named in the summary
line), one line style per metric (each plot's legend), drawn with pyqtgraph (imported when the dock is first
shown; start-up never loads it).

Plots appear for what the shown runs measure: Losses (``train/*``), mAP (``metrics/mAP50(B)``,
``metrics/mAP50-95(B)`` and the ``(P)`` keypoint variants), PSNR (``val/psnr``), SSIM (``val/ssim``) and the
learning rate (``lr/*``). ``show_runs`` takes the ``RunState`` objects the jobs dock polls (or run folders,
which this dock then reads itself); ``refresh`` redraws from them and is cheap, so the jobs dock's
``changed`` drives it at every new event. Save PNG writes the plots as one image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QPushButton,
    QWidget,
)

from app.canvas.palette import class_color
from app.widgets.dock_body import header_column
from studio.jobs.run_monitor import RunState, RunWatcher


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    names: tuple[str, ...] = ()  # exact metric names, in legend order
    prefix: str = ""  # or every metric whose name starts with this


PLOTS = (
    PlotSpec("loss", "Losses", prefix="train/"),
    PlotSpec("map", "mAP", ("metrics/mAP50(B)", "metrics/mAP50-95(B)", "metrics/mAP50(P)",
                            "metrics/mAP50-95(P)")),
    PlotSpec("psnr", "PSNR (dB)", ("val/psnr",)),
    PlotSpec("ssim", "SSIM", ("val/ssim",)),
    PlotSpec("lr", "Learning rate", prefix="lr/"),
)
STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
          Qt.PenStyle.DashDotDotLine)
SYMBOLS = ("o", "t", "s", "d", "+")
NO_RUN = "No run selected: select runs in the Jobs panel"
BOUNDED = ("map", "ssim")  # plots of values in [0, 1]
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def plotted_names(spec: PlotSpec, names: set[str]) -> list[str]:
    """The metrics of ``names`` that go in the plot ``spec``, in a stable order."""
    if spec.prefix:
        return sorted(n for n in names if n.startswith(spec.prefix))
    return [n for n in spec.names if n in names]


def short_name(name: str) -> str:
    """train/box_loss -> box_loss, metrics/mAP50(B) -> mAP50(B), lr/pg0 -> pg0."""
    return name.split("/", 1)[-1]


class MetricsPanel(QDockWidget):
    """``plots`` (a pyqtgraph GraphicsLayoutWidget) exists once shown; ``curves`` maps
    (run folder, metric name) to its PlotDataItem."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Metrics", parent)
        self.setObjectName("metrics_panel")
        self.states: list[RunState] = []
        self._own: dict[Path, RunWatcher] = {}  # runs given as folders: read here
        self.plots: Any = None
        self.plot_items: dict[str, Any] = {}  # PlotSpec.key -> PlotItem, for the plots in the layout
        self.legends: dict[str, Any] = {}  # PlotSpec.key -> its LegendItem (under the plot)
        self.curves: dict[tuple[Path, str], Any] = {}
        self._owner: dict[tuple[Path, str], Any] = {}  # the PlotItem of each curve
        self._looks: dict[tuple[Path, str], tuple[str, int]] = {}  # colour, line style
        self._legend_names: dict[str, tuple[str, ...]] = {}  # PlotSpec.key -> the metrics in its legend
        self._layout_keys: tuple | None = None
        self.stale = True
        self.shown = False
        self.summary = QLabel(NO_RUN)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save these plots as one PNG image")
        self.save_button.clicked.connect(self._save_dialog)
        self._layout = header_column(self, self.summary, self.save_button)
        self.visibilityChanged.connect(self._visibility)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        """Import pyqtgraph and make the plot area (once)."""
        import pyqtgraph as pg

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(self.palette().color(self.backgroundRole()))
        self._layout.addWidget(self.plots, 1)

    def _arrange(self, keys: tuple[str, ...]) -> None:
        """Lay out one plot per key, side by side (only when the set of plots changes)."""
        signature = keys or ("", bool(self.states))  # no plots: the message says whether runs are shown
        if signature == self._layout_keys:
            return
        self._layout_keys = signature
        self.plots.clear()
        self.plot_items, self.legends, self._legend_names = {}, {}, {}
        self.curves, self._owner, self._looks = {}, {}, {}
        if not keys:
            text = "No metrics yet (they come at the end of each epoch)" if self.states else "No run selected"
            self.plots.addLabel(text, row=0, col=0, color=self.palette().color(self.foregroundRole()))
            return
        specs = {spec.key: spec for spec in PLOTS}
        foreground = self.palette().color(self.foregroundRole())
        translucent = QColor(self.palette().color(self.backgroundRole()))
        translucent.setAlpha(190)
        for column, key in enumerate(keys):
            plot = self.plots.addPlot(row=0, col=column)
            plot.setTitle(specs[key].title, color=foreground)
            plot.setLabel("bottom", "epoch", color=foreground)
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.hideButtons()
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(foreground)
            if key in BOUNDED:
                plot.setLimits(yMin=-0.05, yMax=1.05)
            if key == "lr":
                plot.getAxis("left").enableAutoSIPrefix(False)
            legend = plot.addLegend(offset=(-4, 4), labelTextColor=foreground, labelTextSize="8pt",
                                    brush=translucent, pen=None)
            self.plot_items[key], self.legends[key] = plot, legend

    def _visibility(self, shown: bool) -> None:
        """``visibilityChanged``: shown, or its tab picked."""
        self.shown = shown
        if shown and self.plots is None:
            self._build()
        if shown and self.stale:
            QTimer.singleShot(0, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.shown and self.stale:
            self.refresh()

    # ------------------------------------------------------------------ data
    def show_runs(self, runs: list[RunState | Path]) -> None:
        """Overlay these runs (RunState objects kept by the jobs dock, or run folders read here)."""
        states = []
        own = {}
        for item in runs:
            if isinstance(item, RunState):
                states.append(item)
            else:
                run = Path(item)
                watcher = own[run] = self._own.get(run) or RunWatcher(run)
                states.append(watcher.state)
        self._own = own
        self.states = states
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the shown runs' states (a hidden dock redraws when it is shown again)."""
        for watcher in self._own.values():
            watcher.poll()
        self.states = [self._own[s.run].state if s.run in self._own else s for s in self.states]
        self._show_summary()
        if self.plots is None or not self.shown:
            self.stale = True
            return
        self.stale = False
        names = {name for state in self.states for name in state.metrics}
        self._arrange(tuple(spec.key for spec in PLOTS if plotted_names(spec, names)))
        wanted = set()
        for spec in PLOTS:
            if spec.key not in self.plot_items:
                continue
            plotted = plotted_names(spec, names)  # a metric's line style is its place in this list
            self._legend(spec.key, plotted)
            for index, state in enumerate(self.states):
                for style, name in enumerate(plotted):
                    if name in state.metrics:
                        wanted.add((state.run, name))
                        self._draw(spec.key, index, style, state, name)
        for key in [k for k in self.curves if k not in wanted]:
            self._remove(key)
        for plot in self.plot_items.values():
            _integer_ticks(plot, [c for k, c in self.curves.items() if self._owner[k] is plot])

    def _legend(self, plot_key: str, plotted: list[str]) -> None:
        """The line style of each metric of a plot (grey samples: the colours are the runs', named in the
        summary line above); none for a plot of one metric."""
        import pyqtgraph as pg

        shown = tuple(plotted) if len(plotted) > 1 else ()
        if self._legend_names.get(plot_key) == shown:
            return
        self._legend_names[plot_key] = shown
        legend = self.legends[plot_key]
        legend.clear()
        grey = QColor("#8a8a8a")
        for style, name in enumerate(shown):
            sample = pg.PlotDataItem(pen=pg.mkPen(grey, width=2, style=STYLES[style % len(STYLES)]),
                                     symbol=SYMBOLS[style % len(SYMBOLS)], symbolSize=6, symbolBrush=grey,
                                     symbolPen=grey)
            legend.addItem(sample, short_name(name))

    def _remove(self, key: tuple[Path, str]) -> None:
        curve, plot = self.curves.pop(key), self._owner.pop(key)
        self._looks.pop(key, None)
        plot.removeItem(curve)

    def _draw(self, plot_key: str, index: int, style: int, state: RunState, name: str) -> None:
        """Set (or make) the curve of ``name`` of run ``state``: colour by run, line style by metric."""
        import pyqtgraph as pg

        points = state.metrics.get(name, [])
        x = np.array([p[0] for p in points], dtype=float)
        y = np.array([p[1] for p in points], dtype=float)
        color = class_color(index)
        key = (state.run, name)
        curve = self.curves.get(key)
        if curve is None or self._looks[key] != (color.name(), style):
            if curve is not None:
                self._remove(key)
            plot = self.plot_items[plot_key]
            pen = pg.mkPen(color, width=2, style=STYLES[style % len(STYLES)])
            curve = plot.plot(pen=pen, symbol=SYMBOLS[style % len(SYMBOLS)], symbolSize=6,
                              symbolBrush=color, symbolPen=color)
            self.curves[key], self._owner[key] = curve, plot
            self._looks[key] = (color.name(), style)
        curve.setData(x, y)

    def _show_summary(self) -> None:
        if not self.states:
            self.summary.setText(NO_RUN)
            return
        parts = []
        for index, state in enumerate(self.states):
            color = class_color(index).name()
            facts = [state.status] + ([_epochs(state)] if state.epoch else [])
            facts += [] if state.metrics else ["no metrics yet"]
            parts.append(f'<span style="color:{color}">&#9632;</span> {state.task}/{state.name} '
                         f"({', '.join(facts)})")
        self.summary.setText("&nbsp;&nbsp;&nbsp;".join(parts))

    # ------------------------------------------------------------------ output
    def point_count(self, name: str) -> int:
        """Points plotted for metric ``name`` over the shown runs (0 before the dock was first shown)."""
        total = 0
        for (_, metric), curve in self.curves.items():
            if metric == name and curve.xData is not None:
                total += len(curve.xData)
        return total

    def save_png(self, path: Path) -> Path:
        """The plots (as on screen, or drawn now if never shown) as one PNG; returns ``path``."""
        path = Path(path).with_suffix(".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.plots is None:
            self._build()
        if self.stale:
            shown, self.shown = self.shown, True
            self.refresh()
            self.shown = shown
        if not _stacked(self.summary.grab(), self.plots.grab(), self.plots.backgroundBrush().color()).save(
                str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return path

    def _save_dialog(self) -> None:
        name = "_".join(state.name for state in self.states) or "metrics"
        path, _ = QFileDialog.getSaveFileName(self, "Save the plots", f"{name}.png", "PNG images (*.png)")
        if path:
            self.save_png(Path(path))


def _stacked(top: QPixmap, bottom: QPixmap, background: QColor) -> QPixmap:
    """``top`` above ``bottom`` on ``background`` (the run colours above the plots, for a saved PNG)."""
    ratio = bottom.devicePixelRatio()
    out = QPixmap(max(top.width(), bottom.width()), top.height() + bottom.height())
    out.setDevicePixelRatio(ratio)
    out.fill(background)
    painter = QPainter(out)
    painter.drawPixmap(0, 0, top)
    painter.drawPixmap(0, round(top.height() / ratio), bottom)
    painter.end()
    return out


def _integer_ticks(plot: Any, curves: list[Any]) -> None:
    """Whole epochs on the x axis: a round step giving at most ~8 ticks over the epochs plotted."""
    last = max((float(c.xData.max()) for c in curves if c.xData is not None and len(c.xData)), default=1.0)
    step = next((s for s in NICE_STEPS if s >= last / 8), NICE_STEPS[-1])
    plot.getAxis("bottom").setTickSpacing(major=step, minor=step)


def _epochs(state: RunState) -> str:
    return f"epoch {state.epoch}/{state.epochs}" if state.epochs else f"epoch {state.epoch}"
