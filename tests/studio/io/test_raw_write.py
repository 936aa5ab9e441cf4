"""studio.io.raw_write: a DNG written back opens in rawpy with the same size, pattern and levels and holds
the mosaic given; TIFF and PNG previews; refusals leave no file behind."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import rawpy
import tifffile
from PIL import Image

from studio.errors import RawFileError
from studio.io import raw_write
from studio.io.raw import CFA_PATTERNS, read_fields, read_raw, unpack
from studio.io.raw_write import write_dng, write_preview_png, write_tiff16
from tests.raw_helpers import colour_coded, write_synthetic_dng

CARRIED = ("Make", "Model", "UniqueCameraModel", "ColorMatrix1", "AsShotNeutral", "DNGVersion", "Orientation")


def _darker(raw) -> np.ndarray:
    """A different, valid mosaic: the packed image halved, unpacked with clipping."""
    return unpack(np.clip(raw.packed() * 0.5, 0, 1), raw.pattern, raw.black, raw.white, clip=True)


def _assert_reads_back(out, source, mosaic):
    with rawpy.imread(str(out)) as back, rawpy.imread(str(source.path)) as ref:
        assert (back.sizes.raw_height, back.sizes.raw_width) == source.raw_shape
        assert (back.sizes.top_margin, back.sizes.left_margin) == source.origin
        np.testing.assert_array_equal(back.raw_colors_visible[:2, :2], ref.raw_colors_visible[:2, :2])
        assert back.black_level_per_channel == ref.black_level_per_channel
        assert back.white_level == ref.white_level
        crop = ("crop_top_margin", "crop_left_margin", "crop_height", "crop_width")
        assert [getattr(back.sizes, k) for k in crop] == [getattr(ref.sizes, k) for k in crop]
        h, w = mosaic.shape
        np.testing.assert_array_equal(back.raw_image_visible[:h, :w], mosaic)
        outside = np.ones(source.raw_shape, bool)
        top, left = source.origin
        outside[top:top + h, left:left + w] = False
        np.testing.assert_array_equal(back.raw_image[outside], ref.raw_image[outside])  # margins kept
    again = read_raw(out)
    assert (again.pattern, again.black, again.white, again.camera) == (source.pattern, source.black,
                                                                       source.white, source.camera)


@pytest.mark.parametrize("pattern", CFA_PATTERNS)
@pytest.mark.parametrize("area", [(0, 0, 48, 64), (3, 5, 47, 63)])
def test_dng_of_every_pattern_reads_back(tmp_path, pattern, area):
    rng = np.random.default_rng(1)
    full = rng.integers(70, 4000, (48, 64)).astype(np.uint16)
    src = write_synthetic_dng(tmp_path / "src.dng", full, pattern, area=area, black=(60, 61, 62, 63))
    source = read_raw(src)
    mosaic = rng.integers(70, 4000, source.mosaic.shape).astype(np.uint16)
    out = write_dng(source, mosaic, tmp_path / "out.dng")
    assert out == tmp_path / "out.dng"
    _assert_reads_back(out, source, mosaic)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_dng_keeps_the_iso_in_an_exif_block(tmp_path):
    source = read_raw(write_synthetic_dng(tmp_path / "src.dng", colour_coded("RGGB", 32, 32), "RGGB"))
    source = dataclasses.replace(source, iso=800.0)
    out = write_dng(source, source.mosaic, tmp_path / "iso.dng")
    assert read_raw(out).iso == 800.0
    with tifffile.TiffFile(out) as tif:
        assert tif.pages[0].tags["ExifTag"].value["ISOSpeedRatings"] == 800


def test_dng_needs_a_dng_source(tmp_path):
    source = read_raw(write_synthetic_dng(tmp_path / "src.dng", colour_coded("RGGB", 32, 32), "RGGB"))
    plain = write_tiff16(source.mosaic, tmp_path / "plain.tif")
    not_dng = dataclasses.replace(source, path=plain)
    with pytest.raises(RawFileError, match=r"needs a DNG input.*--format tiff or png"):
        write_dng(not_dng, source.mosaic, tmp_path / "out.dng")
    assert not (tmp_path / "out.dng").exists()


def test_a_dng_that_does_not_read_back_is_not_saved(tmp_path, monkeypatch):
    source = read_raw(write_synthetic_dng(tmp_path / "src.dng", colour_coded("GBRG", 32, 32), "GBRG"))
    out = tmp_path / "out.dng"
    out.write_bytes(b"the previous file")

    def wrong_levels(raw, path):
        fields = read_fields(raw, path)
        return {**fields, "white": fields["white"] - 1}

    monkeypatch.setattr(raw_write, "read_fields", wrong_levels)
    with pytest.raises(RawFileError, match=r"does not read back as written.*white level"):
        write_dng(source, source.mosaic, out)
    assert out.read_bytes() == b"the previous file"


def test_mosaics_of_the_wrong_shape_or_type_are_refused(tmp_path):
    source = read_raw(write_synthetic_dng(tmp_path / "src.dng", colour_coded("RGGB", 32, 32), "RGGB"))
    with pytest.raises(ValueError, match="visible area"):
        write_dng(source, source.mosaic[:-2], tmp_path / "a.dng")
    with pytest.raises(ValueError, match="uint16"):
        write_tiff16(source.mosaic.astype(np.float32), tmp_path / "a.tif")


def test_tiff16_round_trip(tmp_path):
    mosaic = np.random.default_rng(2).integers(0, 65536, (6, 8)).astype(np.uint16)
    out = write_tiff16(mosaic, tmp_path / "sub" / "m.tif")
    back = tifffile.imread(out)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, mosaic)


def test_preview_of_a_synthetic_dng(tmp_path):
    source = read_raw(write_synthetic_dng(tmp_path / "src.dng", colour_coded("RGGB", 32, 48), "RGGB"))
    out = write_preview_png(source, source.mosaic, tmp_path / "p.png")
    with Image.open(out) as im:
        assert im.mode == "RGB" and im.size == (48, 32)


# --- real DNGs of ../shared/data/raw/bayer ----------------------------------------------------------------

@pytest.mark.data
@pytest.mark.parametrize("name", ["canon550d_magiclantern_rggb.dng", "blackmagic_pocket4k_rggb.dng"])
def test_real_dng_written_back(shared_data, tmp_path, name):
    source = read_raw(shared_data / "raw" / "bayer" / name)
    mosaic = _darker(source)
    out = write_dng(source, mosaic, tmp_path / name)
    _assert_reads_back(out, source, mosaic)
    with tifffile.TiffFile(source.path) as src, tifffile.TiffFile(out) as new:
        old_tags = {t.name: t.value for page in (src.pages[0], *(src.pages[0].pages or ())) for t in
                    page.tags.values()}
        new_tags = {t.name: t.value for t in new.pages[0].tags.values()}
    for tag in CARRIED:
        if tag in old_tags:
            assert new_tags[tag] == old_tags[tag], tag
    assert "LinearizationTable" not in new_tags and new_tags["Compression"] == 1
    assert new_tags["BitsPerSample"] == 16


@pytest.mark.data
def test_real_preview_follows_the_mosaic(shared_data, tmp_path):
    source = read_raw(shared_data / "raw" / "bayer" / "canon550d_magiclantern_rggb.dng")
    black = unpack(np.zeros((4, *source.packed().shape[1:]), np.float32), source.pattern, source.black,
                   source.white)
    lit = write_preview_png(source, source.mosaic, tmp_path / "lit.png", half_size=True)
    dark = write_preview_png(source, black, tmp_path / "dark.png", half_size=True)
    with Image.open(lit) as a, Image.open(dark) as b:
        assert a.mode == "RGB" and a.size == (867, 578)
        assert np.asarray(a).mean() > 20 and np.asarray(b).mean() < 2
