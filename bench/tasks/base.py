"""The `Task` protocol every task implements, and the options of one run (`RunSpec`)."""
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Dict, List, Optional, Tuple

from backbones.errors import BenchError

CONFIG_ROOT = Path(__file__).resolve().parents[2] / "task_configs"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    required: Tuple[str, ...]      # files/folders (relative to the data root) that must exist
    fingerprint_files: Tuple[str, ...]  # annotation files whose bytes identify the data
    description: str = ""
    eval_split: str = "val"
    tags: Tuple[str, ...] = ()


@dataclass
class RunSpec:
    """Everything `bench run` was asked to do."""

    backbone: str
    task: str
    dataset: Optional[str] = None
    protocol: Optional[str] = None
    weights: Optional[str] = None
    data_root: Optional[str] = None
    schedule: str = "full"
    epochs: Optional[int] = None
    batch_size: Optional[int] = None
    seed: int = 0
    device: Optional[str] = None
    work_dir: Optional[str] = None
    cfg_options: Dict[str, object] = field(default_factory=dict)
    bbox_file: Optional[str] = None
    allow_missing: bool = False
    eval_only: bool = False
    checkpoint: Optional[str] = None
    fresh: bool = False          # ignore checkpoints in the work dir (bench run --force)
    oom_halvings: int = 0        # batch halvings after out-of-memory errors (same cell)


class Task(ABC):
    """A downstream task: datasets in their official layouts, protocols as configs, one primary metric."""

    name: ClassVar[str]
    version: ClassVar[str]
    datasets: ClassVar[Dict[str, DatasetInfo]]
    protocols: ClassVar[Tuple[str, ...]]
    default_protocol: ClassVar[str]
    primary_metric: ClassVar[str]
    higher_is_better: ClassVar[bool]
    metrics: ClassVar[Tuple[str, ...]] = ()

    def dataset(self, name: Optional[str]) -> DatasetInfo:
        name = name or next(iter(self.datasets))
        if name not in self.datasets:
            raise BenchError(f"task {self.name} has no dataset {name!r}; choose one of {', '.join(self.datasets)}")
        return self.datasets[name]

    def protocol(self, name: Optional[str]) -> str:
        name = name or self.default_protocol
        if name not in self.protocols:
            raise BenchError(f"task {self.name} has no protocol {name!r}; choose one of {', '.join(self.protocols)}")
        return name

    def config_path(self, dataset: str, protocol: str) -> Path:
        return CONFIG_ROOT / self.name / f"{protocol}_{dataset}.py"

    def check_data(self, data_root: Path, dataset: str) -> None:
        """Raise a BenchError naming the first missing file of the official layout."""
        info = self.dataset(dataset)
        if not data_root.is_dir():
            raise BenchError(f"data root {data_root} does not exist; pass --data-root DIR (the folder holding "
                             f"{info.required[0]}), or make toy data: bench data toy --task {self.name} "
                             f"--dataset {dataset} --out DIR")
        for rel in info.required:
            if not (data_root / rel).exists():
                raise BenchError(f"{data_root} is not a {dataset} data root: {rel} is missing (expected layout: "
                                 f"{', '.join(info.required)})")

    def fingerprint(self, data_root: Path, dataset: str) -> str:
        """sha256 over the dataset's annotation files (names and bytes)."""
        h = hashlib.sha256(dataset.encode())
        for rel in self.dataset(dataset).fingerprint_files:
            h.update(rel.encode())
            with open(data_root / rel, "rb") as f:
                while block := f.read(1 << 22):
                    h.update(block)
        return h.hexdigest()

    def describe(self) -> dict:
        return {"name": self.name, "version": self.version, "datasets": {k: {"description": v.description,
                                                                              "tags": list(v.tags)}
                                                                          for k, v in self.datasets.items()},
                "protocols": list(self.protocols), "default_protocol": self.default_protocol,
                "primary_metric": self.primary_metric, "higher_is_better": self.higher_is_better,
                "metrics": list(self.metrics)}

    @abstractmethod
    def build_config(self, run: RunSpec, data_root: Path, work_dir: Path):
        """The resolved mmengine Config for this run."""

    @abstractmethod
    def train(self, runner) -> None:
        """Fine-tune on the train split."""

    @abstractmethod
    def evaluate(self, runner, work_dir: Path) -> Tuple[Dict[str, float], Optional[Path]]:
        """Metrics on the evaluation split and the predictions file in the benchmark's own format."""

    @abstractmethod
    def write_toy(self, out: Path, dataset: str, n_train: int, n_val: int, seed: int) -> List[str]:
        """Write a small learnable dataset in the official layout; return what was written (for the CLI)."""
