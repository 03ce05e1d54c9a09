"""COCO-format annotation files (pose keypoints, detection instances), parsed and checked once per run: every
annotation must carry what training and evaluation will read, so a bad file fails before training starts, with
the file, the annotation and the missing field named."""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

from backbones.core.errors import BenchError


@dataclass(frozen=True)
class CocoFile:
    """One annotation file and its image folder: what tasks need of it, and its sha256."""

    path: Path
    image_dir: Path
    n_images: int
    n_annotations: int
    categories: Tuple[str, ...]          # names, in id order
    keypoints: Tuple[str, ...]           # the first category's keypoint names (pose files)
    sha256: str


@dataclass(frozen=True)
class CocoSplits:
    """The train and evaluation files of a COCO-format dataset."""

    train: CocoFile
    val: CocoFile

    @property
    def fingerprint(self) -> str:
        """sha256 over both files' names and bytes."""
        h = hashlib.sha256()
        for f in (self.train, self.val):
            h.update(f.path.name.encode())
            h.update(f.sha256.encode())
        return h.hexdigest()


def _need(root: Path, rel: str, layout: str) -> Path:
    path = root / rel
    if not path.exists():
        raise BenchError(f"{root} is not a {layout} data root: {rel} is missing")
    return path


def _number_list(value, n=None) -> bool:
    return isinstance(value, list) and (n is None or len(value) == n) and all(
        isinstance(v, (int, float)) for v in value)


def _check_annotation(ann: dict, path: Path, kind: str, ids: set, n_kpt: int) -> None:
    where = f"{path}: annotation {ann.get('id', '?')} (image {ann.get('image_id', '?')})"
    if not _number_list(ann.get("bbox"), 4):
        raise BenchError(f"{where} has no 'bbox' [x, y, w, h]; every COCO-{kind} annotation needs one")
    if ann.get("category_id") not in ids:
        raise BenchError(f"{where} has category_id {ann.get('category_id')!r}, not in the file's categories")
    if kind == "keypoints" and not (_number_list(ann.get("keypoints"), 3 * n_kpt)):
        raise BenchError(f"{where} has no 'keypoints' list of {3 * n_kpt} numbers (x, y, visibility per joint of "
                         "the category)")


def read_coco_file(root: Path, rel: str, image_dir: str, kind: str, layout: str) -> CocoFile:
    """Parse and check `root/rel` (kind: 'keypoints' or 'instances'); its images live in `root/image_dir`."""
    path = _need(root, rel, layout)
    images = _need(root, image_dir, layout)
    raw = path.read_bytes()
    try:
        ann = json.loads(raw)
        cats = sorted(ann["categories"], key=lambda c: c["id"])
        ann["images"], ann["annotations"]
        names = tuple(c["name"] for c in cats)
        keypoints = tuple(cats[0]["keypoints"]) if kind == "keypoints" else ()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path} is not a COCO-{kind} annotation file (not JSON: {exc}); pass the file as "
                         "distributed") from None
    except (KeyError, IndexError, TypeError) as exc:
        raise BenchError(f"{path} is not a COCO-{kind} annotation file: {exc!r} missing or invalid") from None
    ids = {c["id"] for c in cats}
    for a in ann["annotations"]:
        _check_annotation(a, path, kind, ids, len(keypoints))
    if ann["images"]:
        first = images / ann["images"][0]["file_name"]
        if not first.exists():
            raise BenchError(f"image {first} listed in {rel} is missing; is --data-root the folder that holds "
                             f"{image_dir}/?")
    return CocoFile(path, images, len(ann["images"]), len(ann["annotations"]), names, keypoints,
                    hashlib.sha256(raw).hexdigest())


def read_coco_splits(root: Path, files: List[Tuple[str, str]], kind: str, layout: str) -> CocoSplits:
    """[(train json, train images), (eval json, eval images)] of one dataset, parsed and checked."""
    train, val = (read_coco_file(root, rel, img, kind, layout) for rel, img in files)
    if train.categories != val.categories:
        raise BenchError(f"category mismatch: {train.path.name} has {list(train.categories)}, {val.path.name} has "
                         f"{list(val.categories)}")
    return CocoSplits(train, val)
