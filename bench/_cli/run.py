"""`bench run`: fine-tune a backbone on a task cell and write its result row (options: bench.run.spec.RunSpec)."""
import json
import os
from pathlib import Path



def register(sub):
    """Add `bench run` (its options come from RunSpec's fields)."""
    from bench.run.spec import add_arguments

    p = sub.add_parser("run", help="fine-tune a backbone on a task and write a result row",
                       description="Train on the task's train split, evaluate on its eval split, write predictions "
                                   "and a result row. Example: bench run --backbone simmim-swin-b --task pose")
    add_arguments(p)
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    p.add_argument("--dry-run", action="store_true", help="resolve everything, print the plan, train nothing")
    p.add_argument("--verbose", action="store_true",
                   help="show mmengine's log (config and environment dumps, per-interval metrics) and what libraries "
                        "print, instead of the progress display; both are always in the work dir")
    p.set_defaults(handler=run_cmd)


def run_cmd(args) -> int:
    """Resolve, then (unless a dry run) train, evaluate and write the row."""
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch initialises CUDA: mmengine then stays on the CPU
    from bench.run import store
    from bench.run.spec import from_args
    from bench.tasks import get_task
    from bench.tasks.base import read_once

    if args.verbose:
        from bench.run.progress import set_verbose

        set_verbose(True)
    spec = from_args(args)
    results = store.results_dir(args.results)
    with read_once():
        resolved = get_task(spec.task).resolve(spec)
        if not (args.print_config or args.dry_run):
            store.writable_dir(resolved.work_dir, "--work-dir", "checkpoints, logs and predictions")
        if args.print_config:
            print(resolved.cfg.pretty_text)
            return 0
        if args.dry_run:
            print(json.dumps(plan(resolved, results), indent=2))
            return 0
        return store.run(resolved, results, args.argv)


def plan(resolved, results: Path) -> dict:
    """What a run would do, as data (`--dry-run`)."""
    spec = resolved.spec
    return {"cell_key": resolved.key, "cell_id": resolved.cell_id, "task": resolved.task.name,
            "dataset": spec.dataset, "protocol": spec.protocol, "backbone": resolved.backbone.name,
            "weights": spec.weights, "data_root": str(resolved.data_root), "work_dir": str(resolved.work_dir),
            "results": str(results), "config": str(resolved.task.config_path(spec.dataset, spec.protocol)),
            "device": resolved.device, "cell": resolved.cell}
