"""The plots are written (atomically) as real, non-trivial PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.data.records import ImageRecord
from studio.evaluation.coco_map import evaluate_detections
from studio.evaluation.plots import plot_confusion, plot_pr_curve, plot_results, plot_val_grid

NAMES = ["person", "bicycle", "car"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path, min_bytes: int = 5000) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > min_bytes
    assert not list(path.parent.glob(f".{path.name}.*"))  # no temp file left behind


def synthetic(seed: int = 0, images: int = 12):
    """Records with 1-4 objects each and noisy detections of them (plus some false ones)."""
    rng = np.random.default_rng(seed)
    records, preds = [], {}
    for i in range(1, images + 1):
        n = int(rng.integers(1, 5))
        xy = rng.uniform(0, 200, (n, 2))
        wh = rng.uniform(20, 100, (n, 2))
        boxes = np.concatenate([xy, xy + wh], 1).astype(np.float32)
        classes = rng.integers(0, len(NAMES), n)
        records.append(ImageRecord(i, f"{i}.jpg", 320, 320, boxes, classes, np.zeros(n, bool)))
        noisy = boxes + rng.normal(0, 6, boxes.shape)
        scores = rng.uniform(0.2, 1.0, (n, 1))
        flip = np.where(rng.uniform(size=n) < 0.2, (classes + 1) % len(NAMES), classes)
        false = np.array([[150, 150, 190, 200, rng.uniform(0.05, 0.6), rng.integers(0, 3)]])
        found = np.concatenate([noisy, scores, flip[:, None]], 1)
        preds[i] = np.concatenate([found, false]).astype(np.float32)
    return records, preds


def test_results_plot(tmp_path) -> None:
    csv = tmp_path / "results.csv"
    rows = ["epoch,train/box_loss,train/cls_loss,metrics/mAP50(B),metrics/mAP50-95(B),lr/pg0"]
    rows += [f"{e},{2 / (e + 1):.4f},{3 / (e + 1):.4f},{e / 20:.4f},{e / 40:.4f},{0.01 * 0.9 ** e:.5f}"
             for e in range(10)]
    rows.append("10,0.18,0.27,,,0.0035")  # a row with empty cells (validation skipped)
    csv.write_text("\n".join(rows) + "\n")
    assert_png(plot_results(csv, tmp_path / "plots" / "results.png"))


def test_pr_curve_and_confusion(tmp_path) -> None:
    from studio.evaluation.confusion import ConfusionMatrix

    records, preds = synthetic()
    metrics = evaluate_detections(records, preds, [1, 2, 3], NAMES)
    assert 0 < metrics.map50 < 1
    assert_png(plot_pr_curve(metrics, NAMES, tmp_path / "pr_curve.png"))
    cm = ConfusionMatrix(len(NAMES))
    for r in records:
        cm.update(preds[r.image_id], r.boxes, r.classes)
    assert cm.matrix.sum() > 0
    assert_png(plot_confusion(cm.matrix, NAMES, tmp_path / "confusion.png"))
    assert_png(plot_confusion(cm.matrix, NAMES, tmp_path / "confusion_counts.png", normalize=False))


def test_val_grid(tmp_path) -> None:
    records, preds = synthetic(images=5)
    rng = np.random.default_rng(1)
    items = []
    for r in records:
        image = rng.integers(0, 255, (240 + 20 * r.image_id, 320, 3), dtype=np.uint8)
        items.append((image, r.boxes, r.classes, preds[r.image_id]))
    assert_png(plot_val_grid(items, NAMES, tmp_path / "val.png"), min_bytes=50_000)


@pytest.mark.parametrize("count", [0, 1])
def test_val_grid_with_few_images(tmp_path, count) -> None:
    items = [(np.full((100, 50, 3), 200, np.uint8), np.zeros((0, 4)), np.zeros(0), np.zeros((0, 6)))][:count]
    assert_png(plot_val_grid(items, NAMES, tmp_path / "few.png"), min_bytes=1000)
