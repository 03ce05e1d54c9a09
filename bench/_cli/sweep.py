"""`bench sweep`: a backbone x cell x seed grid, each cell a `bench run` subprocess (bench.sweep), locally or one
Slurm job per cell (bench.sweep_slurm). The options a sweep passes on to every cell come from RunSpec
(bench.run.spec): one declaration per option."""


def register(sub):
    """Add `bench sweep`."""
    from bench.run.spec import add_arguments

    p = sub.add_parser("sweep", help="run a backbone x cell x seed grid, each cell in its own subprocess",
                       description="Example: bench sweep --backbones simmim-swin-b,sup-swin-b "
                                   "--cells pose:coco:vitpose --seeds 0,1,2 --data-dir /data. Each cell's output "
                                   "is streamed, prefixed by the cell; stopping the sweep stops its cells, and "
                                   "running it again resumes the unfinished ones from their last checkpoint.")
    p.add_argument("--backbones", required=True, help="comma-separated backbone names")
    p.add_argument("--cells", required=True, nargs="+", help="task:dataset[:protocol] (comma- or space-separated)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--data-dir", help="folder holding one data root per dataset (<data-dir>/<dataset>)")
    p.add_argument("--no-weights", action="store_true",
                   help="random init; by default every cell uses its backbone's official weights (--weights auto: "
                        "from the local cache, else downloaded; offline, pass --no-weights or put the files in the "
                        "cache)")
    add_arguments(p, sweep=True)
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--verbose", action="store_true",
                   help="show each cell's mmengine log and library output instead of its progress display")
    p.add_argument("--max-parallel", type=int, default=1, help="cells run at once (local launcher)")
    p.add_argument("--max-oom-retries", type=int, default=3, help="batch halvings after out-of-memory crashes")
    p.add_argument("--launcher", choices=("local", "slurm"), default="local")
    p.add_argument("--slurm-partition", help="Slurm partition (with --launcher slurm)")
    p.add_argument("--timeout-min", type=int, default=24 * 60,
                   help="Slurm time limit per cell, minutes; near it the job is requeued and resumes the cell from "
                        "its last checkpoint (up to 3 times)")
    p.add_argument("--cpus-per-task", type=int, metavar="N",
                   help="Slurm: CPU cores per cell (default: 8 per GPU; with --device cpu, 1 per process)")
    p.add_argument("--mem", help="Slurm: memory per cell in sbatch's form, e.g. 64G (default: the partition's)")
    p.add_argument("--slurm-array-parallelism", type=int, metavar="N",
                   help="Slurm: at most N cells queued or running at once, the others submitted as those end "
                        "(default: all at once)")
    p.add_argument("--dry-run", action="store_true",
                   help="list the cells and their state (done / to run / running as job N) and, for Slurm, the "
                        "sbatch request; run nothing")
    p.set_defaults(handler=sweep_cmd)


def sweep_cmd(args) -> int:
    """Run the grid (bench.sweep)."""
    from bench.sweep import sweep_cmd as run

    return run(args)
