"""The checkout's own folders, and default locations outside it (overridable by environment variables)."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_ROOT = REPO_ROOT / "task_configs"


def cache_root() -> Path:
    """The cache root: $TRANSFER_BENCH_HOME, else ~/.cache/transfer-bench."""
    return Path(os.environ.get("TRANSFER_BENCH_HOME", Path.home() / ".cache" / "transfer-bench"))


def weights_cache() -> Path:
    """The weights cache: $TRANSFER_BENCH_WEIGHTS, else <cache root>/weights."""
    return Path(os.environ.get("TRANSFER_BENCH_WEIGHTS", cache_root() / "weights"))


def data_cache() -> Path:
    """The data cache: $TRANSFER_BENCH_DATA, else <cache root>/data."""
    return Path(os.environ.get("TRANSFER_BENCH_DATA", cache_root() / "data"))


def results_dir() -> Path:
    """The results directory: $TRANSFER_BENCH_RESULTS, else <cache root>/results."""
    return Path(os.environ.get("TRANSFER_BENCH_RESULTS", cache_root() / "results"))


def work_root() -> Path:
    """The root of run work dirs: $TRANSFER_BENCH_WORK, else <cache root>/work."""
    return Path(os.environ.get("TRANSFER_BENCH_WORK", cache_root() / "work"))
