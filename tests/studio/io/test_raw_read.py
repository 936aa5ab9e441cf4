"""studio.io.raw: packing mosaics of every CFA pattern, reading synthetic and real RAW files (levels,
pattern, visible area), and a plain reason for every file that cannot be used."""

from __future__ import annotations

import numpy as np
import pytest
import rawpy
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from studio.errors import RawFileError
from studio.io.raw import CFA_OFFSETS, CFA_PATTERNS, pack, raw_info_line, read_raw, unpack
from tests.raw_helpers import colour_coded, colours_of, write_synthetic_dng

# the 2x2 tile of each pattern written out by hand: which packed channel (R, Gr, Gb, B) sits where
TILES = {
    "RGGB": [["R", "Gr"], ["Gb", "B"]],
    "BGGR": [["B", "Gb"], ["Gr", "R"]],
    "GRBG": [["Gr", "R"], ["B", "Gb"]],
    "GBRG": [["Gb", "B"], ["R", "Gr"]],
}
CHANNEL_VALUES = {"R": 1000, "Gr": 2000, "Gb": 3000, "B": 4000}


def test_the_offsets_cover_every_pattern():
    assert set(CFA_OFFSETS) == set(CFA_PATTERNS) == set(TILES)


@pytest.mark.parametrize("pattern", CFA_PATTERNS)
def test_each_packed_channel_holds_its_own_sites(pattern):
    tile = np.array([[CHANNEL_VALUES[c] for c in row] for row in TILES[pattern]], dtype=np.uint16)
    mosaic = np.tile(tile, (3, 4))
    packed = pack(mosaic, pattern, (0, 0, 0, 0), 65535)
    assert packed.shape == (4, 3, 4) and packed.dtype == np.float32
    for c, name in enumerate(("R", "Gr", "Gb", "B")):
        np.testing.assert_array_equal(packed[c] * 65535, np.full((3, 4), CHANNEL_VALUES[name]))
    np.testing.assert_array_equal(unpack(packed, pattern, (0, 0, 0, 0), 65535), mosaic)


@pytest.mark.parametrize("pattern", CFA_PATTERNS)
def test_black_levels_are_per_packed_channel_and_values_below_black_stay_negative(pattern):
    black = (100.0, 200.0, 300.0, 400.0)
    tile = np.array([[CHANNEL_VALUES[c] for c in row] for row in TILES[pattern]], dtype=np.uint16)
    mosaic = np.tile(tile, (2, 2))
    mosaic[0, 0] = 0  # below every black level
    packed = pack(mosaic, pattern, black, 5000)
    for c, name in enumerate(("R", "Gr", "Gb", "B")):
        expected = (CHANNEL_VALUES[name] - black[c]) / (5000 - black[c])
        assert np.isclose(packed[c, 1, 1], expected)
    site = TILES[pattern][0][0]
    c = ("R", "Gr", "Gb", "B").index(site)
    assert packed[c, 0, 0] == pytest.approx(-black[c] / (5000 - black[c]))


@given(
    pattern=st.sampled_from(CFA_PATTERNS),
    shape=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    white=st.integers(2, 65535),
    black_frac=st.lists(st.floats(0, 0.99), min_size=4, max_size=4),
    data=st.data(),
)
def test_unpack_inverts_pack_exactly(pattern, shape, white, black_frac, data):
    black = tuple(f * (white - 1) for f in black_frac)  # fractional levels too
    mosaic = data.draw(hnp.arrays(np.uint16, (2 * shape[0], 2 * shape[1])))
    packed = pack(mosaic, pattern, black, white)
    assert packed.shape == (4, shape[0], shape[1])
    back = unpack(packed, pattern, black, white)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, mosaic)


@pytest.mark.parametrize("pattern", CFA_PATTERNS)
def test_unpack_clips_to_the_levels_only_when_asked(pattern):
    black, white = (64, 65, 66, 67), 1000
    packed = np.stack([np.array([[-0.5, 0.0], [1.0, 2.0]], np.float32)] * 4)
    clipped = pack(unpack(packed, pattern, black, white, clip=True), pattern, black, white)
    np.testing.assert_allclose(clipped, np.clip(packed, 0, 1), atol=1e-6)
    free = unpack(packed, pattern, black, white)
    assert free.min() < 64 and free.max() > white  # below black and above white survive


