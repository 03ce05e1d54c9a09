"""mmengine hooks that feed the result row: training throughput and per-iteration loss series."""
import time

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from bench.run.distributed import all_mean, world_size


@HOOKS.register_module()
class ThroughputHook(Hook):
    """Training images/s (first `warmup` iterations excluded; all processes) and every logged loss per iteration
    (averaged over the processes of a multi-process run)."""

    priority = "VERY_LOW"

    def __init__(self, warmup: int = 2):
        self.warmup = warmup
        self.images = 0
        self.seconds = 0.0
        self.losses = {}
        self._start = None
        self._seen = 0

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._seen += 1
        if self._seen > self.warmup and self._start is not None:
            self.seconds += time.perf_counter() - self._start
            batch = len(data_batch.get("inputs", next(iter(data_batch.values())))) if data_batch else 0
            self.images += batch * world_size()
        losses = {k: float(v.detach() if hasattr(v, "detach") else v) for k, v in (outputs or {}).items()
                  if k.startswith("loss")}
        for key, value in zip(losses, all_mean(list(losses.values()))):
            self.losses.setdefault(key, []).append(round(value, 6))

    @property
    def images_per_second(self):
        return self.images / self.seconds if self.seconds else None
