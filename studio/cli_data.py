"""``tern data``: check, convert, stats, import, export, relink."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.annotations import Dataset
from studio.errors import StudioError
from studio.io.problems import Problem

HELP = "check, convert, summarise, import and export datasets (YOLO, COCO, .tern projects)"
IMAGE_MODES = ("link", "copy", "none")


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(subparser=parser, run=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="list every problem of a dataset with file and line")
    _source_args(p)
    p.add_argument("--verify-images", action="store_true",
                   help="decode every image fully (slower; by default only the ends of JPEG and PNG "
                        "files are checked for truncation)")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("convert", help="convert a dataset to YOLO or COCO")
    _source_args(p)
    p.add_argument("dst", type=Path, help="output folder")
    _target_args(p)
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("stats", help="counts per split and class, box sizes, keypoint visibility")
    _source_args(p)
    p.add_argument("--plot", type=Path, metavar="PNG", help="also save a chart to this PNG")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("import", help="import a dataset into a new project file (.tern)")
    _source_args(p)
    p.add_argument("project", type=Path, help="the project file to create, e.g. ships.tern")
    p.add_argument("--skip-invalid", action="store_true", help="import even when rows had errors")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("export", help="export a project to a YOLO or COCO folder")
    p.add_argument("project", type=Path, help="the .tern project")
    p.add_argument("dst", type=Path, help="output folder")
    _target_args(p)
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("relink", help="find a project's moved images under a folder")
    p.add_argument("project", type=Path, help="the .tern project")
    p.add_argument("folder", type=Path, help="where the images are now")
    p.set_defaults(run=cmd_relink)


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, help="YOLO data.yaml (or its folder), COCO json, or .tern project")
    p.add_argument("--images", type=Path, metavar="DIR", help="image folder of a COCO json")


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", required=True, choices=("yolo", "coco"), help="output format")
    p.add_argument("--image-mode", choices=IMAGE_MODES, default="link",
                   help="place images in the output by hard link (default), copy, or not at all")


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _load(args) -> tuple[Dataset, list[Problem]]:
    from studio.io.dataset import load_dataset

    return load_dataset(args.path, images_dir=args.images,
                        verify_images=getattr(args, "verify_images", False))


def _summary(dataset: Dataset, problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    labeled = sum(s.labeled for s in dataset.samples)
    objects = sum(len(s.annotations) for s in dataset.samples)
    kind = f", {dataset.kpt_shape[0]} keypoints" if dataset.kpt_shape else ""
    return (f"{len(dataset.samples)} images ({labeled} with labels), {objects} objects, "
            f"{len(dataset.categories)} classes{kind}: {errors} errors, {warnings} warnings")


def cmd_check(args) -> int:
    dataset, problems = _load(args)
    if not args.verify_images:  # the full decode already found these
        from studio.io.image_ends import truncated_images

        problems += truncated_images(dataset.samples)
    for problem in problems:
        _out(str(problem))
    _out(f"{args.path}: {_summary(dataset, problems)}")
    return 1 if any(p.is_error for p in problems) else 0


def _refuse_errors(args, problems: list[Problem], what: str) -> None:
    errors = [p for p in problems if p.is_error]
    if errors and not getattr(args, "skip_invalid", False):
        for problem in errors[:20]:
            sys.stderr.write(f"{problem}\n")
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise StudioError(f"{args.path} has {len(errors)} errors{more}; nothing was {what}. "
                          f"Fix them (tern data check {args.path}) or pass --skip-invalid "
                          "to leave the invalid rows out")


def cmd_convert(args) -> int:
    from studio.io.dataset import save_dataset

    dataset, problems = _load(args)
    args.skip_invalid = getattr(args, "skip_invalid", False)
    _refuse_errors(args, problems, "written")
    notes = save_dataset(dataset, args.dst, args.to, images=args.image_mode)
    for note in notes:
        _out(f"note: {note}")
    _out(f"wrote {args.to.upper()} dataset to {args.dst}: {_summary(dataset, [])}")
    return 0


def cmd_stats(args) -> int:
    from studio.io.stats import compute_stats, format_stats

    dataset, problems = _load(args)
    stats = compute_stats(dataset)
    _out(format_stats(stats, has_keypoints=dataset.kpt_shape is not None))
    if problems:
        _out(f"\n{sum(p.is_error for p in problems)} errors, {sum(not p.is_error for p in problems)} "
             f"warnings (tern data check {args.path} lists them)")
    if args.plot:
        from studio.io.stats_plot import save_stats_plot

        _out(f"chart: {save_stats_plot(stats, args.plot, title=str(args.path))}")
    return 0


def cmd_import(args) -> int:
    from studio.store.project import Project

    dataset, problems = _load(args)
    _refuse_errors(args, problems, "imported")
    with Project.create(args.project, dataset) as project:
        count = project.count_images()
    _out(f"created {args.project}: {count} images, {_summary(dataset, [])}")
    return 0


def cmd_export(args) -> int:
    from studio.io.dataset import save_dataset
    from studio.store.project import Project

    with Project.open(args.project, readonly=True) as project:
        dataset = project.to_dataset()
    notes = save_dataset(dataset, args.dst, args.to, images=args.image_mode)
    for note in notes:
        _out(f"note: {note}")
    _out(f"exported {args.project} to {args.dst} ({args.to.upper()}): {_summary(dataset, [])}")
    return 0


def cmd_relink(args) -> int:
    from studio.store.project import Project

    with Project.open(args.project) as project:
        found = project.relink(args.folder)
        missing = len(project.missing_images())
    _out(f"relinked {found} images; {missing} still missing")
    return 0 if missing == 0 else 1
