"""Default locations outside the repository (overridable by environment variables)."""
import os
from pathlib import Path


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
