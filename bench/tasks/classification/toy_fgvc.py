"""Toy fine-grained classification sets in the official CUB-200-2011, FGVC-Aircraft and Stanford Cars layouts
(the semantic sets are in bench.tasks.classification.toy_semantic). All classes share one object shape; a class differs only in a
small mark's colour and position (fine-grained)."""
from pathlib import Path

import cv2
import numpy as np

from bench.tasks.shared.toy import textured_background, write_image
from bench.tasks.classification.toy_semantic import WRITERS as SEMANTIC_WRITERS, _items, per_class

N_CLASSES = 6
_MARK_COLOURS = [(40, 40, 230), (40, 200, 40), (230, 80, 30)]  # BGR: red, green, blue


def toy_image(rng, label: int, size: int = 96) -> np.ndarray:
    """Draw a BGR toy image: a grey bird-like shape whose mark's colour and position encode `label`."""
    img = textured_background(rng, size, size)
    cx, cy = rng.uniform(0.35, 0.65) * size, rng.uniform(0.4, 0.6) * size
    s = rng.uniform(0.22, 0.3) * size
    grey = int(rng.integers(90, 200))
    cv2.ellipse(img, (int(cx), int(cy)), (int(s), int(s * 0.55)), 0, 0, 360, (grey, grey, grey), -1)
    head = (int(cx + s * 0.9), int(cy - s * 0.45))
    cv2.circle(img, head, int(s * 0.35), (grey, grey, grey), -1)
    colour = _MARK_COLOURS[label % 3]
    spot = head if label // 3 == 0 else (int(cx - s * 0.6), int(cy))
    cv2.circle(img, spot, max(3, int(s * 0.18)), colour, -1)
    return img


def _plan(rng, n_train, n_test):
    """Shuffled (class, part) pairs: `n_*` images per class, or a list of per-class counts."""
    return _items(rng, n_train, n_test)


def write_cub(out: Path, rng, n_train, n_test):
    """Write a toy CUB-200-2011 set (images and the official .txt files) under `out`; return its parts."""
    classes = [f"{i + 1:03d}.Toy_Bird_{i}" for i in range(N_CLASSES)]
    images, labels, split, boxes = [], [], [], []
    for image_id, (c, part) in enumerate(_plan(rng, n_train, n_test), start=1):
        rel = f"{classes[c]}/Toy_Bird_{c}_{image_id:04d}.jpg"
        write_image(out / "images" / rel, toy_image(rng, c))
        images.append(f"{image_id} {rel}")
        labels.append(f"{image_id} {c + 1}")
        split.append(f"{image_id} {1 if part == 'train' else 0}")
        boxes.append(f"{image_id} 10.0 10.0 76.0 76.0")
    for name, lines in (("images.txt", images), ("image_class_labels.txt", labels),
                        ("train_test_split.txt", split), ("bounding_boxes.txt", boxes),
                        ("classes.txt", [f"{i + 1} {c}" for i, c in enumerate(classes)])):
        (out / name).write_text("\n".join(lines) + "\n")
    return ["images.txt", "image_class_labels.txt", "train_test_split.txt", "classes.txt", "bounding_boxes.txt",
            "images/"]


def write_aircraft(out: Path, rng, n_train, n_test):
    """Write a toy FGVC-Aircraft set (images, variant / family / manufacturer lists) under `out`; return its parts."""
    variants = [f"Toy-{700 + 10 * i}" for i in range(N_CLASSES)]
    families = ["Toy-A", "Toy-B"]
    makers = ["ToyCorp"]
    data = out / "data"
    rows = {"trainval": [], "test": []}
    for k, (c, part) in enumerate(_plan(rng, n_train, n_test)):
        image_id = f"{1000000 + k:07d}"
        write_image(data / "images" / f"{image_id}.jpg", toy_image(rng, c))
        rows["trainval" if part == "train" else "test"].append((image_id, c))
    for split, items in rows.items():
        for level, names in (("variant", variants), ("family", families), ("manufacturer", makers)):
            pick = {"variant": lambda c: variants[c], "family": lambda c: families[c // 3],
                    "manufacturer": lambda c: makers[0]}[level]
            (data / f"images_{level}_{split}.txt").write_text("".join(f"{i} {pick(c)}\n" for i, c in items))
    (data / "variants.txt").write_text("\n".join(variants) + "\n")
    (data / "families.txt").write_text("\n".join(families) + "\n")
    (data / "manufacturers.txt").write_text("\n".join(makers) + "\n")
    return ["data/images/", "data/images_variant_{trainval,test}.txt", "data/variants.txt", "families, makers"]


def write_cars(out: Path, rng, n_train, n_test):
    """Write a toy Stanford Cars set (images, devkit .mat annotations) under `out`; return its parts."""
    from scipy.io import savemat

    names = np.array([f"Toy Motors Model {i} 2012" for i in range(N_CLASSES)], dtype=object)
    records = {"train": [], "test": []}
    for k, (c, part) in enumerate(_plan(rng, n_train, n_test), start=1):
        fname = f"{k:05d}.jpg"
        write_image(out / f"cars_{part}" / fname, toy_image(rng, c))
        records[part].append((8, 8, 88, 88, c + 1, fname))

    def struct(items):
        dtype = [("bbox_x1", "O"), ("bbox_y1", "O"), ("bbox_x2", "O"), ("bbox_y2", "O"), ("class", "O"),
                 ("fname", "O")]
        arr = np.zeros((1, len(items)), dtype=dtype)
        for i, item in enumerate(items):
            arr[0, i] = item
        return arr

    (out / "devkit").mkdir(parents=True, exist_ok=True)
    savemat(str(out / "devkit" / "cars_meta.mat"), {"class_names": names[None, :]})
    savemat(str(out / "devkit" / "cars_train_annos.mat"), {"annotations": struct(records["train"])})
    savemat(str(out / "cars_test_annos_withlabels.mat"), {"annotations": struct(records["test"])})
    return ["devkit/cars_meta.mat", "devkit/cars_train_annos.mat", "cars_test_annos_withlabels.mat",
            "cars_train/", "cars_test/"]


WRITERS = {"cub": write_cub, "aircraft": write_aircraft, "aircraft-family": write_aircraft,
           "aircraft-manufacturer": write_aircraft, "cars": write_cars, **SEMANTIC_WRITERS}


def write_toy_classification(out, dataset="cub", n_train=20, n_test=10, seed=0):
    """`n_train` / `n_test` images per class."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return WRITERS[dataset](out, np.random.default_rng(seed), n_train, n_test)


def toy_writer(dataset: str):
    """The `bench data toy` writer of `dataset`: exactly `n_train` / `n_val` images, spread over the classes."""
    def write(out, n_train, n_val, seed):
        return write_toy_classification(out, dataset, per_class(n_train), per_class(n_val), seed)

    write.__doc__ = f"`bench data toy --task classification --dataset {dataset}`."
    return write
