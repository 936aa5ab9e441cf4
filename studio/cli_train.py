"""``tern train detect|pose|denoise``: train a detector, a pose model or a RAW denoiser, then validate
best.pt and export model.onnx."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.errors import ConfigError

HELP = "train a model: a detector, a pose model or a RAW denoiser"

# option -> (TrainConfig field, type, help); argparse defaults are None so only given options override
OPTIONS = {
    "--data": ("data", str, "data.yaml (or its folder), a COCO json, or a .tern project"),
    "--images": ("images", str, "image folder of a COCO json, when not found by convention"),
    "--arch": ("arch", str, "detector family: yolo (one-stage, default) or faster_rcnn (two-stage, FPN)"),
    "--model": ("model", str, "size: n, s or m (depth and width multipliers)"),
    "--backbone": ("backbone", str, "elan or repvgg (or any backbone of the zoo)"),
    "--neck": ("neck", str, "pan, fpn or bifpn"),
    "--assigner": ("assigner", str, "tal (task-aligned, default) or simota"),
    "--imgsz": ("imgsz", int, "input size, a multiple of 32: yolo's square side (default 640), "
                                 "faster_rcnn's short side (800)"),
    "--max-size": ("max_size", int, "faster_rcnn: the long side is at most this (default 1333)"),
    "--epochs": ("epochs", int, "total epochs (default 100); with --resume, a larger value extends the run"),
    "--batch": ("batch", int, "images per step over all GPUs (default 16)"),
    "--device": ("device", str, "cpu, cuda, 0, or 0,1 for several GPUs (DDP); default: GPU 0 if any"),
    "--workers": ("workers", int, "data loader processes (default 2)"),
    "--project": ("project", str, "runs go to PROJECT/TASK/NAME (default ./runs)"),
    "--name": ("name", str, "run name (default train, train2, ...)"),
    "--weights": ("weights", str, "initial weights (fine-tuning): a .pt from an earlier run or a local file"),
    "--optimizer": ("optimizer", str, "auto | sgd | adamw (default auto: AdamW for short runs)"),
    "--lr0": ("lr0", float, "initial learning rate (SGD)"),
    "--seed": ("seed", int, "seed of data order and augmentation"),
    "--patience": ("patience", int, "stop after this many epochs without improvement (0: never)"),
    "--val-fraction": ("val_fraction", float, "val share for data without a val split (default 0.2)"),
    "--max-steps": ("max_steps", int, "stop after this many steps (a quick try; last.pt resumes)"),
}
FLAGS = {
    "--cosine": ("cosine", "cosine learning-rate decay instead of linear"),
    "--deterministic": ("deterministic", "bit-reproducible kernels (slower)"),
    "--cache": ("cache", "keep decoded images in RAM (sets up to 1 GiB decoded are kept anyway)"),
    "--no-ema": ("ema", "do not average weights (EMA is on by default)"),
    "--no-amp": ("amp", "no mixed precision on CUDA (train in float32)"),
    "--bf16": ("bf16", "on a CPU that computes bfloat16 natively (AVX512-BF16 / AMX): train detect and pose "
                       "models in bfloat16, about 1.4x faster; mAP may come out a little lower (README)"),
    "--no-export": ("export", "do not export model.onnx at the end"),
}
NEGATED = {"ema", "amp", "export"}
RESUME_KEEPS = ("device", "workers", "batch")  # what --resume may change besides --epochs
EXIT_STATUS = ("exit status: 0 trained (or stopped by --max-steps); 1 or 2 an error, told in one line; "
               "130 cancelled by SIGTERM or Ctrl-C after saving weights/last.pt (--resume continues)")


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(subparser=parser, run=None)
    sub = parser.add_subparsers(dest="task", metavar="TASK")
    for task, text in TASK_HELP.items():
        _task_parser(sub.add_parser(task, help=text, epilog=EXIT_STATUS), task)


TASK_HELP = {
    "detect": "train a box detector",
    "pose": "train a keypoint (pose) model: YOLO-Pose, the one-stage detector with a keypoint head",
    "denoise": "train a RAW denoiser (NAFNet-style UNet on packed Bayer data)",
}
# options a denoiser has no use for (detector data, architecture and augmentation)
DETECTOR_ONLY = {"--images", "--backbone", "--neck", "--assigner", "--max-size", "--no-ema", "--bf16"}
# tern train denoise: option -> (TrainConfig.denoise field, type, help)
DENOISE_OPTIONS = {
    "--noisy": ("noisy", str, "folder of noisy RAWs, paired with --clean by file name (default: synthetic "
                              "noise on the clean files)"),
    "--noise": ("noise", str, "noise model: a preset name or a `tern denoise calibrate` file"),
    "--val-crop": ("val_crop", int, "side of the fixed validation crops in RAW pixels (default 512)"),
    "--crops-per-image": ("crops_per_image", int, "training crops per image per epoch (default 64)"),
    "--darken": ("darken", float, "synthetic noise: darken each clean crop by 0..N stops at random, so the "
                                  "model also learns dim scenes (default 0: off)"),
}
DENOISE_HELP = {
    "--data": "folder of clean RAW files (same as --clean)",
    "--arch": "nafnet (default) or unet (the plain baseline)",
    "--model": "preset: small (CPU-friendly, default) or width32 (NAFNet-width32)",
    "--imgsz": "training crop side in RAW pixels, a multiple of 32 (default 256)",
    "--batch": "crops per step (default 8)",
}


def _task_parser(p: argparse.ArgumentParser, task: str) -> None:
    denoise = task == "denoise"
    for flag, (dest, kind, text) in OPTIONS.items():
        if not (denoise and flag in DETECTOR_ONLY):
            p.add_argument(flag, dest=dest, type=kind, default=None,
                           help=DENOISE_HELP.get(flag, text) if denoise else text)
    for flag, (dest, text) in FLAGS.items():
        if not (denoise and flag in DETECTOR_ONLY):
            p.add_argument(flag, dest=dest, action="store_const", const=dest not in NEGATED, default=None,
                           help=text)
    if denoise:
        p.add_argument("--clean", dest="data", type=str, default=None, help="folder of clean RAW files")
        for flag, (dest, kind, text) in DENOISE_OPTIONS.items():
            p.add_argument(flag, dest=f"denoise_{dest}", type=kind, default=None, help=text)
        p.add_argument("--rgb", dest="denoise_rgb", action="store_const", const=True, default=None,
                       help="also train on the sRGB photos (JPEG, PNG, ...) of the --clean folder, "
                            "unprocessed to RAW: varied scenes when you have few RAW files")
        p.add_argument("--no-ksigma", dest="denoise_ksigma", action="store_const", const=False, default=None,
                       help="feed the network plain [0, 1] data instead of the k-sigma transform")
    p.add_argument("--config", type=Path, help="a config.yaml (e.g. an earlier run's); options override it")
    p.add_argument("--resume", nargs="?", const="", metavar="RUN",
                   help="continue a run: its folder or weights/last.pt (default: the latest run)")
    p.add_argument("--events", action="store_true", help="also print every event as a JSON line on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_train, train_task=task)


def given_options(args: argparse.Namespace) -> dict:
    names = [d for d, *_ in OPTIONS.values()] + [d for d, _ in FLAGS.values()]
    values = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    denoise = {name[len("denoise_"):]: value for name, value in vars(args).items()
               if name.startswith("denoise_") and value is not None}
    if denoise:
        values["denoise"] = denoise
    return values


def build_config(args: argparse.Namespace):
    from studio.engine.config import TrainConfig, load_config

    base = load_config(args.config).to_dict() if args.config else {}
    given = given_options(args)
    if "denoise" in given:
        given["denoise"] = {**base.get("denoise", {}), **given["denoise"]}
    values = {**base, **given, "task": args.train_task}
    config = TrainConfig.for_arch(values)
    if not config.data:
        what = "--clean is required (a folder of clean RAW files)" if args.train_task == "denoise" else \
            "--data is required (a data.yaml, COCO json or .tern project)"
        raise ConfigError(f"tern train {args.train_task}: {what}")
    return config


def cmd_train(args: argparse.Namespace) -> int:
    from studio.engine.config import TrainConfig
    from studio.engine.device import parse_devices, wants_launcher
    from studio.engine.distributed import launch
    from studio.jobs.train_command import worker_argv
    from studio.jobs.train_job import run_training

    if args.device and wants_launcher(args.device):
        gpus = parse_devices(args.device)
        _check_gpus(args.device, gpus)
        return launch(list(args.argv), len(gpus), worker_argv())
    if args.resume is not None:
        run = args.resume or str(_latest_run(args))
        options = given_options(args)
        epochs = options.pop("epochs", None)
        keep = {k: v for k, v in options.items() if k in RESUME_KEEPS}
        ignored = sorted(k for k in options if k not in (*RESUME_KEEPS, "project"))
        if ignored:
            print(f"tern: ignored with --resume (the run keeps its config.yaml): "
                  f"{', '.join('--' + k.replace('_', '-') for k in ignored)}", file=sys.stderr)
        outcome = run_training(TrainConfig(), resume=run, resume_epochs=epochs, resume_overrides=keep,
                               events_stdout=args.events, bar=not args.quiet)
    else:
        outcome = run_training(build_config(args), events_stdout=args.events, bar=not args.quiet)
    out = sys.stderr if args.events else sys.stdout
    for line in outcome.summary:
        print(line, file=out)
    weights = outcome.run / "weights"
    if (weights / "last.pt").is_file():
        best = f"{weights / 'best.pt'} (best epoch), " if (weights / "best.pt").is_file() else ""
        print(f"weights: {best}{weights / 'last.pt'} (last epoch; --resume continues from it)", file=out)
    if outcome.status == "cancelled":
        print(f"cancelled; resume with: tern train {args.train_task} --resume {outcome.run}", file=out)
        return 130
    return 0


def _check_gpus(spec: str, gpus: list[int]) -> None:
    """Several GPUs re-launch under torchrun; say what is missing before that prints a page per rank."""
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise ConfigError(f"--device {spec}: no CUDA GPU is available to this process; use --device cpu")
    missing = [g for g in gpus if g >= count]
    if missing:
        raise ConfigError(f"--device {spec}: GPU {missing[0]} does not exist (this machine has {count})")


def _latest_run(args: argparse.Namespace) -> Path:
    from studio.errors import CheckpointError

    base = Path(args.project or "runs") / args.train_task
    runs = sorted(base.glob("*/weights/last.pt"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise CheckpointError(base, "no run with weights/last.pt to resume here; name one: --resume RUN")
    return runs[-1].parent.parent
