"""``tern val``: validate weights on a dataset's val split with pycocotools; per-class table, plots,
predictions.json (COCO results with the dataset's image and category ids) in ``runs/detect/val*``
(``runs/pose/val*`` for a pose model). A pose
model adds keypoint OKS AP (AP, AP50, AP75, APm, APl) from COCOeval iouType "keypoints"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.engine.data_source import TrainingData, load_training_data
from studio.errors import ConfigError, DatasetFormatError
from studio.events import EventWriter
from studio.jobs.job_run import run_job


@dataclass(frozen=True)
class ValOptions:
    weights: str
    data: str
    images: str = ""
    imgsz: int = 0          # 0: the size the model was trained at
    batch: int = 16
    device: str = "cpu"
    workers: int = 0
    project: str = "runs"
    name: str = "val"
    plots: bool = True
    val_fraction: float = 0.2  # val share of a source without a val split (what training used)


@dataclass(frozen=True)
class ValOutcome:
    run: Path
    metrics: dict[str, float]
    lines: list[str]


def run_val(opts: ValOptions, events_stdout: bool = False) -> ValOutcome:
    return run_job("val", opts, _val, events_stdout=events_stdout)


def _val(opts: ValOptions, run: Path, events: EventWriter) -> ValOutcome:
    from studio.data.loader import build_loader
    from studio.engine.detect_finish import format_class_table, val_artifacts
    from studio.engine.device import select_device
    from studio.engine.run_sampler import RunSampler
    from studio.inference.writers import write_predictions_json
    from studio.jobs.tasks import TASKS

    model, meta = _load(opts.weights)
    data = load_val_data(opts.data, opts.images, opts.val_fraction)
    if len(data.names) != len(meta.names):
        raise ConfigError(f"{opts.weights} predicts {len(meta.names)} classes ({', '.join(meta.names[:5])}) "
                          f"but {opts.data} has {len(data.names)}; validate on the data it was trained for")
    for note in data.notes:
        events.log(note, "warning")
    device = select_device(opts.device)
    pose = meta.model_config.num_keypoints > 0
    _check_keypoints(opts, data, meta.model_config.num_keypoints)
    task = TASKS["pose" if pose else "detect"][meta.model_config.arch]
    dataset = task.val_dataset(data.val, opts.imgsz or meta.imgsz, meta.max_size)
    loader = build_loader(dataset, RunSampler(len(dataset), shuffle=False), opts.batch, opts.workers)
    plots = run / "plots" if opts.plots else None
    if pose:
        from studio.engine.validate_pose import format_keypoint_line, validate_pose
        from studio.evaluation.coco_oks import pose_sigmas

        # an export made before exports carried sigmas: the ones training picks for this data
        sigmas = meta.kpt_sigmas or (pose_sigmas(data.pose) if data.pose is not None else ())
        result = validate_pose(model.to(device), loader, data, sigmas, device, plots=plots)
        detail, extra = result.boxes, [format_keypoint_line(result.keypoints)]
    else:
        from studio.engine.validate_detect import validate_detector

        result = validate_detector(model.to(device), loader, data, device, plots=plots)
        detail, extra = result.detail, []
    for name, value in result.metrics.items():
        events.metric(0, name, value, "val")
    if plots is not None:
        val_artifacts(events, plots)
    write_predictions_json(run / "predictions.json", result.predictions, data.class_ids)
    events.artifact("predictions", run / "predictions.json")
    table = format_class_table(detail)
    events.log("\n".join([table, *extra]))
    lines = [f"{len(data.val)} val images: mAP50 {detail.map50:.4f}  mAP50-95 {detail.map:.4f}  "
             f"P {detail.precision:.3f}  R {detail.recall:.3f}", table, *extra, f"results in {run}"]
    return ValOutcome(run, result.metrics, lines)


def _load(weights: str):
    """(model, CheckpointMeta) of a checkpoint, or of an ONNX export (float32, float16 or int8)."""
    from studio.inference.onnx_detector import OnnxDetector, is_onnx, onnx_meta

    if is_onnx(weights):
        detector = OnnxDetector(weights)
        return detector, onnx_meta(detector)
    from studio.engine.checkpoint import load_checkpoint, model_from_checkpoint

    return model_from_checkpoint(load_checkpoint(weights))


def _check_keypoints(opts: ValOptions, data: TrainingData, num_keypoints: int) -> None:
    """A pose model validates on data with the same number of keypoints."""
    if not num_keypoints:
        return
    have = data.pose.num_keypoints if data.pose is not None else 0
    if have != num_keypoints:
        raise ConfigError(f"{opts.weights} predicts {num_keypoints} keypoints but {opts.data} has "
                          f"{have or 'no'} keypoints per object; validate on the data it was trained for")


def load_val_data(path: str, images: str = "", val_fraction: float = 0.2) -> TrainingData:
    """What ``tern val`` validates on: the source's val split, chosen as training chose it (the same
    ``val_fraction`` for a source without one); a source without training images (a val-only COCO json
    such as instances_val2017.json) validates whole."""
    try:
        return load_training_data(path, images, val_fraction)
    except DatasetFormatError:
        data = _val_only(path, images)
        if data is None:
            raise
        return data


def _val_only(path: str, images: str) -> TrainingData | None:
    """Every image of a source that has no training split; None when it has one (or no images)."""
    from studio.data.records import records_from_dataset
    from studio.io.dataset import load_dataset

    dataset, problems = load_dataset(Path(path), images_dir=images or None)
    if any(s.split == "train" for s in dataset.samples):
        return None
    records = records_from_dataset(dataset, None)
    if not records or not dataset.categories:
        return None
    cats = sorted(dataset.categories, key=lambda c: c.id)
    errors = [p for p in problems if p.severity == "error"]
    notes = [f"{len(errors)} label problems were skipped (first: {errors[0]}); `tern data check {path}` "
             "lists them all"] if errors else []
    from studio.data.pose_info import pose_info

    return TrainingData([], records, [c.name for c in cats], [c.id for c in cats], notes,
                        pose=pose_info(dataset))
