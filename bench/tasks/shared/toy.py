"""Helpers shared by the toy-data writers: textured backgrounds and image files."""
from pathlib import Path

import cv2
import numpy as np


def textured_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Low-contrast clutter: smooth colour noise plus a few random grey rectangles (BGR uint8)."""
    small = rng.integers(60, 180, size=(max(h // 16, 2), max(w // 16, 2), 3)).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(4):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(5, w // 3)), y0 + int(rng.integers(5, h // 3))
        grey = int(rng.integers(70, 170))
        cv2.rectangle(img, (x0, y0), (x1, y1), (grey, grey, grey), -1)
    noise = rng.normal(0, 6, size=img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def write_image(path: Path, img: np.ndarray) -> None:
    """Write a BGR uint8 image (format from the suffix), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write image {path}")
