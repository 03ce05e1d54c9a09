"""Depth datasets in the layouts people have: NYUv2 as BTS/GLPDepth distribute it (`sync/<scene>/rgb_XXXXX.jpg` +
`sync_depth_XXXXX.png` in millimetres; `official_splits/test/<scene>/...` for the 654 test images) and KITTI
(Eigen split) with the raw tree under `raw/` (`<date>/<drive>/image_02/data/*.png`) and the annotated tree under
`depth/` (`<drive>/proj_depth/groundtruth/image_02/*.png`, uint16 in 1/256 m; `train/` and `val/` subfolders of
data_depth_annotated are searched too). Split lists ship in task_configs/depth/splits/; a data root may carry its
own in `splits/{train,test}.txt`."""
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from backbones.core.errors import BenchError
from backbones.core.paths import CONFIG_ROOT
from bench.tasks.base import register_dataset

SPLIT_DIR = CONFIG_ROOT / "depth" / "splits"
LAYOUT = {
    "nyu": {"train": ("sync", "nyu_train_24231.txt.gz"), "test": ("official_splits/test", "nyu_test_654.txt")},
    "kitti": {"train": ("", "kitti_eigen_train.txt.gz"), "test": ("", "kitti_eigen_test_652.txt")},
}


def split_file(root: Path, dataset: str, split: str) -> Path:
    """The split list to read: `<root>/splits/<split>.txt` if the data root has it, else the shipped one."""
    own = root / "splits" / f"{split}.txt"
    return own if own.exists() else SPLIT_DIR / LAYOUT[dataset][split][1]


def _lines(path: Path) -> List[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return [line.split() for line in f if line.strip()]


def _kitti_depth(root: Path, rel: str) -> Path:
    for base in ("depth", "depth/train", "depth/val"):
        path = root / base / rel
        if path.exists():
            return path
    return root / "depth" / rel


def read_pairs(root: Path, dataset: str, split: str) -> List[Tuple[str, str]]:
    """(image path, depth png path) pairs of a split; raises BenchError naming the first missing file."""
    if dataset not in LAYOUT:
        raise BenchError(f"unknown depth dataset {dataset!r}; choose nyu or kitti")
    listing = split_file(root, dataset, split)
    prefix = LAYOUT[dataset][split][0]
    pairs = []
    for parts in _lines(listing):
        img, depth = parts[0].lstrip("/"), parts[1].lstrip("/")
        if dataset == "nyu":
            pairs.append((str(root / prefix / img), str(root / prefix / depth)))
        else:
            pairs.append((str(root / "raw" / img), str(_kitti_depth(root, depth))))
    if not pairs:
        raise BenchError(f"split list {listing} is empty")
    for img, depth in pairs[:1] + pairs[-1:]:
        for path in (img, depth):
            if not Path(path).exists():
                raise BenchError(f"{path} (listed in {listing.name}) is missing; is --data-root the {dataset} folder "
                                 f"holding {'sync/ and official_splits/' if dataset == 'nyu' else 'raw/ and depth/'}?")
    return pairs


@dataclass(frozen=True)
class DepthSplits:
    """(image, depth png) pairs per split and a fingerprint over their relative paths."""

    root: Path
    pairs: Dict[str, Tuple[Tuple[str, str], ...]]
    fingerprint: str


def _reader(dataset: str):
    def read(root: Path) -> DepthSplits:
        pairs = {split: tuple(read_pairs(root, dataset, split)) for split in ("train", "test")}
        rel = {s: [(str(Path(i).relative_to(root)), str(Path(d).relative_to(root))) for i, d in p]
               for s, p in pairs.items()}
        return DepthSplits(root, pairs, hashlib.sha256(json.dumps([dataset, rel]).encode()).hexdigest())

    read.__doc__ = f"The {dataset} train / test pairs of `root`."
    return read


read_nyu, read_kitti = _reader("nyu"), _reader("kitti")
register_dataset("depth", "nyu", read_nyu, toy="bench.tasks.depth.toy:write_toy_nyu",
                 description="NYU Depth v2, BTS/GLPDepth layout; 654 Eigen test images, cap 10 m", eval_split="test",
                 tags=("geometric",))
register_dataset("depth", "kitti", read_kitti, toy="bench.tasks.depth.toy:write_toy_kitti",
                 description="KITTI Eigen split; 652 test images with ground truth, Garg crop, cap 80 m",
                 eval_split="test", tags=("geometric",))
