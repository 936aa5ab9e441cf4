"""RAW denoisers on packed Bayer tensors (B, 4, H/2, W/2): NAFNet, a plain UNet baseline, their presets."""