def test_pack_and_unpack_refuse_bad_input():
    with pytest.raises(ValueError, match="even"):
        pack(np.zeros((3, 4), np.uint16), "RGGB", 0, 10)
    with pytest.raises(ValueError, match="pattern"):
        pack(np.zeros((2, 2), np.uint16), "RGBG", 0, 10)
    with pytest.raises(ValueError, match="white"):
        pack(np.zeros((2, 2), np.uint16), "RGGB", (10, 0, 0, 0), 10)
    with pytest.raises(ValueError, match="NaN"):
        unpack(np.full((4, 1, 1), np.nan, np.float32), "RGGB", 0, 10)


# --- synthetic DNGs: any pattern, odd active areas, per-site black levels -------------------------------

@pytest.mark.parametrize("pattern", CFA_PATTERNS)
@pytest.mark.parametrize("area", [(0, 0, 48, 64), (1, 1, 47, 63), (1, 2, 41, 53), (3, 5, 47, 63)])
def test_the_pattern_describes_the_mosaic_whatever_the_visible_offset(tmp_path, pattern, area):
    rng = np.random.default_rng(0)
    full = np.zeros((48, 64), np.uint16)
    top, left, bottom, right = area
    full[top:bottom, left:right] = colour_coded(pattern, bottom - top, right - left, rng)
    site_black = (10, 20, 30, 40)  # row-major from ActiveArea's corner
    path = write_synthetic_dng(tmp_path / "s.dng", full, pattern, area=area, black=site_black, white=4000)
    raw = read_raw(path)
    h, w = raw.mosaic.shape
    assert h % 2 == 0 and w % 2 == 0 and h >= bottom - top - 2 and w >= right - left - 2
    assert raw.pattern in CFA_PATTERNS
    assert colours_of(raw.mosaic[:2, :2]) == raw.pattern
    y, x = raw.origin
    np.testing.assert_array_equal(raw.mosaic, full[y:y + h, x:x + w])
    assert raw.raw_shape == (48, 64) and raw.white == 4000
    if top % 2 == 0 and left % 2 == 0:
        for c, (dy, dx) in enumerate(CFA_OFFSETS[raw.pattern]):
            assert raw.black[c] == site_black[2 * dy + dx]
    else:  # LibRaw moves an odd ActiveArea corner to even and shifts the CFA, but not BlackLevel's phase
        assert sorted(raw.black) == sorted(site_black)
    packed = raw.packed()
    red = packed[0] * (4000 - raw.black[0]) + raw.black[0]
    assert set(colours_of(np.rint(red))) == {"R"}  # the R channel really is the red sites
    assert set(colours_of(np.rint(packed[3] * (4000 - raw.black[3]) + raw.black[3]))) == {"B"}


def test_camera_and_description_of_a_synthetic_dng(tmp_path):
    full = colour_coded("GRBG", 32, 48)
    raw = read_raw(write_synthetic_dng(tmp_path / "a.dng", full, "GRBG", make="Tern", model="Synthetic"))
    assert raw.camera == "Tern Synthetic" and raw.iso is None
    assert raw.describe() == ("a.dng: Tern Synthetic, CFA GRBG, black 64, white 4000, 48x32 visible, "
                              "ISO unknown")
    named = read_raw(write_synthetic_dng(tmp_path / "b.dng", full, "GRBG", make="NIKON CORPORATION",
                                         model="NIKON D70", black=(1, 2, 3, 4)))
    assert named.camera == "NIKON D70" and named.iso is None
    assert "black 2/1/4/3" in named.describe() and "ISO unknown" in named.describe()


def test_all_zero_and_truncated_files_are_refused(tmp_path):
    zero = write_synthetic_dng(tmp_path / "zero.dng", np.zeros((32, 32), np.uint16), "RGGB")
    with pytest.raises(RawFileError, match="all zero"):
        read_raw(zero)
    data = write_synthetic_dng(tmp_path / "full.dng", colour_coded("RGGB", 64, 64), "RGGB").read_bytes()
    cut = tmp_path / "cut.dng"
    cut.write_bytes(data[:-1000])
    with pytest.raises(RawFileError, match="truncated") as info:
        read_raw(cut)
    assert info.value.path == cut


