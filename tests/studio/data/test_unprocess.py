"""Unprocessing sRGB photos into clean RAW (``studio/data/unprocess.py``) and ``--rgb`` loading."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.data.denoise_data import load_images
from studio.data.unprocess import inverse_tone, name_seed, random_rgb_to_cam, unprocess
from studio.errors import ConfigError, DatasetNotFoundError
from tests.raw_helpers import colour_coded, write_synthetic_dng


def test_inverse_tone_undoes_smoothstep():
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(inverse_tone(3 * x**2 - 2 * x**3), x, atol=1e-9)


def test_random_camera_keeps_grey_grey():
    for seed in range(5):
        m = random_rgb_to_cam(np.random.default_rng(seed))
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)


def test_grey_photo_gets_a_camera_white_balance():
    """A mid-grey photo: both greens equal and red / blue darker by the drawn white-balance gains (red
    1.9-2.4x, blue 1.5-1.9x below green), on an RGGB grid of half the size."""
    grey = np.full((64, 96, 3), 128, np.uint8)
    packed = unprocess(grey, np.random.default_rng(3))
    assert packed.shape == (4, 32, 48) and packed.dtype == np.float32
    r, g1, g2, b = packed.reshape(4, -1).mean(axis=1)
    assert g1 == pytest.approx(g2, rel=0.01)
    assert 1.85 < g1 / r < 2.45 and 1.45 < g1 / b < 1.95
    assert packed.min() >= 0.0 and packed.max() <= 1.0


def test_unprocess_is_a_function_of_the_seed():
    photo = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    a = unprocess(photo, np.random.default_rng(name_seed("a.jpg")))
    assert np.array_equal(a, unprocess(photo, np.random.default_rng(name_seed("a.jpg"))))
    assert not np.array_equal(a, unprocess(photo, np.random.default_rng(name_seed("b.jpg"))))
    assert a.shape == (4, 20, 25)


def _photo(path, seed=0, size=(80, 120)):
    rng = np.random.default_rng(seed)
    cv2.imwrite(str(path), rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    return path


def test_rgb_folder_loads_photos_and_names_the_bad_ones(tmp_path):
    _photo(tmp_path / "a.png")
    _photo(tmp_path / "b.jpg", 1)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    _photo(tmp_path / "tiny.png", size=(20, 20))
    with pytest.raises(DatasetNotFoundError, match="no RAW files"):
        load_images(tmp_path)
    images, notes = load_images(tmp_path, rgb=True)
    assert [im.name for im in images] == ["a.png", "b.jpg"]
    assert images[0].clean.shape == (4, 40, 60)
    assert any("broken.jpg" in n and "cannot decode" in n for n in notes)
    assert any("tiny.png" in n and "too small" in n for n in notes)


def test_large_photos_are_shrunk_before_unprocessing(tmp_path, monkeypatch):
    import studio.data.denoise_data as denoise_data

    monkeypatch.setattr(denoise_data, "PHOTO_MAX_SIDE", 100)
    _photo(tmp_path / "big.png", size=(80, 200))
    images, _ = load_images(tmp_path, rgb=True)
    assert images[0].clean.shape == (4, 20, 50)  # 200x80 -> 100x40 -> packed 50x20


def test_rgb_leaves_out_a_raw_files_preview_and_refuses_pairs(tmp_path):
    write_synthetic_dng(tmp_path / "shot.dng", colour_coded("RGGB", 64, 64), "RGGB")
    _photo(tmp_path / "shot.jpg")       # the camera's preview of shot.dng
    _photo(tmp_path / "other.jpg", 2)
    images, _ = load_images(tmp_path, rgb=True)
    assert sorted(im.name for im in images) == ["other.jpg", "shot.dng"]
    with pytest.raises(ConfigError, match="--rgb"):
        load_images(tmp_path, tmp_path, rgb=True)


def test_darken_dims_synthetic_crops_by_at_most_its_stops():
    from studio.data.denoise_data import DenoiseCrops, PackedImage
    from studio.data.noise import NOISE_PRESETS
    from studio.engine.denoise_options import DenoiseOptions

    flat = PackedImage("flat.png", np.full((4, 40, 40), 0.4, np.float32))
    model = NOISE_PRESETS["crvd_imx385"]
    plain = DenoiseCrops([flat], 32, 16, model, seed=1)
    dim = DenoiseCrops([flat], 32, 16, model, seed=1, darken=2.0)
    plain_means = [float(plain[k]["clean"].mean()) for k in range(16)]
    dim_means = np.array([float(dim[k]["clean"].mean()) for k in range(16)])
    assert plain_means == pytest.approx([0.4] * 16)
    assert (dim_means <= 0.4 + 1e-6).all() and (dim_means >= 0.1 - 1e-6).all()
    assert dim_means.max() - dim_means.min() > 0.1  # a spread of exposures, not one fixed factor
    with pytest.raises(ConfigError, match="darken"):
        DenoiseOptions(darken=-1.0)
