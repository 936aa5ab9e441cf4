"""``tern val``, ``tern predict``, ``tern export``: use trained weights."""

from __future__ import annotations

import argparse
import sys

VAL_HELP = "validate weights on a dataset's val split (mAP by pycocotools)"
PREDICT_HELP = "detect objects in images, a folder or a dataset with best.pt or model.onnx"
EXPORT_HELP = "export weights to ONNX (with a parity check against torch)"


def register_val(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", required=True, help="best.pt / last.pt of a run, or its .onnx export")
    p.add_argument("--data", required=True, help="data.yaml (or its folder), a COCO json, or a .tern project")
    p.add_argument("--images", default="", help="image folder of a COCO json")
    p.add_argument("--val-fraction", type=float, default=0.2,
                   help="val share for data without a val split: the one training used (default 0.2)")
    _common(p, batch=16)
    p.add_argument("--name", default="val", help="run name under PROJECT/detect (default val, val2, ...)")
    p.add_argument("--no-plots", action="store_true", help="skip the PR curve, confusion matrix and grid")
    p.set_defaults(run=cmd_val)


def register_predict(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", required=True, help="best.pt of a run, or an exported .onnx")
    p.add_argument("--source", required=True, help="an image, a folder of images, or a dataset path")
    p.add_argument("--conf", type=float, default=0.25, help="minimum score (default 0.25)")
    p.add_argument("--iou", type=float, default=0.7, help="NMS IoU threshold (default 0.7)")
    p.add_argument("--save-txt", action="store_true",
                   help="also write YOLO label rows (cls cx cy w h; a pose model adds x y v per keypoint)")
    p.add_argument("--save-conf", action="store_true",
                   help="with --save-txt, end each row with the detection's score")
    p.add_argument("--no-images", action="store_true", help="do not write annotated images")
    _common(p, batch=8)
    p.add_argument("--name", default="predict", help="run name under PROJECT/detect (default predict, ...)")
    p.set_defaults(run=cmd_predict)


def register_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", required=True, help="best.pt / last.pt of a run")
    p.add_argument("--format", default="onnx", choices=["onnx"], help="onnx (default)")
    p.add_argument("--imgsz", type=int, default=0, help="input size (default: the training size)")
    p.add_argument("--dynamic-batch", action="store_true", help="any batch size at run time")
    p.add_argument("--half", action="store_true", help="FP16 weights (needs a CUDA GPU)")
    p.add_argument("--out", default="", help="output file (default: beside the weights, .onnx)")
    p.add_argument("--int8", action="store_true",
                   help="also write NAME.int8.onnx: int8 for fast CPU inference, calibrated on training "
                        "images, its mAP compared with the float32 file's on the val split")
    p.add_argument("--calib", default="", help="with --int8: calibrate on this image folder or dataset")
    p.set_defaults(run=cmd_export)


def _common(p: argparse.ArgumentParser, batch: int) -> None:
    p.add_argument("--imgsz", type=int, default=0, help="input size (default: the training size)")
    p.add_argument("--batch", type=int, default=batch, help=f"images per batch (default {batch})")
    p.add_argument("--device", default="cpu", help="cpu, cuda or a GPU index (default cpu)")
    p.add_argument("--project", default="runs", help="results go to PROJECT/detect/NAME (default ./runs)")
    p.add_argument("--events", action="store_true", help="also print every event as a JSON line on stdout")


def cmd_val(args: argparse.Namespace) -> int:
    from studio.jobs.val_job import ValOptions, run_val

    outcome = run_val(ValOptions(args.weights, args.data, args.images, args.imgsz, args.batch, args.device,
                                 project=args.project, name=args.name, plots=not args.no_plots,
                                 val_fraction=args.val_fraction),
                      events_stdout=args.events)
    _print(outcome.lines, args.events)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from studio.jobs.predict_job import PredictOptions, run_predict

    opts = PredictOptions(args.weights, args.source, args.conf, args.iou, args.imgsz, args.device,
                          args.save_txt, not args.no_images, args.project, args.name, args.batch,
                          save_conf=args.save_conf)
    outcome = run_predict(opts, events_stdout=args.events)
    lines = [f"{outcome.images} images, {outcome.detections} detections -> {outcome.run}", *outcome.skipped]
    _print(lines, args.events)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from studio.jobs.export_job import ExportOptions, run_export

    _, lines = run_export(ExportOptions(args.weights, args.format, args.imgsz, args.dynamic_batch, args.half,
                                        args.out, args.int8, args.calib))
    _print(lines, False)
    return 0


def _print(lines: list[str], events: bool) -> None:
    out = sys.stderr if events else sys.stdout
    for line in lines:
        print(line, file=out)
