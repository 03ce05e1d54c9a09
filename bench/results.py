"""One result schema for every task, and the store: JSON rows written atomically at
`<results>/<task>/<cell_key>.json`."""
import hashlib
import json
import os
import platform
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Optional

SCHEMA_VERSION = 2  # 2: cell_id / cell (the allow-listed identity), metric_directions, pid_start
READABLE_SCHEMAS = (1, 2)
STATUSES = ("ok", "failed", "running")
# Config keys that say where things are, not what is computed: excluded from the config hash.
PATH_KEYS = {"data_root", "work_dir", "ann_file", "bbox_file", "data_prefix", "outfile_prefix", "load_from",
             "resume", "weights", "checkpoint", "device", "launcher", "img_path", "vis_backends"}


def _strip_paths(obj):
    if isinstance(obj, dict):
        return {k: _strip_paths(v) for k, v in sorted(obj.items()) if k not in PATH_KEYS}
    if isinstance(obj, (list, tuple)):
        return [_strip_paths(v) for v in obj]
    return obj


def config_hash(cfg: dict) -> str:
    """Hash of the resolved config without paths, device or work dir (the schedule is included)."""
    text = json.dumps(_strip_paths(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ResultRow:
    """One run's result: the row schema written to <results>/<task>/<cell_key>.json."""

    cell_key: str
    status: str
    backbone: str
    task: str
    task_version: str
    dataset: str
    split: str
    protocol: str
    schedule: str
    seed: int
    weights: Optional[str]
    weights_sha256: Optional[str]
    config_hash: str
    dataset_fingerprint: str
    primary_metric: str
    higher_is_better: bool
    metrics: Dict[str, float] = field(default_factory=dict)
    load_audit: Optional[dict] = None
    env: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    predictions: Optional[dict] = None          # {"path": ..., "sha256": ...}
    config: dict = field(default_factory=dict)  # resolved config (as hashed, plus paths for reference)
    work_dir: Optional[str] = None
    error: Optional[str] = None
    extra: dict = field(default_factory=dict)   # task-specific series, e.g. per-iteration losses
    cell_id: str = ""                           # rows with one cell_id differ only in the seed
    cell: dict = field(default_factory=dict)    # what changes the measurement (bench.run.resolve)
    metric_directions: Dict[str, bool] = field(default_factory=dict)  # metric -> higher is better
    recipe_audit: Optional[dict] = None         # settings against the protocol's published ones
    pid: int = field(default_factory=os.getpid)
    pid_start: Optional[float] = field(default_factory=lambda: process_start(os.getpid()))  # pid reuse check
    host: str = field(default_factory=socket.gethostname)
    updated_at: float = field(default_factory=time.time)
    schema_version: int = SCHEMA_VERSION

    @property
    def primary_value(self) -> Optional[float]:
        """The value of the row's primary metric, or None when it is missing."""
        return self.metrics.get(self.primary_metric)


def row_path(results_dir: Path, task: str, key: str) -> Path:
    """Where the row of cell `key` lives: <results>/<task>/<key>.json."""
    return Path(results_dir) / task / f"{key}.json"


def write_row(results_dir: Path, row: ResultRow) -> Path:
    """Atomic: a temp file in the same folder, fsync, rename. Readers never see a half-written row."""
    row.updated_at = time.time()
    path = row_path(results_dir, row.task, row.cell_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{row.cell_key}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(row), f, indent=1, default=str)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_row(path: Path) -> ResultRow:
    """Parse one row; ValueError names what is wrong with a corrupt or foreign file."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON result row ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") not in READABLE_SCHEMAS:
        raise ValueError(f"{path}: not a transfer-bench row (schema versions {READABLE_SCHEMAS})")
    if data["schema_version"] == 1:  # before cell identities: each row is its own cell
        data = {**data, "cell_id": data.get("cell_key", ""), "schema_version": SCHEMA_VERSION}
    try:
        return ResultRow(**data)
    except TypeError as exc:
        raise ValueError(f"{path}: fields do not match the result schema ({exc})") from None


def environment(device: str) -> dict:
    """Versions and commit that produced a row."""
    import importlib

    env = {"python": platform.python_version(), "device": device, "platform": platform.platform()}
    for name in ("torch", "torchvision", "mmengine", "mmcv", "mmdet", "mmpose", "mmseg", "timm", "numpy", "cv2",
                 "PIL", "scipy", "pandas"):
        try:
            env[name] = importlib.import_module(name).__version__
        except Exception:
            env[name] = None
    from bench.lockfile import drift, lock_sha256

    env["lock_sha256"] = lock_sha256()
    env["lock_differences"] = drift()
    try:
        from backbones.core.paths import REPO_ROOT as repo

        env["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                                           text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        env["git_commit"] = None
    if device.startswith("cuda"):
        import torch

        env["gpu"] = torch.cuda.get_device_name(0)
    return env


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (it may be another process that reused the pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start(pid: int) -> Optional[float]:
    """When process `pid` started (seconds since boot, from /proc; None where /proc has no such process)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def owner_alive(row: "ResultRow") -> bool:
    """Whether the process that wrote a `running` row still runs: its pid exists and, where the row recorded it,
    started when that process did (a pid reused after a crash or reboot is not the owner)."""
    if not pid_alive(row.pid):
        return False
    return row.pid_start is None or process_start(row.pid) in (None, row.pid_start)


def effective_status(row: ResultRow) -> str:
    """`interrupted` for a `running` row whose process on this host is gone (killed, crashed, machine reboot)."""
    if row.status == "running" and row.host == socket.gethostname() and not owner_alive(row):
        return "interrupted"
    return row.status


def metrics_problem(row: ResultRow) -> Optional[str]:
    """Why a row's metrics cannot be used (not a mapping, or a value that is not a number), else None."""
    if not isinstance(row.metrics, dict):
        return f"its metrics are not a mapping of numbers ({row.metrics!r:.60})"
    bad = {k: v for k, v in row.metrics.items()
           if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))}
    return f"its metrics are not numbers ({bad!r:.60})" if bad else None


def load_rows(results_dir: Path, warn=print):
    """Every readable row under `results_dir`; corrupt or foreign JSON files, and rows whose metrics are not
    numbers (hand-edited, another tool's), are skipped with a warning naming the file."""
    rows = []
    for path in sorted(Path(results_dir).glob("*/*.json")):
        try:
            row = read_row(path)
        except ValueError as exc:
            warn(f"warning: skipping {exc}")
            continue
        problem = metrics_problem(row)
        if problem:
            warn(f"warning: skipping {path}: {problem}")
            continue
        rows.append(row)
    return rows


def find_row(results_dir: Path, key: str) -> ResultRow:
    """A row by cell key (a unique prefix is enough)."""
    from backbones.core.errors import BenchError

    matches = sorted(Path(results_dir).glob(f"*/{key}*.json"))
    if not matches:
        raise BenchError(f"no result row with key {key!r} under {results_dir}; see `bench results list`")
    if len(matches) > 1:
        raise BenchError(f"key prefix {key!r} is ambiguous ({len(matches)} rows); give more characters")
    try:
        return read_row(matches[0])
    except ValueError as exc:
        raise BenchError(str(exc)) from None
