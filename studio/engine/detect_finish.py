"""The end of a detection run: best.pt validated once more with every plot, the per-class table, the
results curves, and model.onnx with its parity check. Returns the lines the terminal prints."""

from __future__ import annotations

from pathlib import Path

from studio.engine.checkpoint import CheckpointMeta, load_checkpoint, model_from_checkpoint
from studio.engine.validate_detect import validate_detector
from studio.evaluation.coco_map import DetectionMetrics
from studio.events import EventWriter

VAL_PLOTS = ("pr_curve.png", "confusion_matrix.png", "val_predictions.png")


def finish_detect(trainer, run: Path, events: EventWriter) -> list[str]:
    return finish_run(trainer, run, events, detect_report)


def finish_run(trainer, run: Path, events: EventWriter, report) -> list[str]:
    """best.pt (else last.pt) through ``report(model, meta, trainer, plots, events) -> lines`` (validation
    with every plot), the results curves, then model.onnx with its parity check."""
    weights = run / "weights" / ("best.pt" if (run / "weights" / "best.pt").is_file() else "last.pt")
    model, meta = model_from_checkpoint(load_checkpoint(weights))
    model = model.to(trainer.device)
    plots = run / "plots"
    lines = report(model, meta, trainer, plots, events)
    lines[0] = f"{weights.name}: {lines[0]}"
    if (run / "results.csv").is_file():
        from studio.evaluation.plots import plot_results

        plot_results(run / "results.csv", plots / "results.png")
        events.artifact("plot", plots / "results.png")
    if trainer.cfg.export and not trainer.cancelled():
        lines += export_with_parity(model.cpu(), run / "model.onnx", meta, events)
    lines.append(f"run folder: {run}")
    return lines


def detect_report(model, meta: CheckpointMeta, trainer, plots: Path, events: EventWriter) -> list[str]:
    """Validate with every plot; the first line is the summary, then the per-class table."""
    del meta
    result = validate_detector(model, trainer.val_loader, trainer.task.data, trainer.device, plots=plots)
    val_artifacts(events, plots)
    table = format_class_table(result.detail)
    events.log(f"{len(trainer.task.data.val)} val images:\n{table}")
    return [f"mAP50 {result.detail.map50:.3f}  mAP50-95 {result.detail.map:.3f}", table]


def val_artifacts(events: EventWriter, plots: Path) -> None:
    """Announce what validation with plots wrote: the plots and the review file beside them (the results
    view reads it)."""
    from studio.evaluation.review import REVIEW_FILE

    for name in VAL_PLOTS:
        events.artifact("plot", plots / name)
    events.artifact("report", plots.parent / REVIEW_FILE)


def export_with_parity(model, out: Path, meta: CheckpointMeta, events: EventWriter, *, imgsz: int = 0,
                       dynamic_batch: bool = True, half: bool = False) -> list[str]:
    from studio.export.onnx import export_onnx
    from studio.export.parity import check_parity

    if meta.model_config.arch == "faster_rcnn":
        if half:
            from studio.errors import ExportError

            raise ExportError("--half is not available for faster_rcnn exports (float32 only)")
        return _export_rcnn(model, out, meta, events, imgsz)
    model = model.eval().fuse()
    imgsz = imgsz or meta.imgsz
    export_onnx(model, out, imgsz, dynamic_batch=dynamic_batch, half=half, names=meta.names,
                class_ids=meta.class_ids, skeleton=meta.skeleton)
    events.artifact("onnx", out)
    report = check_parity(model, out, imgsz, batches=(1, 4) if dynamic_batch else (1,))
    text = report.format()
    events.log(f"ONNX parity: {text}")
    return [f"exported {out}", f"parity: {text}"]


def _export_rcnn(model, out: Path, meta: CheckpointMeta, events: EventWriter, imgsz: int) -> list[str]:
    """The two-stage detector: one image on a square canvas that holds any resized image (side = the
    long-side cap, rounded up to 32), batch 1, float32."""
    from studio.export.onnx_rcnn import check_rcnn_parity, export_rcnn_onnx

    max_size = meta.max_size or meta.imgsz
    canvas = imgsz or 32 * -(-max_size // 32)
    model = model.eval().fuse()
    export_rcnn_onnx(model, out, canvas, min_size=meta.imgsz, max_size=max_size, names=meta.names,
                     class_ids=meta.class_ids)
    events.artifact("onnx", out)
    text = check_rcnn_parity(model, out, canvas).format()
    events.log(f"ONNX parity: {text}")
    return [f"exported {out}", f"parity: {text}"]


def format_class_table(detail: DetectionMetrics) -> str:
    rows = [f"{'class':<20} {'images':>7} {'boxes':>7} {'AP50':>7} {'AP50-95':>8}"]
    for name, images, instances, ap50, ap in detail.per_class:
        rows.append(f"{name[:20]:<20} {images:>7} {instances:>7} {ap50:>7.3f} {ap:>8.3f}")
    rows.append(f"{'all':<20} {'':>7} {'':>7} {detail.map50:>7.3f} {detail.map:>8.3f}")
    return "\n".join(rows)
