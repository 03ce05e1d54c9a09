"""Single-object tracking sequences in the official layouts: GOT-10k (`<split>/<seq>/%08d.jpg`, `groundtruth.txt`,
`absence.label`, `cover.label`, `cut_by_image.label`, `meta_info.ini`, `<split>/list.txt`), LaSOT
(`<class>/<class>-<n>/img/%08d.jpg`, `groundtruth.txt`, `full_occlusion.txt`, `out_of_view.txt`; the official
test list), TrackingNet (`TRAIN_<k>|TEST/frames/<seq>/<i>.jpg`, `TRAIN_<k>|TEST/anno/<seq>.txt`).
Boxes are x, y, w, h in pixels (0-based left/top), one row per frame."""
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from backbones.core.errors import BenchError
from backbones.core.paths import CONFIG_ROOT
from bench.tasks.base import register_dataset

SPLIT_DIR = CONFIG_ROOT / "tracking" / "splits"


@dataclass
class Sequence:
    """One annotated video: frame paths, xywh boxes, and what the benchmark says of visibility."""

    name: str
    frames: List[str]
    boxes: np.ndarray                     # (n, 4) xywh; test splits hold only the first frame's box
    visible: Optional[np.ndarray] = None  # (n,) bool: target present and not fully covered (None: all frames)
    cover: Optional[np.ndarray] = None    # GOT-10k cover.label (0 = fully occluded / absent .. 8 = fully visible)
    resolution: Optional[tuple] = None    # (width, height) from GOT-10k's meta_info.ini
    meta: dict = field(default_factory=dict)


def _need(path: Path, hint: str) -> Path:
    if not path.exists():
        raise BenchError(f"{path} is missing; {hint}")
    return path


def read_boxes(path: Path) -> np.ndarray:
    """groundtruth / anno files: comma- (or tab-, space-) separated x, y, w, h per line."""
    rows = [re.split(r"[,\s]+", line.strip()) for line in path.read_text().splitlines() if line.strip()]
    try:
        boxes = np.array(rows, dtype=np.float64)
    except ValueError:
        raise BenchError(f"{path}: expected 4 numbers per line (x,y,w,h)") from None
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise BenchError(f"{path}: expected 4 numbers per line (x,y,w,h), got shape {boxes.shape}")
    return boxes


def _labels(path: Path, n: int) -> np.ndarray:
    values = np.array([float(v) for v in re.split(r"[,\s]+", path.read_text().strip()) if v], dtype=np.float64)
    if len(values) != n:
        raise BenchError(f"{path} has {len(values)} entries for {n} frames")
    return values


def _meta_ini(path: Path) -> dict:
    """GOT-10k meta_info.ini: a `[METAINFO]` header, then `key: value` lines."""
    meta = {}
    for line in path.read_text().splitlines()[1:]:
        key, sep, value = line.partition(": ")
        if sep:
            meta[key.strip()] = value.strip()
    return meta


def _frames(folder: Path, numeric: bool = False) -> List[str]:
    files = [p for p in folder.glob("*.jpg")]
    files.sort(key=(lambda p: int(p.stem)) if numeric else (lambda p: p.name))
    return [str(p) for p in files]


def read_got10k(root: Path, split: str) -> List[Sequence]:
    """Read the GOT-10k sequences in `<split>/list.txt`; train / val ones also get visibility, cover and meta."""
    base = _need(root / split, "pass --data-root the GOT-10k folder holding train/, val/ and test/")
    names = [n.strip() for n in _need(base / "list.txt", "each split lists its sequences").read_text().split()]
    seqs = []
    for name in names:
        d = _need(base / name, f"{split}/list.txt names it")
        frames = _frames(d)
        boxes = read_boxes(_need(d / "groundtruth.txt", "each sequence has one"))
        seq = Sequence(name, frames, boxes)
        if split != "test":
            if len(boxes) != len(frames):
                raise BenchError(f"{d}: {len(frames)} frames but {len(boxes)} groundtruth boxes")
            absence = _labels(_need(d / "absence.label", "train/val sequences have one"), len(frames))
            seq.cover = _labels(_need(d / "cover.label", "train/val sequences have one"), len(frames))
            _need(d / "cut_by_image.label", "train/val sequences have one")
            seq.visible = (absence == 0) & (seq.cover > 0)
            seq.meta = _meta_ini(_need(d / "meta_info.ini", "train/val sequences have one"))
            try:
                w, h = (int(v) for v in seq.meta["resolution"].strip("()").split(","))
            except (KeyError, ValueError):
                raise BenchError(f"{d}/meta_info.ini has no 'resolution: (W, H)' line") from None
            seq.resolution = (w, h)
        seqs.append(seq)
    return seqs


