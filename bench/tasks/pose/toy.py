"""Toy pose data in the COCO-keypoints and CrowdPose layouts: stick figures on cluttered backgrounds, each joint a
disc of its own colour (left and right differ), so joint positions are learnable from the pixels."""
from pathlib import Path

import cv2
import numpy as np

from backbones.core.io import write_json
from bench.tasks.shared.toy import textured_background, write_image

COCO_KEYPOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                  "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                  "right_knee", "left_ankle", "right_ankle"]
COCO_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
                 [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
CROWDPOSE_KEYPOINTS = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                       "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head",
                       "neck"]
CROWDPOSE_SKELETON = [[13, 14], [14, 1], [14, 2], [1, 3], [3, 5], [2, 4], [4, 6], [1, 7], [2, 8], [7, 9], [9, 11],
                      [8, 10], [10, 12], [7, 8]]

# Canonical joint positions in a unit box (x right, y down), person facing the camera: its left is image right.
_CANON = {"nose": (0.5, 0.08), "left_eye": (0.54, 0.05), "right_eye": (0.46, 0.05), "left_ear": (0.58, 0.07),
          "right_ear": (0.42, 0.07), "head": (0.5, 0.06), "neck": (0.5, 0.17), "left_shoulder": (0.66, 0.2),
          "right_shoulder": (0.34, 0.2), "left_elbow": (0.78, 0.36), "right_elbow": (0.22, 0.36),
          "left_wrist": (0.84, 0.52), "right_wrist": (0.16, 0.52), "left_hip": (0.6, 0.52),
          "right_hip": (0.4, 0.52), "left_knee": (0.63, 0.74), "right_knee": (0.37, 0.74),
          "left_ankle": (0.65, 0.96), "right_ankle": (0.35, 0.96)}


def _colour(i: int, n: int):
    hsv = np.uint8([[[int(180 * i / n), 230, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def _person(rng, names, img_w, img_h):
    """Joint coordinates of one randomly posed figure inside the image."""
    h = rng.uniform(0.55, 0.85) * img_h
    w = h * rng.uniform(0.45, 0.6)
    x0 = rng.uniform(0.02 * img_w, img_w - w - 0.02 * img_w)
    y0 = rng.uniform(0.02 * img_h, img_h - h - 0.02 * img_h)
    pts = np.array([_CANON[n] for n in names], dtype=np.float64)
    pts += rng.normal(0, 0.035, size=pts.shape)  # limb jitter
    limbs = [i for i, n in enumerate(names) if n.endswith(("wrist", "elbow", "knee", "ankle"))]
    pts[limbs] += rng.normal(0, 0.05, size=(len(limbs), 2))
    pts = np.clip(pts, 0.0, 1.0)
    return np.stack([x0 + pts[:, 0] * w, y0 + pts[:, 1] * h], axis=1)


def _draw(img, xy, vis, skeleton, n):
    for a, b in skeleton:
        if vis[a - 1] and vis[b - 1]:
            cv2.line(img, tuple(int(v) for v in xy[a - 1]), tuple(int(v) for v in xy[b - 1]), (235, 235, 235), 2,
                     cv2.LINE_AA)
    radius = max(2, int(round(min(img.shape[:2]) / 45)))
    for i, (x, y) in enumerate(xy):
        if vis[i] == 2:
            cv2.circle(img, (int(round(x)), int(round(y))), radius, _colour(i, n), -1, cv2.LINE_AA)


def _split(rng, names, skeleton, n_images, first_id, img_dir: Path, crowd: bool):
    images, annotations = [], []
    n = len(names)
    for k in range(n_images):
        image_id = first_id + k
        img_w, img_h = int(rng.integers(144, 193)), int(rng.integers(160, 209))
        img = textured_background(rng, img_h, img_w)
        xy = _person(rng, names, img_w, img_h)
        vis = np.full(n, 2)
        hidden = rng.random(n) < 0.06  # occluded: labelled but not drawn
        vis[hidden] = 1
        _draw(img, xy, vis, skeleton, n)
        file_name = f"{image_id}.jpg" if crowd else f"{image_id:012d}.jpg"  # as the real sets name them
        write_image(img_dir / file_name, img)
        x0, y0 = xy.min(0) - 6
        x1, y1 = xy.max(0) + 6
        x0, y0 = max(0.0, x0), max(0.0, y0)
        bw, bh = min(img_w, x1) - x0, min(img_h, y1) - y0
        kpts = np.concatenate([xy, vis[:, None]], axis=1).round(2).flatten().tolist()
        image = {"id": image_id, "file_name": file_name, "width": img_w, "height": img_h}
        if crowd:
            image["crowdIndex"] = 0.0
        images.append(image)
        annotations.append({"id": image_id, "image_id": image_id, "category_id": 1, "iscrowd": 0,
                            "bbox": [round(float(v), 2) for v in (x0, y0, bw, bh)], "area": float(bw * bh * 0.6),
                            "num_keypoints": int((vis > 0).sum()), "keypoints": kpts})
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person", "supercategory": "person", "keypoints": names,
                            "skeleton": skeleton}]}


def write_toy_pose(out, dataset="coco", n_train=160, n_val=40, seed=0) -> Path:
    """Write the toy set at `out` in the layout of `dataset` (coco | crowdpose); returns `out`."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    if dataset == "coco":
        train = _split(rng, COCO_KEYPOINTS, COCO_SKELETON, n_train, 1, out / "train2017", False)
        val = _split(rng, COCO_KEYPOINTS, COCO_SKELETON, n_val, 100000, out / "val2017", False)
        write_json(out / "annotations" / "person_keypoints_train2017.json", train)
        write_json(out / "annotations" / "person_keypoints_val2017.json", val)
    elif dataset == "crowdpose":
        train = _split(rng, CROWDPOSE_KEYPOINTS, CROWDPOSE_SKELETON, n_train, 100000, out / "images", True)
        val = _split(rng, CROWDPOSE_KEYPOINTS, CROWDPOSE_SKELETON, n_val, 200000, out / "images", True)
        write_json(out / "json" / "crowdpose_trainval.json", train)
        write_json(out / "json" / "crowdpose_test.json", val)
    else:
        raise ValueError(dataset)
    return out


def write_toy_coco(out, n_train, n_val, seed):
    """`bench data toy --task pose --dataset coco`."""
    write_toy_pose(out, "coco", n_train, n_val, seed)
    return ["annotations/person_keypoints_train2017.json", "annotations/person_keypoints_val2017.json",
            f"train2017/ ({n_train} images)", f"val2017/ ({n_val} images)"]


def write_toy_crowdpose(out, n_train, n_val, seed):
    """`bench data toy --task pose --dataset crowdpose`."""
    write_toy_pose(out, "crowdpose", n_train, n_val, seed)
    return ["json/crowdpose_trainval.json", "json/crowdpose_test.json", f"images/ ({n_train + n_val} images)"]
