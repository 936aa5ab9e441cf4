"""``tern train detect`` as a user runs it: the run folder a finished run leaves (events in the DESIGN
names, results.csv, weights, model.onnx, plots), a graceful cancel by SIGTERM that --resume continues, a
failure that ends in one line and a `finished failed` event, and --resume without a run picking the
latest. Tiny generated data (64 px, CPU, no loader workers unless the test is about them)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from studio.cli import main
from studio.engine.checkpoint import load_checkpoint
from studio.engine.config import load_config
from studio.events import decode, read_events
from studio.shapes import make_shapes

REPO = Path(__file__).resolve().parents[2]
TINY = ["--imgsz", "64", "--batch", "4", "--workers", "0", "--device", "cpu", "--quiet"]
METRICS = {"train/box_loss", "train/cls_loss", "train/dfl_loss", "lr/pg0", "metrics/precision(B)",
           "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)"}
PLOTS = {"results.png", "pr_curve.png", "confusion_matrix.png", "val_predictions.png"}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: on a shared 2-core machine a second OpenMP thread spins waiting for a busy
    core and a step takes 10x longer; the CLI behaves the same either way."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def coco(tmp_path_factory) -> Path:
    """The shapes dataset converted by `tern data convert ... --to coco` (category ids 1..3)."""
    root = tmp_path_factory.mktemp("data")
    yaml_path = make_shapes(root / "shapes", num_images=8, size=64, val_images=4)
    assert main(["data", "convert", str(yaml_path), str(root / "coco"), "--to", "coco"]) == 0
    return root / "coco"


def _events(run: Path) -> list:
    return [event for _, event in read_events(run / "events.jsonl")]


def _tern(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_leaves_a_complete_run_folder_and_says_where(coco, tmp_path, capsys):
    project = tmp_path / "P"
    sigterm_before = signal.getsignal(signal.SIGTERM)
    code, out, err = _tern(capsys, "train", "detect", "--data", coco, "--epochs", "2", *TINY,
                           "--project", project, "--name", "ships")
    assert code == 0, err
    run = project / "detect" / "ships"
    assert f"run folder: {run}" in out
    assert f"exported {run / 'model.onnx'}" in out
    assert str(run / "weights" / "best.pt") in out and str(run / "weights" / "last.pt") in out
    assert signal.getsignal(signal.SIGTERM) is sigterm_before  # the run gave the handlers back

    cfg = load_config(run / "config.yaml")
    assert (cfg.data, cfg.epochs, cfg.imgsz, cfg.name) == (str(coco), 2, 64, "ships")

    events = _events(run)
    assert events[0].type == "started" and events[0].resumed_from is None
    assert events[0].config["epochs"] == 2 and events[0].pid == os.getpid()
    assert events[-1].type == "finished" and events[-1].status == "ok" and events[-1].error is None
    assert [e.type for e in events].count("finished") == 1
    assert any(e.type == "progress" for e in events)
    metrics = [e for e in events if e.type == "metric"]
    assert {e.name for e in metrics} == METRICS
    assert sorted({(e.epoch, e.name) for e in metrics}) == sorted((ep, n) for ep in (1, 2) for n in METRICS)
    assert all(e.split == ("val" if e.name.startswith("metrics/") else "train") for e in metrics)
    artifacts = [e for e in events if e.type == "artifact"]
    assert {e.kind for e in artifacts} >= {"checkpoint", "best", "onnx", "plot"}
    assert {Path(e.path).name for e in artifacts if e.kind == "plot"} == PLOTS
    assert all(Path(e.path).is_file() for e in artifacts)

    with open(run / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert set(rows[0]) == {"epoch"} | METRICS
    for e in metrics:  # the csv holds the values the events carried (6 significant digits)
        assert float(rows[e.epoch - 1][e.name]) == pytest.approx(e.value, rel=1e-5, abs=1e-12)

    best = load_checkpoint(run / "weights" / "best.pt")
    assert best["names"] == ["circle", "square", "triangle"] and best["class_ids"] == [1, 2, 3]
    assert best["imgsz"] == 64 and (run / "weights" / "last.pt").is_file()
    assert (run / "model.onnx").stat().st_size > 10_000
    for name in PLOTS:
        assert (run / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _wait_for(path: Path, needle: str, proc: subprocess.Popen, deadline_s: float = 120.0) -> None:
    """Poll ``path`` until it holds ``needle`` (the run has taken a step), with a deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if path.is_file() and needle in path.read_text(encoding="utf-8"):
            return
        if proc.poll() is not None:
            pytest.fail(f"tern exited early ({proc.returncode}): {proc.communicate()[1][-2000:]}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"no {needle} in {path} within {deadline_s} s")


def test_sigterm_cancels_gracefully_and_resume_continues(coco, tmp_path, capsys):
    project = tmp_path / "P"
    run = project / "detect" / "long"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "train", "detect", "--data", str(coco),
                             "--epochs", "50", *TINY, "--project", str(project), "--name", "long"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(run / "events.jsonl", '"type": "progress"', proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert f"resume with: tern train detect --resume {run}" in out
    assert "Traceback" not in err

    events = _events(run)
    assert events[-1].type == "finished" and events[-1].status == "cancelled"
    assert "SIGTERM" in events[-1].error and events[-1].traceback is None
    assert [e for e in events if e.type == "artifact"][-1].kind == "checkpoint"
    last = load_checkpoint(run / "weights" / "last.pt")
    done = int(last["epoch"])
    assert done < 50 and int(last["global_step"]) >= 1

    code, out, err = _tern(capsys, "train", "detect", "--resume", run / "weights" / "last.pt",
                           "--epochs", done + 1, "--imgsz", "96", "--quiet")
    assert code == 0, err
    assert "ignored with --resume" in err and "--imgsz" in err  # told, not silently dropped
    started = [e for e in _events(run) if e.type == "started"]
    assert len(started) == 2 and started[1].resumed_from == str(run / "weights" / "last.pt")
    assert started[1].config["epochs"] == done + 1 and started[1].config["imgsz"] == 64
    resumed = _events(run)[len(events):]
    assert resumed[-1].type == "finished" and resumed[-1].status == "ok"
    assert {e.epoch for e in resumed if e.type == "metric"} == {done + 1}
    assert int(load_checkpoint(run / "weights" / "last.pt")["epoch"]) == done + 1


def test_resume_without_a_run_continues_the_latest_one_under_project(coco, tmp_path, capsys):
    project = tmp_path / "P"
    for name in ("older", "newer"):
        code, _, err = _tern(capsys, "train", "detect", "--data", coco, "--epochs", "2", *TINY,
                             "--max-steps", "1", "--no-export", "--project", project, "--name", name)
        assert code == 0, err
    older, newer = (project / "detect" / n for n in ("older", "newer"))
    stamp = (newer / "weights" / "last.pt").stat().st_mtime
    os.utime(older / "weights" / "last.pt", (stamp - 60, stamp - 60))  # coarse clocks cannot tie them

    before = (newer / "events.jsonl").read_text().splitlines()
    code, out, err = _tern(capsys, "train", "detect", "--resume", "--project", project, "--quiet", "--events")
    assert code == 0, err
    assert f"run folder: {newer}" in err  # --events: stdout carries only the events, as the file has them
    assert out.splitlines() == (newer / "events.jsonl").read_text().splitlines()[len(before):]
    assert all(decode(line) is not None for line in out.splitlines())
    assert [e.type for e in _events(older)].count("started") == 1
    started = [e for e in _events(newer) if e.type == "started"]
    assert len(started) == 2 and started[1].resumed_from == str(newer / "weights" / "last.pt")
    assert _events(newer)[-1].status == "ok"
    assert int(load_checkpoint(newer / "weights" / "last.pt")["epoch"]) == 2

    empty = tmp_path / "nothing"
    code, _, err = _tern(capsys, "train", "detect", "--resume", "--project", empty)
    assert code == 1 and err.count("\n") == 1 and "no run with weights/last.pt" in err


def _corrupt_png(path: Path) -> None:
    """Keep the PNG signature, header and IEND (so the dataset reader's quick checks pass) but garble
    the pixel data: only a full decode, in the loader, finds it."""
    data = path.read_bytes()
    at = data.index(b"IDAT") + 14
    path.write_bytes(data[:at] + b"\x00garbage" * 40 + data[-12:])


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_corrupt_image_fails_the_run_with_one_line_and_a_failed_event(tmp_path, capsys, workers):
    yaml_path = make_shapes(tmp_path / "shapes", num_images=4, size=64, val_images=2)
    bad = tmp_path / "shapes" / "images" / "train" / "shape_002.png"
    _corrupt_png(bad)
    argv = ["train", "detect", "--data", yaml_path, "--epochs", "1", *TINY, "--project", tmp_path / "P"]
    argv[argv.index("--workers") + 1] = workers
    code, _, err = _tern(capsys, *argv)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("tern:")]
    assert len(lines) == 1 and str(bad) in lines[0] and "cannot decode" in lines[0], err
    assert "Traceback" not in err and "internal error" not in err
    finished = _events(tmp_path / "P" / "detect" / "train")[-1]
    assert finished.type == "finished" and finished.status == "failed"
    assert str(bad) in finished.error and "Traceback" in finished.traceback
    assert "cannot decode" in finished.error.splitlines()[0] and len(finished.error.splitlines()) == 1


def test_mistakes_are_one_line_without_traceback(coco, tmp_path, capsys):
    base = ["train", "detect", "--data", coco, "--epochs", "1", *TINY, "--project", tmp_path / "P"]
    (tmp_path / "P" / "detect" / "empty").mkdir(parents=True)
    cases = [
        (["train", "detect", "--resume", tmp_path / "P" / "detect" / "empty"], "nothing to resume here"),
        ([*base, "--weights", tmp_path / "missing.pt"], "missing.pt: no such weights file"),
        ([*base, "--imgsz", "50"], "--imgsz 50"),
        (["train", "detect", "--epochs", "1", "--project", tmp_path / "P"], "--data is required"),
    ]
    if not torch.cuda.is_available():
        cases.append(([*base, "--device", "0"], "no CUDA GPU"))
    if torch.cuda.device_count() < 2:
        cases.append(([*base, "--device", "0,1"], "--device 0,1"))
    for argv, message in cases:
        code, _, err = _tern(capsys, *argv)
        assert code in (1, 2), (argv, err)
        assert err.startswith("tern: ") and err.count("\n") == 1 and message in err, (argv, err)
    failed = _events(tmp_path / "P" / "detect" / "train")  # the --weights run got as far as a folder
    assert failed[-1].type == "finished" and failed[-1].status == "failed"
    assert "missing.pt" in failed[-1].error
