"""`bench run`: resolve a run, build its mmengine Runner from the task's config, train, evaluate, write the row."""
import os
import resource
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from backbones.checkpoint import read_checkpoint, sha256_file
from backbones.errors import BenchError
from backbones.registry import get_spec
from bench import paths
from bench.distributed import configure, is_worker, rank, unwrap, world_size
from bench.fast_path import cuda_fast_path, prepare_model
from bench.results import ResultRow, cell_key, config_hash, environment, write_row as _write_row
from bench.tasks import get_task
from bench.tasks.base import RunSpec

SCHEDULES = ("smoke", "full")


class Plan:
    """A resolved run: task, data, weights, config, cell key and work dir; nothing trained yet."""

    def __init__(self, run: RunSpec):
        import torch

        self.run = run
        self.task = get_task(run.task)
        run.task = self.task.name
        run.dataset = self.task.dataset(run.dataset).name
        run.protocol = self.task.protocol(run.protocol)
        if run.schedule not in SCHEDULES:
            raise BenchError(f"unknown schedule {run.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        self.spec = get_spec(run.backbone)
        if run.img_size and self.task.fixed_input:
            raise BenchError(f"{self.task.name} protocols fix the input size ({self.task.fixed_input}); "
                             "drop --img-size")
        self.data_root = Path(run.data_root or paths.data_cache() / run.dataset).resolve()
        self.task.check_data(self.data_root, run.dataset)
        self.fingerprint = self.task.fingerprint(self.data_root, run.dataset)
        self.weights_path = self._resolve_weights()
        self.weights_sha256 = sha256_file(self.weights_path) if self.weights_path else None
        run.weights_sha256 = self.weights_sha256
        self.device = run.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise BenchError("--device cuda, but no CUDA device is visible; use --device cpu")
        probe = self._config(Path("/work-dir"))
        self.config_sha = config_hash(probe.to_dict())
        self.key = cell_key(self.spec.name, self.weights_sha256, self.task.name, self.task.version, run.protocol,
                            self.config_sha, self.fingerprint, run.seed)
        self.work_dir = Path(run.work_dir or paths.work_root() / self.task.name / self.key).resolve()
        self.cfg = self._config(self.work_dir)
        self.world_size = world_size() if is_worker() else 1
        if self.world_size > 1:
            configure(self.cfg, self.device, self.world_size)
        self.base_batch_size = self.cfg.train_dataloader.batch_size
        self.set_oom_halvings(run.oom_halvings)

    def set_oom_halvings(self, k: int):
        """Halve the training batch k times after out-of-memory errors: same cell, recorded in the row."""
        self.run.oom_halvings = k
        self.cfg.train_dataloader.batch_size = max(1, self.base_batch_size >> k)

    def _resolve_weights(self):
        weights = self.run.weights
        if weights is None:
            return None
        if weights == "auto":
            from backbones.download import fetch_weights

            path = fetch_weights(self.spec)
        else:
            path = Path(weights)
            if not path.is_file():
                raise BenchError(f"--weights {weights}: no such file; pass a checkpoint path or 'auto'")
        self.run.weights = str(Path(path).resolve())
        return Path(path).resolve()

    def _config(self, work_dir: Path):
        cfg = self.task.build_config(self.run, self.data_root, work_dir)
        if self.run.reinit_last_layers:
            cfg.model.backbone.reinit_last_layers = self.run.reinit_last_layers
        if self.run.cfg_options:
            cfg.merge_from_dict(self.run.cfg_options)
        cfg.work_dir = str(work_dir)
        cfg.randomness = dict(seed=self.run.seed, deterministic=False)
        cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + [dict(type="ThroughputHook")]
        for loader in (cfg.get("train_dataloader"), cfg.get("test_dataloader")):
            if loader and loader.get("num_workers", 0) > (os.cpu_count() or 1):
                loader.num_workers = os.cpu_count() or 1
        if self.device.startswith("cuda"):
            cuda_fast_path(cfg, self.spec)
        return cfg

    def row(self, status: str, **fields) -> ResultRow:
        run = self.run
        return ResultRow(
            cell_key=self.key, status=status, backbone=self.spec.name, task=self.task.name,
            task_version=self.task.version, dataset=run.dataset, split=self.task.dataset(run.dataset).eval_split,
            protocol=run.protocol, schedule=run.schedule if run.epochs is None else f"{run.epochs}ep",
            seed=run.seed, weights=run.weights, weights_sha256=self.weights_sha256, config_hash=self.config_sha,
            dataset_fingerprint=self.fingerprint, primary_metric=self.task.primary_for(run.dataset),
            higher_is_better=self.task.higher_is_better, env=environment(self.device), config=self.cfg.to_dict(),
            work_dir=str(self.work_dir), **fields)


def _peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def trusted_own_checkpoints(work_dir: Path):
    """mmengine's resume unpickles its own checkpoints (numpy RNG state, HistoryBuffer objects), which torch's
    weights-only default refuses. Inside this block, and only for files under this run's work dir (written by this
    harness), torch.load may unpickle fully; every other file still goes through the weights-only default."""
    import torch

    original = torch.load
    root = Path(work_dir).resolve()

    def load(f, *args, **kwargs):
        if isinstance(f, (str, os.PathLike)) and Path(f).resolve().is_relative_to(root):
            kwargs["weights_only"] = False  # our own Runner checkpoint
        return original(f, *args, **kwargs)

    torch.load = load
    try:
        yield
    finally:
        torch.load = original


def _is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def _load_finetuned(runner, checkpoint):
    raw = read_checkpoint(checkpoint)
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else raw
    try:
        unwrap(runner.model).load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BenchError(f"--checkpoint {checkpoint} does not fit this task/backbone: "
                         f"{str(exc).splitlines()[0]}") from None


def _train_and_evaluate(plan: Plan, hook_box: list):
    """One attempt: build the Runner (resuming from the work dir's last checkpoint when there is one), train,
    evaluate. Returns (runner, metrics, predictions, resumed_from)."""
    from mmengine.runner import Runner

    from bench.hooks import ThroughputHook

    run = plan.run
    last = plan.work_dir / "last_checkpoint"
    resumed_from = None
    if not run.eval_only and not run.fresh and last.exists():
        resumed_from = last.read_text().strip()
        plan.cfg.resume = True
    runner = Runner.from_cfg(plan.cfg)
    hook_box[:] = [next(h for h in runner.hooks if isinstance(h, ThroughputHook))]
    plan.model_prep = prepare_model(unwrap(runner.model), plan.cfg, run.compile)
    if run.eval_only:
        _load_finetuned(runner, run.checkpoint)
    else:
        with trusted_own_checkpoints(plan.work_dir):
            plan.task.train(runner)
    metrics, predictions = plan.task.evaluate(runner, plan.work_dir)
    return runner, metrics, predictions, resumed_from


def write_row(results_dir: Path, row: ResultRow):
    """Rows are written by the first process of a multi-process run only."""
    if rank() == 0:
        _write_row(results_dir, row)


def execute(plan: Plan, results_dir: Path) -> ResultRow:
    """Train and evaluate; the row is `running` while it works and `ok` or `failed` at the end. An interrupted
    run resumes from its last checkpoint; an out-of-memory error halves the batch and retries (same cell)."""
    write_row(results_dir, plan.row("running"))
    start = time.time()
    oom_batches, hook_box = [], []
    while True:
        try:
            runner, metrics, predictions, resumed_from = _train_and_evaluate(plan, hook_box)
            break
        except BaseException as exc:
            batch = plan.cfg.train_dataloader.batch_size
            if _is_oom(exc) and batch > 1 and not plan.run.eval_only and plan.world_size == 1:
                oom_batches.append(batch)
                plan.set_oom_halvings(plan.run.oom_halvings + 1)
                write_row(results_dir, plan.row("running", extra={"oom_batch_sizes": oom_batches}))
                continue
            row = plan.row("failed", error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=20)}",
                           timings={"wall_s": round(time.time() - start, 2)},
                           extra={"oom_batch_sizes": oom_batches, "oom": _is_oom(exc)})
            write_row(results_dir, row)
            raise
    hook = hook_box[0]
    audit = getattr(unwrap(runner.model).backbone, "load_audit", None)
    row = plan.row(
        "ok", metrics=metrics, load_audit=audit.summary() if audit else None,
        predictions={"path": str(predictions), "sha256": sha256_file(predictions)} if predictions else None,
        timings={"wall_s": round(time.time() - start, 2), "train_img_per_s": hook.images_per_second,
                 "peak_memory_mb": round(_peak_memory_mb(plan.device), 1)},
        extra={"losses": hook.losses, "eval_only": plan.run.eval_only, "checkpoint": plan.run.checkpoint,
               "resumed_from": resumed_from, "oom_batch_sizes": oom_batches,
               "reinit_last_layers": plan.run.reinit_last_layers,
               "train_batch_size": plan.cfg.train_dataloader.batch_size * plan.world_size,
               "processes": plan.world_size, **plan.model_prep, **plan.task.row_extra()})
    write_row(results_dir, row)
    return row
