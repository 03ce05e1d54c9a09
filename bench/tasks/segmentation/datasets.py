"""Segmentation datasets in their distributed layouts: ADE20K (ADEChallengeData2016: `images/{training,validation}/
*.jpg`, `annotations/{training,validation}/*.png`, 0 = unlabelled, 1..150 = class + 1). The reader lists both
splits once and checks that every image has its label map."""
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

from backbones.core.errors import BenchError
from bench.tasks.base import register_dataset

SPLITS = {"train": ("images/training", "annotations/training"),
          "val": ("images/validation", "annotations/validation")}
FORMAT = "ADE20K png label maps: 0 = unlabelled, 1..150 = class index + 1"


@dataclass(frozen=True)
class SegSplits:
    """Image stems per split, the folders, and a fingerprint over names and label-map sizes."""

    root: Path
    names: Dict[str, Tuple[str, ...]]
    fingerprint: str


def _scan(root: Path, split: str):
    img_dir, ann_dir = (root / p for p in SPLITS[split])
    for folder in (img_dir, ann_dir):
        if not folder.is_dir():
            raise BenchError(f"{root} is not an ade20k data root: {folder.relative_to(root)} is missing (expected "
                             f"layout: {', '.join(p for pair in SPLITS.values() for p in pair)})")
    images = sorted(p.stem for p in img_dir.glob("*.jpg"))
    labels = {p.stem for p in ann_dir.glob("*.png")}
    if not images:
        raise BenchError(f"{img_dir} holds no .jpg images; is --data-root the ADEChallengeData2016 folder?")
    missing = next((i for i in images if i not in labels), None)
    if missing:
        raise BenchError(f"{img_dir / missing}.jpg has no label map {ann_dir / missing}.png")
    return tuple(images)


def read_ade20k(root: Path) -> SegSplits:
    """Both splits of an ADEChallengeData2016 folder (sizes, not bytes, of the label maps are fingerprinted)."""
    names = {split: _scan(root, split) for split in SPLITS}
    h = hashlib.sha256(b"ade20k")
    for split, (_, ann) in SPLITS.items():
        for name in names[split]:
            h.update(f"{split}/{name}:{(root / ann / name).with_suffix('.png').stat().st_size}".encode())
    return SegSplits(root, names, h.hexdigest())


register_dataset("segmentation", "ade20k", read_ade20k, toy="bench.tasks.segmentation.toy:write_toy_ade20k",
                 description="ADE20K (ADEChallengeData2016), 150 classes; evaluated on validation",
                 eval_split="validation", tags=("semantic",))
