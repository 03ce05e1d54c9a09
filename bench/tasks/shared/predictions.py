"""Prediction folders (one file per image, e.g. depth or label-map PNGs) pinned by a sha256 manifest."""
import json
import os
import tempfile
from pathlib import Path


def write_manifest(pred_dir: Path, fmt: str) -> Path:
    """`<pred_dir>.json`: the format and every PNG in `pred_dir` with its sha256, so a result row can pin them."""
    from backbones.core.io import sha256_file

    files = sorted(pred_dir.glob("*.png"))
    manifest = {"format": fmt, "files": {f.name: sha256_file(f) for f in files}}
    path = pred_dir.with_suffix(".json")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, path)
    return path
