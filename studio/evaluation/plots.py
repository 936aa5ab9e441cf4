"""Run plots as PNG files: training curves (results.csv), PR and F1 curves, the confusion matrix, and a grid
of validation images with ground truth vs predictions. matplotlib's Figure API with the Agg canvas only
(no pyplot: no global state, no GUI backend); every file is written atomically."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from studio.evaluation.coco_map import DetectionMetrics
from studio.inference.draw import GT_COLOR, class_name, draw_boxes, draw_detections
from studio.utils.atomic import atomic_write_bytes

GRID_SIDE = 480       # long side of each image in the validation grid, pixels
MAX_ANNOTATED = 30    # the confusion matrix prints its numbers up to this many classes
MAX_LEGEND = 20       # the PR plot names each class up to this many classes


def plot_results(csv_path: Path | str, out_png: Path | str) -> Path:
    """One small panel per column of ``results.csv`` (except ``epoch``), value by epoch."""
    epochs, columns = _read_results(Path(csv_path))
    cols = max(1, min(5, len(columns)))
    rows = max(1, math.ceil(len(columns) / cols))
    fig = _figure((3.2 * cols, 2.6 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, (name, values) in zip(axes, columns.items(), strict=False):
        ax.plot(epochs, values, marker=".", markersize=4, linewidth=1.5, color="#1f77b4")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(columns):]:
        ax.set_axis_off()
    if not columns:
        axes[0].text(0.5, 0.5, "results.csv has no metric columns yet", ha="center", va="center")
    fig.supxlabel("epoch", fontsize=9)
    return _save(fig, out_png)


def _read_results(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(epochs (E,), {column: values (E,)}); empty cells are nan."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [c for c in (rows[0].keys() if rows else []) if c != "epoch"]
    epochs = np.asarray([float(r["epoch"]) for r in rows])
    columns = {n: np.asarray([float(r[n]) if r.get(n) not in ("", None) else np.nan for r in rows])
               for n in names}
    return epochs, columns


def plot_pr_curve(metrics: DetectionMetrics, names: Sequence[str], out_png: Path | str) -> Path:
    """Left: precision-recall at IoU 0.5 per class and their mean (whose area is mAP50); right: F1 over
    confidence per class and their mean, the chosen confidence marked."""
    c = metrics.curves
    fig = _figure((13, 5.5))
    ax_pr, ax_f1 = fig.subplots(1, 2)
    legend = len(names) <= MAX_LEGEND
    for cls in np.flatnonzero(c.has_gt):
        color = f"C{cls % 10}" if legend else "#999999"  # many classes: grey lines, no legend
        label = f"{class_name(names, cls)} {metrics.per_class[cls][3]:.3f}" if legend else None
        ax_pr.plot(c.recall_points, c.pr[cls], linewidth=1, color=color, label=label)
        ax_f1.plot(c.confidence, c.f1[cls], linewidth=1, color=color)
    if c.has_gt.any():
        ax_pr.plot(c.recall_points, c.pr[c.has_gt].mean(0), linewidth=3, color="black",
                   label=f"all classes mAP50 {metrics.map50:.3f}")
        best_f1 = float(c.f1[c.has_gt].mean(0)[np.searchsorted(c.confidence, c.best_conf)])
        ax_f1.plot(c.confidence, c.f1[c.has_gt].mean(0), linewidth=3, color="black",
                   label=f"all classes F1 {best_f1:.2f} at {c.best_conf:.3f}")
        ax_f1.axvline(c.best_conf, color="#888888", linestyle="--", linewidth=1)
    _unit_axes(ax_pr, "recall", "precision", "precision-recall (IoU 0.5)")
    _unit_axes(ax_f1, "confidence", "F1", "F1 over confidence (IoU 0.5)")
    for ax in (ax_pr, ax_f1):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower left", fontsize=7)
    return _save(fig, out_png)


def _unit_axes(ax, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)


def plot_confusion(matrix: np.ndarray, names: Sequence[str], out_png: Path | str,
                   normalize: bool = True) -> Path:
    """``matrix`` (nc + 1, nc + 1): rows predicted, columns true, the last of each background.
    normalize: each column as shares of its true class."""
    matrix = np.asarray(matrix, dtype=np.float64)
    shown = matrix / np.maximum(matrix.sum(0, keepdims=True), 1) if normalize else matrix
    labels = [*names, "background"]
    n = len(labels)
    side = min(max(6.0, 0.45 * n + 3), 24.0)
    fig = _figure((side + 1.5, side))
    ax = fig.subplots()
    image = ax.imshow(np.where(shown > 0, shown, np.nan), cmap="Blues", vmin=0,
                      vmax=1 if normalize else max(float(shown.max()), 1))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fontsize = 10 if n <= 12 else max(4, 10 - n // 8)
    ax.set_xticks(range(n), labels, rotation=90, fontsize=fontsize)
    ax.set_yticks(range(n), labels, fontsize=fontsize)
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.set_title("confusion matrix" + (" (normalised by true class)" if normalize else ""))
    if n <= MAX_ANNOTATED:
        for (i, j), value in np.ndenumerate(shown):
            if value > 0:
                text = f"{value:.2f}" if normalize else f"{int(value)}"
                ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                        color="white" if value > 0.5 * (1 if normalize else shown.max()) else "black")
    return _save(fig, out_png)


def plot_val_grid(items: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                  names: Sequence[str], out_png: Path | str,
                  skeleton: Sequence[tuple[int, int]] = ()) -> Path:
    """items: (image (H, W, 3) uint8 RGB, ground truth boxes (m, 4) xyxy px, ground truth classes (m,),
    detections (n, 6 + 3K) xyxy px, score, class index, then a pose model's keypoints x, y, conf). Ground
    truth in green with its class name, predictions in their class colour with name and score, keypoints
    coloured by confidence and joined by ``skeleton`` (1-based edges)."""
    count = max(len(items), 1)
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    fig = _figure((4 * cols, 4 * rows + 0.4))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, (image, gt_boxes, gt_classes, dets) in zip(axes, items, strict=False):
        ax.imshow(_annotated(image, gt_boxes, gt_classes, dets, names, skeleton))
    for ax in axes:
        ax.set_axis_off()
    fig.suptitle("green: ground truth    coloured: predictions (class score)", fontsize=11)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.5 / (4 * rows + 0.4), wspace=0.03,
                        hspace=0.03)
    return _save(fig, out_png, tight=False)


def _annotated(image: np.ndarray, gt_boxes: np.ndarray, gt_classes: np.ndarray, dets: np.ndarray,
               names: Sequence[str], skeleton: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """The image scaled to GRID_SIDE on its long side with ground truth and predictions drawn."""
    scale = GRID_SIDE / max(image.shape[:2])
    size = (max(round(image.shape[1] * scale), 1), max(round(image.shape[0] * scale), 1))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    gt = np.asarray(gt_boxes, dtype=np.float32).reshape(-1, 4) * scale
    classes = np.asarray(gt_classes, dtype=np.int64).reshape(-1)
    small = draw_boxes(small, gt, [GT_COLOR] * len(gt), [class_name(names, int(c)) for c in classes],
                       line_width=2, below=True)
    dets = np.asarray(dets, dtype=np.float32)
    dets = dets.reshape(-1, dets.shape[-1] if dets.ndim == 2 else 6).copy()
    dets[:, :4] *= scale
    dets[:, 6::3] *= scale  # keypoint x
    dets[:, 7::3] *= scale  # keypoint y
    return draw_detections(small, dets, names, line_width=2, skeleton=skeleton)


def _figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out_png: Path | str, tight: bool = True) -> Path:
    """Render to PNG bytes, then write them atomically."""
    out_png = Path(out_png)
    buffer = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buffer, format="png")
    atomic_write_bytes(out_png, buffer.getvalue())
    return out_png
