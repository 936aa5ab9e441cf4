"""``tern raw``: camera RAW files. ``tern raw info FILE...`` prints one line per file (camera, CFA
pattern, levels, size, ISO, or why the file cannot be used)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.errors import RawFileError

HELP = "inspect camera RAW files (DNG and the formats LibRaw reads) for denoising"


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(subparser=parser, run=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", help="one line per RAW file: camera, CFA pattern, black and white levels, "
                                    "visible size, ISO; or why it cannot be used")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="RAW files (.dng, .nef, .cr2, ...)")
    p.set_defaults(run=cmd_info)


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def cmd_info(args) -> int:
    """Every file gets its line; exit 0 when all were usable Bayer RAWs, 1 when any was not."""
    from studio.io.raw import read_raw

    usable = True
    for path in args.files:
        try:
            line = read_raw(path).describe()
        except RawFileError as exc:
            line, usable = f"{path.name or path}: {exc.reason}", False
        _out(line)
    return 0 if usable else 1
