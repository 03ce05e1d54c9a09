"""What every classification reader returns (`Split`) and the helpers they share."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from backbones.core.errors import BenchError


@dataclass
class Split:
    """`train` / `test`: (image key, label) pairs. A key is an image file path, or `<file>#<row>` for images
    stored as arrays inside `arrays[<file>]` (CIFAR's pickled batches, HWC uint8)."""

    train: List[Tuple[str, int]]
    test: List[Tuple[str, int]]
    classes: List[str]
    arrays: Dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    root: Optional[Path] = None   # the data root it was read from (set by the dataset registry's reader)

    def _array_row(self, key: str):
        source, sep, row = key.rpartition("#")
        if sep and source in self.arrays:
            return self.arrays[source], int(row)
        return None, None

    def exists(self, key: str) -> bool:
        """Whether the image `key` is there: an in-range row of its array, or an existing file."""
        array, row = self._array_row(key)
        return row < len(array) if array is not None else Path(key).is_file()

    def open(self, key: str):
        """The image as an RGB PIL image."""
        from PIL import Image

        array, row = self._array_row(key)
        if array is not None:
            return Image.fromarray(array[row])
        with Image.open(key) as img:
            return img.convert("RGB")


def need(root: Path, rel: str) -> Path:
    """Return `root / rel`, raising BenchError if it does not exist."""
    path = root / rel
    if not path.exists():
        raise BenchError(f"{root} is missing {rel}; pass --data-root the dataset's top folder as distributed")
    return path


def table(path: Path):
    """Whitespace-separated id + rest-of-line files (CUB's *.txt)."""
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, _, rest = line.strip().partition(" ")
            out[key] = rest.strip()
    return out
