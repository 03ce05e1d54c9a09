"""Semantic classification-transfer readers in the official layouts (the "Kornblith" transfer suite): Food-101,
CIFAR-10 / CIFAR-100 (python pickle batches), Oxford-IIIT Pets, Oxford Flowers-102, DTD (split 1), and any
ImageFolder tree (`train/<class>/`, `val/<class>/`). Each returns a `Split`; a missing file raises BenchError."""
import re
from pathlib import Path

import numpy as np

from backbones.core.errors import BenchError
from bench.tasks.classification.split import Split, need

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff")


def _lines(path: Path):
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _class_list(root: Path, rel: str, index: dict, classes_from: str, suffix: str):
    """(image, label) of a list file whose lines are `<class>/<name>` (images under `images/`)."""
    items = []
    for entry in _lines(need(root, rel)):
        cls = entry.split("/", 1)[0]
        if cls not in index:
            raise BenchError(f"{root}/{rel} names class {cls!r}, not in {classes_from}")
        items.append((str(root / "images" / f"{entry}{suffix}"), index[cls]))
    return items


def read_food101(root: Path) -> Split:
    """`meta/classes.txt`, `meta/{train,test}.txt` (`<class>/<id>` without suffix), `images/<class>/<id>.jpg`."""
    classes = _lines(need(root, "meta/classes.txt"))
    index = {c: i for i, c in enumerate(classes)}
    need(root, "images")

    def part(name):
        return _class_list(root, f"meta/{name}.txt", index, "meta/classes.txt", ".jpg")

    return Split(part("train"), part("test"), classes)


def _cifar_batch(path: Path, label_key: str):
    from backbones.checkpoint import load_plain_pickle

    batch = load_plain_pickle(path, encoding="bytes")
    get = (lambda k: batch.get(k.encode(), batch.get(k))) if isinstance(batch, dict) else None
    data, labels = (get("data"), get(label_key)) if get else (None, None)
    if data is None or labels is None:
        raise BenchError(f"{path} is not a CIFAR python batch (needs 'data' and '{label_key}' entries)")
    data = np.asarray(data, dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise BenchError(f"{path}: 'data' has shape {data.shape}, expected (N, 3072) with one label per row")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), [int(y) for y in labels]


def _names(meta: dict, key: str):
    names = meta.get(key.encode(), meta.get(key))
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def _read_cifar(root: Path, train_files, test_file, meta_file, label_key, names_key) -> Split:
    from backbones.checkpoint import load_plain_pickle

    classes = _names(load_plain_pickle(need(root, meta_file), encoding="bytes"), names_key)
    arrays, parts = {}, {"train": [], "test": []}
    for part, files in (("train", train_files), ("test", [test_file])):
        for name in files:
            images, labels = _cifar_batch(need(root, name), label_key)
            key = str(root / name)
            arrays[key] = images
            parts[part] += [(f"{key}#{i}", y) for i, y in enumerate(labels)]
    return Split(parts["train"], parts["test"], classes, arrays)


def read_cifar10(root: Path) -> Split:
    """`cifar-10-batches-py/`: `data_batch_1..5`, `test_batch`, `batches.meta`."""
    return _read_cifar(root, [f"data_batch_{i}" for i in range(1, 6)], "test_batch", "batches.meta", "labels",
                       "label_names")


def read_cifar100(root: Path) -> Split:
    """`cifar-100-python/`: `train`, `test`, `meta` (fine labels, 100 classes)."""
    return _read_cifar(root, ["train"], "test", "meta", "fine_labels", "fine_label_names")


def read_pets(root: Path) -> Split:
    """`annotations/{trainval,test}.txt` lines `<Image> <CLASS-ID 1..37> <SPECIES> <BREED ID>`, `images/*.jpg`.
    Class names come from the image names (`Abyssinian_100` -> `Abyssinian`)."""
    need(root, "images")
    names, parts = {}, {}
    for part in ("trainval", "test"):
        items = []
        for line in _lines(need(root, f"annotations/{part}.txt")):
            fields = line.split()
            if len(fields) < 2 or not fields[1].isdigit():
                raise BenchError(f"{root}/annotations/{part}.txt: malformed line {line!r} (expected 'Image CLASS-ID "
                                 "SPECIES BREED-ID')")
            label = int(fields[1]) - 1
            names.setdefault(label, re.sub(r"_\d+$", "", fields[0]))
            items.append((str(root / "images" / f"{fields[0]}.jpg"), label))
        parts[part] = items
    classes = [names.get(i, f"class_{i + 1}") for i in range(max(names) + 1)]
    return Split(parts["trainval"], parts["test"], classes)


def read_flowers102(root: Path) -> Split:
    """`imagelabels.mat` (`labels`, 1..102 per image), `setid.mat` (`trnid`, `valid`, `tstid`, 1-based image
    ids), `jpg/image_%05d.jpg`. Train on trnid + valid, evaluate on tstid (the standard transfer protocol)."""
    from scipy.io import loadmat

    labels = np.ravel(loadmat(str(need(root, "imagelabels.mat")))["labels"]).astype(int)
    setid = loadmat(str(need(root, "setid.mat")))
    need(root, "jpg")
    try:
        ids = {k: np.ravel(setid[k]).astype(int) for k in ("trnid", "valid", "tstid")}
    except KeyError as exc:
        raise BenchError(f"{root}/setid.mat lacks {exc}; expected trnid, valid and tstid") from None

    def items(id_list):
        out = []
        for i in id_list:
            if not 1 <= i <= len(labels):
                raise BenchError(f"{root}/setid.mat lists image id {i}; imagelabels.mat has {len(labels)} labels")
            out.append((str(root / "jpg" / f"image_{i:05d}.jpg"), int(labels[i - 1]) - 1))
        return out

    classes = [f"flower_{i + 1:03d}" for i in range(int(labels.max()))]
    return Split(items(np.concatenate([ids["trnid"], ids["valid"]])), items(ids["tstid"]), classes)


def read_dtd(root: Path, fold: int = 1) -> Split:
    """`labels/{train,val,test}<fold>.txt` lines `<class>/<class>_0001.jpg`, `images/<class>/`. Train on
    train + val of the fold, evaluate on its test list."""
    classes = sorted(p.name for p in need(root, "images").iterdir() if p.is_dir())
    index = {c: i for i, c in enumerate(classes)}

    def part(name):
        return _class_list(root, f"labels/{name}{fold}.txt", index, "images/", "")

    return Split(part("train") + part("val"), part("test"), classes)


def read_imagefolder(root: Path) -> Split:
    """`train/<class>/*` and `val/<class>/*` (any image suffix); classes are the sorted train folder names."""
    classes = sorted(p.name for p in need(root, "train").iterdir() if p.is_dir())
    if not classes:
        raise BenchError(f"{root}/train has no class folders; expected train/<class>/<image>")
    index = {c: i for i, c in enumerate(classes)}

    def part(name):
        items = []
        for folder in sorted(p for p in need(root, name).iterdir() if p.is_dir()):
            if folder.name not in index:
                raise BenchError(f"{root}/{name}/{folder.name} is a class that train/ does not have")
            items += [(str(f), index[folder.name]) for f in sorted(folder.iterdir())
                      if f.suffix.lower() in IMAGE_SUFFIXES]
        return items

    return Split(part("train"), part("val"), classes)
