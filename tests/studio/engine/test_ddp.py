"""DDP really runs: torchrun with two CPU processes (gloo) trains a few steps and writes one run folder,
with events and checkpoints from rank 0 only."""

from __future__ import annotations

import subprocess
import sys

from studio.events import read_events
from studio.shapes import make_shapes


def test_torchrun_two_processes_write_one_run_folder(tmp_path):
    data = make_shapes(tmp_path / "shapes", num_images=8, size=64)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "studio.cli", "train", "detect", "--data", str(data), "--imgsz", "64", "--epochs", "2",
           "--batch", "4", "--device", "cpu", "--workers", "0", "--project", str(tmp_path / "runs"),
           "--no-export", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    runs = list((tmp_path / "runs" / "detect").iterdir())
    assert [r.name for r in runs] == ["train"]
    events = [e for _, e in read_events(runs[0] / "events.jsonl")]
    assert [e.type for e in events].count("started") == 1
    assert events[-1].type == "finished" and events[-1].status == "ok"
    steps = [e.step for e in events if e.type == "progress"]
    assert max(steps) == 4  # 8 images / (2 ranks x 2 per rank) = 2 steps an epoch, 2 epochs
    assert (runs[0] / "weights" / "last.pt").is_file()
    assert (runs[0] / "results.csv").read_text().count("\n") == 3


def _env() -> dict:
    import os

    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    return env


def test_torchrun_trains_a_denoiser_on_two_processes(tmp_path):
    import numpy as np

    from tests.raw_helpers import write_synthetic_dng

    clean = tmp_path / "clean"
    clean.mkdir()
    level = np.linspace(200, 3000, 128)[None].repeat(96, 0).astype(np.uint16)
    write_synthetic_dng(clean / "a.dng", level, "RGGB", black=(64,) * 4, white=4000)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "studio.cli", "train", "denoise", "--clean", str(clean), "--imgsz", "64", "--val-crop", "64",
           "--crops-per-image", "8", "--epochs", "2", "--batch", "4", "--device", "cpu", "--workers", "0",
           "--project", str(tmp_path / "runs"), "--no-export", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / "runs" / "denoise" / "train"
    events = [e for _, e in read_events(run / "events.jsonl")]
    assert [e.type for e in events].count("started") == 1
    assert events[-1].type == "finished" and events[-1].status == "ok"
    assert max(e.step for e in events if e.type == "progress") == 4  # 8 crops / (2 x 2) = 2 steps, 2 epochs
    assert "val/psnr" in (run / "results.csv").read_text().splitlines()[0]


def test_launch_runs_python_m_or_the_frozen_worker_without_python(monkeypatch):
    from studio.engine import distributed

    calls = []
    monkeypatch.setattr(distributed.subprocess, "call", lambda cmd: calls.append(("call", cmd)) or 3)
    monkeypatch.setattr("torch.distributed.run.main", lambda args: calls.append(("torchrun", args)))
    assert distributed.launch(["train", "detect"], 2, [sys.executable, "-m", "studio.cli"]) == 3
    assert calls[-1] == ("call", [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                  "--nproc_per_node=2", "-m", "studio.cli", "train", "detect"])
    frozen = ["/opt/tern-studio/tern-studio", "--worker"]  # the packaged app: no Python to run -m with
    assert distributed.launch(["train", "detect"], 2, frozen) == 0
    assert calls[-1] == ("torchrun", ["--standalone", "--nproc_per_node=2", "--no-python", *frozen, "train",
                                      "detect"])
