"""`bench sweep`: a backbone x cell x seed grid, each cell a `bench run` subprocess (bench.sweep). The options a
sweep passes on to every cell come from RunSpec (bench.run.spec): one declaration per option."""


def register(sub):
    """Add `bench sweep`."""
    from bench.run.spec import add_arguments

    p = sub.add_parser("sweep", help="run a backbone x cell x seed grid, each cell in its own subprocess",
                       description="Example: bench sweep --backbones simmim-swin-b,sup-swin-b "
                                   "--cells pose:coco:vitpose --seeds 0,1,2 --data-dir /data")
    p.add_argument("--backbones", required=True, help="comma-separated backbone names")
    p.add_argument("--cells", required=True, nargs="+", help="task:dataset[:protocol] (comma- or space-separated)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--data-dir", help="folder holding one data root per dataset (<data-dir>/<dataset>)")
    p.add_argument("--no-weights", action="store_true",
                   help="random init instead of each backbone's official weights (from the local cache, else "
                        "downloaded: without network, pass --no-weights or put the files in the cache)")
    add_arguments(p, sweep=True)
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--max-parallel", type=int, default=1, help="cells run at once (local launcher)")
    p.add_argument("--max-oom-retries", type=int, default=3, help="batch halvings after out-of-memory crashes")
    p.add_argument("--launcher", choices=("local", "slurm"), default="local")
    p.add_argument("--slurm-partition", help="Slurm partition (with --launcher slurm)")
    p.add_argument("--timeout-min", type=int, default=24 * 60, help="Slurm time limit per cell")
    p.add_argument("--dry-run", action="store_true", help="list the cells and their state, run nothing")
    p.set_defaults(handler=sweep_cmd)


def sweep_cmd(args) -> int:
    """Run the grid (bench.sweep)."""
    from bench.sweep import sweep_cmd as run

    return run(args)
