"""`bench report`: the results as a static site to open from disk (bench.report)."""
import sys
from pathlib import Path


def register(sub):
    """Add `bench report`."""
    p = sub.add_parser("report", help="static HTML report: MIM - supervised per task group, a page per task",
                       description="Example: bench report --results ~/.cache/transfer-bench/results --out report/ "
                                   "then open report/index.html (no server, nothing fetched)")
    p.add_argument("--results", help="results directory (default: ~/.cache/transfer-bench/results)")
    p.add_argument("--out", required=True, help="folder for the site; an earlier report there is replaced")
    p.add_argument("--filter", nargs="+", metavar="KEY=VALUE",
                   help="keep rows with task=, dataset=, split=, protocol=, schedule= or backbone= VALUE")
    p.add_argument("--metric", help="metric to compare (default: each task's primary metric)")
    p.add_argument("--analysis", metavar="DIR", help="the --out folder of `bench analyze`: adds the analysis page")
    p.set_defaults(handler=report_cmd)


def report_cmd(args) -> int:
    """Build the site and print the path of its index.html."""
    from backbones.core import paths
    from bench.report.site import build_report

    index = build_report(Path(args.results or paths.results_dir()), Path(args.out), filters=args.filter,
                         metric=args.metric, analysis=args.analysis, argv=["bench", *args.argv],
                         warn=lambda msg: print(msg, file=sys.stderr))
    print(f"report: {index}")
    return 0
