"""Writing a (denoised) Bayer mosaic back out: as a DNG carrying the source DNG's metadata, as a 16-bit
TIFF of the linear mosaic, or as an sRGB PNG preview rendered by rawpy. Every file is written atomically
(studio.utils.atomic): a failure leaves no half-written file, and a DNG is read back and checked before it
is saved.

A mosaic here is ``(H, W)`` uint16 in the camera's own values and CFA pattern, the shape of
``RawImage.mosaic`` (``studio.io.raw.unpack(..., clip=True)`` makes one from a packed array).
"""

from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.errors import RawFileError
from studio.io.raw import CFA_OFFSETS, RawImage, cfa_page, read_fields
from studio.utils.atomic import atomic_write_bytes

SOFTWARE = "Tern Studio"
# tags carried over from the source DNG (IFD0 and its CFA IFD) when present: code -> name. Not carried:
# the data layout (offsets, tiles, compression, bits), SubIFDs, the Exif/GPS/XMP blocks, DNGPrivateData,
# LinearizationTable (rawpy has applied it), BlackLevelDeltaH/V and MaskedAreas (the levels written are
# the RawImage's), NoiseProfile (the noise has changed), OpcodeList1-3, RawDataUniqueID and the digests
# (the data has changed) and previews. The CFA, level and area tags are written from the RawImage.
CARRIED_TAGS = {
    271: "Make", 272: "Model", 274: "Orientation", 306: "DateTime", 315: "Artist", 33432: "Copyright",
    37398: "TIFFEPStandardID", 50706: "DNGVersion", 50707: "DNGBackwardVersion",
    50708: "UniqueCameraModel", 50709: "LocalizedCameraModel", 50718: "DefaultScale",
    50721: "ColorMatrix1", 50722: "ColorMatrix2", 50723: "CameraCalibration1", 50724: "CameraCalibration2",
    50725: "ReductionMatrix1", 50726: "ReductionMatrix2", 50727: "AnalogBalance", 50728: "AsShotNeutral",
    50729: "AsShotWhiteXY", 50730: "BaselineExposure", 50731: "BaselineNoise", 50732: "BaselineSharpness",
    50733: "BayerGreenSplit", 50734: "LinearResponseLimit", 50735: "CameraSerialNumber", 50736: "LensInfo",
    50738: "AntiAliasStrength", 50739: "ShadowScale", 50778: "CalibrationIlluminant1",
    50779: "CalibrationIlluminant2", 50780: "BestQualityScale", 50827: "OriginalRawFileName",
    50931: "CameraCalibrationSignature", 50932: "ProfileCalibrationSignature", 50936: "ProfileName",
    50937: "ProfileHueSatMapDims", 50938: "ProfileHueSatMapData1", 50939: "ProfileHueSatMapData2",
    50940: "ProfileToneCurve", 50941: "ProfileEmbedPolicy", 50942: "ProfileCopyright",
    50964: "ForwardMatrix1", 50965: "ForwardMatrix2", 50981: "ProfileLookTableDims",
    50982: "ProfileLookTableData", 51043: "TimeCodes", 51044: "FrameRate", 51107: "ProfileHueSatMapEncoding",
    51108: "ProfileLookTableEncoding", 51109: "BaselineExposureOffset", 51110: "DefaultBlackRender",
    52529: "CalibrationIlluminant3", 52530: "CameraCalibration3", 52531: "ColorMatrix3",
    52532: "ForwardMatrix3", 52533: "IlluminantData1", 52534: "IlluminantData2", 52535: "IlluminantData3",
}
BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7
# Exif fields carried into the DNG's Exif IFD (where LibRaw reads the ISO): tifffile's name -> (code, type)
EXIF_TAGS = {"ExposureTime": (33434, RATIONAL), "FNumber": (33437, RATIONAL),
             "ISOSpeedRatings": (34855, SHORT), "DateTimeOriginal": (36867, ASCII),
             "FocalLength": (37386, RATIONAL)}
EXIF_IFD, EXIF_STAND_IN = 34665, 34664  # tifffile will not write an IFD pointer: a stand-in is renamed
CFA_COLOUR_CODES = {"R": 0, "G": 1, "B": 2}


