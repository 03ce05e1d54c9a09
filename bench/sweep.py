"""`bench sweep`: a backbone x cell x seed grid, each cell a `bench run` child process (one crash never stops the
rest; an out-of-memory crash is retried with half the batch, same cell) whose output is streamed, each line
prefixed by its cell. Children run in their own session and stop with the sweep (SIGINT / SIGTERM / SIGHUP are
forwarded; a sweep killed outright takes them down through the parent-death signal), so a rerun resumes every
unfinished cell. Local pool, or one Slurm job per cell via submitit (bench.sweep_slurm, which also gives each
cell's state for the dry run)."""
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from backbones.core import paths
from backbones.core.errors import BenchError

SKIP_MARK = "skipping (use --force to re-run)"
WEIGHTS_HINT = ("bench sweep asks for each backbone's official weights (--weights auto) unless --no-weights: "
                "offline, pass --no-weights (random init) or put the weights in the cache")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Cell:
    """One point of the grid: backbone, task cell, seed."""

    backbone: str
    task: str
    dataset: str
    protocol: Optional[str]
    seed: int

    def __str__(self):
        return f"{self.backbone} {self.task}:{self.dataset}:{self.protocol or 'default'} seed={self.seed}"


def parse_cells(backbones: str, cells: List[str], seeds: str) -> List[Cell]:
    """The grid of `--backbones`, `--cells`, `--seeds`; unknown names fail before anything runs."""
    specs = [c for item in cells for c in item.split(",") if c]
    parsed = []
    for spec in specs:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise BenchError(f"--cells {spec!r}: expected task:dataset[:protocol], e.g. pose:coco:vitpose")
        parsed.append((parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    try:
        seed_list = [int(s) for s in seeds.split(",") if s != ""]
    except ValueError:
        raise BenchError(f"--seeds {seeds!r}: expected comma-separated integers, e.g. 0,1,2") from None
    names = [b for b in backbones.split(",") if b]
    from backbones.registry import get_spec
    from bench.tasks import get_task

    for name in names:
        get_spec(name)  # unknown backbones fail before anything runs
    for task, dataset, protocol in parsed:
        t = get_task(task)
        t.dataset(dataset)
        t.protocol(protocol)
    return [Cell(b, t, d, p, s) for b in names for (t, d, p) in parsed for s in seed_list]


def check_weights(cells: List[Cell], args) -> None:
    """Without --no-weights every cell asks for its backbone's official weights: one without any fails here."""
    from backbones.registry import get_spec

    if args.no_weights:
        return
    for name in dict.fromkeys(c.backbone for c in cells):
        if not get_spec(name).urls:
            raise BenchError(f"{name} has no official weights, and bench sweep uses each backbone's (--weights "
                             "auto); pass --no-weights to train it from random init")


def _weights_arg(backbone: str) -> str:
    """The cached official weights if present, else 'auto' (download, or a clear error without network)."""
    from backbones.download import cached_path
    from backbones.registry import get_spec

    spec = get_spec(backbone)
    for url in spec.urls:
        if cached_path(spec, url).exists():
            return str(cached_path(spec, url))
    return "auto"


def cell_spec(cell: Cell, args, oom_halvings: int = 0):
    """The RunSpec of one cell: the grid's coordinates plus every RunSpec option the sweep was given."""
    from dataclasses import fields

    from bench.run.spec import RunSpec

    passed = {f.name: getattr(args, f.name) for f in fields(RunSpec)
              if f.metadata["sweep"] and getattr(args, f.name, None) not in (None, False)}
    return RunSpec(backbone=cell.backbone, task=cell.task, dataset=cell.dataset, protocol=cell.protocol,
                   seed=cell.seed, data_root=str(Path(args.data_dir) / cell.dataset) if args.data_dir else None,
                   weights=None if args.no_weights else _weights_arg(cell.backbone), oom_halvings=oom_halvings,
                   **{k: tuple(v) if k == "img_size" else v for k, v in passed.items()})


def command(cell: Cell, args, oom_halvings: int = 0) -> List[str]:
    """The `bench run` child command of one cell (built from its RunSpec)."""
    from bench.run.spec import to_argv

    includes = [f"--include={path}" for path in getattr(args, "include", None) or ()]
    return [sys.executable, "-m", "bench.cli", *includes, "run", *to_argv(cell_spec(cell, args, oom_halvings)),
            "--results", str(args.results or paths.results_dir()), *(["--verbose"] if getattr(args, "verbose", False)
                                                                     else [])]


def _signal_group(proc, signum) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


class Children:
    """The sweep's running `bench run` processes. Each runs in its own session (a terminal's Ctrl-C reaches the
    sweep only, which stops them all) and gets SIGTERM should the sweep die without stopping them (kill -9)."""

    def __init__(self):
        self.procs, self.lock, self.stopped_by = set(), threading.RLock(), None
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
            self.preexec = lambda: prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # not Linux: signals are still forwarded
            self.preexec = None

    def run(self, cmd: List[str], prefix: str):
        """Run `cmd`, printing each output line after `prefix`: (exit code, last lines, out of memory?, skipped?),
        or None once the sweep is stopping."""
        with self.lock:
            if self.stopped_by:
                return None
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    errors="replace", start_new_session=True, preexec_fn=self.preexec,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
            self.procs.add(proc)
        tail, oom, skipped = deque(maxlen=20), False, False
        try:
            for line in proc.stdout:
                line = line.rstrip()
                if line:
                    print(f"{prefix} {line}", flush=True)
                    tail.append(line)
                    oom = oom or "out of memory" in line.lower()
                    skipped = skipped or SKIP_MARK in line
            code = proc.wait()
        finally:
            if proc.poll() is None:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            with self.lock:
                self.procs.discard(proc)
        return code, list(tail), oom, skipped

    def stop(self, signum=signal.SIGTERM, grace_s: float = 30.0) -> None:
        """Stop every child (SIGTERM to its process group, SIGKILL after `grace_s`); none starts after this."""
        with self.lock:
            first, self.stopped_by = self.stopped_by is None, self.stopped_by or signum
            procs = list(self.procs)
        for proc in procs:
            _signal_group(proc, signal.SIGTERM if first else signal.SIGKILL)
        if first and procs:
            timer = threading.Timer(grace_s, lambda: [_signal_group(p, signal.SIGKILL) for p in procs
                                                      if p.poll() is None])
            timer.daemon = True
            timer.start()


CHILDREN = Children()


def _outcome(cell: Cell, state: str, output: List[str], **extra) -> dict:
    return {"cell": str(cell), "state": state, "output": output, **extra}


def run_cell(cell: Cell, args) -> dict:
    """Run one cell to completion in child processes (output streamed, each line prefixed by the cell); retry
    out-of-memory crashes with half the batch."""
    halvings = 0
    while True:
        ran = CHILDREN.run(command(cell, args, halvings), f"[{cell}]")
        if ran is not None and ran[0] == 0:
            return _outcome(cell, "skipped" if ran[3] else "done", ran[1][-1:])
        if ran is None or CHILDREN.stopped_by:
            return _outcome(cell, "stopped", ["stopped with the sweep"])
        code, lines, oom, _ = ran
        if oom and halvings < args.max_oom_retries:
            halvings += 1
            continue
        last = next((line for line in reversed(lines) if line.strip()), f"exit code {code}")
        if code < 0:  # a signal: Slurm's scancel / time limit, the out-of-memory killer, a kill
            last = f"killed by {signal.Signals(-code).name}; a rerun resumes it from its last checkpoint"
        if not args.no_weights and _weights_arg(cell.backbone) == "auto" and "weights" in last.lower():
            last = f"{last} ({WEIGHTS_HINT})"
        return _outcome(cell, "failed", [last], oom_halvings=halvings)


def _on_signal(signum, frame) -> None:
    if CHILDREN.stopped_by is None:
        print(f"sweep: {signal.Signals(signum).name}: stopping the running cells (again to kill them now)",
              flush=True)
    CHILDREN.stop(signum)


def run_local(cells: List[Cell], args) -> List[dict]:
    """Run the cells in a pool of `--max-parallel` children; a stop signal stops them and the cells not begun."""
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _on_signal) for s in STOP_SIGNALS} if main else {}
    outcomes = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.max_parallel)) as pool:
            for outcome in pool.map(lambda c: run_cell(c, args), cells):
                print(f"  [{outcome['state']}] {outcome['cell']}", flush=True)
                outcomes.append(outcome)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return outcomes


