"""mmengine hooks that feed the result row: end-to-end training throughput and per-iteration loss series."""
import copy
import math
import time

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from backbones.core.errors import BenchError
from bench.run.distributed import all_mean, world_size


def _synchronize():
    """Wait for queued CUDA work, so that a clock reading covers it (no-op without CUDA)."""
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


@HOOKS.register_module()
class ThroughputHook(Hook):
    """End-to-end training throughput and every logged loss per iteration (averaged over the processes); a
    non-finite loss stops the run (a failed row naming the loss and iteration), as a diverged run measures nothing.

    An iteration is timed as mmengine's IterTimerHook splits it (mmengine/hooks/iter_timer_hook.py): its clock runs
    from the end of the previous iteration (or the start of the epoch) to the end of this one, so it holds the
    batch fetch (`data_time`: decoding, augmentation, targets, worker start-up) and the step (`step_time`: moving
    the batch, the device-side preprocessing of --gpu-pipeline, forward, backward, optimiser). CUDA is synchronised
    at both ends of the window. The first `warmup` iterations are left out. `images_per_second` = images of all
    processes / summed iteration time.

    The loss series and the run's wall time travel in every checkpoint (`meta.transfer_bench`, through mmengine's
    before_save_checkpoint / after_load_checkpoint), so a resumed run's row holds the whole run's: the losses up to
    the checkpoint it resumed from, then its own, and `previous_wall_s` of the attempts before it."""

    priority = "VERY_LOW"  # its after_train_iter runs last: the window holds the other hooks' work too

    def __init__(self, warmup: int = 2):
        self.warmup = warmup
        self.images, self.seconds, self.data_seconds, self.step_seconds, self.timed = 0, 0.0, 0.0, 0.0, 0
        self.losses = {}
        self._mark = self._fetched = None
        self._seen = 0
        self.previous_wall_s, self._run_start = 0.0, time.time()

    def before_run(self, runner):
        """Start this attempt's wall clock."""
        self._run_start = time.time()

    def before_save_checkpoint(self, runner, checkpoint):
        """Put the loss series so far and the run's wall time into the checkpoint."""
        checkpoint.setdefault("meta", {})["transfer_bench"] = {
            "losses": copy.deepcopy(self.losses),
            "wall_s": self.previous_wall_s + time.time() - self._run_start}

    def after_load_checkpoint(self, runner, checkpoint):
        """Resuming: continue the series and the wall time of the checkpoint's run."""
        saved = (checkpoint.get("meta") or {}).get("transfer_bench")
        if saved and runner._resume:  # a resumed run (not --eval-only's load of fine-tuned weights)
            self.losses = copy.deepcopy(saved.get("losses") or {})
            self.previous_wall_s = float(saved.get("wall_s") or 0.0)

    def before_train_epoch(self, runner):
        """Start the clock: the epoch's first fetch (the data loader's workers starting) is its first data time."""
        _synchronize()
        self._mark = time.perf_counter()

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        """The batch has been fetched: split the window here."""
        self._fetched = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        """Close the iteration's window (after warm-up: add its images and times) and record its losses."""
        _synchronize()
        now = time.perf_counter()
        self._seen += 1
        if self._seen > self.warmup and self._mark is not None and self._fetched is not None:
            self.seconds += now - self._mark
            self.data_seconds += self._fetched - self._mark
            self.step_seconds += now - self._fetched
            self.timed += 1
            batch = len(data_batch.get("inputs", next(iter(data_batch.values())))) if data_batch else 0
            self.images += batch * world_size()
        self._mark = now
        losses = {k: float(v.detach() if hasattr(v, "detach") else v) for k, v in (outputs or {}).items()
                  if k.startswith("loss")}
        for key, value in zip(losses, all_mean(list(losses.values()))):
            self.losses.setdefault(key, []).append(round(value, 6))
            if not math.isfinite(value):  # every process sees the same mean, so all of them stop here
                raise BenchError(
                    f"training diverged: {key} is {value} at iteration {runner.iter + 1} (epoch {runner.epoch + 1}); "
                    "nothing after it would be a measurement. Lower the learning rate (--cfg-options "
                    "optim_wrapper.optimizer.lr=...) or check the data, and run again")

    @property
    def images_per_second(self):
        """Training images per second over whole timed iterations (None before any iteration was timed)."""
        return self.images / self.seconds if self.seconds else None

    def timings(self) -> dict:
        """The row's timing fields: images/s, mean data and step time per iteration (s), the data share."""
        if not self.timed:
            return {"train_img_per_s": None, "data_time_s": None, "step_time_s": None, "data_share": None}
        return {"train_img_per_s": round(self.images_per_second, 3),
                "data_time_s": round(self.data_seconds / self.timed, 5),
                "step_time_s": round(self.step_seconds / self.timed, 5),
                "data_share": round(self.data_seconds / self.seconds, 4), "timed_iterations": self.timed}