def write_tiff16(mosaic: np.ndarray, out: Path | str) -> Path:
    """Save the (H, W) uint16 linear mosaic as a single-channel 16-bit TIFF; returns ``out``."""
    import tifffile

    _check_mosaic(mosaic)
    buf = io.BytesIO()
    tifffile.imwrite(buf, np.ascontiguousarray(mosaic), photometric="minisblack", metadata=None,
                     software=SOFTWARE)
    atomic_write_bytes(out, buf.getvalue())
    return Path(out)


def write_preview_png(source: RawImage, mosaic: np.ndarray, out: Path | str, *,
                      half_size: bool = False) -> Path:
    """An 8-bit sRGB PNG rendered by rawpy (camera white balance) from ``source``'s file with its visible
    area replaced by the (H, W) uint16 ``mosaic``; half_size renders at half resolution (faster)."""
    import rawpy
    from PIL import Image

    _check_mosaic(mosaic, source)
    h, w = mosaic.shape
    try:
        with rawpy.imread(str(source.path)) as raw:
            _check_same_file(raw, source)
            raw.raw_image_visible[:h, :w] = mosaic  # a view of LibRaw's own buffer
            rgb = raw.postprocess(use_camera_wb=True, output_bps=8, half_size=half_size)
    except (rawpy.LibRawError, rawpy.NotSupportedError) as exc:
        raise RawFileError(source.path, f"rawpy cannot render it ({exc})") from None
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    atomic_write_bytes(out, buf.getvalue())
    return Path(out)


def write_dng(source: RawImage, mosaic: np.ndarray, out: Path | str) -> Path:
    """An uncompressed DNG of the source DNG's full sensor array with its visible area replaced by the
    (H, W) uint16 ``mosaic`` (same pattern, values in [black, white]) and the source's metadata carried
    over (CARRIED_TAGS); read back with rawpy and checked (size, pattern, levels, values) before it is
    saved. RawFileError when the source is not a DNG or the check fails."""
    out = Path(out)
    _check_mosaic(mosaic, source)
    ifd0, cfa = _source_tags(source)
    full = _sensor_array(source, mosaic)
    data = _encode_dng(full, _dng_tags(source, ifd0, cfa), _exif_entries(ifd0.get(EXIF_IFD), source.iso))
    _verify(data, source, mosaic, out)
    atomic_write_bytes(out, data)
    return out


def _check_mosaic(mosaic: np.ndarray, source: RawImage | None = None) -> None:
    if not isinstance(mosaic, np.ndarray) or mosaic.ndim != 2 or mosaic.dtype != np.uint16:
        raise ValueError("the mosaic must be an (H, W) uint16 numpy array, got "
                         f"{getattr(mosaic, 'shape', '?')} {getattr(mosaic, 'dtype', type(mosaic).__name__)}")
    if source is not None and mosaic.shape != source.mosaic.shape:
        raise ValueError(f"the mosaic is {mosaic.shape}, the source's visible area {source.mosaic.shape}")


def _check_same_file(raw, source: RawImage) -> None:
    sizes = raw.sizes
    if ((sizes.raw_height, sizes.raw_width) != source.raw_shape
            or (sizes.top_margin, sizes.left_margin) != source.origin):
        raise RawFileError(source.path, "the file has changed since it was read: read it again")


def _source_tags(source: RawImage) -> tuple[dict, dict]:
    """{code: (type, count, value)} of the source DNG's IFD0 and of its CFA IFD (RawFileError if the
    source is not a DNG)."""
    import tifffile

    not_dng = RawFileError(source.path, "writing a DNG needs a DNG input and this file is not one: choose "
                                        "another output format (--format tiff or png)")
    try:
        with tifffile.TiffFile(source.path) as tif:
            ifd0 = _tag_values(tif.pages[0])
            page = cfa_page(tif)
            cfa = _tag_values(page) if page is not None else None
    except (tifffile.TiffFileError, OSError, ValueError, IndexError):
        raise not_dng from None
    if 50706 not in ifd0 or cfa is None:
        raise not_dng
    return ifd0, cfa


def _tag_values(page) -> dict:
    """Read every tag's value while the file is open (tifffile loads large values lazily)."""
    return {tag.code: (int(tag.dtype), tag.count, tag.value) for tag in page.tags.values()}


