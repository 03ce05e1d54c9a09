"""`bench sweep`: a backbone x cell x seed grid, each cell a `bench run` subprocess (one crash never stops the
rest; an out-of-memory crash is retried with half the batch, same cell). Local pool or Slurm via submitit."""
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from backbones.core.errors import BenchError
from backbones.core import paths

SKIP_MARK = "skipping (use --force to re-run)"


@dataclass
class Cell:
    backbone: str
    task: str
    dataset: str
    protocol: Optional[str]
    seed: int

    def __str__(self):
        return f"{self.backbone} {self.task}:{self.dataset}:{self.protocol or 'default'} seed={self.seed}"


def parse_cells(backbones: str, cells: List[str], seeds: str) -> List[Cell]:
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

    return [sys.executable, "-m", "bench.cli", "run", *to_argv(cell_spec(cell, args, oom_halvings)),
            "--results", str(args.results or paths.results_dir())]


def run_cell(cell: Cell, args) -> dict:
    """Run one cell to completion in subprocesses; retry out-of-memory crashes with half the batch."""
    halvings = 0
    while True:
        proc = subprocess.run(command(cell, args, halvings), capture_output=True, text=True)
        if proc.returncode == 0:
            return {"cell": str(cell), "state": "skipped" if SKIP_MARK in proc.stdout else "done",
                    "output": proc.stdout.strip().splitlines()[-1:] }
        oom = "out of memory" in (proc.stderr + proc.stdout).lower()
        if oom and halvings < args.max_oom_retries:
            halvings += 1
            continue
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return {"cell": str(cell), "state": "failed", "output": lines[-1:] or [f"exit code {proc.returncode}"],
                "oom_halvings": halvings}


def make_executor(args):
    """A submitit executor for Slurm (replaced by a fake in tests: no cluster here)."""
    try:
        import submitit
    except ImportError:
        raise BenchError("--launcher slurm needs submitit: .venv/bin/pip install submitit") from None
    folder = Path(args.results or paths.results_dir()) / ".slurm"
    executor = submitit.AutoExecutor(folder=str(folder))
    params = dict(timeout_min=args.timeout_min, gpus_per_node=args.gpus or 1, tasks_per_node=1,
                  cpus_per_task=max(2, 8 * (args.gpus or 1)), name="transfer-bench")
    if args.slurm_partition:
        params["slurm_partition"] = args.slurm_partition
    executor.update_parameters(**params)
    return executor


def sweep_cmd(args) -> int:
    cells = parse_cells(args.backbones, args.cells, args.seeds)
    if args.dry_run:
        for cell in cells:
            print(f"{cell}: {' '.join(command(cell, args)[3:])}")
        print(f"{len(cells)} cells")
        return 0
    print(f"sweep: {len(cells)} cells, launcher {args.launcher}")
    if args.launcher == "slurm":
        executor = make_executor(args)
        jobs = [executor.submit(run_cell, cell, args) for cell in cells]
        outcomes = [job.result() for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=max(1, args.max_parallel)) as pool:
            outcomes = []
            for outcome in pool.map(lambda c: run_cell(c, args), cells):
                print(f"  [{outcome['state']}] {outcome['cell']}", flush=True)
                outcomes.append(outcome)
    counts = {s: sum(o["state"] == s for o in outcomes) for s in ("done", "skipped", "failed")}
    print(f"summary: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed")
    for o in outcomes:
        if o["state"] == "failed":
            print(f"  failed: {o['cell']}: {' '.join(o['output'])}")
    return 1 if counts["failed"] else 0