def test_files_that_are_not_raw_files(tmp_path):
    (tmp_path / "notes.txt").write_text("not a raw file\n" * 100)
    (tmp_path / "empty.dng").write_bytes(b"")
    cases = {tmp_path / "missing.dng": "no such file", tmp_path: "folder",
             tmp_path / "notes.txt": "not a RAW file", tmp_path / "empty.dng": "empty"}
    for path, words in cases.items():
        with pytest.raises(RawFileError, match=words) as info:
            read_raw(path)
        assert str(info.value).startswith(str(path)) and info.value.reason
        assert raw_info_line(path) == f"{path.name}: {info.value.reason}"


# --- real files of ../shared/data/raw ---------------------------------------------------------------------

@pytest.mark.data
def test_real_canon_dng(shared_data):
    path = shared_data / "raw" / "bayer" / "canon550d_magiclantern_rggb.dng"
    raw = read_raw(path)
    assert raw.mosaic.shape == (1156, 1734) and raw.mosaic.dtype == np.uint16
    assert (raw.pattern, raw.black, raw.white) == ("RGGB", (2056.0,) * 4, 15000.0)
    assert (raw.origin, raw.raw_shape) == ((26, 152), (1182, 1888))
    assert (raw.camera, raw.iso) == ("Canon EOS Kiss X4", None)
    with rawpy.imread(str(path)) as ref:
        np.testing.assert_array_equal(raw.mosaic, ref.raw_image_visible)
    packed = raw.packed()
    assert packed.shape == (4, 578, 867) and -0.2 < packed.mean() < 1.0
    np.testing.assert_array_equal(unpack(packed, raw.pattern, raw.black, raw.white), raw.mosaic)


@pytest.mark.data
def test_real_blackmagic_dng(shared_data):
    raw = read_raw(shared_data / "raw" / "bayer" / "blackmagic_pocket4k_rggb.dng")
    assert raw.mosaic.shape == (2176, 4128) and raw.origin == (0, 0) and raw.raw_shape == (2176, 4128)
    assert (raw.pattern, raw.black, raw.white) == ("RGGB", (512.0,) * 4, 65535.0)
    assert raw.camera == "Blackmagic Pocket Cinema Camera 4K"
    assert raw.mosaic.max() > 4095  # rawpy applied the 12-bit linearisation table
    crop = raw.mosaic[:512, :512]
    np.testing.assert_array_equal(unpack(pack(crop, raw.pattern, raw.black, raw.white), raw.pattern,
                                         raw.black, raw.white), crop)


# file -> words its reason must hold (the LibRaw error class, or the check that caught it)
BROKEN = {"CanonRaw.cr2": "not a RAW file", "CanonRaw.cr3": "truncated", "CanonRaw.crw": "truncated",
          "DNG.dng": "placeholder", "FujiFilm.raf": "truncated", "KyoceraRaw.raw": "truncated",
          "Minolta.mrw": "truncated", "Nikon.nef": "truncated", "Panasonic.rw2": "all zero",
          "PhaseOne.iiq": "truncated", "Sigma.x3f": "truncated", "SigmaDP2.x3f": "too big"}


@pytest.mark.data
def test_every_broken_and_non_bayer_file_gets_a_reason(shared_data):
    files = sorted((shared_data / "raw" / "broken").iterdir())
    assert {f.name for f in files} == set(BROKEN)
    for path in files:
        with pytest.raises(RawFileError, match=BROKEN[path.name]):
            read_raw(path)
        line = raw_info_line(path)
        assert line.startswith(f"{path.name}: ") and "\n" not in line
    for path in sorted((shared_data / "raw" / "non_bayer").iterdir()):
        with pytest.raises(RawFileError, match=r"not a Bayer sensor .*only 2x2 Bayer RAWs can be denoised"):
            read_raw(path)
