"""`bench` command line: one subparser per subcommand, handlers imported lazily so `--help` stays fast."""
import argparse
import ast
import importlib
import sys

from bench import __version__
from backbones.errors import BenchError

class KeyValues(argparse.Action):
    """`KEY=VALUE ...` -> dict; values parsed as Python literals when they are one (1, 0.5, [1,2], None)."""

    def __call__(self, parser, namespace, values, option_string=None):
        out = {}
        for item in values:
            key, sep, value = item.partition("=")
            if not sep or not key:
                parser.error(f"{option_string} expects KEY=VALUE, got {item!r}")
            try:
                out[key] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                out[key] = value
        setattr(namespace, self.dest, out)


def _lazy(module, func="main"):
    return lambda args: getattr(importlib.import_module(module), func)(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split(":")[0] + ": transfer-bench")
    parser.description = "transfer-bench: how well does this pretrained backbone transfer?"
    parser.add_argument("--version", action="version", version=f"transfer-bench {__version__}")
    parser.add_argument("--include", action="append", default=[], metavar="FILE.py",
                        help="import a Python file that registers backbones with @register_backbone (repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help="check the installation: versions, mmcv ops, CUDA, cache dirs")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_lazy("bench.doctor"))

    p = sub.add_parser("backbones", help="list, show and verify registered backbones")
    bsub = p.add_subparsers(dest="backbones_command", metavar="ACTION", required=True)
    q = bsub.add_parser("list", help="list registered backbones")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_lazy("bench.backbones_cli", "list_cmd"))
    q = bsub.add_parser("show", help="show one backbone spec")
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_lazy("bench.backbones_cli", "show_cmd"))
    q = bsub.add_parser("verify", help="load a checkpoint into a backbone and print the load audit")
    q.add_argument("name")
    q.add_argument("--weights", required=True, help="checkpoint path (.pth/.pt/.bin/.safetensors) or 'auto'")
    q.add_argument("--img-size", type=int, nargs=2, metavar=("H", "W"), help="input size (default: native)")
    q.add_argument("--window", type=int, nargs="+", metavar="N",
                   help="attention window: one int or one per stage (Swin)")
    q.add_argument("--allow-missing", action="store_true",
                   help="accept backbone parameters left at random init (reported, not fatal)")
    q.add_argument("--json", action="store_true", help="print the full audit as JSON")
    q.set_defaults(handler=_lazy("bench.backbones_cli", "verify_cmd"))

    _add_run(sub)
    p = sub.add_parser("tasks", help="list tasks, their datasets, protocols and primary metrics")
    tsub = p.add_subparsers(dest="tasks_command", metavar="ACTION", required=True)
    q = tsub.add_parser("list", help="all tasks")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_lazy("bench.run_cli", "tasks_cmd"))
    q = tsub.add_parser("show", help="one task as JSON")
    q.add_argument("name")
    q.set_defaults(handler=_lazy("bench.run_cli", "tasks_cmd"))

    p = sub.add_parser("data", help="datasets: write toy data in the official on-disk layouts")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    q = dsub.add_parser("toy", help="write a small learnable dataset in a task's official layout")
    q.add_argument("--task", required=True)
    q.add_argument("--dataset", help="dataset layout (default: the task's first dataset)")
    q.add_argument("--out", required=True, help="folder to create (the data root to pass to --data-root)")
    q.add_argument("--n-train", type=int, default=160, help="training images (tracking: sequences)")
    q.add_argument("--n-val", type=int, default=40, help="evaluation images (tracking: sequences)")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(handler=_lazy("bench.run_cli", "data_cmd"))

    p = sub.add_parser("leaderboard", help="comparison table of result rows (csv, md, json; optional plot)")
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--format", choices=("csv", "md", "json"), default="md")
    p.add_argument("--out", help="write the table to FILE (atomically) instead of stdout")
    p.add_argument("--metric", help="metric to tabulate (default: each task's primary metric)")
    p.add_argument("--with-reference", action="store_true",
                   help="add the seed paper's published numbers (results/reference/*.csv) as labelled rows")
    p.add_argument("--plot", metavar="FILE.png", help="per-task bar chart with 95%% CI error bars")
    p.add_argument("--filter", nargs="+", metavar="KEY=VALUE",
                   help="keep rows with task=, dataset=, split=, protocol=, schedule= or backbone= VALUE")
    p.add_argument("--group-average", nargs="+", metavar="GROUP",
                   help="add a column per dataset group (a tag in `bench tasks list`, e.g. semantic fine-grained) "
                        "averaging each backbone's per-dataset means")
    p.set_defaults(handler=_lazy("bench.results_cli", "leaderboard_cmd"))

    p = sub.add_parser("results", help="inspect result rows")
    rsub = p.add_subparsers(dest="results_command", metavar="ACTION", required=True)
    q = rsub.add_parser("list", help="one line per row (running rows whose process is gone show 'interrupted')")
    q.add_argument("--results")
    q.set_defaults(handler=_lazy("bench.results_cli", "results_cmd"))
    q = rsub.add_parser("show", help="one row as JSON, or its per-iteration losses as a plot")
    q.add_argument("key", help="cell key or a unique prefix")
    q.add_argument("--results")
    q.add_argument("--plot", metavar="FILE.png", help="plot the row's loss series (e.g. detection's loss_cls and "
                                                      "loss_bbox) instead of printing it")
    q.set_defaults(handler=_lazy("bench.results_cli", "results_cmd"))
    q = rsub.add_parser("diff", help="what differs between two rows")
    q.add_argument("a")
    q.add_argument("b")
    q.add_argument("--results")
    q.set_defaults(handler=_lazy("bench.results_cli", "results_cmd"))

    _add_sweep(sub)

    p = sub.add_parser("analyze", help="attention distance, head diversity and layer CKA of backbones",
                       description="Example: bench analyze --backbone simmim-vit-b,sup-vit-b --weights a.pth,b.pth "
                                   "--images DIR --n-images 64 --out analysis/")
    p.add_argument("--backbone", required=True, help="one name, or several comma-separated to overlay")
    p.add_argument("--weights", help="checkpoint per backbone, comma-separated (empty entry = random init)")
    p.add_argument("--images", help="folder of images (the first --n-images, sorted)")
    p.add_argument("--toy", action="store_true", help="use generated toy images instead of --images")
    p.add_argument("--n-images", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--img-size", type=int, nargs=2, metavar=("H", "W"), help="default: the backbone's native size")
    p.add_argument("--metrics", default=",".join(("attention-distance", "head-diversity", "cka")))
    p.add_argument("--out", default="analysis", help="output folder (JSON, CSV, PNG)")
    p.set_defaults(handler=_lazy("bench.analyze_cli", "analyze_cmd"))

    p = sub.add_parser("demo", help="the whole MIM-vs-supervised pipeline offline on toy data (~10 min on 2 cores)")
    p.add_argument("--out", help="folder for data, weights, rows (default: ~/.cache/transfer-bench/demo/<preset>)")
    p.add_argument("--preset", default="quick", help="quick (default) | full | test (sizes, not time budgets)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.set_defaults(handler=_lazy("bench.demo", "demo_cmd"))

    p = sub.add_parser("pretrain", help="SimMIM pre-training on your own images")
    psub = p.add_subparsers(dest="method", metavar="METHOD", required=True)
    q = psub.add_parser("simmim", help="SimMIM: mask 32-px patches, predict their pixels (L1)",
                        description="Example: bench pretrain simmim --arch swin-b --images DIR --epochs 100 "
                                    "--out simmim_swin_b.pth")
    q.add_argument("--arch", required=True,
                   help="swin-b | swin-l | swinv2-b | vit-b | timm:NAME | any registered backbone name")
    q.add_argument("--images", required=True, help="folder of images (searched recursively)")
    q.add_argument("--out", required=True, help="checkpoint to write (.pth or .safetensors), official layout")
    q.add_argument("--img-size", type=int, default=192)
    q.add_argument("--mask-patch", type=int, default=32)
    q.add_argument("--mask-ratio", type=float, default=0.6)
    q.add_argument("--epochs", type=int, default=100)
    q.add_argument("--batch-size", type=int, help="default 128; the LR scales by batch/512")
    q.add_argument("--workers", type=int, help="data loader workers")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--device", choices=("cpu", "cuda"))
    q.add_argument("--work-dir", help="checkpoints for resuming (default: <out>.work)")
    q.add_argument("--fresh", action="store_true", help="ignore checkpoints in the work dir")
    q.add_argument("--preview", metavar="FILE.png", help="write input | mask | reconstruction for a few images")
    q.add_argument("--quiet", action="store_true", help="only warnings from the training loop")
    q.set_defaults(handler=_lazy("bench.pretrain_cli", "pretrain_cmd"))

    return parser


def _add_run(sub):
    p = sub.add_parser("run", help="fine-tune a backbone on a task and write a result row",
                       description="Train on the task's train split, evaluate on its eval split, write predictions "
                                   "and a result row. Example: bench run --backbone simmim-swin-b --task pose")
    p.add_argument("--backbone", required=True, help="registered backbone or timm:<model> (bench backbones list)")
    p.add_argument("--task", required=True, help="task name (bench tasks list)")
    p.add_argument("--dataset", help="dataset (default: the task's first)")
    p.add_argument("--protocol", help="protocol config (default: the task's default)")
    p.add_argument("--data-root", help="dataset top folder as distributed (default: the data cache)")
    p.add_argument("--weights", help="backbone checkpoint path, or 'auto' for the official URL (default: random "
                                     "init)")
    p.add_argument("--allow-missing", action="store_true", help="accept backbone tensors left at random init")
    p.add_argument("--schedule", default="full", help="full (the protocol's) or smoke (1-2 epochs)")
    p.add_argument("--epochs", type=int, help="override the number of epochs")
    p.add_argument("--img-size", type=int, nargs=2, metavar=("H", "W"),
                   help="input size where the protocol leaves it open (classification: default the backbone's)")
    p.add_argument("--batch-size", type=int, help="override the training batch size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--work-dir", help="checkpoints, logs, predictions (default: derived from the cell key)")
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--bbox-file", help="person detections (COCO results json) to evaluate on instead of GT boxes")
    p.add_argument("--cfg-options", nargs="+", action=KeyValues, metavar="KEY=VALUE",
                   help="override config entries, e.g. train_dataloader.num_workers=2")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    p.add_argument("--dry-run", action="store_true", help="resolve everything, print the plan, train nothing")
    p.add_argument("--eval-only", action="store_true", help="evaluate a fine-tuned model (needs --checkpoint)")
    p.add_argument("--checkpoint", help="fine-tuned model checkpoint for --eval-only")
    p.add_argument("--force", action="store_true", help="re-run a cell that already has an ok row, from scratch")
    p.add_argument("--reinit-last-layers", type=int, default=0, metavar="K",
                   help="re-initialise the backbone's last K blocks before fine-tuning (recorded in the row)")
    p.add_argument("--compile", action="store_true", help="torch.compile the backbone (speed only; same cell)")
    p.add_argument("--gpu-pipeline", action="store_true",
                   help="pose: affine warp and UDP heatmap targets on the model's device in batch (mmpose's CPU "
                        "pipeline stays the default)")
    p.add_argument("--gpus", type=int, default=1, metavar="N",
                   help="processes for this cell (DDP via torchrun; one per GPU, or gloo processes with --device "
                        "cpu); the protocol's batch is split over them")
    p.add_argument("--oom-halvings", type=int, default=0, help=argparse.SUPPRESS)  # set by `bench sweep` retries
    p.set_defaults(handler=_lazy("bench.run_cli", "run_cmd"))


def _add_sweep(sub):
    p = sub.add_parser("sweep", help="run a backbone x cell x seed grid, each cell in its own subprocess",
                       description="Example: bench sweep --backbones simmim-swin-b,sup-swin-b "
                                   "--cells pose:coco:vitpose --seeds 0,1,2 --data-dir /data")
    p.add_argument("--backbones", required=True, help="comma-separated backbone names")
    p.add_argument("--cells", required=True, nargs="+", help="task:dataset[:protocol] (comma- or space-separated)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--data-dir", help="folder holding one data root per dataset (<data-dir>/<dataset>)")
    p.add_argument("--no-weights", action="store_true",
                   help="random init instead of each backbone's official weights from the local cache")
    p.add_argument("--schedule", default="full")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--device", choices=("cpu", "cuda"))
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--max-parallel", type=int, default=1, help="cells run at once (local launcher)")
    p.add_argument("--max-oom-retries", type=int, default=3, help="batch halvings after out-of-memory crashes")
    p.add_argument("--launcher", choices=("local", "slurm"), default="local")
    p.add_argument("--slurm-partition", help="Slurm partition (with --launcher slurm)")
    p.add_argument("--gpus", type=int, default=1, help="GPUs per cell (Slurm's gpus_per_node and bench run --gpus)")
    p.add_argument("--timeout-min", type=int, default=24 * 60, help="Slurm time limit per cell")
    p.add_argument("--force", action="store_true", help="re-run cells that already have an ok row")
    p.add_argument("--dry-run", action="store_true", help="list the cells and their state, run nothing")
    p.set_defaults(handler=_lazy("bench.sweep", "sweep_cmd"))


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # for relaunching (bench run --gpus N)
    try:
        if args.include:
            from backbones.registry import include_file
            for path in args.include:
                include_file(path)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 0
        return args.handler(args) or 0
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
