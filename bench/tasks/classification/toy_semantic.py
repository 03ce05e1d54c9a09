"""Toy semantic classification sets in the official Food-101, CIFAR-10/100, Oxford-IIIT Pets, Flowers-102, DTD and
ImageFolder layouts. A class is a coarse concept: one of three large shapes in a warm or a cool colour."""
import pickle
from pathlib import Path

import cv2
import numpy as np

from bench.tasks.shared.toy import textured_background, write_image

N_CLASSES = 6
_SHAPES = ("disc", "square", "triangle")


def semantic_image(rng, label: int, size: int = 96) -> np.ndarray:
    """Draw a BGR toy image: a disc, square or triangle (`label` % 3) in warm red or cool blue (`label` // 3)."""
    img = textured_background(rng, size, size)
    cx, cy = (rng.uniform(0.4, 0.6, 2) * size).astype(int)
    r = int(rng.uniform(0.25, 0.35) * size)
    base = np.array((60, 60, 220) if label // 3 == 0 else (220, 120, 40), float)  # BGR warm red / cool blue
    colour = tuple(int(c) for c in np.clip(base + rng.normal(0, 20, 3), 0, 255))
    shape = _SHAPES[label % 3]
    if shape == "disc":
        cv2.circle(img, (cx, cy), r, colour, -1)
    elif shape == "square":
        cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), colour, -1)
    else:
        pts = np.array([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], np.int32)
        cv2.fillPoly(img, [pts], colour)
    return img


def per_class(total: int):
    """`total` images spread over the classes as evenly as they go (the first classes get one more)."""
    return [total // N_CLASSES + (c < total % N_CLASSES) for c in range(N_CLASSES)]


def _items(rng, n_train, n_test):
    """Shuffled (class, part) pairs: `n_*` images per class, or a list of per-class counts."""
    counts = [(p, [n] * N_CLASSES if isinstance(n, int) else n) for p, n in (("train", n_train), ("test", n_test))]
    items = [(c, p) for p, ns in counts for c in range(N_CLASSES) for _ in range(ns[c])]
    rng.shuffle(items)
    return items


def write_food101(out: Path, rng, n_train, n_test):
    """Write a toy Food-101 set (images/<class>/ and meta/ lists) under `out`; return its parts."""
    classes = ["apple_pie", "bibimbap", "churros", "dumplings", "falafel", "ramen"]
    lists = {"train": [], "test": []}
    for k, (c, part) in enumerate(_items(rng, n_train, n_test)):
        entry = f"{classes[c]}/{100000 + k}"
        write_image(out / "images" / f"{entry}.jpg", semantic_image(rng, c))
        lists[part].append(entry)
    meta = out / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "classes.txt").write_text("\n".join(classes) + "\n")
    (meta / "labels.txt").write_text("\n".join(c.replace("_", " ").title() for c in classes) + "\n")
    for part, entries in lists.items():
        (meta / f"{part}.txt").write_text("\n".join(sorted(entries)) + "\n")
    return ["images/<class>/", "meta/classes.txt", "meta/labels.txt", "meta/train.txt", "meta/test.txt"]


