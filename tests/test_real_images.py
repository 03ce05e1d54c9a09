"""Every task end to end on REAL photographs of ordinary non-square sizes (640x425, 500x333, 640x429, 640x392,
640x480): the COCO / CrowdPose images and annotations that upstream mmpose ships as test fixtures
(tests/fixtures/upstream/README.md), laid out in each dataset's official on-disk format, through `bench run
--protocol toy --epochs 1 --device cpu`, with a plain ViT and a (tiny) Swin. Each run must exit 0, write an `ok`
row with finite metrics and evaluate as many images (tracking: sequences) as were written.

This is a robustness test, not a learnability test: train and evaluation splits hold the same few images (there
are only six), and one epoch teaches nothing; the metrics are only checked to be finite numbers."""
import json
import math
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cli_run import bench_run

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"
BACKBONES = ["timm:vit_tiny_patch16_224", "demo-random"]  # plain ViT (stride 16), tiny Swin (hierarchical)
FAST = ["--protocol", "toy", "--epochs", "1", "--batch-size", "2", "--cfg-options", "log_level=WARNING"]


def _coco():
    return json.loads((UPSTREAM / "coco" / "test_coco.json").read_text())


def _crowdpose():
    return json.loads((UPSTREAM / "crowdpose" / "test_crowdpose.json").read_text())


def _photos():
    """(stem, BGR image, largest person box xywh, COCO polygons or None) of all six real images."""
    out = []
    for sub, ann in (("coco", _coco()), ("crowdpose", _crowdpose())):
        for im in ann["images"]:
            people = [a for a in ann["annotations"] if a["image_id"] == im["id"] and not a["iscrowd"]]
            big = max(people, key=lambda a: a["bbox"][2] * a["bbox"][3])
            polys = [p for a in people for p in a.get("segmentation", [])] if sub == "coco" else None
            img = cv2.imread(str(UPSTREAM / sub / im["file_name"]))
            assert img.shape[:2] == (im["height"], im["width"])
            out.append((Path(im["file_name"]).stem, img, big["bbox"], polys))
    return out


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _lines(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))


def pose_coco(root):
    """COCO 2017 keypoints: annotations/person_keypoints_{train,val}2017.json, train2017/, val2017/."""
    for split in ("train2017", "val2017"):
        _write_json(root / "annotations" / f"person_keypoints_{split}.json", _coco())
        for im in _coco()["images"]:
            (root / split).mkdir(parents=True, exist_ok=True)
            shutil.copy(UPSTREAM / "coco" / im["file_name"], root / split / im["file_name"])
    return len(_coco()["images"])


def pose_crowdpose(root):
    """CrowdPose: json/crowdpose_{trainval,test}.json, images/."""
    ann = _crowdpose()
    for name in ("crowdpose_trainval.json", "crowdpose_test.json"):
        _write_json(root / "json" / name, ann)
    for im in ann["images"]:
        (root / "images").mkdir(parents=True, exist_ok=True)
        shutil.copy(UPSTREAM / "crowdpose" / im["file_name"], root / "images" / im["file_name"])
    return len(ann["images"])


def detection_coco(root):
    """COCO 2017 instances (person only; boxes + polygons from the keypoint file): instances_{train,val}2017."""
    ann = _coco()
    keep = ("id", "image_id", "category_id", "iscrowd", "bbox", "area", "segmentation")
    inst = {"info": ann["info"], "licenses": ann["licenses"], "images": ann["images"],
            "annotations": [{k: a[k] for k in keep} for a in ann["annotations"]],
            "categories": [{"id": 1, "name": "person", "supercategory": "person"}]}
    for split in ("train2017", "val2017"):
        _write_json(root / "annotations" / f"instances_{split}.json", inst)
        for im in ann["images"]:
            (root / split).mkdir(parents=True, exist_ok=True)
            shutil.copy(UPSTREAM / "coco" / im["file_name"], root / split / im["file_name"])
    return len(ann["images"])


PERSON, WALL = 13, 1  # ADE20K label-map values (1-based: 0 = unlabelled)


