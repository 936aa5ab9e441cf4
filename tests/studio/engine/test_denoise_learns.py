"""Denoising learning is proven, not assumed: the small NAFNet preset, trained for a CPU minute or two on
crops of a real DNG (the Canon 550D file of ../shared/data/raw/bayer) with synthetic Poisson-Gaussian
noise, gains at least 3 dB PSNR over the noisy input on fixed validation crops of that image; the run
resumes exactly and ends with an ONNX export whose tiled output matches torch."""

from __future__ import annotations

import csv

import pytest

from studio.engine.config import TrainConfig
from studio.engine.denoise_options import DenoiseOptions
from studio.jobs.train_job import run_training
from tests.model_helpers import step_losses

pytestmark = pytest.mark.data

CANON = "raw/bayer/canon550d_magiclantern_rggb.dng"
# heavy noise (CRVD's IMX385 at ISO 3200..12800 for validation), crops of 128 RAW px (64 packed)
OPTIONS = DenoiseOptions(noise="crvd_imx385", val_crop=256, val_crops=4, crops_per_image=64)
LEARN = dict(task="denoise", arch="nafnet", model="small", imgsz=128, epochs=40, batch=8, workers=0,
             device="cpu", export=False, optimizer="adamw", lr0=2e-3, cosine=True, warmup_epochs=0.0,
             weight_decay=0.0, ema=False, grad_clip=1.0, patience=0, momentum=0.9, denoise=OPTIONS)


def _rows(run):
    with open(run / "results.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_small_preset_gains_3_db_on_a_real_dng_with_synthetic_noise(shared_data, tmp_path):
    cfg = TrainConfig(data=str(shared_data / CANON), project=str(tmp_path / "runs"), **LEARN)
    outcome = run_training(cfg, bar=False)
    assert outcome.status == "ok" and outcome.run.parent.name == "denoise"
    rows = _rows(outcome.run)
    gains = [float(r["val/psnr"]) - float(r["val/psnr_noisy"]) for r in rows]
    assert max(gains) >= 3.0, gains
    assert float(rows[-1]["val/ssim"]) > float(rows[-1]["val/ssim_noisy"])
    assert float(rows[-1]["train/loss"]) < float(rows[0]["train/loss"])
    assert (outcome.run / "weights" / "best.pt").is_file()
    assert (outcome.run / "plots" / "val_denoised.png").is_file()
    assert any("dB" in line for line in outcome.summary), outcome.summary


def test_a_denoise_run_stopped_mid_epoch_resumes_with_the_same_losses(shared_data, tmp_path):
    base = TrainConfig(data=str(shared_data / CANON), project=str(tmp_path / "runs"),
                       **{**LEARN, "epochs": 2, "imgsz": 64, "batch": 4, "deterministic": True,
                          "denoise": DenoiseOptions(noise="crvd_imx385", val_crop=64, val_crops=2,
                                                    crops_per_image=8)})

    done, straight = step_losses(base.with_(name="straight", export=True))
    first, part1 = step_losses(base.with_(name="interrupted", max_steps=3))
    _, part2 = step_losses(base, resume=first.run)
    assert sorted(part1 | part2) == sorted(straight) == [1, 2, 3, 4]
    for step, parts in straight.items():
        assert (part1 | part2)[step] == pytest.approx(parts, abs=1e-6), step
    assert (done.run / "model.onnx").is_file()
    assert any(line.startswith("parity:") for line in done.summary), done.summary