def _dump(path: Path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def _cifar_arrays(rng, items):
    images = [cv2.cvtColor(cv2.resize(semantic_image(rng, c, 64), (32, 32), interpolation=cv2.INTER_AREA),
                           cv2.COLOR_BGR2RGB) for c in items]
    return np.stack(images).transpose(0, 3, 1, 2).reshape(len(items), 3072).astype(np.uint8)


def write_cifar(out: Path, rng, n_train, n_test, fine: bool):
    """CIFAR-100 keeps its 100-name meta (labels use the first 6); CIFAR-10 its 10 names (labels 0-5)."""
    out.mkdir(parents=True, exist_ok=True)
    parts = {p: [c for c, q in _items(rng, n_train, n_test) if q == p] for p in ("train", "test")}
    if fine:
        names = [f"toy_concept_{i}".encode() for i in range(100)]
        _dump(out / "meta", {b"fine_label_names": names, b"coarse_label_names": [b"toy_superclass"] * 20})
        for part, labels in parts.items():
            _dump(out / part, {b"filenames": [f"{part}_{i}.png".encode() for i in range(len(labels))],
                               b"batch_label": f"{part}ing batch 1 of 1".encode(), b"fine_labels": labels,
                               b"coarse_labels": [0] * len(labels), b"data": _cifar_arrays(rng, labels)})
        return ["meta", "train", "test"]
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    _dump(out / "batches.meta", {b"label_names": names, b"num_cases_per_batch": 10000, b"num_vis": 3072})
    train = parts["train"]
    chunks = np.array_split(np.arange(len(train)), 5)
    batches = [(f"data_batch_{i + 1}", [train[j] for j in idx]) for i, idx in enumerate(chunks)]
    for name, labels in batches + [("test_batch", parts["test"])]:
        _dump(out / name, {b"batch_label": name.encode(), b"labels": labels, b"data": _cifar_arrays(rng, labels),
                           b"filenames": [f"{name}_{i}.png".encode() for i in range(len(labels))]})
    return ["batches.meta", "data_batch_1..5", "test_batch"]


def write_pets(out: Path, rng, n_train, n_test):
    """Write a toy Oxford-IIIT Pets set (images and annotations/{trainval,test}.txt) under `out`; return its parts."""
    breeds = [("Abyssinian", 1), ("Bengal", 1), ("Persian", 1), ("beagle", 2), ("boxer", 2), ("pug", 2)]
    lists = {"train": [], "test": []}
    for k, (c, part) in enumerate(_items(rng, n_train, n_test)):
        name, species = breeds[c]
        image = f"{name}_{k + 1}"
        write_image(out / "images" / f"{image}.jpg", semantic_image(rng, c))
        breed_id = sum(1 for b, s in breeds[:c + 1] if s == species)
        lists[part].append(f"{image} {c + 1} {species} {breed_id}")
    (out / "annotations").mkdir(parents=True, exist_ok=True)
    (out / "annotations" / "trainval.txt").write_text("\n".join(lists["train"]) + "\n")
    (out / "annotations" / "test.txt").write_text("\n".join(lists["test"]) + "\n")
    return ["images/", "annotations/trainval.txt", "annotations/test.txt"]


def write_flowers102(out: Path, rng, n_train, n_test):
    """Write a toy Flowers-102 set (jpg/, imagelabels.mat, setid.mat) under `out`; return its parts."""
    from scipy.io import savemat

    items = _items(rng, n_train, n_test)
    labels, ids = [], {"trnid": [], "valid": [], "tstid": []}
    for i, (c, part) in enumerate(items, start=1):
        write_image(out / "jpg" / f"image_{i:05d}.jpg", semantic_image(rng, c))
        labels.append(c + 1)
        ids["tstid" if part == "test" else ("valid" if i % 4 == 0 else "trnid")].append(i)
    savemat(str(out / "imagelabels.mat"), {"labels": np.array(labels, np.uint8)[None, :]})
    savemat(str(out / "setid.mat"), {k: np.array(v, np.uint16)[None, :] for k, v in ids.items()})
    return ["jpg/", "imagelabels.mat", "setid.mat"]


def write_dtd(out: Path, rng, n_train, n_test):
    """Write a toy DTD set (images/<class>/ and labels/{train,val,test}1.txt) under `out`; return its parts."""
    classes = ["banded", "bubbly", "checkered", "dotted", "striped", "zigzagged"]
    lists = {"train": [], "val": [], "test": []}
    for k, (c, part) in enumerate(_items(rng, n_train, n_test)):
        entry = f"{classes[c]}/{classes[c]}_{k + 1:04d}.jpg"
        write_image(out / "images" / entry, semantic_image(rng, c))
        lists["test" if part == "test" else ("val" if k % 3 == 0 else "train")].append(entry)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    for part, entries in lists.items():
        (out / "labels" / f"{part}1.txt").write_text("\n".join(sorted(entries)) + "\n")
    return ["images/<class>/", "labels/train1.txt", "labels/val1.txt", "labels/test1.txt"]


def write_imagefolder(out: Path, rng, n_train, n_test):
    """Write a toy ImageFolder set (train/<class>/ and val/<class>/ PNGs) under `out`; return its parts."""
    classes = ["red_disc", "red_square", "red_triangle", "blue_disc", "blue_square", "blue_triangle"]
    for k, (c, part) in enumerate(_items(rng, n_train, n_test)):
        write_image(out / ("train" if part == "train" else "val") / classes[c] / f"{k:05d}.png",
                    semantic_image(rng, c))
    return ["train/<class>/", "val/<class>/"]


WRITERS = {"food101": write_food101, "cifar10": lambda o, r, a, b: write_cifar(o, r, a, b, fine=False),
           "cifar100": lambda o, r, a, b: write_cifar(o, r, a, b, fine=True), "pets": write_pets,
           "flowers102": write_flowers102, "dtd": write_dtd, "imagefolder": write_imagefolder}
