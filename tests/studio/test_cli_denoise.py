"""``tern denoise apply|eval|calibrate``, ``tern export`` and ``tern train denoise`` from the command line,
on small synthetic DNGs (tests/raw_helpers.py): outputs are written and read back, bad files get one line
each and the rest go on, the noise calibration recovers the level it was given."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rawpy
import tifffile
import torch

from studio.cli import main
from studio.data.noise import NOISE_PRESETS, NoiseModel, NoiseParams, add_noise
from studio.engine.checkpoint import save_checkpoint
from studio.engine.denoise_meta import DenoiseMeta
from studio.io.raw import pack, read_raw, unpack
from studio.models.denoise.presets import PRESETS, build_denoiser
from tests.raw_helpers import write_synthetic_dng

BLACK, WHITE = 64, 4000


def scene(h: int = 96, w: int = 128) -> np.ndarray:
    """A smooth (h, w) uint16 mosaic between the levels: gradients and a bright square."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    level = 0.15 + 0.5 * x / w + 0.2 * np.sin(y / 9.0) ** 2
    level[h // 4: h // 2, w // 4: w // 2] = 0.9
    return (BLACK + level * (WHITE - BLACK)).round().astype(np.uint16)


@pytest.fixture()
def denoiser_pt(tmp_path):
    """An untrained small denoiser saved as a checkpoint (what a run's best.pt holds)."""
    torch.manual_seed(0)
    meta = DenoiseMeta(PRESETS["small"], NOISE_PRESETS["crvd_imx385"], True, 3e-3, 64)
    model = build_denoiser(meta.denoiser)
    path = tmp_path / "best.pt"
    save_checkpoint(path, {"task": "denoise", "denoise": meta.to_dict(), "imgsz": 64,
                           "model": {k: v.float() for k, v in model.state_dict().items()}})
    return path


def test_apply_writes_dng_tiff_and_png_and_skips_bad_files(tmp_path, denoiser_pt, capsys):
    good = write_synthetic_dng(tmp_path / "good.dng", scene(), "GRBG", black=(BLACK,) * 4, white=WHITE)
    bad = tmp_path / "bad.dng"
    bad.write_bytes(b"II*\x00 not really a dng")
    rc = main(["denoise", "apply", str(good), str(bad), str(tmp_path / "missing.nef"), "--weights",
               str(denoiser_pt), "--out", str(tmp_path / "out"), "--iso", "3200"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert out[0].startswith("good.dng: 128x96") and "ISO 3200" in out[0]
    assert out[1].startswith("bad.dng: skipped: ") and out[2].startswith("missing.nef: skipped: no such file")
    assert out[3] == f"1 of 3 files denoised into {tmp_path / 'out'}"
    written = read_raw(tmp_path / "out" / "good_denoised.dng")
    source = read_raw(good)
    assert (written.pattern, written.black, written.white) == ("GRBG", source.black, source.white)
    mosaic = tifffile.imread(tmp_path / "out" / "good_denoised.tiff")
    np.testing.assert_array_equal(written.mosaic, mosaic)
    assert mosaic.dtype == np.uint16 and mosaic.min() >= BLACK and mosaic.max() <= WHITE
    with rawpy.imread(str(tmp_path / "out" / "good_denoised.dng")) as raw:
        assert raw.raw_image_visible.shape == (96, 128)
    assert (tmp_path / "out" / "good_denoised.png").stat().st_size > 0


def test_the_onnx_export_denoises_like_the_checkpoint(tmp_path, denoiser_pt, capsys):
    noisy = scene()
    rng = np.random.default_rng(0)
    packed = pack(noisy, "RGGB", (BLACK,) * 4, WHITE)
    noisy = unpack(add_noise(packed, NoiseParams(3e-3, 3e-3), rng), "RGGB", (BLACK,) * 4, WHITE, clip=True)
    source = write_synthetic_dng(tmp_path / "in.dng", noisy, "RGGB", black=(BLACK,) * 4, white=WHITE)
    assert main(["export", "--weights", str(denoiser_pt)]) == 0
    assert "parity: largest |torch - onnx|" in capsys.readouterr().out
    for weights, out in ((denoiser_pt, "pt"), (denoiser_pt.with_suffix(".onnx"), "onnx")):
        assert main(["denoise", "apply", str(source), "--weights", str(weights), "--out", str(tmp_path / out),
                     "--format", "tiff", "--noise", "0.003,0.003"]) == 0
    a = tifffile.imread(tmp_path / "pt" / "in_denoised.tiff").astype(np.int32)
    b = tifffile.imread(tmp_path / "onnx" / "in_denoised.tiff").astype(np.int32)
    assert np.abs(a - b).max() <= 1  # rounding to whole DN after a float32 difference below 1e-4


def test_apply_rejects_a_dng_output_for_other_inputs_and_bad_options(tmp_path, denoiser_pt, capsys):
    good = write_synthetic_dng(tmp_path / "good.dng", scene(), "RGGB", black=(BLACK,) * 4, white=WHITE)
    assert main(["denoise", "apply", str(good), "--weights", str(denoiser_pt), "--out", str(tmp_path),
                 "--format", "jpeg"]) == 1
    assert "--format jpeg: jpeg unknown" in capsys.readouterr().err
    assert main(["denoise", "apply", str(good), "--weights", str(denoiser_pt), "--out", str(tmp_path),
                 "--noise", "abc"]) == 1
    assert "K,SIGMA" in capsys.readouterr().err


def test_eval_scores_the_model_and_baselines_on_synthetic_noise(tmp_path, denoiser_pt, capsys):
    folder = tmp_path / "clean"
    folder.mkdir()
    write_synthetic_dng(folder / "a.dng", scene(), "RGGB", black=(BLACK,) * 4, white=WHITE)
    write_synthetic_dng(folder / "b.dng", scene()[::-1].copy(), "BGGR", black=(BLACK,) * 4, white=WHITE)
    rc = main(["denoise", "eval", "--weights", str(denoiser_pt), "--clean", str(folder), "--baselines",
               "nlm,bilateral", "--iso", "6400", "--crop", "0", "--json", str(tmp_path / "eval.json")])
    assert rc == 0
    table = capsys.readouterr().out
    assert "noisy input" in table and "model" in table and "nlm" in table and "mean" in table
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["cases"] == ["a.dng ISO 6400", "b.dng ISO 6400"]
    noisy, nlm = (result["methods"][m]["mean"]["psnr"] for m in ("noisy input", "nlm"))
    assert nlm > noisy + 3  # a smooth scene: non-local means must help a lot


def test_calibrate_recovers_the_noise_of_a_pair(tmp_path, capsys):
    clean = (BLACK + np.linspace(0.0, 0.7, 256)[None].repeat(192, 0) * (WHITE - BLACK)).astype(np.uint16)
    truth = NoiseParams(1e-3, 1e-2)  # read noise that matters in the dark part
    packed = pack(clean, "RGGB", (BLACK,) * 4, WHITE)
    noisy = unpack(add_noise(packed, truth, np.random.default_rng(1)), "RGGB", (BLACK,) * 4, WHITE)
    write_synthetic_dng(tmp_path / "clean.dng", clean, "RGGB", black=(BLACK,) * 4, white=WHITE)
    write_synthetic_dng(tmp_path / "noisy.dng", noisy, "RGGB", black=(BLACK,) * 4, white=WHITE)
    out = tmp_path / "noise.yaml"
    assert main(["denoise", "calibrate", "--pairs", str(tmp_path / "noisy.dng"), str(tmp_path / "clean.dng"),
                 "--out", str(out)]) == 0
    assert f"written to {out}" in capsys.readouterr().out
    fitted = NoiseModel.load(out).params(100)  # one pair of unknown ISO: placed at ISO 100
    assert fitted.k == pytest.approx(truth.k, rel=0.1)
    assert fitted.sigma == pytest.approx(truth.sigma, rel=0.15)


def test_calibrate_lists_and_writes_presets(tmp_path, capsys):
    assert main(["denoise", "calibrate", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in NOISE_PRESETS)
    assert main(["denoise", "calibrate", "--preset", "crvd_imx385", "--out", str(tmp_path / "n.yaml")]) == 0
    assert NoiseModel.load(tmp_path / "n.yaml").params(3200).k == pytest.approx(
        NOISE_PRESETS["crvd_imx385"].params(3200).k, rel=1e-6)
    assert main(["denoise", "calibrate"]) == 1
    assert "--pairs NOISY CLEAN" in capsys.readouterr().err


def test_train_denoise_from_the_command_line(tmp_path, capsys):
    folder = tmp_path / "clean"
    folder.mkdir()
    write_synthetic_dng(folder / "a.dng", scene(128, 160), "RGGB", black=(BLACK,) * 4, white=WHITE)
    assert main(["train", "denoise", "--epochs", "1"]) == 1
    assert "--clean is required (a folder of clean RAW files)" in capsys.readouterr().err
    assert main(["train", "denoise", "--clean", str(folder), "--model", "n"]) == 1
    assert "not a nafnet preset" in capsys.readouterr().err
    rc = main(["train", "denoise", "--clean", str(folder), "--project", str(tmp_path / "runs"),
               "--imgsz", "64", "--val-crop", "64", "--crops-per-image", "4", "--batch", "2", "--epochs", "2",
               "--workers", "0", "--noise", "pmrid_phone", "--quiet", "--no-export"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "PSNR" in out and "dB" in out
    run = tmp_path / "runs" / "denoise" / "train"
    header = (run / "results.csv").read_text().splitlines()[0].split(",")
    assert {"train/loss", "train/l1_loss", "val/psnr", "val/ssim", "lr/pg0"} <= set(header)
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert any(e["type"] == "metric" and e["name"] == "val/psnr" and e["split"] == "val" for e in events)
    assert events[-1]["type"] == "finished" and events[-1]["status"] == "ok"


def test_calibrate_from_flat_and_dark_frames(tmp_path, capsys):
    truth, rng = NoiseParams(2e-3, 4e-3), np.random.default_rng(2)
    frames = {"dark": 0.0, "flat1": 0.1, "flat2": 0.3, "flat3": 0.6}
    paths = {}
    for name, level in frames.items():
        packed = add_noise(np.full((4, 48, 64), level, np.float32), truth, rng)
        mosaic = unpack(packed, "RGGB", (BLACK,) * 4, WHITE)
        paths[name] = str(write_synthetic_dng(tmp_path / f"{name}.dng", mosaic, "RGGB", black=(BLACK,) * 4,
                                              white=WHITE))
    out = tmp_path / "noise.yaml"
    assert main(["denoise", "calibrate", "--flat", paths["flat1"], paths["flat2"], paths["flat3"], "--dark",
                 paths["dark"], "--out", str(out)]) == 0
    assert "flat/dark frames (ISO unknown): k=" in capsys.readouterr().out
    fitted = NoiseModel.load(out).params(100)
    assert fitted.k == pytest.approx(truth.k, rel=0.1)
    assert fitted.sigma == pytest.approx(truth.sigma, rel=0.1)
    assert main(["denoise", "calibrate", "--flat", paths["flat1"], "--out", str(out)]) == 1
    assert "--flat and --dark go together" in capsys.readouterr().err


def test_detector_commands_name_the_right_command_for_a_denoiser(tmp_path, denoiser_pt, capsys):
    assert main(["export", "--weights", str(denoiser_pt)]) == 0
    capsys.readouterr()
    for argv in (["val", "--weights", str(denoiser_pt), "--data", str(tmp_path)],
                 ["predict", "--weights", str(denoiser_pt.with_suffix(".onnx")), "--source", str(tmp_path)]):
        assert main(argv) == 1
        assert "RAW denoiser, not a detector: use `tern denoise apply`" in capsys.readouterr().err


def test_train_denoise_on_photos_with_rgb(tmp_path, capsys):
    """--rgb: a folder of ordinary photos (no RAW file) trains, unprocessed to RAW; without it, refused."""
    import cv2

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        cv2.imwrite(str(folder / f"p{i}.png"), rng.integers(0, 256, (96, 128, 3), dtype=np.uint8))
    common = ["train", "denoise", "--clean", str(folder), "--project", str(tmp_path / "runs"),
              "--imgsz", "64", "--val-crop", "64", "--crops-per-image", "2", "--batch", "2", "--epochs", "1",
              "--workers", "0", "--quiet", "--no-export"]
    assert main(common) == 2
    err = capsys.readouterr().err
    assert "no RAW files" in err and "add --rgb to train on them" in err
    assert main([*common, "--rgb"]) == 0
    run = tmp_path / "runs" / "denoise" / "train2"
    assert "2 sRGB image(s) unprocessed to RAW" in (run / "events.jsonl").read_text()
    assert "rgb: true" in (run / "config.yaml").read_text()