def lasot_test_names(root: Path) -> List[str]:
    """The official 280-sequence test list: `<root>/testing_set.txt` if the data ships it, else ours."""
    path = root / "testing_set.txt"
    if not path.exists():
        path = SPLIT_DIR / "lasot_testing_set.txt"
    return [n.strip() for n in path.read_text().split() if n.strip()]


def read_lasot(root: Path, split: str) -> List[Sequence]:
    """`test`: the official test sequences present under `root`; `train`: every other sequence."""
    if not root.is_dir():
        raise BenchError(f"data root {root} does not exist; pass --data-root the LaSOT folder holding <class>/")
    present = {p.parent.name: p.parent for p in root.glob("*/*/groundtruth.txt")
               if p.parent.name.rsplit("-", 1)[0] == p.parent.parent.name}
    if not present:
        raise BenchError(f"{root} holds no <class>/<class>-<n>/groundtruth.txt; is --data-root the LaSOT folder?")
    test = set(lasot_test_names(root))
    names = sorted((n for n in present if (n in test) == (split == "test")),
                   key=lambda n: (n.rsplit("-", 1)[0], int(n.rsplit("-", 1)[1]) if n.rsplit("-", 1)[1].isdigit()
                                  else 0))
    if not names:
        raise BenchError(f"{root} has no LaSOT {split} sequences (the test split is the official 280-sequence list)")
    seqs = []
    for name in names:
        d = present[name]
        frames = _frames(_need(d / "img", "LaSOT sequences keep frames in img/"))
        boxes = read_boxes(d / "groundtruth.txt")
        if len(boxes) != len(frames):
            raise BenchError(f"{d}: {len(frames)} frames but {len(boxes)} groundtruth boxes")
        occluded = _labels(_need(d / "full_occlusion.txt", "LaSOT sequences have one"), len(frames))
        out = _labels(_need(d / "out_of_view.txt", "LaSOT sequences have one"), len(frames))
        seqs.append(Sequence(name, frames, boxes, visible=(occluded == 0) & (out == 0)))
    return seqs


def read_trackingnet(root: Path, split: str) -> List[Sequence]:
    """`train`: every TRAIN_<k> chunk present; `test`: TEST (first-frame boxes only)."""
    chunks = sorted(root.glob("TRAIN_*")) if split == "train" else [root / "TEST"]
    chunks = [c for c in chunks if (c / "anno").is_dir()]
    if not chunks:
        raise BenchError(f"{root} has no {'TRAIN_<k>' if split == 'train' else 'TEST'}/anno/; pass --data-root the "
                         "TrackingNet folder holding TRAIN_0 ... TEST")
    seqs = []
    for chunk in chunks:
        for anno in sorted((chunk / "anno").glob("*.txt")):
            frames = _frames(_need(chunk / "frames" / anno.stem, f"{anno} needs its frames"), numeric=True)
            boxes = read_boxes(anno)
            if split == "train" and len(boxes) != len(frames):
                raise BenchError(f"{anno}: {len(boxes)} boxes for {len(frames)} frames")
            seqs.append(Sequence(anno.stem, frames, boxes))
    return seqs


READERS = {"got10k": read_got10k, "lasot": read_lasot, "trackingnet": read_trackingnet}


