"""studio.data: torch datasets for training and validation.

``records`` (what an image carries), ``decode`` / ``cache`` (pixels), ``letterbox``, the augmentations
(``augment``, ``affine``, ``mosaic``), ``detection`` (the keyed dataset), ``sampler``, ``collate`` and
``loader``. Nothing here is imported by the GUI at start-up (these modules import cv2 and torch).
"""
