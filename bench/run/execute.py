"""`bench run` after resolution, one way: build the mmengine Runner from the resolved config, train (resuming from
the work dir's last checkpoint when there is one), evaluate through the task, write the row. The row is `running`
while it works and `ok` or `failed` at the end; an out-of-memory error halves the batch and retries (same cell)."""
import copy
import errno
import os
import resource
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from backbones.checkpoint import read_checkpoint
from backbones.core.errors import BenchError
from backbones.core.io import sha256_file
from bench.run.distributed import rank, unwrap
from bench.run.fast_path import prepare_model
from bench.results import ResultRow, config_hash, environment, write_row as _write_row
from bench.run.resolve import ResolvedRun


def make_row(resolved: ResolvedRun, cfg, status: str, **fields) -> ResultRow:
    """The result row of `resolved` in `status` (fields: metrics, timings, extra, ...)."""
    spec, task = resolved.spec, resolved.task
    return ResultRow(
        cell_key=resolved.key, status=status, backbone=resolved.backbone.name, task=task.name,
        task_version=task.version, dataset=spec.dataset, split=resolved.dataset.eval_split, protocol=spec.protocol,
        schedule=spec.schedule if spec.epochs is None else f"{spec.epochs}ep", seed=spec.seed,
        weights=spec.weights, weights_sha256=resolved.weights_sha256, config_hash=config_hash(cfg.to_dict()),
        dataset_fingerprint=resolved.fingerprint, primary_metric=resolved.primary_metric,
        higher_is_better=task.metric(resolved.primary_metric).higher_is_better, env=environment(resolved.device),
        config=cfg.to_dict(), work_dir=str(resolved.work_dir), cell_id=resolved.cell_id, cell=resolved.cell,
        metric_directions={m.name: m.higher_is_better for m in task.metrics}, recipe_audit=resolved.recipe_audit,
        **fields)


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


def _attempt(resolved: ResolvedRun, cfg):
    """One attempt: Runner, train (or load the fine-tuned model), evaluate. Returns (runner, TaskResult,
    resumed_from, model preparation)."""
    from bench.run.progress import BenchRunner

    spec = resolved.spec
    last = resolved.work_dir / "last_checkpoint"
    resumed_from = None
    if not spec.eval_only and not spec.fresh and last.exists():
        resumed_from = last.read_text().strip()
        cfg.resume = True
    runner = BenchRunner.from_cfg(cfg)
    prep = prepare_model(unwrap(runner.model), cfg, spec.compile)
    if spec.eval_only:
        _load_finetuned(runner, spec.checkpoint)
    else:
        with trusted_own_checkpoints(resolved.work_dir):
            runner.train()
    return runner, resolved.task.evaluate(runner, resolved), resumed_from, prep


def _attempt_number(resolved: ResolvedRun, results_dir: Path) -> int:
    """Which run of this cell this is: 1, or one more than the interrupted run's when this one resumes it (a rerun
    after a kill, a Slurm requeue)."""
    from bench.run.store import existing_row

    spec = resolved.spec
    if spec.fresh or spec.eval_only or not (resolved.work_dir / "last_checkpoint").exists():
        return 1
    previous = existing_row(results_dir, resolved)
    return (previous.extra.get("attempts", 1) if previous else 1) + 1