def summarize(outcomes: List[dict]) -> int:
    """Print the summary line and the failures; the sweep's exit status."""
    counts = {s: sum(o["state"] == s for o in outcomes) for s in ("done", "skipped", "failed", "stopped")}
    line = f"summary: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed"
    print(line + (f", {counts['stopped']} unfinished" if counts["stopped"] else ""))
    for o in outcomes:
        if o["state"] == "failed":
            print(f"  failed: {o['cell']}: {' '.join(o['output'])}")
    return 1 if counts["failed"] else 0


def dry_run(cells: List[Cell], args) -> int:
    """Print each cell's state and, for Slurm, its job request; nothing runs or downloads."""
    from bench.sweep_slurm import JOB_PREFIX, plan_cells, sbatch_lines

    slurm = args.launcher == "slurm"
    plans = plan_cells(cells, args, download=False)
    for p in plans:
        print(f"{p.cell}: {p.state}" + (f" [job name {JOB_PREFIX}{p.key}]" if slurm and p.key else ""))
        if not slurm:
            cmd = command(p.cell, args)
            print("  bench " + " ".join(cmd[cmd.index("run"):]))
    if slurm:
        print("sbatch, per cell:", " ".join(line.split(" ", 1)[1] for line in sbatch_lines(args)))
        if args.slurm_array_parallelism:
            print(f"at most {args.slurm_array_parallelism} cells queued or running at once")
    count = {s: sum(p.state.startswith(s) for p in plans) for s in ("done", "running", "to run", "cannot run")}
    print(f"{len(cells)} cells: {count['done']} done, {count['running']} running, {count['to run']} to run"
          + (f", {count['cannot run']} cannot run" if count["cannot run"] else ""))
    return 0


def sweep_cmd(args) -> int:
    """`bench sweep` (module docstring)."""
    from bench import sweep_slurm

    cells = parse_cells(args.backbones, args.cells, args.seeds)
    check_weights(cells, args)
    if args.launcher == "slurm":
        sweep_slurm.check_request(args)
    if args.dry_run:
        return dry_run(cells, args)
    print(f"sweep: {len(cells)} cells, launcher {args.launcher}", flush=True)
    CHILDREN.stopped_by = None
    started = time.time()
    outcomes = sweep_slurm.run_slurm(cells, args) if args.launcher == "slurm" else run_local(cells, args)
    code = summarize(outcomes)
    print(f"sweep: {time.time() - started:.0f} s", flush=True)
    if CHILDREN.stopped_by:
        print(f"sweep: stopped by {signal.Signals(CHILDREN.stopped_by).name}; run the same command again to finish "
              "the unfinished cells (each resumes from its last checkpoint)")
        return 128 + CHILDREN.stopped_by
    return code
