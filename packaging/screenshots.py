"""Screenshots of the studio on the demo project, for the README and for looking at what we built: the
window, a selected box, the statistics, the training dialog, a tiny real training run (a few epochs on the
CPU, about a minute) in the jobs, metrics and results docks, the results gallery, and with --raw the RAW
compare viewer (noisy | denoised | clean made from a real DNG: CRVD noise at ISO 3200 added, then the
--denoiser model, or without one the bilateral baseline, removes it).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screenshots.py --out shots
    (or: make screenshots)

Uses a throw-away user folder, so the real settings and demo project are not touched. Works with the
offscreen platform too, but xcb under Xvfb renders fonts and styles as a desktop does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _settle(app, seconds: float) -> None:
    """Let queued paints and background decodes land (a script, not a test: waiting is fine here)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def take(out: Path, readme: Path | None, image_row: int, train_epochs: int, raw: Path | None = None,
         denoiser: Path | None = None) -> list[Path]:
    sys.path.insert(0, str(REPO))
    from PySide6.QtWidgets import QApplication

    from app.__main__ import create_window
    from app.settings import UserDirs

    app = QApplication.instance() or QApplication(["tern-studio"])
    home = Path(tempfile.mkdtemp(prefix="tern-shots-"))
    dirs = UserDirs(data=home / "data", config=home / "config", cache=home / "cache")
    window = create_window(None, dirs)
    window.resize(1440, 900)
    window.show()
    _settle(app, 1.0)
    window.images.select_row(image_row)
    _settle(app, 1.5)
    out.mkdir(parents=True, exist_ok=True)
    shots = [out / "main_window.png"]
    window.grab().save(str(shots[0]))
    boxes = window.session.annotations(window.session.current_image_id)
    if boxes:  # a selected box shows its handles, and its row in the annotations dock
        window.session.select_annotation(boxes[0].id)
        _settle(app, 0.5)
        shots.append(out / "selected_box.png")
        window.grab().save(str(shots[-1]))
    window.stats.raise_()  # the statistics tab (pyqtgraph loads now)
    _settle(app, 2.0)
    shots.append(out / "statistics.png")
    window.grab().save(str(shots[-1]))
    if train_epochs:
        shots += _training(app, window, out, train_epochs)
    if raw is not None:
        shots.append(_raw_compare(app, out, raw, denoiser))
    if readme is not None and train_epochs:  # the fullest picture: a selected box and the training curves
        shutil.copyfile(next(s for s in shots if s.name == "train_metrics.png"), readme)
    for run in window.launcher.running():  # a run still going when the script gives up
        window.launcher.stop(run)
    window.close()
    shutil.rmtree(home, ignore_errors=True)
    return shots


def _training(app, window, out: Path, epochs: int, timeout_s: float = 600.0) -> list[Path]:
    """The training dialog, then a tiny run started from it, shot in the jobs and metrics docks."""
    from app.dialogs.train import TrainDialog

    dialog = TrainDialog(window.session, window, launcher=window.launcher, on_started=window.jobs.add_run)
    dialog.show()
    _settle(app, 0.5)
    shots = [out / "train_dialog.png", out / "train_dialog_advanced.png"]
    dialog.grab().save(str(shots[0]))
    dialog.advanced_toggle.setChecked(True)
    _settle(app, 0.3)
    dialog.grab().save(str(shots[1]))
    dialog.advanced_toggle.setChecked(False)
    task = dialog.task.currentIndex()
    dialog.task.setCurrentIndex(dialog.task.findData("denoise"))  # the RAW denoiser's data rows
    _settle(app, 0.3)
    shots.append(out / "train_dialog_denoise.png")
    dialog.grab().save(str(shots[-1]))
    dialog.task.setCurrentIndex(task)
    dialog.epochs.setValue(epochs)  # tiny, so the script stays quick on a CPU
    dialog.imgsz.setValue(128)
    dialog.batch.setValue(4)
    dialog.workers.setValue(0)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.start(export=False)  # "Train": no ONNX export, the script stays quick
    while dialog.exporting:  # the project's split is written into the run off the GUI thread
        _settle(app, 0.2)
    run = dialog.started_run
    dialog.close()
    if run is None:
        raise SystemExit(f"the training dialog did not start: {dialog.error.text()}")
    end = time.monotonic() + timeout_s
    while window.jobs.status(run) in ("queued", "running") and time.monotonic() < end:
        _settle(app, 0.5)
    _settle(app, 1.0)
    window.jobs.select([run])
    for name, dock in (("train_jobs.png", window.jobs), ("train_results.png", window.results),
                       ("train_metrics.png", window.metrics)):
        dock.raise_()
        _settle(app, 1.5)
        shots.append(out / name)
        window.grab().save(str(shots[-1]))
    results = window.results  # the gallery, floated to a useful size
    results.setFloating(True)
    results.resize(1100, 720)
    results.tabs.setCurrentIndex(results.tabs.count() - 1)
    _settle(app, 2.0)
    shots.insert(-1, out / "results_gallery.png")
    results.grab().save(str(shots[-2]))
    results.setFloating(False)
    return shots


def _raw_compare(app, out: Path, clean: Path, denoiser: Path | None) -> Path:
    """The RAW compare viewer on a real DNG: noisy (synthetic CRVD noise at ISO 3200), denoised and clean."""
    import numpy as np

    from app.dialogs.raw_compare import RawCompareWindow
    from studio.data.noise import NOISE_PRESETS, add_noise
    from studio.io.raw import read_raw, unpack
    from studio.io.raw_write import write_dng

    work = Path(tempfile.mkdtemp(prefix="tern-raw-"))
    raw = read_raw(clean)
    params = NOISE_PRESETS["crvd_imx385"].params(3200)
    noisy = add_noise(raw.packed(), params, np.random.default_rng(0))
    def mosaic(packed):
        return unpack(packed, raw.pattern, raw.black, raw.white, clip=True)

    noisy_path = write_dng(raw, mosaic(noisy), work / "noisy.dng")
    if denoiser is not None:
        from studio.jobs.denoise_apply import apply_all

        apply_all(denoiser, [noisy_path], work, "dng", iso=3200, say=lambda _line: None)
    else:
        from studio.evaluation.baselines import bilateral_baseline

        write_dng(raw, mosaic(bilateral_baseline(noisy, params)), work / "noisy_denoised.dng")
    viewer = RawCompareWindow()
    viewer.resize(1400, 800)
    viewer.show()
    viewer.load({"noisy": noisy_path, "denoised": work / "noisy_denoised.dng", "clean": clean})
    end = time.monotonic() + 120
    while not viewer.compare.images and time.monotonic() < end:
        _settle(app, 0.5)
    _settle(app, 1.5)
    shot = out / "raw_compare.png"
    viewer.grab().save(str(shot))
    viewer.close()
    shutil.rmtree(work, ignore_errors=True)
    return shot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "shots")
    parser.add_argument("--readme", type=Path, default=None, help="also copy the last shot here")
    parser.add_argument("--image", type=int, default=3, help="row of the image to show")
    parser.add_argument("--train-epochs", type=int, default=5,
                        help="epochs of the tiny CPU run shot in the jobs and metrics docks (0: none)")
    parser.add_argument("--raw", type=Path, default=None, help="a clean DNG for the RAW compare viewer shot")
    parser.add_argument("--denoiser", type=Path, default=None,
                        help="a denoiser (best.pt / model.onnx) for that shot (default: bilateral baseline)")
    args = parser.parse_args()
    for shot in take(args.out, args.readme, args.image, args.train_epochs, args.raw, args.denoiser):
        print(shot)


if __name__ == "__main__":
    main()
