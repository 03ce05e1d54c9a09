"""`bench data toy`: a small learnable dataset written in a task's official on-disk layout."""
from pathlib import Path

from backbones.core.errors import BenchError


def register(sub):
    """Add `bench data`."""
    p = sub.add_parser("data", help="datasets: write toy data in the official on-disk layouts")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    q = dsub.add_parser("toy", help="write a small learnable dataset in a task's official layout")
    q.add_argument("--task", required=True)
    q.add_argument("--dataset", help="dataset layout (default: the task's first dataset)")
    q.add_argument("--out", required=True, help="folder to create (the data root to pass to --data-root)")
    q.add_argument("--n-train", type=int, default=160, help="training images (tracking: sequences)")
    q.add_argument("--n-val", type=int, default=40, help="evaluation images (tracking: sequences)")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(handler=data_cmd)


def data_cmd(args) -> int:
    """Write the toy set and say how to use it."""
    from bench.tasks import get_task

    task = get_task(args.task)
    dataset = task.dataset(args.dataset)
    if args.n_train < 1 or args.n_val < 1:
        raise BenchError(f"--n-train {args.n_train} --n-val {args.n_val}: pass 1 or more of each")
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BenchError(f"--out {out} is not empty (or not a folder); pick a new folder (nothing was written)")
    written = dataset.write_toy(out, args.n_train, args.n_val, args.seed)
    print(f"wrote toy {task.name}/{dataset.name} data to {out} ({args.n_train} train, {args.n_val} eval): "
          f"{', '.join(written)}")
    if dataset.options.get("train_only"):
        print(f"use it as extra training data: bench run ... --task {task.name} --train-mix {dataset.name}={out}")
    else:
        print(f"use it with: bench run --backbone NAME --task {task.name} --dataset {dataset.name} --data-root "
              f"{out} --protocol toy")
    return 0
