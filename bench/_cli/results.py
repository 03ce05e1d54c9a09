"""`bench leaderboard` and `bench results list | show | diff`."""
import json
import os
import sys
import tempfile
from pathlib import Path

from backbones.core.errors import BenchError
from backbones.core import paths



def register(sub):
    """Add `bench leaderboard` and `bench results list | show | diff`."""
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
    p.set_defaults(handler=leaderboard_cmd)

    p = sub.add_parser("results", help="inspect result rows")
    rsub = p.add_subparsers(dest="results_command", metavar="ACTION", required=True)
    q = rsub.add_parser("list", help="one line per row (running rows whose process is gone show 'interrupted')")
    q.add_argument("--results")
    q.set_defaults(handler=results_cmd)
    q = rsub.add_parser("show", help="one row as JSON, or its per-iteration losses as a plot")
    q.add_argument("key", help="cell key or a unique prefix")
    q.add_argument("--results")
    q.add_argument("--plot", metavar="FILE.png", help="plot the row's loss series (e.g. detection's loss_cls and "
                                                      "loss_bbox) instead of printing it")
    q.set_defaults(handler=results_cmd)
    q = rsub.add_parser("diff", help="what differs between two rows")
    q.add_argument("a")
    q.add_argument("b")
    q.add_argument("--results")
    q.set_defaults(handler=results_cmd)


def _results_dir(args) -> Path:
    return Path(args.results or paths.results_dir())


def _warn(msg):
    print(msg, file=sys.stderr)


def _write_text_atomic(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def leaderboard_cmd(args) -> int:
    """Print or write the comparison table of ok result rows as md, csv or json, optionally plotting it."""
    import pandas as pd

    from bench import leaderboard as lb

    results = _results_dir(args)
    df = lb.long_table(results, metric=args.metric, filters=args.filter, warn=_warn)
    table = lb.aggregate(df)
    if args.group_average:
        table = lb.add_group_averages(table, df, args.group_average)
    if args.with_reference:
        ref = lb.reference_rows()
        if args.filter:
            keep = [c for c in ref.columns if not c.endswith(" mean") or all(
                v in c.split(" ")[0].split("/") for v in lb._filters(args.filter).values())]
            ref = ref[keep]
        table = pd.concat([table, ref], ignore_index=True)
    higher = {lb.column_name(*r[:5]): r[5] for r in df[list(lb.COLUMN_KEYS) + ["higher_is_better"]]
              .drop_duplicates().itertuples(index=False)}
    for task, better in df[["task", "higher_is_better"]].drop_duplicates().itertuples(index=False):
        higher.update({c[:-5]: better for c in table.columns if c.startswith(f"{task}/[") and c.endswith(" mean")})
    if args.plot:
        metrics = {lb.column_name(*r[:5]): r[5] for r in df[list(lb.COLUMN_KEYS) + ["metric"]]
                   .drop_duplicates().itertuples(index=False)}
        lb.plot(table, Path(args.plot), higher, metrics)
    if args.format == "csv":
        text = table.to_csv(index=False)
    elif args.format == "json":
        text = table.to_json(orient="records", indent=1)
    else:
        text = lb.markdown(table, higher)
    if args.out:
        _write_text_atomic(Path(args.out), text)
        print(f"wrote {args.out} ({len(table)} rows)")
    else:
        print(text, end="")
    if df.empty:
        _warn(f"note: no ok rows under {results}" + (f" matching {' '.join(args.filter)}" if args.filter else ""))
    return 0


def results_cmd(args) -> int:
    """List the result rows, show one (as JSON or a loss plot), or print the fields two rows differ in."""
    from dataclasses import asdict

    from bench.results import effective_status, find_row, load_rows

    results = _results_dir(args)
    if args.results_command == "list":
        rows = load_rows(results, warn=_warn)
        from bench._cli import print_table

        print_table(("cell_key", "status", "task", "dataset", "protocol", "schedule", "seed", "backbone", "primary"),
                    [(r.cell_key, effective_status(r), r.task, r.dataset, r.protocol, r.schedule, str(r.seed),
                      r.backbone, f"{r.primary_metric}={r.primary_value:.4f}" if r.primary_value is not None
                      else r.error.strip().splitlines()[0][:60] if (r.error or "").strip() else "-") for r in rows],
                    right=(6,))
        return 0
    if args.results_command == "show":
        row = find_row(results, args.key)
        if args.plot:
            plot_losses(row, Path(args.plot))
            print(f"wrote {args.plot}")
            return 0
        data = asdict(row)
        data["effective_status"] = effective_status(row)
        print(json.dumps(data, indent=1, default=str))
        return 0
    a, b = find_row(results, args.a), find_row(results, args.b)
    da, db = _flatten(asdict(a)), _flatten(asdict(b))
    ignore = ("updated_at", "pid", "host", "timings.", "extra.losses", "work_dir")
    for key in sorted(set(da) | set(db)):
        if key.startswith(ignore) or da.get(key) == db.get(key):
            continue
        print(f"{key}: {da.get(key)!r} -> {db.get(key)!r}")
    return 0


def plot_losses(row, path: Path):
    """Every per-iteration loss series the row kept (detection: classification and box regression separately)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = (row.extra or {}).get("losses") or {}
    if not losses:
        raise BenchError(f"row {row.cell_key} kept no per-iteration losses to plot")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, series in sorted(losses.items()):
        ax.plot(range(1, len(series) + 1), series, label=name, linewidth=1)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(f"{row.task}/{row.dataset} {row.protocol} {row.backbone}", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: obj}
