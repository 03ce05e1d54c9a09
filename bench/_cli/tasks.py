"""`bench tasks list | show`: tasks, their datasets (grouped by tag), protocols and metrics."""
import json


def register(sub):
    """Add `bench tasks`."""
    p = sub.add_parser("tasks", help="list tasks, their datasets, protocols and primary metrics")
    tsub = p.add_subparsers(dest="tasks_command", metavar="ACTION", required=True)
    q = tsub.add_parser("list", help="all tasks")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=tasks_cmd)
    q = tsub.add_parser("show", help="one task as JSON")
    q.add_argument("name")
    q.set_defaults(handler=tasks_cmd)


def tasks_cmd(args) -> int:
    """Print one task as JSON, or all of them."""
    from bench.tasks import get_task, task_names

    if args.tasks_command == "show":
        print(json.dumps(get_task(args.name).describe(), indent=2))
        return 0
    descs = [get_task(n).describe() for n in task_names()]
    if args.json:
        print(json.dumps(descs, indent=2))
        return 0
    for d in descs:
        primary = d["metrics"][d["primary_metric"]]
        arrow = "higher" if primary["higher_is_better"] else "lower"
        print(f"{d['name']} (v{d['version']}): primary metric {d['primary_metric']} ({arrow} is better)")
        print(f"  protocols: {', '.join(d['protocols'])} (default {d['default_protocol']})")
        print("  metrics: " + ", ".join(f"{name} ({info['unit'] or 'no unit'}, {'↑' if info['higher_is_better'] else '↓'})"
                                        for name, info in d["metrics"].items()))
        groups = {}
        for name, info in d["datasets"].items():
            groups.setdefault(", ".join(info["tags"]), []).append((name, info["description"]))
        for tag, items in groups.items():
            if tag:
                print(f"  {tag} datasets:")
            for name, description in items:
                print(f"{'    ' if tag else '  dataset '}{name}: {description}")
    return 0
