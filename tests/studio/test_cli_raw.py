"""``tern raw info``: one line per file, bad files say why, the exit code says whether all were usable.
The group is built here through ``studio.cli_raw.register`` on a parser of the test's own."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from studio.cli_raw import HELP, register
from tests.raw_helpers import colour_coded, write_synthetic_dng


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tern")
    groups = parser.add_subparsers(dest="group")
    register(groups.add_parser("raw", help=HELP))
    args = parser.parse_args(argv)
    return args.run(args)


def test_the_group_alone_has_no_command():
    parser = argparse.ArgumentParser(prog="tern")
    register(parser.add_subparsers(dest="group").add_parser("raw"))
    args = parser.parse_args(["raw"])
    assert args.run is None and args.subparser is not None  # tern's main prints the group's help


def test_info_on_good_and_bad_files(tmp_path, capsys):
    good = write_synthetic_dng(tmp_path / "good.dng", colour_coded("BGGR", 32, 48), "BGGR")
    zero = write_synthetic_dng(tmp_path / "zero.dng", np.zeros((32, 32), np.uint16), "RGGB")
    (tmp_path / "notes.txt").write_text("hello\n" * 50)
    assert run(["raw", "info", str(good)]) == 0
    assert capsys.readouterr().out == ("good.dng: Tern Synthetic, CFA BGGR, black 64, white 4000, "
                                       "48x32 visible, ISO unknown\n")
    files = [good, zero, tmp_path / "notes.txt", tmp_path / "missing.dng", good]
    assert run(["raw", "info", *map(str, files)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(files)
    assert [line.split(":")[0] for line in lines] == [f.name for f in files]
    assert "all zero" in lines[1] and "not a RAW file" in lines[2] and "no such file" in lines[3]
    assert lines[4] == lines[0]  # the files after a bad one are still read


def test_info_needs_a_file():
    with pytest.raises(SystemExit):
        run(["raw", "info"])


@pytest.mark.data
def test_info_on_the_real_files(shared_data, capsys):
    bayer = sorted((shared_data / "raw" / "bayer").glob("*.dng"))
    assert run(["raw", "info", *map(str, bayer)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("CFA RGGB" in line for line in lines)
    raw = shared_data / "raw"
    bad = sorted((raw / "broken").iterdir()) + sorted((raw / "non_bayer").iterdir())
    assert run(["raw", "info", *map(str, bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(bad)
    for path, line in zip(bad, lines, strict=True):
        assert line.startswith(f"{path.name}: ") and len(line) > len(path.name) + 10