def _sensor_array(source: RawImage, mosaic: np.ndarray) -> np.ndarray:
    """The source's full (raw_height, raw_width) uint16 sensor array, linearised by rawpy, with the
    visible area replaced by ``mosaic``."""
    import rawpy

    try:
        with rawpy.imread(str(source.path)) as raw:
            _check_same_file(raw, source)
            full = np.array(raw.raw_image, dtype=np.uint16, copy=True)
    except (rawpy.LibRawError, rawpy.NotSupportedError) as exc:
        raise RawFileError(source.path, f"rawpy cannot read it again ({exc})") from None
    top, left = source.origin
    full[top:top + mosaic.shape[0], left:left + mosaic.shape[1]] = mosaic
    return full


def _dng_tags(source: RawImage, ifd0: dict, cfa: dict) -> list[tuple]:
    """tifffile extratags (code, type, count, value, writeonce): the carried tags, then those written
    from the RawImage (CFA, levels, areas, ISO)."""
    merged = {**ifd0, **cfa}  # the CFA IFD's own values win (crops, scales live there)
    tags = [_copied(code, *tag) for code, tag in sorted(merged.items()) if code in CARRIED_TAGS]
    tags = [t for t in tags if t is not None]
    tags.append((EXIF_STAND_IN, LONG, 1, 0, True))
    tags += _cfa_and_level_tags(source)
    tags += _crop_tags(source, merged)
    return sorted(tags, key=lambda t: t[0])


def _copied(code: int, kind: int, count: int, value) -> tuple | None:
    if isinstance(value, str):
        value = value.strip("\x00")
        return (code, ASCII, 0, value, True) if value else None
    if isinstance(value, int):  # tifffile gives enums (Orientation): plain ints
        value = int(value)
    return (code, kind, count, value, True)


def _exif_entries(exif_tag: tuple | None, iso: float | None) -> list[tuple[int, int, int, bytes]]:
    """(code, type, count, little-endian payload) of the Exif IFD: the source's EXIF_TAGS that have a
    value, with the RawImage's ISO."""
    exif = dict(exif_tag[2]) if exif_tag is not None and isinstance(exif_tag[2], dict) else {}
    exif["ISOSpeedRatings"] = None if iso is None else min(round(iso), 65535)  # always the RawImage's
    entries = [(36864, UNDEFINED, 4, b"0230")]  # ExifVersion
    for name, (code, kind) in EXIF_TAGS.items():
        value = exif.get(name)
        if isinstance(value, tuple | list) and kind == SHORT:
            value = value[0] if value else None
        if kind == RATIONAL and isinstance(value, tuple) and len(value) == 2 and min(value) > 0:
            entries.append((code, RATIONAL, 1, struct.pack("<II", *(int(v) for v in value))))
        elif kind == SHORT and isinstance(value, int) and 0 < value <= 65535:
            entries.append((code, SHORT, 1, struct.pack("<H", value)))
        elif kind == ASCII and isinstance(value, str) and value.strip("\x00 "):
            text = value.strip("\x00").encode("ascii", "replace") + b"\x00"
            entries.append((code, ASCII, len(text), text))
    return sorted(entries)


def _exif_ifd(entries: list[tuple[int, int, int, bytes]], offset: int) -> bytes:
    """A little-endian TIFF IFD of ``entries`` to be placed at file ``offset`` (values > 4 bytes after it)."""
    extra, body = b"", b""
    extra_at = offset + 2 + 12 * len(entries) + 4
    for code, kind, count, payload in entries:
        if len(payload) <= 4:
            body += struct.pack("<HHI", code, kind, count) + payload.ljust(4, b"\x00")
        else:
            body += struct.pack("<HHII", code, kind, count, extra_at + len(extra))
            extra += payload + b"\x00" * (len(payload) % 2)
    return struct.pack("<H", len(entries)) + body + struct.pack("<I", 0) + extra


def _point_to_exif(data: bytearray, offset: int) -> None:
    """Rename IFD0's EXIF_STAND_IN entry to the Exif IFD pointer, pointing at ``offset``."""
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        at = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, at)[0] == EXIF_STAND_IN:
            struct.pack_into("<HHII", data, at, EXIF_IFD, LONG, 1, offset)
            return
    raise RuntimeError("the Exif stand-in tag was not written")


