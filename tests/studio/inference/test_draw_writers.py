"""Drawing, prediction files, sources and letterboxing of the inference side."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from studio.errors import DatasetFormatError, DatasetNotFoundError
from studio.evaluation.coco_map import to_coco_results
from studio.inference.draw import class_color, draw_detections
from studio.inference.preprocess import letterbox_batch
from studio.inference.sources import iter_source, list_source
from studio.inference.writers import write_images_json, write_predictions_json, write_yolo_txt

DETS = np.array([[10, 40, 110, 110, 0.91, 0], [150.5, 40.25, 230.75, 190, 0.42, 2]], np.float32)


def test_draw_detections_boxes_and_labels() -> None:
    img = np.full((240, 320, 3), 255, np.uint8)
    out = draw_detections(img, DETS, ["cat", "dog", "bird"])
    assert out.shape == img.shape and out.dtype == np.uint8 and (img == 255).all()  # input untouched
    for x1, y1, _, _, _, cls in DETS:
        color = class_color(int(cls))
        left_edge = out[int(y1) + 30, round(float(x1))]
        assert tuple(left_edge) == color
        assert (out[int(y1) + 30, int(x1) + 20] == 255).all()  # inside the box stays as it was
    # the label tab of the first box sits above it, filled with its colour, with text in it
    tab = out[24:38, 12:60]
    assert (tab == class_color(0)).all(-1).mean() > 0.4 and not (tab == class_color(0)).all()
    assert (draw_detections(img, np.zeros((0, 6)), []) == img).all()


def test_labels_stay_inside_the_image_and_unknown_classes_draw() -> None:
    img = np.zeros((60, 80, 3), np.uint8)
    out = draw_detections(img, np.array([[0, 0, 80, 60, 0.5, 41]], np.float32), ["a"])
    assert (out[2:10, 2:20] == class_color(41)).all(-1).any()  # tab moved inside the box at the top


def test_yolo_rows_parse_back(tmp_path) -> None:
    h, w = 240, 320
    path = write_yolo_txt(tmp_path / "labels" / "a.txt", DETS, (h, w))
    rows = [line.split() for line in path.read_text().splitlines()]
    assert len(rows) == 2 and all(len(r) == 6 for r in rows)
    assert all(len(v.split(".")[1]) == 6 for r in rows for v in r[1:])  # six decimals
    back = np.array(rows, np.float64)
    assert back[:, 0].tolist() == [0, 2]
    cx, cy, bw, bh = back[:, 1], back[:, 2], back[:, 3], back[:, 4]
    boxes = np.stack([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h], 1)
    assert np.allclose(boxes / [w, h, w, h], DETS[:, :4] / [w, h, w, h], atol=1e-5)
    assert np.allclose(back[:, 5], DETS[:, 4], atol=1e-6)
    assert write_yolo_txt(tmp_path / "empty.txt", np.zeros((0, 6)), (h, w)).read_text() == ""


def test_predictions_and_images_json(tmp_path) -> None:
    write_predictions_json(tmp_path / "predictions.json", {3: DETS}, [1, 5, 9])
    results = json.loads((tmp_path / "predictions.json").read_text())
    assert results == to_coco_results({3: DETS}, [1, 5, 9])
    assert [r["category_id"] for r in results] == [1, 9]
    assert results[1]["bbox"] == [150.5, 40.25, 80.25, 149.75]
    entry = {"id": 3, "file_name": "a.jpg", "width": 320, "height": 240}
    write_images_json(tmp_path / "images.json", [entry])
    assert json.loads((tmp_path / "images.json").read_text()) == [
        {"id": 3, "file_name": "a.jpg", "width": 320, "height": 240}]
    with pytest.raises(ValueError, match="width"):
        write_images_json(tmp_path / "bad.json", [{"id": 1, "file_name": "x.jpg", "height": 2}])


def write_png(path, h=30, w=40, value=100) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def test_sources_image_folder_and_dataset(tmp_path) -> None:
    folder = tmp_path / "pics"
    for name, value in (("b.png", 20), ("a.PNG", 10), ("c.jpg", 30)):
        write_png(folder / name, value=value)
    (folder / "notes.txt").write_text("not an image")
    write_png(folder / "sub" / "deeper.png")
    assert [(i, p.name) for i, p in list_source(folder)] == [(1, "a.PNG"), (2, "b.png"), (3, "c.jpg")]
    assert [(i, p.name) for i, p in list_source(folder / "c.jpg")] == [(1, "c.jpg")]
    image_id, path, rgb = next(iter_source(folder / "b.png"))
    assert (image_id, path.name, rgb.shape, int(rgb[0, 0, 0])) == (1, "b.png", (30, 40, 3), 20)

    yolo = tmp_path / "yolo"
    write_png(yolo / "images" / "val" / "x.png")
    write_png(yolo / "images" / "val" / "y.png")
    (yolo / "labels" / "val").mkdir(parents=True)
    (yolo / "labels" / "val" / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (yolo / "data.yaml").write_text("path: .\ntrain: images/val\nval: images/val\nnames: [thing]\n")
    listed = list_source(yolo)
    assert sorted(p.name for _, p in listed) == ["x.png", "y.png"] and len({i for i, _ in listed}) == 2
    assert list_source(yolo / "data.yaml") == listed


def test_source_errors(tmp_path) -> None:
    with pytest.raises(DatasetNotFoundError, match="no such"):
        list_source(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match="holds no images"):
        list_source(tmp_path / "empty")
    write_png(tmp_path / "ok" / "1.png")
    (tmp_path / "ok" / "2.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetFormatError, match=r"2\.png"):
        list(iter_source(tmp_path / "ok"))
    skipped: list[str] = []
    assert [i for i, _, _ in iter_source(tmp_path / "ok", skipped)] == [1]
    assert len(skipped) == 1 and "2.png" in skipped[0]


def test_letterbox_batch_and_back() -> None:
    imgs = [np.full((50, 100, 3), 200, np.uint8), np.full((64, 32, 3), 10, np.uint8)]
    batch, geometry = letterbox_batch(imgs, 64)
    assert batch.shape == (2, 3, 64, 64) and batch.dtype == np.float32
    assert 0 <= batch.min() <= batch.max() <= 1
    assert geometry[0].ratio == pytest.approx(0.64) and geometry[0].pad == (0, 16)
    assert geometry[0].orig == (50, 100) and batch[0, :, 32, 32] == pytest.approx(200 / 255)
    # a box in input pixels maps back to the original
    back = geometry[0].to_original(np.array([[0, 16, 64, 48, 0.9, 1]], np.float32))
    assert np.allclose(back, [[0, 0, 100, 50, 0.9, 1]], atol=1e-4)
    with pytest.raises(ValueError, match="uint8 RGB"):
        letterbox_batch([np.zeros((5, 5), np.uint8)], 64)
