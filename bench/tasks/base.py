"""What a task is: its datasets (`DatasetDef`, registered per task), its metrics (`MetricDef`, each with its own
direction), protocols as configs under task_configs/<task>/, and the one-way protocol every task follows:

    Task.resolve(RunSpec) -> ResolvedRun     (data read and fingerprinted, weights hashed, config built: once)
    runner.train(); Task.evaluate(runner, resolved) -> TaskResult   (runner.test() and what the row needs)

Tasks keep no state between these calls: what `resolve` learns travels in the frozen ResolvedRun."""
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple

from backbones.core.errors import BenchError
from backbones.core.paths import CONFIG_ROOT
from backbones.core.registry import resolve


@dataclass(frozen=True)
class MetricDef:
    """One reported number: its direction, unit and meaning (lm-eval's `higher_is_better` per metric)."""

    name: str
    higher_is_better: bool = True
    unit: str = "%"
    description: str = ""


@dataclass(frozen=True)
class DatasetDef:
    """A dataset of a task: `reader(data_root)` parses the official layout (raising BenchError naming what is
    missing) into the task's data object; `toy(out, n_train, n_val, seed)` writes a small learnable copy of that
    layout and returns what it wrote. Both may be lazy "module:function" strings."""

    task: str
    name: str
    reader: Any
    toy: Any = None
    description: str = ""
    eval_split: str = "val"
    tags: Tuple[str, ...] = ()
    primary_metric: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)  # task-specific facts (tracking: the benchmark, ...)

    def read(self, data_root: Path):
        """The parsed dataset (within one run, parsed once: see `read_once`)."""
        return _read_cached(self, Path(data_root).resolve())

    def write_toy(self, out: Path, n_train: int, n_val: int, seed: int) -> List[str]:
        """Write a toy copy of the layout; returns the written parts for the CLI."""
        if self.toy is None:
            raise BenchError(f"{self.task}/{self.name} has no toy-data writer")
        return resolve(self.toy)(Path(out), n_train=n_train, n_val=n_val, seed=seed)


_READ_CACHE: List[Dict[Tuple[str, str, Path], Any]] = []


@contextmanager
def read_once():
    """Inside this block (one `bench run`) each dataset is parsed once, however many parts of the run read it;
    outside it every read parses the files afresh."""
    _READ_CACHE.append({})
    try:
        yield
    finally:
        _READ_CACHE.pop()


def _read_cached(dataset: DatasetDef, root: Path):
    if not root.is_dir():
        raise BenchError(f"data root {root} does not exist; pass --data-root DIR (the {dataset.name} folder as "
                         f"distributed), or make toy data: bench data toy --task {dataset.task} "
                         f"--dataset {dataset.name} --out DIR")
    key = (dataset.task, dataset.name, root)
    if not _READ_CACHE:
        return resolve(dataset.reader)(root)
    if key not in _READ_CACHE[-1]:
        _READ_CACHE[-1][key] = resolve(dataset.reader)(root)
    return _READ_CACHE[-1][key]


@dataclass(frozen=True)
class TaskResult:
    """What an evaluation gives the row: metrics, the predictions file (the benchmark's own format), task facts."""

    metrics: Dict[str, float]
    predictions: Optional[Path] = None
    extra: Dict[str, Any] = field(default_factory=dict)
    n_eval: Optional[int] = None


@dataclass(frozen=True)
class BuildContext:
    """What a task's `build_config` may use: the run, its resolved backbone spec, data root, parsed data, work dir."""

    spec: Any            # RunSpec (dataset / protocol resolved)
    backbone: Any        # BackboneSpec
    weights: Optional[str]
    weights_sha256: Optional[str]
    data_root: Path
    data: Any
    fingerprint: str
    work_dir: Path
    device: str


