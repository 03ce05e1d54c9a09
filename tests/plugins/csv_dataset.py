"""A plug-in dataset for a built-in task, as a user would write it: classification images listed in a CSV file.

    labels.csv:  path,label,split     (path relative to the data root; split train or test)

    bench --include csv_dataset.py run --backbone demo-random --task classification --dataset my-csv \
        --protocol toy --data-root DIR"""
import csv
from pathlib import Path

from backbones.core.errors import BenchError
from bench.tasks import register_dataset
from bench.tasks.classification.split import Split


def read_labels_csv(root: Path) -> Split:
    """`root/labels.csv` -> a Split (classes sorted by name)."""
    path = Path(root) / "labels.csv"
    if not path.is_file():
        raise BenchError(f"{root} has no labels.csv (columns path,label,split)")
    rows = list(csv.DictReader(path.open()))
    classes = sorted({r["label"] for r in rows})
    index = {c: i for i, c in enumerate(classes)}
    parts = {"train": [], "test": []}
    for r in rows:
        parts[r["split"]].append((str(Path(root) / r["path"]), index[r["label"]]))
    return Split(parts["train"], parts["test"], classes)


register_dataset("classification", "my-csv", read_labels_csv, description="images listed in labels.csv",
                 eval_split="test", tags=("custom",))
