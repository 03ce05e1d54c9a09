"""Toy depth scenes in the NYU (BTS sync/ + official_splits/test/) and KITTI (raw/ + depth/ annotated) layouts.
A tilted textured plane plus fronto-parallel boards, each carrying a checkerboard of fixed world size: its
apparent period shrinks with distance, so depth is recoverable from the image."""
from pathlib import Path

import cv2
import numpy as np

from bench.tasks.shared.toy import write_image

RANGES = {"nyu": (1.0, 9.0, 1000.0), "kitti": (5.0, 70.0, 256.0)}  # min, max depth (m), png scale


def scene(rng, h, w, dmin, dmax):
    """(BGR image, depth in metres)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    near, far = sorted(rng.uniform(dmin, dmax, size=2))
    if rng.random() < 0.5:  # floor-like: far at the top, near at the bottom
        depth = far + (near - far) * (ys / (h - 1)) ** rng.uniform(0.7, 1.5)
    else:
        depth = near + (far - near) * (xs / (w - 1))
    colour = np.ones((h, w, 3)) * rng.uniform(80, 200, size=3)
    for _ in range(int(rng.integers(1, 3))):
        bh, bw = int(rng.integers(h // 5, h // 2)), int(rng.integers(w // 6, w // 3))
        y0, x0 = int(rng.integers(0, h - bh)), int(rng.integers(0, w - bw))
        d = rng.uniform(dmin, dmax)
        region = (slice(y0, y0 + bh), slice(x0, x0 + bw))
        depth[region] = np.minimum(depth[region], d)
        colour[region] = rng.uniform(60, 220, size=3)
    focal = 0.8 * w
    period = 0.04 * (dmax - dmin) + 0.05
    gx = (xs - w / 2) * depth / focal / period
    gy = (ys - h / 2) * depth / focal / period
    checker = ((np.floor(gx) + np.floor(gy)) % 2) * 2 - 1
    img = colour * (1 + 0.35 * checker[..., None]) + rng.normal(0, 4, size=colour.shape)
    return np.clip(img, 0, 255).astype(np.uint8), depth


def _depth_png(depth, scale, keep=None):
    out = (depth * scale).round().astype(np.uint16)
    if keep is not None:
        out[~keep] = 0  # sparse lidar-like ground truth: 0 = no measurement
    return out


def write_toy_depth(out, dataset="nyu", n_train=48, n_test=12, seed=0, size=(96, 128)):
    """Write toy depth scenes in the NYU or KITTI layout, with split lists, under `out`; return its parts."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    dmin, dmax, scale = RANGES[dataset]
    h, w = size
    lists = {"train": [], "test": []}
    for split, n in (("train", n_train), ("test", n_test)):
        for k in range(n):
            img, depth = scene(rng, h, w, dmin, dmax)
            if dataset == "nyu":
                scene_name = f"toy_room_{k % 3:04d}" + ("" if split == "test" else "a")
                base = out / ("official_splits/test" if split == "test" else "sync") / scene_name
                img_rel, depth_rel = f"{scene_name}/rgb_{k:05d}.jpg", f"{scene_name}/sync_depth_{k:05d}.png"
                write_image(base.parent / img_rel, img)
                cv2.imwrite(str(base.parent / depth_rel), _depth_png(depth, scale))
            else:
                drive = f"2011_09_26_drive_{(1 if split == 'train' else 2):04d}_sync"
                img_rel = f"2011_09_26/{drive}/image_02/data/{k:010d}.png"
                depth_rel = f"{drive}/proj_depth/groundtruth/image_02/{k:010d}.png"
                write_image(out / "raw" / img_rel, img)
                (out / "depth" / depth_rel).parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(out / "depth" / depth_rel), _depth_png(depth, scale, rng.random((h, w)) < 0.3))
            lists[split].append(f"{img_rel} {depth_rel}")
    (out / "splits").mkdir(parents=True, exist_ok=True)
    for split, lines in lists.items():
        (out / "splits" / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return (["sync/", "official_splits/test/", "splits/"] if dataset == "nyu"
            else ["raw/", "depth/", "splits/"])


def write_toy_nyu(out, n_train, n_val, seed):
    """`bench data toy --task depth --dataset nyu`."""
    return write_toy_depth(out, "nyu", n_train, n_val, seed)


def write_toy_kitti(out, n_train, n_val, seed):
    """`bench data toy --task depth --dataset kitti`."""
    return write_toy_depth(out, "kitti", n_train, n_val, seed)