@dataclass(frozen=True)
class TrackingSplits:
    """The training sequences and the evaluation sequences of one benchmark (`public`: its evaluation ground truth
    is public; otherwise only first-frame boxes, scored by the benchmark's server)."""

    benchmark: str                      # got10k | lasot | trackingnet | coco: reader, metric, submission format
    train: Tuple[Sequence, ...]
    eval: Tuple[Sequence, ...]
    eval_split: str
    public: bool
    mix: Tuple[Tuple[str, str, "TrackingSplits"], ...] = ()  # (dataset, data root, splits) trained on too

    @property
    def fingerprint(self) -> str:
        """sha256 over the sequence names, frame counts and boxes of both splits (and of every mixed-in set)."""
        h = hashlib.sha256(self.benchmark.encode())
        for split, seqs in (("train", self.train), (self.eval_split, self.eval)):
            for seq in seqs:
                h.update(f"{split}/{seq.name}/{len(seq.frames)}".encode())
                h.update(np.ascontiguousarray(seq.boxes).tobytes())
        for name, _, other in self.mix:
            h.update(f"mix/{name}/{other.fingerprint}".encode())
        return h.hexdigest()


def _splits(benchmark: str, eval_split: str, public: bool):
    def read(root: Path) -> TrackingSplits:
        reader = READERS[benchmark]
        parts = {}
        for split in ("train", eval_split):
            parts[split] = tuple(reader(root, split))
            if not parts[split]:
                raise BenchError(f"{root}: the {benchmark} {split} split lists no sequences")
        return TrackingSplits(benchmark, parts["train"], parts[eval_split], eval_split, public)

    read.__doc__ = f"{benchmark}: the train split and the {eval_split} split."
    return read


def read_coco_objects(root: Path) -> TrackingSplits:
    """COCO 2017 instances as one-frame training sequences (SwinTrack's COCO source: a template and a search crop
    of the same image), every non-crowd object of at least 2 x 2 pixels; no evaluation split."""
    import json

    path = _need(root / "annotations" / "instances_train2017.json", "pass --train-mix coco=DIR, DIR the COCO "
                 "2017 folder holding annotations/ and train2017/")
    ann = json.loads(path.read_text())
    files = {im["id"]: str(root / "train2017" / im["file_name"]) for im in ann["images"]}
    seqs = tuple(Sequence(f"coco-{a['id']}", [files[a["image_id"]]], np.array([a["bbox"]], np.float64))
                 for a in ann["annotations"] if not a.get("iscrowd") and a["bbox"][2] >= 2 and a["bbox"][3] >= 2)
    if not seqs:
        raise BenchError(f"{path} holds no usable objects")
    return TrackingSplits("coco", seqs, (), "none", False)


def _register(name, benchmark, eval_split, public, description, primary):
    register_dataset("tracking", name, _splits(benchmark, eval_split, public), description=description,
                     toy=f"bench.tasks.tracking.toy:write_toy_{benchmark}", eval_split=eval_split, tags=("motion",),
                     primary_metric=primary, options={"benchmark": benchmark, "public": public})


_register("got10k", "got10k", "val", True, "GOT-10k: train on train, score AO / SR on val (public ground truth)", "AO")
_register("got10k-test", "got10k", "test", False, "GOT-10k: train on train, submission archive for the test server",
          "AO")
_register("lasot", "lasot", "test", True, "LaSOT: train on the 1120 training sequences, score the official 280 test "
          "sequences (success AUC, precision, normalised precision)", "success_auc")
_register("trackingnet", "trackingnet", "test", False, "TrackingNet: train on TRAIN_k, submission archive for the "
          "TEST server", "success_auc")
register_dataset("tracking", "coco", read_coco_objects, description="COCO 2017 objects: a training source for "
                 "--train-mix (no evaluation split)", eval_split="none", tags=("motion",),
                 toy="bench.tasks.detection.toy:write_toy_detection",
                 options={"benchmark": "coco", "public": False, "train_only": True})
