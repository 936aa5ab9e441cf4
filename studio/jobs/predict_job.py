"""``tern predict``: run a trained model (best.pt or model.onnx) on images, a folder or a dataset; write
annotated images (with skeletons for a pose model), YOLO label rows (--save-txt, pose rows for a pose
model, loadable as labels for pre-labelling; --save-conf appends each score),
predictions.json (COCO results, with keypoints for a pose model) and images.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.events import EventWriter
from studio.jobs.job_run import run_job


@dataclass(frozen=True)
class PredictOptions:
    weights: str
    source: str
    conf: float = 0.25
    iou: float = 0.7
    imgsz: int = 0          # 0: the size the model was trained at
    device: str = "cpu"
    save_txt: bool = False
    save_images: bool = True
    project: str = "runs"
    name: str = "predict"
    batch: int = 8
    save_conf: bool = False  # end each --save-txt row with the detection's score (not a label file then)


@dataclass(frozen=True)
class PredictOutcome:
    run: Path
    images: int
    detections: int
    skipped: list[str]


def run_predict(opts: PredictOptions, events_stdout: bool = False) -> PredictOutcome:
    return run_job("predict", opts, _predict, events_stdout=events_stdout)


def _predict(opts: PredictOptions, run: Path, events: EventWriter) -> PredictOutcome:
    from studio.inference.draw import draw_detections
    from studio.inference.load import load_predictor
    from studio.inference.sources import iter_source
    from studio.inference.writers import write_images_json, write_predictions_json, write_yolo_txt

    predictor = load_predictor(opts.weights, imgsz=opts.imgsz or None, device=opts.device, conf=opts.conf,
                               iou=opts.iou)
    entries, results, skipped, count, used = [], {}, [], 0, set()
    for batch in _batches(iter_source(opts.source, skipped), opts.batch):
        dets_list = predictor([rgb for _, _, rgb in batch])
        for (image_id, path, rgb), dets in zip(batch, dets_list, strict=True):
            results[image_id] = dets
            count += len(dets)
            entries.append({"id": image_id, "file_name": Path(path).name, "width": rgb.shape[1],
                            "height": rgb.shape[0]})
            out = _output_name(Path(path), used)
            if opts.save_images:
                skeleton = getattr(predictor, "skeleton", ())
                _save_image(run / out.name, draw_detections(rgb, dets, predictor.names, skeleton=skeleton))
            if opts.save_txt:
                write_yolo_txt(run / "labels" / f"{out.stem}.txt", dets, rgb.shape[:2], conf=opts.save_conf)
    class_ids = getattr(predictor, "class_ids", None) or list(range(len(predictor.names)))
    write_predictions_json(run / "predictions.json", results, class_ids)
    write_images_json(run / "images.json", entries)
    events.artifact("predictions", run / "predictions.json")
    for line in skipped:
        events.log(line, "warning")
    return PredictOutcome(run, len(entries), count, skipped)


def _output_name(path: Path, used: set[str]) -> Path:
    """The image's own file name, or ``<stem>_2<suffix>``, ... when an earlier image of the source had it
    (a dataset's train/ and val/ folders often reuse names); compared without case (Windows, macOS)."""
    name, n = Path(path.name), 1
    while name.stem.lower() in used:
        n += 1
        name = Path(f"{path.stem}_{n}{path.suffix}")
    used.add(name.stem.lower())
    return name


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _save_image(path: Path, rgb: np.ndarray) -> None:
    import cv2

    ok, encoded = cv2.imencode(path.suffix if path.suffix.lower() in (".jpg", ".jpeg", ".png") else ".jpg",
                               rgb[:, :, ::-1])
    if not ok:
        raise OSError(f"cannot encode {path}")
    from studio.utils.atomic import atomic_write_bytes

    atomic_write_bytes(path if path.suffix.lower() in (".jpg", ".jpeg", ".png") else path.with_suffix(".jpg"),
                       encoded.tobytes())
