"""Ordinary sRGB photos turned into plausible clean RAW data for training a denoiser: "unprocessing"
(Brooks et al., "Unprocessing Images for Learned Raw Denoising", CVPR 2019). The camera pipeline is run
backwards: the tone curve and the sRGB gamma are undone, a random camera colour matrix and random white
balance gains are inverted, and the result is sampled on an RGGB Bayer grid and packed to 4 channels.

Each image's random camera is drawn from a seed derived from its file name, so a resumed run sees the
same data."""

from __future__ import annotations

import zlib

import numpy as np

# XYZ -> camera matrices of four cameras (the paper's set); a random convex combination is one camera
XYZ_TO_CAMS = np.array([
    [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
    [[0.4913, -0.0541, -0.0202], [-0.6130, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
    [[0.8380, -0.2630, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
    [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.0970, 0.1581, 0.5181]],
])
# linear sRGB -> XYZ (D65)
RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
GAIN_INFLECTION = 0.9  # above this brightness the inverted white balance fades out (keeps highlights)


def name_seed(name: str) -> int:
    """A stable seed from a file name (not Python's salted hash)."""
    return zlib.crc32(name.encode("utf-8"))


def random_rgb_to_cam(rng: np.random.Generator) -> np.ndarray:
    """(3, 3) linear sRGB -> camera matrix of a random camera, rows summing to 1 (white stays grey)."""
    weights = rng.uniform(1e-8, 1e8, size=(len(XYZ_TO_CAMS), 1, 1))
    xyz_to_cam = (XYZ_TO_CAMS * weights).sum(axis=0) / weights.sum()
    rgb_to_cam = xyz_to_cam @ RGB_TO_XYZ
    return rgb_to_cam / rgb_to_cam.sum(axis=-1, keepdims=True)


def random_gains(rng: np.random.Generator) -> np.ndarray:
    """(3,) white-balance gains (R, G, B) a camera would apply, brightness gain folded in."""
    rgb_gain = 1.0 / rng.normal(0.8, 0.1)
    return np.array([rng.uniform(1.9, 2.4), 1.0, rng.uniform(1.5, 1.9)]) * rgb_gain


def inverse_tone(srgb: np.ndarray) -> np.ndarray:
    """Undo the smoothstep tone curve 3x^2 - 2x^3 (input in [0, 1])."""
    return 0.5 - np.sin(np.arcsin(1.0 - 2.0 * np.clip(srgb, 0.0, 1.0)) / 3.0)


def undo_gains(linear: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Divide by the white-balance gains, fading the division out towards white so that saturated
    highlights stay saturated instead of turning grey-green."""
    grey = linear.mean(axis=-1, keepdims=True)
    mask = (np.maximum(grey - GAIN_INFLECTION, 0.0) / (1.0 - GAIN_INFLECTION)) ** 2
    inverse = 1.0 / gains
    return linear * np.maximum(mask + (1.0 - mask) * inverse, inverse)


def unprocess(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> packed (4, H//2, W//2) float32 R, Gr, Gb, B in [0, 1].

    8-bit steps are dithered by half a level so the linearised dark tones have no banding."""
    h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    srgb = (rgb[:h, :w].astype(np.float64) + rng.uniform(-0.5, 0.5, size=(h, w, 3))) / 255.0
    linear = np.maximum(inverse_tone(srgb), 1e-8) ** 2.2
    cam = linear @ random_rgb_to_cam(rng).T
    cam = np.clip(undo_gains(cam, random_gains(rng)), 0.0, 1.0)
    packed = np.stack([cam[0::2, 0::2, 0], cam[0::2, 1::2, 1], cam[1::2, 0::2, 1], cam[1::2, 1::2, 2]])
    return packed.astype(np.float32)
