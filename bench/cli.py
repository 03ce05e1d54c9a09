"""`bench`: the top-level parser only dispatches; each subcommand is one module in bench/_cli/ that declares its
own parser (`register(subparsers)`) and its handler, importing heavy code only when it runs."""
import argparse
import importlib
import sys
import warnings

from backbones.core.errors import BenchError
from bench import __version__

SUBCOMMANDS = ("doctor", "backbones", "tasks", "data", "run", "protocols", "sweep", "leaderboard", "results",
               "report", "analyze", "pretrain", "demo")


def build_parser() -> argparse.ArgumentParser:
    """The whole `bench` parser, every subcommand registered by its own module."""
    parser = argparse.ArgumentParser(prog="bench", description="transfer-bench: how well does this pretrained "
                                                               "backbone transfer?")
    parser.add_argument("--version", action="version", version=f"transfer-bench {__version__}")
    parser.add_argument("--include", action="append", default=[], metavar="FILE.py",
                        help="import a Python file that registers backbones, tasks or datasets (repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = f"bench._cli.{name}"
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return parser


def main(argv=None) -> int:
    """Run `bench ARGV`; a BenchError becomes one line on stderr and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # for relaunching (bench run --gpus N)
    # mmengine 0.10 imports pkg_resources, which the locked setuptools marks deprecated on every start: not ours
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    try:
        if args.include:
            from backbones.core.registry import include_file

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
