"""studio.io.images: header sizes (EXIF-aware), full-decode checks, RGB loading, folder listing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from studio.io.images import (
    HEAD_BYTES,
    IMAGE_EXTENSIONS,
    ImageReadError,
    image_files,
    list_images,
    load_image,
    read_image_head,
    read_image_size,
    verify_image,
)

ORIENTATION = 0x0112


def two_colour(width: int, height: int) -> Image.Image:
    """Left half red, right half blue."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2:] = (0, 0, 255)
    return Image.fromarray(pixels)


def save_with_orientation(path: Path, image: Image.Image, orientation: int, **kwargs) -> Path:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    image.save(path, exif=exif, **kwargs)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif", ".webp", ".JPEG"])
def test_size_of_every_format(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    two_colour(37, 23).save(path)
    assert read_image_size(path) == (37, 23)
    assert read_image_size(path, read_image_head(path)) == (37, 23)


@pytest.mark.parametrize("orientation, expected", [(1, (40, 20)), (3, (40, 20)), (5, (20, 40)),
                                                   (6, (20, 40)), (7, (20, 40)), (8, (20, 40))])
def test_exif_orientation_swaps_width_and_height(tmp_path, orientation, expected):
    path = save_with_orientation(tmp_path / "o.jpg", two_colour(40, 20), orientation)
    assert read_image_size(path) == expected
    assert read_image_size(path, read_image_head(path)) == expected
    assert load_image(path).shape == (expected[1], expected[0], 3)


def test_png_exif_orientation_is_read_without_decoding(tmp_path):
    path = save_with_orientation(tmp_path / "o.png", two_colour(40, 20), 6)
    assert read_image_size(path) == (20, 40)


def test_header_larger_than_the_head_falls_back_to_the_file(tmp_path):
    path = save_with_orientation(tmp_path / "big.jpg", two_colour(40, 20), 6,
                                 icc_profile=bytes(3 * HEAD_BYTES))
    head = read_image_head(path)
    assert head is not None and len(head) == HEAD_BYTES
    assert read_image_size(path, head) == (20, 40)


def test_wrong_extension_is_still_read(tmp_path):
    path = tmp_path / "really_a_png.jpg"
    two_colour(12, 7).save(path, format="PNG")
    assert read_image_size(path) == (12, 7)
    assert read_image_size(path, read_image_head(path)) == (12, 7)
    assert verify_image(path) is None


def test_missing_and_non_images_raise_with_reason(tmp_path):
    with pytest.raises(ImageReadError) as missing:
        read_image_size(tmp_path / "nope.jpg")
    assert missing.value.reason == "file not found"
    assert "nope.jpg" in str(missing.value)
    text = tmp_path / "text.jpg"
    text.write_text("hello, not an image")
    with pytest.raises(ImageReadError) as bad:
        read_image_size(text, read_image_head(text))
    assert bad.value.reason == "not an image"
    assert read_image_head(tmp_path / "nope.jpg") is None
    with pytest.raises(ImageReadError):
        load_image(text)


def test_verify_detects_truncated_jpeg_without_touching_pillow_state(tmp_path):
    path = tmp_path / "t.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)).save(path)
    assert verify_image(path) is None
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert read_image_size(path) == (300, 200)  # the header is intact
    assert verify_image(path) == "truncated file"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_verify_names_non_images_and_missing_files(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x00" * 100)
    assert verify_image(tmp_path / "x.png") == "not an image"
    assert verify_image(tmp_path / "missing.png") == "file not found"


def test_load_image_applies_orientation_to_pixels(tmp_path):
    path = save_with_orientation(tmp_path / "o.png", two_colour(40, 20), 6)
    pixels = load_image(path)
    assert pixels.dtype == np.uint8 and pixels.shape == (40, 20, 3)
    # orientation 6 = rotate 90 degrees clockwise for display: the red left half ends on top
    assert (pixels[:20, :, 0] == 255).all() and (pixels[20:, :, 2] == 255).all()


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_load_image_is_always_rgb(tmp_path, mode):
    path = tmp_path / "m.png"
    two_colour(10, 6).convert(mode).save(path)
    pixels = load_image(path)
    assert pixels.shape == (6, 10, 3) and pixels.dtype == np.uint8


def test_list_images_recursive_sorted_case_insensitive(tmp_path):
    for name in ["b.JPG", "a.png", "sub/c.webp", "sub/deeper/d.TIFF", "notes.txt", "sub/e.gif"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)]
    assert found == ["a.png", "b.JPG", "sub/c.webp", "sub/deeper/d.TIFF"]
    assert image_files(tmp_path) == [str(p) for p in list_images(tmp_path)]
    assert list_images(tmp_path / "absent") == []
    assert ".jpeg" in IMAGE_EXTENSIONS and ".tiff" in IMAGE_EXTENSIONS
