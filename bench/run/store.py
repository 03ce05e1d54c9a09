"""Between a resolved run and the results store: where rows go (checked before anything runs), whether the cell
already has a row (skip it, resume it, or refuse while its owner still runs), the multi-process relaunch, and the
one-line report."""
import os
from pathlib import Path
from typing import Optional

from backbones.core import paths
from backbones.core.errors import BenchError


def writable_dir(path: Path, flag: str, what: str) -> Path:
    """`path`, checked before anything runs: not a file, and it (or the folder it would be made in) is writable
    (a read-only file system counts, for root too)."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise BenchError(f"{flag} {path} is a file; pass a folder for {what}")
    probe = path if path.exists() else next((p for p in path.parents if p.exists()), Path("/"))
    if not os.access(probe, os.W_OK | os.X_OK):
        why = "is on a read-only file system" if _read_only(probe) else "is not writable"
        raise BenchError(f"{flag} {path}: {probe} {why}; pass a folder you can write to")
    return path


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def results_dir(arg: Optional[str]) -> Path:
    """The results folder, checked (a bad --results fails before any training)."""
    return writable_dir(Path(arg or paths.results_dir()), "--results", "the result rows")


def existing_row(results: Path, resolved):
    """The cell's current row, or None (an unreadable file is reported and will be replaced)."""
    from bench.results import read_row, row_path

    path = row_path(results, resolved.task.name, resolved.key)
    if not path.exists():
        return None
    try:
        return read_row(path)
    except ValueError as exc:
        print(f"warning: {exc}; it will be replaced")
        return None


def run(resolved, results: Path, argv) -> int:
    """Execute `resolved` unless its cell is done or running elsewhere; `--gpus N` relaunches in N processes."""
    from bench.results import effective_status
    from bench.run import distributed
    from bench.run.execute import execute

    spec = resolved.spec
    if distributed.is_worker():  # one of the --gpus N processes: the launching process checked the cell
        distributed.init_process_group(resolved.device)
        row = execute(resolved, results)
        return report(row, results) if distributed.rank() == 0 else 0
    existing = existing_row(results, resolved)
    if existing is not None and not spec.fresh:
        status = effective_status(existing)
        if status == "ok":
            print(f"cell {resolved.key} already has an ok row ({existing.primary_metric} = "
                  f"{existing.primary_value}); skipping (use --force to re-run)")
            return 0
        if status == "running":
            raise BenchError(f"cell {resolved.key} is being run by pid {existing.pid} on {existing.host} (started "
                             "then, still running); wait for it, or stop that process and run again to resume")
        if status == "interrupted":
            print(f"cell {resolved.key} was interrupted; resuming from {resolved.work_dir}")
    if spec.gpus > 1:
        code = distributed.launch(argv, spec.gpus, resolved.device)
        if code:
            raise BenchError(f"the {spec.gpus}-process run failed (exit status {code}); its output is above")
        return 0
    return report(execute(resolved, results), results)


def report(row, results: Path) -> int:
    """Print the row's primary number and its path."""
    value = row.primary_value
    print(f"{row.task}/{row.dataset} {row.protocol} {row.backbone}: {row.primary_metric} = {value:.4f}"
          if value is not None else f"{row.task}: no {row.primary_metric} reported")
    print(f"row: {results / row.task / (row.cell_key + '.json')}")
    return 0