class Task(ABC):
    """A downstream task (subclass, set the class attributes, register with `@register_task`)."""

    name: ClassVar[str]
    version: ClassVar[str]
    protocols: ClassVar[Tuple[str, ...]]
    default_protocol: ClassVar[str]
    metrics: ClassVar[Tuple[MetricDef, ...]]
    primary_metric: ClassVar[str]
    fixed_input: ClassVar[Optional[str]] = None  # protocols fix the input size: says which (rejects --img-size)

    @property
    def datasets(self) -> Dict[str, DatasetDef]:
        """This task's registered datasets (built-in and plug-in), in registration order."""
        from bench.tasks import DATASETS

        return {d.name: d for d in (DATASETS.get(n) for n in DATASETS.registered()) if d.task == self.name}

    def dataset(self, name: Optional[str]) -> DatasetDef:
        """The dataset called `name` (default: the first registered)."""
        datasets = self.datasets
        name = name or next(iter(datasets))
        if name not in datasets:
            raise BenchError(f"task {self.name} has no dataset {name!r}; choose one of {', '.join(datasets)}")
        return datasets[name]

    def protocol(self, name: Optional[str]) -> str:
        """The protocol called `name` (default: the task's default)."""
        name = name or self.default_protocol
        if name not in self.protocols:
            raise BenchError(f"task {self.name} has no protocol {name!r}; choose one of {', '.join(self.protocols)}")
        return name

    def config_path(self, dataset: str, protocol: str) -> Path:
        """task_configs/<task>/<protocol>_<dataset>.py, or <protocol>.py for dataset-independent protocols."""
        variant = self.dataset(dataset).options.get("config", dataset)  # plug-in datasets name a built-in one's
        per_dataset = CONFIG_ROOT / self.name / f"{protocol}_{variant}.py"
        return per_dataset if per_dataset.exists() else CONFIG_ROOT / self.name / f"{protocol}.py"

    def metric(self, name: str) -> MetricDef:
        """The definition of a metric this task reports (direction, unit)."""
        for m in self.metrics:
            if m.name == name:
                return m
        raise BenchError(f"task {self.name} reports no metric {name!r}; choose one of "
                         f"{', '.join(m.name for m in self.metrics)}")

    def primary_for(self, dataset: str) -> str:
        """The metric that ranks a dataset's rows."""
        return self.dataset(dataset).primary_metric or self.primary_metric

    def describe(self) -> dict:
        """The task as data (for `bench tasks list/show`)."""
        return {"name": self.name, "version": self.version,
                "datasets": {k: {"description": v.description, "tags": list(v.tags), "eval_split": v.eval_split,
                                 "primary_metric": self.primary_for(k)} for k, v in self.datasets.items()},
                "protocols": list(self.protocols), "default_protocol": self.default_protocol,
                "primary_metric": self.primary_metric,
                "metrics": {m.name: {"higher_is_better": m.higher_is_better, "unit": m.unit} for m in self.metrics}}

    def fingerprint(self, data) -> str:
        """sha256 identifying the data (default: the data object's own `fingerprint`)."""
        return data.fingerprint

    def prepare(self, spec, data, data_root: Path):
        """The data a run uses, after the task's checks (refuse what it cannot support before anything trains);
        default: the reader's data as it is."""
        return data

    def resolve(self, spec):
        """RunSpec -> frozen ResolvedRun: everything a run needs, computed once (bench.run.resolve)."""
        from bench.run.resolve import resolve_run

        return resolve_run(self, spec)

    def evaluation(self, cfg, spec) -> Optional[str]:
        """How the resolved config evaluates, in the wording of the protocol's recipe (default: not described)."""
        return None

    def recipe_values(self, cfg, spec) -> Dict[str, Any]:
        """Settings of the resolved run only the task can state, for the recipe audit (default: its evaluation)."""
        return {"evaluation": self.evaluation(cfg, spec)}

    def deviation_reasons(self, spec) -> Dict[str, str]:
        """Why this run's choices make recipe settings deviate (e.g. pose without --bbox-file), by setting."""
        return {}

    @abstractmethod
    def build_config(self, ctx: BuildContext):
        """The resolved mmengine Config of this run (called once per run, by `resolve`)."""

    def evaluate(self, runner, resolved) -> TaskResult:
        """runner.test() on the evaluation split -> TaskResult (metric names without their evaluator prefix)."""
        return TaskResult(self.test_metrics(runner), self.predictions_path(resolved))

    @staticmethod
    def test_metrics(runner) -> Dict[str, float]:
        """`runner.test()`'s numbers, prefixes dropped ('coco/AP' -> 'AP')."""
        return {k.split("/", 1)[-1]: float(v) for k, v in runner.test().items() if not isinstance(v, str)}

    def predictions_path(self, resolved) -> Optional[Path]:
        """Where this task's evaluator wrote the predictions (None: nowhere)."""
        return None


def register_task(name: str, aliases=()) -> Callable:
    """Class decorator: make a Task subclass available as `bench run --task NAME` (plug-ins use it too)."""
    from bench.tasks import TASKS

    def wrap(cls):
        TASKS.register(name, cls, aliases=aliases)
        return cls

    return wrap


def read_dataset(task: str, name: str, data_root):
    """The parsed data of dataset `name` of `task` (what mmengine datasets built from a config read)."""
    from bench.tasks import DATASETS

    return DATASETS.get(f"{task}/{name}").read(data_root)


def register_dataset(task: str, name: str, reader, **fields) -> DatasetDef:
    """Add a dataset to a task (built-in or plug-in): `reader(data_root)` returns the task's data object."""
    from bench.tasks import DATASETS

    return DATASETS.register(f"{task}/{name}", DatasetDef(task=task, name=name, reader=reader, **fields))