def _cfa_and_level_tags(source: RawImage) -> list[tuple]:
    h, w = source.mosaic.shape
    top, left = source.origin
    black_at = [0.0] * 4  # per 2x2 site, row-major; the pattern starts at the ActiveArea's corner
    for c, (dy, dx) in enumerate(CFA_OFFSETS[source.pattern]):
        black_at[2 * dy + dx] = source.black[c]
    if all(float(b).is_integer() for b in black_at):
        black = (50714, LONG, 4, tuple(int(b) for b in black_at), True)
    else:
        black = (50714, RATIONAL, 4, _rationals(black_at), True)
    return [
        (33421, SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, BYTE, 4, bytes(CFA_COLOUR_CODES[c] for c in source.pattern), True),  # CFAPattern
        (50710, BYTE, 3, b"\x00\x01\x02", True),  # CFAPlaneColor
        (50711, SHORT, 1, 1, True),  # CFALayout: rectangular
        (50713, SHORT, 2, (2, 2), True),  # BlackLevelRepeatDim
        black,
        (50717, LONG, 1, round(source.white), True),  # WhiteLevel
        (50829, LONG, 4, (top, left, top + h, left + w), True),  # ActiveArea
    ]


def _crop_tags(source: RawImage, merged: dict) -> list[tuple]:
    """DefaultCropOrigin/Size of the source, clamped inside the (possibly one pixel smaller) visible area."""
    if 50719 not in merged or 50720 not in merged:
        return []
    h, w = source.mosaic.shape
    x0, y0 = (min(max(v, 0.0), n - 1) for v, n in zip(_numbers(merged[50719]), (w, h), strict=True))
    cw, ch = (min(max(v, 1.0), n - v0) for v, n, v0 in zip(_numbers(merged[50720]), (w, h), (x0, y0),
                                                             strict=True))
    return [(50719, RATIONAL, 2, _rationals((x0, y0)), True),
            (50720, RATIONAL, 2, _rationals((cw, ch)), True)]


def _numbers(tag: tuple) -> list[float]:
    kind, _, value = tag
    value = tuple(value) if isinstance(value, tuple | list | np.ndarray) else (value,)
    if kind in (RATIONAL, 10):  # (numerator, denominator) pairs
        return [value[i] / value[i + 1] for i in range(0, len(value), 2)]
    return [float(v) for v in value]


def _rationals(values) -> tuple[int, ...]:
    out = []
    for v in values:
        f = Fraction(float(v)).limit_denominator(10000)
        out += [f.numerator, f.denominator]
    return tuple(out)


def _encode_dng(full: np.ndarray, tags: list[tuple], exif: list[tuple[int, int, int, bytes]]) -> bytes:
    """The DNG file: one IFD (tifffile) of the sensor array and ``tags``, then the Exif IFD."""
    import tifffile

    buf = io.BytesIO()
    with tifffile.TiffWriter(buf, byteorder="<", bigtiff=False) as tif:
        tif.write(full, photometric=32803, subfiletype=0, software=SOFTWARE, metadata=None,
                  extratags=tags)
    data = bytearray(buf.getvalue())
    data += b"\x00" * (len(data) % 2)  # IFDs start on a word boundary
    _point_to_exif(data, len(data))
    return bytes(data + _exif_ifd(exif, len(data)))


def _verify(data: bytes, source: RawImage, mosaic: np.ndarray, out: Path) -> None:
    """Read the encoded DNG back with rawpy: the same sizes, pattern, levels and visible values."""
    import rawpy

    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            got = read_fields(raw, out)
    except (rawpy.LibRawError, rawpy.NotSupportedError) as exc:
        raise RawFileError(out, f"the DNG made does not read back in rawpy ({exc}); nothing was "
                                "saved") from None
    expected = {"raw size": source.raw_shape, "visible origin": source.origin, "pattern": source.pattern,
                "visible size": mosaic.shape, "white level": source.white,
                "ISO": None if source.iso is None else float(min(round(source.iso), 65535))}
    found = {"raw size": got["raw_shape"], "visible origin": got["origin"], "pattern": got["pattern"],
             "visible size": got["mosaic"].shape, "white level": got["white"], "ISO": got["iso"]}
    wrong = [f"{k} {found[k]} instead of {v}" for k, v in expected.items() if found[k] != v]
    if not np.allclose(got["black"], source.black, atol=1.0):
        wrong.append(f"black levels {got['black']} instead of {source.black}")
    if not wrong and not np.array_equal(got["mosaic"], mosaic):
        wrong.append("different pixel values")
    if wrong:
        raise RawFileError(out, f"the DNG made does not read back as written ({'; '.join(wrong)}); "
                                "nothing was saved")