def segmentation_ade20k(root):
    """ADEChallengeData2016: images/{training,validation}/ADE_*.jpg + annotations/.../ADE_*.png, person polygons
    rasterised to the person class and every other pixel labelled wall, each map the size of its image. All four
    COCO photos train; the first two (640x425, 500x333) are the validation split (sliding windows are slow on a CPU)."""
    coco = [(img, polys) for _, img, _, polys in _photos() if polys is not None]  # CrowdPose has no polygons
    for n, (img, polys) in enumerate(coco, start=1):
        label = np.full(img.shape[:2], WALL, np.uint8)
        cv2.fillPoly(label, [np.array(p, np.float64).reshape(-1, 2).round().astype(np.int32) for p in polys],
                     PERSON)
        assert (label == PERSON).any()
        for split, prefix in (("training", "ADE_train"), ("validation", "ADE_val"))[:2 if n <= 2 else 1]:
            (root / "images" / split).mkdir(parents=True, exist_ok=True)
            (root / "annotations" / split).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / "images" / split / f"{prefix}_{n:08d}.jpg"), img)
            cv2.imwrite(str(root / "annotations" / split / f"{prefix}_{n:08d}.png"), label)
    return 2


def depth_nyu(root):
    """NYU (BTS layout): sync/<scene>/rgb_*.jpg + sync_depth_*.png, official_splits/test/<scene>/..., and the
    data root's own splits/{train,test}.txt. The real RGB at its own size (NYU's readers and the toy protocol take
    any size); the depth a synthetic smooth ramp, 1-9 m, uint16 millimetres, the same size as the image."""
    lists = {"train": [], "test": []}
    for k, (stem, img, _, _) in enumerate(_photos()):
        h, w = img.shape[:2]
        ys, xs = np.mgrid[0:h, 0:w]
        depth_mm = (1000 * (9 - 8 * ys / (h - 1)) * (1 - 0.2 * xs / (w - 1))).round().astype(np.uint16)
        for split, base in (("train", root / "sync"), ("test", root / "official_splits" / "test")):
            scene = f"real_{stem}" + ("" if split == "test" else "a")
            rel_img, rel_depth = f"{scene}/rgb_{k:05d}.jpg", f"{scene}/sync_depth_{k:05d}.png"
            (base / scene).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(base / rel_img), img)
            cv2.imwrite(str(base / rel_depth), depth_mm)
            lists[split].append(f"{rel_img} {rel_depth}")
    for split, lines in lists.items():
        _lines(root / "splits" / f"{split}.txt", lines)
    return len(lists["test"])


def classification_cub(root):
    """CUB_200_2011: images.txt, image_class_labels.txt, train_test_split.txt, classes.txt, bounding_boxes.txt,
    images/<class>/*.jpg; the six photos in two classes (COCO / CrowdPose), two of each class train, one test."""
    classes = ["001.Coco_Person", "002.Crowdpose_Person"]
    rows = {"images.txt": [], "image_class_labels.txt": [], "train_test_split.txt": [], "bounding_boxes.txt": []}
    seen = [0, 0]
    for image_id, (stem, img, box, polys) in enumerate(_photos(), start=1):
        c = 0 if polys is not None else 1
        rel = f"{classes[c]}/{classes[c][4:]}_{stem}.jpg"
        (root / "images" / classes[c]).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / "images" / rel), img)
        seen[c] += 1
        rows["images.txt"].append(f"{image_id} {rel}")
        rows["image_class_labels.txt"].append(f"{image_id} {c + 1}")
        rows["train_test_split.txt"].append(f"{image_id} {0 if seen[c] == 1 else 1}")
        rows["bounding_boxes.txt"].append(f"{image_id} " + " ".join(f"{v:.1f}" for v in box))
    for name, lines in rows.items():
        _lines(root / name, lines)
    _lines(root / "classes.txt", [f"{i + 1} {c}" for i, c in enumerate(classes)])
    return 2


N_FRAMES = 5


