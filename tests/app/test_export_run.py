"""Jobs > Export…: a finished run's weights exported by a real ``tern export`` process (a randomly initialised
tiny detector saved with the checkpoint code), its output and the parity line shown green; an int8 export
adds its val comparison; a corrupt checkpoint shows the error in red; Cancel kills the process; an existing
file is replaced only after asking; the options that do not apply are off with the reason (pytest-qt)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt

import app.dialogs.export_run as export_run
from app.dialogs.export_run import (
    BAD_COLOR,
    NO_CUDA,
    OK_COLOR,
    ExportRequest,
    ExportRunDialog,
    cuda_available,
    read_outcome,
)
from app.jobs.launcher import JobLauncher
from app.panels.jobs import JobsPanel
from studio.engine.checkpoint import save_checkpoint
from studio.events import EventWriter
from studio.jobs.run_monitor import read_state
from studio.jobs.train_command import worker_argv
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from studio.shapes import make_shapes

EXPORT_MS = 90_000  # a worker imports torch and onnx first; CI machines are slow
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    """An untrained 3-class detector at 64 px: enough for an export and its parity check."""
    torch.manual_seed(0)
    cfg = ModelConfig(nc=3)
    path = tmp_path_factory.mktemp("export_weights") / "best.pt"
    save_checkpoint(path, {"model": build_detector(cfg).state_dict(), "model_config": cfg.to_dict(),
                           "names": ["circle", "square", "triangle"], "class_ids": [0, 1, 2], "imgsz": 64})
    return path


def make_run(root: Path, name: str, weights: Path | None, status: str = "ok", task: str = "detect",
             arch: str = "yolo") -> Path:
    """A run folder as a worker leaves it: events (started, finished) and weights/best.pt."""
    run = root / task / name
    (run / "weights").mkdir(parents=True)
    if weights is not None:
        shutil.copyfile(weights, run / "weights" / "best.pt")
    writer = EventWriter(run / "events.jsonl")
    writer.started({"task": task, "arch": arch, "epochs": 1})
    writer.finished(status, error="boom" if status == "failed" else None)
    writer.close()
    return run


def dialog_for(qtbot, run: Path, cuda: bool = False) -> ExportRunDialog:
    dialog = ExportRunDialog(read_state(run), cuda=cuda)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_jobs_panel_exports_a_finished_run_with_its_parity_line(qtbot, tmp_path, tiny_weights,
                                                                    monkeypatch):
    root = tmp_path / "runs"
    failed = make_run(root, "failed", tiny_weights, status="failed")
    bare = make_run(root, "bare", None)
    run = make_run(root, "tiny", tiny_weights)
    panel = JobsPanel(JobLauncher(), poll_ms=100)
    qtbot.addWidget(panel)
    panel.set_root(root)
    for other, why in ((failed, "the run is failed"), (bare, "neither best.pt nor last.pt")):
        panel.select([other])
        assert not panel.export_button.isEnabled() and why in panel.export_button.toolTip()
    panel.select([run, bare])
    assert not panel.export_button.isEnabled()  # one run at a time
    panel.select([run])
    assert panel.export_button.isEnabled()
    qtbot.mouseClick(panel.export_button, LEFT)
    dialog = panel.export_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.weights.currentText() == "best.pt" and dialog.out.text() == str(run / "model.onnx")
    assert dialog.half.isEnabled() == cuda_available()
    if not cuda_available():
        assert NO_CUDA in dialog.half_note.text()
    assert dialog.dynamic.isEnabled() and not dialog.parity.isVisible()

    with qtbot.waitSignal(dialog.exported, timeout=EXPORT_MS) as ended:
        qtbot.mouseClick(dialog.export_button, LEFT)
        assert dialog.running() and dialog.close_button.text() == "Cancel"
        assert not dialog.export_button.isEnabled()
    outcome = ended.args[0]
    assert outcome.ok and outcome.parity.startswith("parity: ok"), dialog.log.toPlainText()
    assert dialog.parity.isVisible() and dialog.parity.text() == outcome.parity
    assert OK_COLOR in dialog.parity.styleSheet()
    log = dialog.log.toPlainText()
    assert log.startswith("$ tern export --weights") and f"exported {run / 'model.onnx'}" in log
    assert (run / "model.onnx").stat().st_size > 10_000
    assert dialog.open_button.isEnabled() and dialog.close_button.text() == "Close"

    asked = []
    monkeypatch.setattr(export_run, "ask", lambda *args: asked.append(args[2]) or False)
    qtbot.mouseClick(dialog.export_button, LEFT)  # model.onnx exists: asked, refused, nothing runs
    assert asked and "model.onnx exists already" in asked[0] and not dialog.running()


def test_an_int8_export_shows_its_val_comparison_under_the_parity_line(qtbot, tmp_path, tiny_weights):
    data = make_shapes(tmp_path / "shapes", num_images=4, size=64, val_images=2)
    ckpt = torch.load(tiny_weights, weights_only=True)
    run = make_run(tmp_path / "runs", "int8", None)
    save_checkpoint(run / "weights" / "best.pt", {**ckpt, "train_config": {"data": str(data)}})
    dialog = dialog_for(qtbot, run)
    assert dialog.int8.isEnabled()
    dialog.int8.setChecked(True)
    with qtbot.waitSignal(dialog.exported, timeout=EXPORT_MS) as ended:
        dialog.start()
    outcome = ended.args[0]
    assert outcome.ok, dialog.log.toPlainText()
    assert outcome.int8.startswith("int8 vs float32 on 2 val images: mAP50-95 ")
    assert dialog.parity.text() == f"{outcome.parity}\n{outcome.int8}"
    assert "--int8" in dialog.log.toPlainText().splitlines()[0]
    assert (run / "model.onnx").is_file() and (run / "model.int8.onnx").is_file()


def test_a_failing_export_shows_its_error_in_red(qtbot, tmp_path):
    run = make_run(tmp_path / "runs", "broken", None)
    (run / "weights" / "best.pt").write_bytes(b"not a checkpoint")
    dialog = dialog_for(qtbot, run)
    with qtbot.waitSignal(dialog.exported, timeout=EXPORT_MS) as ended:
        dialog.start()
    outcome = ended.args[0]
    assert not outcome.ok and "cannot read this checkpoint" in outcome.error
    assert outcome.error.endswith("(exit code 1)")
    assert dialog.parity.text().startswith("Export failed: ") and BAD_COLOR in dialog.parity.styleSheet()
    assert "tern: " in dialog.log.toPlainText()  # the process's own words, as they came
    assert not (run / "model.onnx").exists() and not dialog.open_button.isEnabled()


def test_cancel_kills_the_export(qtbot, tmp_path, tiny_weights):
    run = make_run(tmp_path / "runs", "cancelled", tiny_weights)
    dialog = dialog_for(qtbot, run)
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as ended:
        assert dialog.start()
        qtbot.mouseClick(dialog.close_button, LEFT)  # "Cancel" while it runs: kills, the dialog stays
    assert ended.args[0].error == "cancelled" and not dialog.running() and dialog.isVisible()
    assert dialog.parity.text() == "Export failed: cancelled"
    qtbot.mouseClick(dialog.close_button, LEFT)  # "Close" now
    assert not dialog.isVisible()


def test_options_that_do_not_apply_are_off_with_the_reason(qtbot, tmp_path, tiny_weights):
    denoise = dialog_for(qtbot, make_run(tmp_path / "runs", "d", tiny_weights, task="denoise", arch="nafnet"),
                         cuda=True)
    assert denoise.half.isEnabled() and not denoise.dynamic.isEnabled()
    assert "any batch and size" in denoise.dynamic_note.text()
    assert not denoise.int8.isEnabled() and "denoisers" in denoise.int8_note.text()
    rcnn = dialog_for(qtbot, make_run(tmp_path / "runs", "r", tiny_weights, arch="faster_rcnn"), cuda=True)
    assert not rcnn.half.isEnabled() and not rcnn.dynamic.isEnabled() and not rcnn.int8.isEnabled()
    rcnn.half.setChecked(True)  # ignored: it does not apply
    assert rcnn.request() == ExportRequest(rcnn.run / "weights" / "best.pt", rcnn.run / "model.onnx")
    detect = dialog_for(qtbot, make_run(tmp_path / "runs", "y", tiny_weights), cuda=True)
    detect.half.setChecked(True)
    detect.int8.setChecked(True)  # int8 quantizes the float32 export: FP16 goes off
    assert detect.int8.isChecked() and not detect.half.isChecked()
    detect.half.setChecked(True)
    assert not detect.int8.isChecked()
    argv = ExportRequest(Path("w.pt"), Path("o.onnx"), half=True, dynamic_batch=True).argv()
    assert argv == [*worker_argv(), "export", "--weights", "w.pt", "--out", "o.onnx",
                    "--half", "--dynamic-batch"]
    assert ExportRequest(Path("w.pt"), Path("o.onnx"), int8=True).argv()[-1] == "--int8"


def test_read_outcome_tells_ok_mismatch_and_failure_apart():
    ok = read_outcome("exported m.onnx\nparity: ok (tolerance 0.001); batch 1: raw 0\n", 0)
    assert ok.ok and ok.headline() == "parity: ok (tolerance 0.001); batch 1: raw 0"
    bad = read_outcome("exported m.onnx\nparity: MISMATCH (tolerance 0.001); batch 1: raw 0.5\n", 0)
    assert not bad.ok and bad.headline().startswith("parity: MISMATCH") and bad.error == ""
    int8 = read_outcome("exported m.onnx\nparity: ok (tolerance 0.001)\nexported m.int8.onnx (int8, ...)\n"
                        "int8 vs float32 on 9 val images: mAP50-95 0.5 (float32 0.6); `tern val ...`\n", 0)
    assert int8.ok and int8.int8 == "int8 vs float32 on 9 val images: mAP50-95 0.5 (float32 0.6)"
    failed = read_outcome("Traceback...\ntern: --half exports float16, which needs a CUDA GPU\n", 1)
    assert failed.headline() == "Export failed: --half exports float16, which needs a CUDA GPU (exit code 1)"
