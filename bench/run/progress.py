"""What a run shows while it works.

By default a run prints one progress display per phase and then its result: training (epoch / iteration, the
latest loss, end-to-end images per second, elapsed time), evaluation (batches), feature extraction (the linear
probe's images). mmengine's own log (environment and config dumps, per-interval metrics) goes only to the work
dir's log file (`<work_dir>/<timestamp>/<timestamp>.log`), and what libraries print to stdout while the run works
(pycocotools' "loading annotations" and summary tables, mmengine's progress bars) goes to `<work_dir>/output.log`.
Warnings and errors logged by mmengine still show, except its deprecation notices; Python warnings raised by the
libraries while the run works go to `output.log` too. `--verbose` (or TRANSFER_BENCH_VERBOSE=1) shows everything
as mmengine prints it, instead of the progress display.

On a terminal a phase is one line rewritten in place; into a pipe or a file (a sweep's child, a Slurm log) it is a
line at every tenth of the phase and at least once a minute, so a long cell is never silent."""
import logging
import os
import sys
import time
import warnings
from contextlib import contextmanager
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

VERBOSE_ENV = "TRANSFER_BENCH_VERBOSE"
_console = {"stream": None}


def set_verbose(flag: bool) -> None:
    """Verbose output for this process and the processes it starts (torchrun workers inherit it)."""
    os.environ[VERBOSE_ENV] = "1" if flag else "0"


def verbose() -> bool:
    """Whether mmengine's and the libraries' output is shown as they print it."""
    return os.environ.get(VERBOSE_ENV, "0") not in ("", "0", "false", "no")


def console():
    """The stream user-facing lines go to: the process's stdout as it was before library output was captured."""
    return _console["stream"] or sys.stdout


def say(message: str) -> None:
    """A line the user should see while library output is captured (a warning, a next step)."""
    print(message, file=console(), flush=True)


@contextmanager
def captured_output(work_dir):
    """Unless verbose: stdout printed inside the block goes to `<work_dir>/output.log` (appended); console() keeps
    the real stdout for the progress display and say()."""
    if verbose() or _console["stream"] is not None:
        yield
        return
    os.makedirs(work_dir, exist_ok=True)
    real, show = sys.stdout, warnings.showwarning
    with open(os.path.join(work_dir, "output.log"), "a", buffering=1, encoding="utf-8") as log:
        _console["stream"], sys.stdout = real, log
        warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: log.write(
            warnings.formatwarning(message, category, filename, lineno, line))
        try:
            yield
        finally:
            sys.stdout, _console["stream"], warnings.showwarning = real, None, show
            real.flush()


def _is_main_process() -> bool:
    from bench.run.distributed import rank

    return rank() == 0


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Phase:
    """One phase's display: update(done, text) as it goes, close(text) at the end (see the module docstring)."""

    MIN_INTERVAL_S, MAX_SILENCE_S, STEPS = 0.2, 60.0, 10

    def __init__(self, name: str, total: Optional[int] = None, unit: str = "batches", stream=None):
        self.name, self.total, self.unit = name, total, unit
        self.stream = stream or console()
        self.shown = not verbose() and _is_main_process()
        self.tty = self.shown and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = self._last = time.time()
        self._step, self._width, self.done = -1, 0, 0

    def _write(self, line: str, final: bool = False) -> None:
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad + ("\n" if final else ""))
            self._width = 0 if final else len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, done: int, text: str) -> str:
        count = f"{done}/{self.total}" if self.total else f"{done}"
        pct = f" {100 * done // self.total:3d}%" if self.total else ""
        return f"{self.name}:{pct} {count} {self.unit}" + (f"  {text}" if text else "") + \
            f"  [{_clock(time.time() - self.start)}]"

    def update(self, done: int, text: str = "") -> None:
        """`done` of `total` finished; `text` is the phase's own figures (loss, img/s)."""
        self.done = done
        if not self.shown:
            return
        now = time.time()
        step = self.STEPS * done // self.total if self.total else 0
        if self.tty:
            due = now - self._last >= self.MIN_INTERVAL_S or done == self.total
        else:
            due = step > self._step or now - self._last >= self.MAX_SILENCE_S
        if due:
            self._step, self._last = max(step, self._step), now
            self._write(self._line(done, text))

    def close(self, text: str = "") -> None:
        """The phase's last line: what it did and how long it took."""
        if not self.shown:
            return
        count = f"{self.done} {self.unit}" if self.done else ""
        self._write(f"{self.name}: done, {count}{', ' if count and text else ''}{text} in "
                    f"{_clock(time.time() - self.start)}", final=True)


@HOOKS.register_module()
class ProgressHook(Hook):
    """The training and evaluation displays (Phase) fed from the Runner's loop: training shows the epoch, the
    iteration of the whole run, the latest loss and the ThroughputHook's images per second."""

    priority = "LOWEST"  # after ThroughputHook: its img/s includes this iteration

    def __init__(self):
        self.train = self.test = None

    def before_train(self, runner):
        """Open the training display (a resumed run starts at its checkpoint's iteration; none for loops without
        iterations, e.g. the linear probe, whose feature extraction shows its own)."""
        if not runner.max_iters:
            return
        self.train = Phase("train", runner.max_iters or None, unit="iterations")
        self.train.done = runner.iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        """Show the iteration, the epoch, the loss and img/s."""
        if self.train is None:
            return
        parts = []
        if runner.max_epochs and runner.train_loop.__class__.__name__ != "IterBasedTrainLoop":
            parts.append(f"epoch {runner.epoch + 1}/{runner.max_epochs}")
        loss = (outputs or {}).get("loss")
        if loss is not None:
            parts.append(f"loss {float(loss.detach() if hasattr(loss, 'detach') else loss):.4g}")
        speed = next((h.images_per_second for h in runner.hooks if hasattr(h, "images_per_second")), None)
        if speed:
            parts.append(f"{speed:.1f} img/s")
        self.train.update(runner.iter + 1, "  ".join(parts))

    def after_train(self, runner):
        """Close the training display."""
        if self.train is not None:
            speed = next((h.images_per_second for h in runner.hooks if hasattr(h, "images_per_second")), None)
            self.train.close(f"{speed:.1f} img/s" if speed else "")
            self.train = None

    def before_test_epoch(self, runner):
        """Open the evaluation display."""
        loader = runner.test_loop.dataloader
        self.test = Phase("evaluate", len(loader) if hasattr(loader, "__len__") else None)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        """One evaluation batch done."""
        if self.test is not None:
            self.test.update(batch_idx + 1)

    def after_test_epoch(self, runner, metrics=None):
        """Close the evaluation display."""
        if self.test is not None:
            self.test.close()
            self.test = None


class _NoDeprecations(logging.Filter):
    def filter(self, record):
        return "deprecat" not in record.getMessage().lower()


class BenchRunner(Runner):
    """mmengine's Runner whose console shows warnings and errors only, unless verbose (the module docstring): its
    log file still gets everything at the config's log level."""

    def build_logger(self, log_level="INFO", log_file=None, **kwargs):
        """mmengine's logger, its console handler writing to console() at WARNING unless verbose."""
        logger = super().build_logger(log_level=log_level, log_file=log_file, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # the console one (file handlers are subclasses)
                with handler.lock:  # not setStream(): it flushes the old stream, which may be closed by now (a
                    handler.stream = console()  # captured stdout of an earlier run in this process)
                if not verbose():
                    handler.setLevel(max(handler.level, logging.WARNING))
                    handler.addFilter(_NoDeprecations())
        return logger
