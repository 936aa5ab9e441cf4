"""``tern``: the command line. ``tern`` alone prints help; ``tern data ...`` works on datasets and
projects. Every failure the user can fix prints one clear line (exit 1 or 2), never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from studio import cli_data, cli_denoise, cli_model, cli_raw, cli_train
from studio.errors import DatasetNotFoundError, StudioError

# command -> (help, function that adds its options or sub-commands) (DESIGN rule 4: explicit registry)
GROUPS = {
    "data": (cli_data.HELP, cli_data.register),
    "train": (cli_train.HELP, cli_train.register),
    "val": (cli_model.VAL_HELP, cli_model.register_val),
    "predict": (cli_model.PREDICT_HELP, cli_model.register_predict),
    "export": (cli_model.EXPORT_HELP, cli_model.register_export),
    "raw": (cli_raw.HELP, cli_raw.register),
    "denoise": (cli_denoise.HELP, cli_denoise.register),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tern",
        description="Tern Studio from the terminal: check, convert and import datasets; train, validate, "
                    "predict with and export detectors.",
    )
    parser.add_argument("--version", action="version", version=f"tern {_version()}")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND")
    for name, (text, register) in GROUPS.items():
        register(groups.add_parser(name, help=text, description=text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for re-launching under torchrun
    if not getattr(args, "run", None):
        (args.subparser if getattr(args, "subparser", None) else parser).print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except DatasetNotFoundError as exc:
        sys.stderr.write(f"tern: {exc}\n")
        return 2
    except StudioError as exc:
        sys.stderr.write(f"tern: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("tern: interrupted\n")
        return 130
    except OSError as exc:  # full disk, permissions: say which file and why
        sys.stderr.write(f"tern: {exc.filename or ''}: {exc.strerror or exc}\n")
        return 1
    except Exception as exc:  # a bug in tern: one line, the trace only on request
        if os.environ.get("TERN_DEBUG") == "1":
            traceback.print_exc()
        sys.stderr.write(f"tern: internal error ({type(exc).__name__}: {exc}); this is a bug in Tern, "
                         "please report it (TERN_DEBUG=1 shows the traceback)\n")
        return 3


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tern-studio")
    except PackageNotFoundError:
        return "dev"


if __name__ == "__main__":
    sys.exit(main())
