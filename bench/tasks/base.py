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
    img_size: Optional[Tuple[int, int]] = None  # input size where the protocol does not fix it
    weights_sha256: Optional[str] = None  # filled in by the runner
    reinit_last_layers: int = 0  # re-initialise the backbone's last K blocks before fine-tuning
    fresh: bool = False          # ignore checkpoints in the work dir (bench run --force)
    oom_halvings: int = 0        # batch halvings after out-of-memory errors (same cell)
    compile: bool = False        # torch.compile the backbone (speed only: not part of the cell)
    gpu_pipeline: bool = False   # pose: warp + heatmap targets on the model's device (bench.gpu_pose)


def apply_iter_schedule(cfg, run: RunSpec, n_train: int) -> int:
    """Iteration-based protocols (`cfg.bench.schedules` in iterations): `--epochs E` means E passes over the
    `n_train` training images; warmup keeps its length (capped by the run), the poly decay ends with the run."""
    if run.batch_size:
        cfg.train_dataloader.batch_size = run.batch_size
    batch = cfg.train_dataloader.batch_size
    iters = run.epochs * -(-n_train // batch) if run.epochs is not None else cfg.bench.schedules[run.schedule]
    iters = max(int(iters), 1)
    cfg.train_cfg.max_iters = iters
    for sched in cfg.get("param_scheduler", None) or []:
        if sched.type == "LinearLR":
            sched.end = min(sched.end, iters)
        else:
            sched.begin = min(sched.get("begin", 0), iters - 1)
            sched.end = iters
    hook = cfg.default_hooks.checkpoint
    hook.interval = min(hook.interval, iters)
    return iters


def apply_schedule(cfg, run: RunSpec) -> int:
    """Set the epoch count from `--schedule` / `--epochs`; epoch-based LR schedules follow a shortened run."""
    full = cfg.bench.schedules["full"]
    epochs = run.epochs if run.epochs is not None else cfg.bench.schedules[run.schedule]
    cfg.train_cfg.max_epochs = epochs
    for sched in cfg.get("param_scheduler", None) or []:
        if not sched.get("by_epoch", True):
            continue
        if sched.type == "LinearLR":  # warmup: keeps its length, capped by the run
            sched.end = min(sched.end, max(epochs, 1))
            continue
        sched.begin = min(sched.get("begin", 0), max(epochs - 1, 0))
        sched.end = max(epochs, sched.begin + 1)
        if "T_max" in sched:
            sched.T_max = sched.end - sched.begin
        if "total_steps" in sched:  # OneCycleLR, counted in epochs before conversion to iterations
            sched.total_steps = sched.end - sched.begin
        if "milestones" in sched:
            sched.milestones = [max(1, round(m * epochs / full)) for m in sched.milestones]
    if run.batch_size:
        cfg.train_dataloader.batch_size = run.batch_size
    return epochs


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
    fixed_input: ClassVar[Optional[str]] = None  # protocols fix the input size: says which (rejects --img-size)

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
        """task_configs/<task>/<protocol>_<dataset>.py, or <protocol>.py for dataset-independent protocols."""
        per_dataset = CONFIG_ROOT / self.name / f"{protocol}_{dataset}.py"
        return per_dataset if per_dataset.exists() else CONFIG_ROOT / self.name / f"{protocol}.py"

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

    def train(self, runner) -> None:
        """Fine-tune on the train split."""
        runner.train()

    @staticmethod
    def test_metrics(runner) -> Dict[str, float]:
        """Run the evaluator on the test split; metric names without their evaluator prefix ('coco/AP' -> 'AP')."""
        return {k.split("/", 1)[-1]: float(v) for k, v in runner.test().items() if not isinstance(v, str)}

    @abstractmethod
    def evaluate(self, runner, work_dir: Path) -> Tuple[Dict[str, float], Optional[Path]]:
        """Metrics on the evaluation split and the predictions file in the benchmark's own format."""

    def primary_for(self, dataset: str) -> str:
        """The primary metric of a dataset (tasks whose benchmarks differ in it override this)."""
        return self.primary_metric

    def row_extra(self) -> dict:
        """Task-specific facts for the result row (e.g. the linear probe's sweep)."""
        return {}

    @abstractmethod
    def write_toy(self, out: Path, dataset: str, n_train: int, n_val: int, seed: int) -> List[str]:
        """Write a small learnable dataset in the official layout; return what was written (for the CLI)."""