def _is_disk_full(exc: BaseException) -> bool:
    """An out-of-space error, also when wrapped (torch.save raises RuntimeError from a failed write)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(exc) or "file write failed" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def remove_partial_checkpoints(work_dir: Path) -> list:
    """Delete checkpoint files newer than the one `last_checkpoint` names (mmengine writes that file only after a
    save completed, so a newer one is a partial write); returns their names."""
    work_dir = Path(work_dir)
    last = work_dir / "last_checkpoint"
    good = Path(last.read_text().strip()) if last.exists() else None
    since = good.stat().st_mtime if good is not None and good.exists() else float("-inf")
    removed = []
    for ckpt in sorted([*work_dir.glob("epoch_*.pth"), *work_dir.glob("iter_*.pth")]):
        if ckpt != good and ckpt.stat().st_mtime >= since:
            ckpt.unlink()
            removed.append(ckpt.name)
    return removed


def write_row(results_dir: Path, row: ResultRow):
    """Rows are written by the first process of a multi-process run only."""
    if rank() == 0:
        _write_row(results_dir, row)


def execute(resolved: ResolvedRun, results_dir: Path) -> ResultRow:
    """Train and evaluate `resolved`, writing its row (module docstring)."""
    from bench.run.hooks import ThroughputHook
    from bench.run.progress import captured_output

    base_batch = resolved.cfg.train_dataloader.batch_size if resolved.cfg.get("train_dataloader") else None
    halvings, oom_batches, start = resolved.spec.oom_halvings, [], time.time()
    attempts = _attempt_number(resolved, results_dir)
    write_row(results_dir, make_row(resolved, resolved.cfg, "running", extra={"attempts": attempts}))
    while True:
        cfg = copy.deepcopy(resolved.cfg)
        if base_batch:
            cfg.train_dataloader.batch_size = max(1, base_batch >> halvings)
        try:
            with captured_output(resolved.work_dir):
                runner, result, resumed_from, prep = _attempt(resolved, cfg)
            break
        except BaseException as exc:
            batch = cfg.train_dataloader.batch_size if base_batch else 1
            if _is_oom(exc) and batch > 1 and not resolved.spec.eval_only and resolved.world_size == 1:
                oom_batches.append(batch)
                halvings += 1
                write_row(results_dir, make_row(resolved, cfg, "running", extra={"oom_batch_sizes": oom_batches,
                                                                                 "attempts": attempts}))
                continue
            full = _is_disk_full(exc)
            if full:
                removed = remove_partial_checkpoints(resolved.work_dir)
            failed = make_row(
                resolved, cfg, "failed", error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=20)}",
                timings={"wall_s": round(time.time() - start, 2)},
                extra={"oom_batch_sizes": oom_batches, "oom": _is_oom(exc), "attempts": attempts,
                       **({"disk_full": True, "removed_partial": removed} if full else {})})
            try:
                write_row(results_dir, failed)
            except OSError as write_exc:
                if not _is_disk_full(write_exc):
                    raise
                print(f"warning: the failed row could not be written either ({write_exc.strerror}); the cell's "
                      "row stays `running` and lists as interrupted")
            if full:
                raise BenchError(f"no space left on the device while writing {exc.filename or 'a file'} (a "
                                 "checkpoint, log or predictions): free space there, or pass --work-dir / --results "
                                 "on a larger disk, and run again to resume from the last complete checkpoint"
                                 + (f" (removed the partial {', '.join(removed)})" if removed else "")) from None
            raise
    hook = next(h for h in runner.hooks if isinstance(h, ThroughputHook))
    audit = getattr(unwrap(runner.model).backbone, "load_audit", None)
    pred = result.predictions
    row = make_row(
        resolved, cfg, "ok", metrics=result.metrics, load_audit=audit.summary() if audit else None,
        predictions={"path": str(pred), "sha256": sha256_file(pred)} if pred else None,
        timings={"wall_s": round(time.time() - start + hook.previous_wall_s, 2),
                 "attempt_wall_s": round(time.time() - start, 2), **hook.timings(),
                 "peak_memory_mb": round(_peak_memory_mb(resolved.device), 1)},
        extra={"losses": hook.losses, "eval_only": resolved.spec.eval_only, "checkpoint": resolved.spec.checkpoint,
               "resumed_from": resumed_from, "attempts": attempts, "oom_batch_sizes": oom_batches,
               "oom_halvings": halvings,
               "reinit_last_layers": resolved.spec.reinit_last_layers,
               "drop_last_layers": resolved.spec.drop_last_layers, "n_eval": result.n_eval,
               "train_batch_size": (cfg.train_dataloader.batch_size * resolved.world_size) if base_batch else None,
               "processes": resolved.world_size, **prep, **result.extra})
    write_row(results_dir, row)
    return row
