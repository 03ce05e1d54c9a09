"""Toy detection data in the COCO instances layout: circles, squares and triangles (3 categories) with polygon
masks on cluttered backgrounds."""
from pathlib import Path

import cv2
import numpy as np

from backbones.core.io import write_json
from bench.tasks.shared.toy import textured_background, write_image

CATEGORIES = [{"id": 1, "name": "circle", "supercategory": "shape"},
              {"id": 2, "name": "square", "supercategory": "shape"},
              {"id": 3, "name": "triangle", "supercategory": "shape"}]


def _polygon(rng, cat, cx, cy, r):
    if cat == 1:
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1)
    elif cat == 2:
        a = rng.uniform(0, np.pi / 2)
        t = a + np.arange(4) * np.pi / 2
        pts = np.stack([cx + r * 1.3 * np.cos(t), cy + r * 1.3 * np.sin(t)], 1)
    else:
        a = rng.uniform(0, 2 * np.pi)
        t = a + np.arange(3) * 2 * np.pi / 3
        pts = np.stack([cx + r * 1.4 * np.cos(t), cy + r * 1.4 * np.sin(t)], 1)
    return pts


def _split(rng, img_dir: Path, n, first_id, size=128):
    images, annotations = [], []
    ann_id = first_id * 10
    for k in range(n):
        image_id = first_id + k
        img = textured_background(rng, size, size)
        for _ in range(int(rng.integers(1, 4))):
            cat = int(rng.integers(1, 4))
            r = rng.uniform(10, 22)
            cx, cy = rng.uniform(r + 4, size - r - 4, size=2)
            pts = np.clip(_polygon(rng, cat, cx, cy, r), 0, size - 1)
            colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
            cv2.fillPoly(img, [pts.round().astype(np.int32)], colour)
            x0, y0 = pts.min(0)
            x1, y1 = pts.max(0)
            area = float(cv2.contourArea(pts.astype(np.float32)))
            annotations.append({"id": ann_id, "image_id": image_id, "category_id": cat, "iscrowd": 0,
                                "segmentation": [pts.round(1).flatten().tolist()], "area": area,
                                "bbox": [round(float(x0), 1), round(float(y0), 1), round(float(x1 - x0), 1),
                                         round(float(y1 - y0), 1)]})
            ann_id += 1
        name = f"{image_id:012d}.jpg"
        write_image(img_dir / name, img)
        images.append({"id": image_id, "file_name": name, "width": size, "height": size})
    return {"images": images, "annotations": annotations, "categories": CATEGORIES}


def write_toy_detection(out, n_train=64, n_val=16, seed=0):
    """Write toy COCO-layout train2017 / val2017 images and instance annotations under `out`; return its parts."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    write_json(out / "annotations" / "instances_train2017.json", _split(rng, out / "train2017", n_train, 1))
    write_json(out / "annotations" / "instances_val2017.json", _split(rng, out / "val2017", n_val, 100000))
    return ["annotations/instances_{train,val}2017.json", "train2017/", "val2017/"]
