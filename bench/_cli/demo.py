"""`bench demo`: the whole MIM-vs-supervised pipeline offline on toy data (bench.demo)."""


def register(sub):
    """Add `bench demo`."""
    p = sub.add_parser("demo", help="the whole MIM-vs-supervised pipeline offline on toy data (~10 min on 2 cores)")
    p.add_argument("--out", help="folder for data, weights, rows (default: ~/.cache/transfer-bench/demo/<preset>)")
    p.add_argument("--preset", default="quick", help="quick (default) | full | test (sizes, not time budgets)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.set_defaults(handler=demo_cmd)


def demo_cmd(args) -> int:
    """Run it (the module is imported only now)."""
    from bench.demo import demo_cmd

    return demo_cmd(args)
