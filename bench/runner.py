"""`bench run`: resolve a run, build its mmengine Runner from the task's config, train, evaluate, write the row."""
import resource
import time
import traceback
from pathlib import Path

from backbones.checkpoint import read_checkpoint, sha256_file
from backbones.errors import BenchError
from backbones.registry import get_spec
from bench import paths
from bench.results import ResultRow, cell_key, config_hash, environment, write_row
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
        self.data_root = Path(run.data_root or paths.data_cache() / run.dataset).resolve()
        self.task.check_data(self.data_root, run.dataset)
        self.fingerprint = self.task.fingerprint(self.data_root, run.dataset)
        self.weights_path = self._resolve_weights()
        self.weights_sha256 = sha256_file(self.weights_path) if self.weights_path else None
        self.device = run.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise BenchError("--device cuda, but no CUDA device is visible; use --device cpu")
        probe = self._config(Path("/work-dir"))
        self.config_sha = config_hash(probe.to_dict())
        self.key = cell_key(self.spec.name, self.weights_sha256, self.task.name, self.task.version, run.protocol,
                            self.config_sha, self.fingerprint, run.seed)
        self.work_dir = Path(run.work_dir or paths.work_root() / self.task.name / self.key).resolve()
        self.cfg = self._config(self.work_dir)

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
        if self.run.cfg_options:
            cfg.merge_from_dict(self.run.cfg_options)
        cfg.work_dir = str(work_dir)
        cfg.randomness = dict(seed=self.run.seed, deterministic=False)
        cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + [dict(type="ThroughputHook")]
        if self.device.startswith("cuda"):
            cfg.optim_wrapper.type = "AmpOptimWrapper"
            cfg.optim_wrapper.dtype = "bfloat16"
        return cfg

    def row(self, status: str, **fields) -> ResultRow:
        run = self.run
        return ResultRow(
            cell_key=self.key, status=status, backbone=self.spec.name, task=self.task.name,
            task_version=self.task.version, dataset=run.dataset, split=self.task.dataset(run.dataset).eval_split,
            protocol=run.protocol, schedule=run.schedule if run.epochs is None else f"{run.epochs}ep",
            seed=run.seed, weights=run.weights, weights_sha256=self.weights_sha256, config_hash=self.config_sha,
            dataset_fingerprint=self.fingerprint, primary_metric=self.task.primary_metric,
            higher_is_better=self.task.higher_is_better, env=environment(self.device), config=self.cfg.to_dict(),
            work_dir=str(self.work_dir), **fields)


def _peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load_finetuned(runner, checkpoint):
    raw = read_checkpoint(checkpoint)
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else raw
    try:
        runner.model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BenchError(f"--checkpoint {checkpoint} does not fit this task/backbone: "
                         f"{str(exc).splitlines()[0]}") from None


def execute(plan: Plan, results_dir: Path) -> ResultRow:
    """Train and evaluate; the row is `running` while it works and `ok` or `failed` at the end."""
    from mmengine.runner import Runner

    from bench.hooks import ThroughputHook

    run = plan.run
    write_row(results_dir, plan.row("running"))
    start = time.time()
    try:
        runner = Runner.from_cfg(plan.cfg)
        hook = next(h for h in runner.hooks if isinstance(h, ThroughputHook))
        if run.eval_only:
            if not run.checkpoint:
                raise BenchError("--eval-only needs --checkpoint PATH (a fine-tuned model from `bench run`)")
            _load_finetuned(runner, run.checkpoint)
        else:
            plan.task.train(runner)
        metrics, predictions = plan.task.evaluate(runner, plan.work_dir)
    except BaseException as exc:
        row = plan.row("failed", error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=20)}",
                       timings={"wall_s": round(time.time() - start, 2)})
        write_row(results_dir, row)
        raise
    audit = getattr(runner.model.backbone, "load_audit", None)
    row = plan.row(
        "ok", metrics=metrics, load_audit=audit.summary() if audit else None,
        predictions={"path": str(predictions), "sha256": sha256_file(predictions)} if predictions else None,
        timings={"wall_s": round(time.time() - start, 2), "train_img_per_s": hook.images_per_second,
                 "peak_memory_mb": round(_peak_memory_mb(plan.device), 1)},
        extra={"losses": hook.losses, "eval_only": run.eval_only, "checkpoint": run.checkpoint})
    write_row(results_dir, row)
    return row
