"""The checkout's own folders, and default locations outside it (overridable by environment variables)."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_ROOT = REPO_ROOT / "task_configs"


def cache_root() -> Path:
    return Path(os.environ.get("TRANSFER_BENCH_HOME", Path.home() / ".cache" / "transfer-bench"))


def weights_cache() -> Path:
    return Path(os.environ.get("TRANSFER_BENCH_WEIGHTS", cache_root() / "weights"))


def data_cache() -> Path:
    return Path(os.environ.get("TRANSFER_BENCH_DATA", cache_root() / "data"))


def results_dir() -> Path:
    return Path(os.environ.get("TRANSFER_BENCH_RESULTS", cache_root() / "results"))


def work_root() -> Path:
    return Path(os.environ.get("TRANSFER_BENCH_WORK", cache_root() / "work"))