def tracking_got10k(root):
    """GOT-10k: {train,val}/list.txt and per sequence %08d.jpg, groundtruth.txt, absence.label, cover.label,
    cut_by_image.label, meta_info.ini. A sequence is one real photo shifted a few pixels per frame (reflected
    borders, the photo's own size), its largest person as the target."""
    photos = _photos()
    for split, prefix in (("train", "GOT-10k_Train"), ("val", "GOT-10k_Val")):
        names = []
        for i, (stem, img, box, _) in enumerate(photos, start=1):
            name = f"{prefix}_{i:06d}"
            names.append(name)
            d = root / split / name
            d.mkdir(parents=True, exist_ok=True)
            h, w = img.shape[:2]
            boxes = []
            for t in range(N_FRAMES):
                dx, dy = 6.0 * t, 3.0 * t
                shifted = cv2.warpAffine(img, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h),
                                         borderMode=cv2.BORDER_REFLECT)
                cv2.imwrite(str(d / f"{t + 1:08d}.jpg"), shifted)
                x, y = box[0] + dx, box[1] + dy
                boxes.append((x, y, min(box[2], w - x), min(box[3], h - y)))
            (d / "groundtruth.txt").write_text("".join(",".join(f"{v:.4f}" for v in b) + "\n" for b in boxes))
            (d / "absence.label").write_text("0\n" * N_FRAMES)
            (d / "cover.label").write_text("8\n" * N_FRAMES)
            (d / "cut_by_image.label").write_text("0\n" * N_FRAMES)
            (d / "meta_info.ini").write_text(
                f"[METAINFO]\nurl: {stem}\nbegin: 00:00:00\nend: 00:00:01\nanno_fps: 10Hz\nobject_class: person\n"
                "motion_class: shifting\nmajor_class: person\nroot_class: person\nmotion_adverb: slowly\n"
                f"resolution: ({w}, {h})\n")
        _lines(root / split / "list.txt", names)
    return len(photos)


CELLS = {  # id: (task, dataset, builder, extra args)
    "pose-coco": ("pose", "coco", pose_coco, []),
    "pose-crowdpose": ("pose", "crowdpose", pose_crowdpose, []),
    "detection-coco": ("detection", "coco", detection_coco, []),
    # single-scale sliding windows only: the toy protocol's extra 0.5-1.75 x flip pass (about 700 windows of 128 per
    # 640x425 image) works on these images but takes minutes on a CPU
    "segmentation-ade20k": ("segmentation", "ade20k", segmentation_ade20k, ["test_cfg.type=TestLoop"]),
    "depth-nyu": ("depth", "nyu", depth_nyu, []),
    "classification-cub": ("classification", "cub", classification_cub, []),
    "tracking-got10k": ("tracking", "got10k", tracking_got10k, ["train_dataloader.dataset.samples_per_epoch=8"]),
}


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Every cell's data root, written once for the module: {cell: (root, items written for evaluation)}."""
    base = tmp_path_factory.mktemp("real_images")
    return {cell: (base / cell, build(base / cell)) for cell, (_, _, build, _) in CELLS.items()}


def test_fixtures_are_real_non_square_images():
    sizes = sorted({img.shape[:2] for _, img, _, _ in _photos()})
    assert len(_photos()) == 6 and all(h != w for h, w in sizes)
    assert (425, 640) in sizes and (333, 500) in sizes




@pytest.mark.parametrize("backbone", BACKBONES)
@pytest.mark.parametrize("cell", CELLS)
def test_every_task_runs_on_real_images(cell, backbone, roots, tmp_path, capsys):
    task, dataset, _, options = CELLS[cell]
    root, n_eval = roots[cell]
    args = ["--backbone", backbone, "--task", task, "--dataset", dataset, "--data-root", str(root), *FAST, *options]
    row, _ = bench_run(args, tmp_path / "results", capsys, tmp_path / "work")
    assert row["status"] == "ok", row.get("error")
    metrics = row["metrics"]
    assert metrics and all(isinstance(v, (int, float)) and math.isfinite(v) for v in metrics.values()), metrics
    assert row["primary_metric"] in metrics
    assert row["extra"]["n_eval"] == n_eval  # images (tracking: sequences) evaluated = those written
    if task == "detection":  # boxes lie in their image, not in the padding a plain ViT is evaluated with
        sizes = {im["id"]: (im["width"], im["height"]) for im in _coco()["images"]}
        for det in json.loads(Path(row["predictions"]["path"]).read_text()):
            x, y, w, h = det["bbox"]
            width, height = sizes[det["image_id"]]
            assert x >= 0 and y >= 0 and x + w <= width + 1 and y + h <= height + 1, det
    print(f"{cell} {backbone}: {json.dumps(metrics)}")
