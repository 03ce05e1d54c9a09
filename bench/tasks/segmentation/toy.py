"""Toy ADE20K (ADEChallengeData2016 layout): `images/{training,validation}/ADE_*.jpg` and `annotations/.../*.png`
label maps (0 = unlabelled, 1..150 = ADE classes). Scenes of four region classes told apart by colour and
texture: sky over grass, a person (upright ellipse) and a car (dark box), with unlabelled seams between them."""
from pathlib import Path

import cv2
import numpy as np

from bench.tasks.shared.toy import write_image

SKY, GRASS, PERSON, CAR = 3, 10, 13, 21  # ADE20K class ids (1-based: sky, grass, person, car)


def toy_scene(rng, size: int = 128):
    """(BGR image, uint8 label map) of one scene."""
    h = w = size
    horizon = int(rng.uniform(0.35, 0.6) * h)
    img = np.zeros((h, w, 3), np.float32)
    ramp = np.linspace(0, 1, horizon)[:, None, None]
    img[:horizon] = (230, 170, 120) + ramp * np.array((20, 40, 60))  # BGR: pale blue sky
    img[horizon:] = (40, 150, 60)
    img[horizon:] += rng.normal(0, 25, (h - horizon, w, 1))  # grass texture
    label = np.full((h, w), SKY, np.uint8)
    label[horizon:] = GRASS
    x0 = int(rng.uniform(0.05, 0.45) * w)
    bw, bh = int(rng.uniform(0.25, 0.4) * w), int(rng.uniform(0.12, 0.2) * h)
    y1 = min(h - 2, horizon + int(rng.uniform(0.1, 0.3) * h))
    cv2.rectangle(img, (x0, y1 - bh), (x0 + bw, y1), (50, 40, 40), -1)
    cv2.rectangle(label, (x0, y1 - bh), (x0 + bw, y1), CAR, -1)
    cx, cy = int(rng.uniform(0.6, 0.85) * w), int(rng.uniform(0.4, 0.6) * h)
    axes = (int(0.07 * w), int(0.2 * h))
    cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, (60, 60, 210), -1)
    cv2.ellipse(label, (cx, cy), axes, 0, 0, 360, PERSON, -1)
    seams = cv2.morphologyEx(label, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    label[seams] = 0  # unlabelled pixels at region borders, as ADE20K leaves them
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), label


def write_toy_ade20k(out, n_train=24, n_val=8, seed=0, size=128):
    """Write toy ADE20K-layout training / validation images and label maps under `out`; return its parts."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    for split, prefix, n in (("training", "ADE_train", n_train), ("validation", "ADE_val", n_val)):
        for i in range(1, n + 1):
            img, label = toy_scene(rng, size)
            write_image(out / "images" / split / f"{prefix}_{i:08d}.jpg", img)
            write_image(out / "annotations" / split / f"{prefix}_{i:08d}.png", label)
    return ["images/training/", "images/validation/", "annotations/training/", "annotations/validation/"]
