"""``tern denoise apply|eval|calibrate`` (training is ``tern train denoise``) and ``tern raw info`` lives in
``cli_raw.py``. Bad RAW files get one line each; the rest go on."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from studio.errors import ConfigError

HELP = "apply a trained RAW denoiser, compare it with classical denoisers, calibrate a noise model"
BASELINE_NAMES = ("bm3d", "nlm", "bilateral")


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(subparser=parser, run=None)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    p = sub.add_parser("apply", help="denoise RAW files: DNG (for DNG inputs), 16-bit TIFF and sRGB PNG")
    p.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="RAW files")
    p.add_argument("--weights", required=True, help="best.pt of a denoise run, or its model.onnx")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--format", default="", help="comma list of dng, tiff, png (default: all that apply)")
    _noise_options(p)
    p.add_argument("--tile", type=int, default=256, help="tile side in packed pixels (default 256)")
    p.set_defaults(run=cmd_apply)

    p = sub.add_parser("eval", help="PSNR/SSIM of a model and of BM3D, NLM and bilateral on the same data")
    p.add_argument("--weights", default="", help="best.pt or model.onnx (omit to score the baselines only)")
    p.add_argument("--clean", required=True, type=Path, help="folder (or file) of clean RAWs")
    p.add_argument("--noisy", default="", help="folder of noisy RAWs paired by file name (default: "
                                               "synthetic noise at two levels)")
    p.add_argument("--noise", default="", help="noise model of the synthetic noise: a preset or a "
                                               "calibration file (default: the model's, else the default "
                                               "preset)")
    p.add_argument("--iso", type=float, nargs="*", default=None,
                   help="ISO levels of the synthetic noise (default: 1/4 and 3/4 of the model's ISO range)")
    p.add_argument("--baselines", default=",".join(BASELINE_NAMES),
                   help="comma list of bm3d, nlm, bilateral ('' for none)")
    p.add_argument("--crop", type=int, default=512, help="score the central CROP x CROP RAW pixels of each "
                                                         "image (0: whole images; BM3D is slow)")
    p.add_argument("--json", default="", help="also write the table as JSON to this file")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("calibrate", help="fit the noise model (shot noise k and read noise sigma vs ISO)")
    p.add_argument("--pairs", nargs=2, action="append", metavar=("NOISY", "CLEAN"), default=[],
                   help="a noisy and a clean RAW (or two folders paired by file name); repeat for more ISOs")
    p.add_argument("--flat", nargs="+", type=Path, default=[], help="flat-field frames (one ISO)")
    p.add_argument("--dark", nargs="+", type=Path, default=[], help="dark frames (same ISO as --flat)")
    p.add_argument("--preset", default="", help="write this preset instead (see --list)")
    p.add_argument("--list", action="store_true", help="list the noise presets")
    p.add_argument("--out", type=Path, default=Path("noise.yaml"), help="file to write (default noise.yaml)")
    p.set_defaults(run=cmd_calibrate)


def _noise_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--iso", type=float, default=None, help="ISO of the inputs (default: read from each file)")
    p.add_argument("--noise", default="", metavar="K,SIGMA",
                   help="the noise level itself (normalised units), instead of the model's noise model")


def parse_noise(text: str) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        k, sigma = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise ConfigError(f"--noise {text!r}: give K,SIGMA (e.g. 0.002,0.001)") from exc
    if k <= 0 or sigma < 0:
        raise ConfigError(f"--noise {text!r}: K must be > 0 and SIGMA >= 0")
    return k, sigma


def cmd_apply(args: argparse.Namespace) -> int:
    from studio.jobs.denoise_apply import apply_all

    failed = apply_all(args.weights, args.inputs, args.out, args.format, iso=args.iso,
                       noise=parse_noise(args.noise), tile=args.tile)
    print(f"{len(args.inputs) - failed} of {len(args.inputs)} files denoised into {args.out}")
    return 1 if failed else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from studio.evaluation.baselines import BASELINES
    from studio.jobs.denoise_eval import build_cases, evaluate, model_method

    names = [b.strip() for b in args.baselines.split(",") if b.strip()]
    unknown = [b for b in names if b not in BASELINES]
    if unknown:
        raise ConfigError(f"--baselines: {', '.join(unknown)} unknown; choose from {', '.join(BASELINES)}")
    methods, denoiser = {}, None
    if args.weights:
        from studio.jobs.denoise_apply import load_denoiser_any

        denoiser = load_denoiser_any(args.weights)
        methods["model"] = model_method(denoiser)
    methods.update({name: BASELINES[name] for name in names})
    levels = _levels(args, denoiser)
    cases, notes = build_cases(args.clean, args.noisy, levels, args.crop)
    for note in notes:
        print(note, file=sys.stderr)
    table = evaluate(cases, methods, progress=lambda line: print(line, file=sys.stderr))
    print(table.format())
    if args.json:
        Path(args.json).write_text(json.dumps(table.to_dict(), indent=1), encoding="utf-8")
    return 0


def _levels(args: argparse.Namespace, denoiser):
    from studio.engine.denoise_task import resolve_noise_model, validation_levels

    if args.noise or denoiser is None:
        model = resolve_noise_model(args.noise, [])
    else:
        model = denoiser.meta.noise_model
    if args.iso:
        return [(f"ISO {iso:g}", model.params(iso)) for iso in args.iso]
    lo, hi = validation_levels(model)
    return [("low noise", lo), ("high noise", hi)]


def cmd_calibrate(args: argparse.Namespace) -> int:
    from studio.jobs.denoise_calibrate import calibrate

    for line in calibrate(args.pairs, args.flat, args.dark, args.preset, args.list, args.out):
        print(line)
    return 0
