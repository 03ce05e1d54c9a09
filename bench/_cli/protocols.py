"""`bench protocols list | show`: each protocol's published settings (its recipe, bench.run.recipe) against what a
run with a given backbone resolves to, setting by setting: published value, resolved value, ok / DEVIATES /
intended, source."""
import json
import os
import tempfile
from pathlib import Path

from backbones.core.errors import BenchError


def register(sub):
    """Add `bench protocols`."""
    p = sub.add_parser("protocols", help="published recipes of the protocols and how a run resolves them")
    psub = p.add_subparsers(dest="protocols_command", metavar="ACTION", required=True)
    q = psub.add_parser("list", help="every task's protocols and their kind (paper / toy / harness)")
    q.add_argument("task", nargs="?")
    q.set_defaults(handler=list_cmd)
    q = psub.add_parser("show", help="one protocol's recipe audit for a backbone",
                        description="Example: bench protocols show pose vitpose --backbone simmim-swinv2-b")
    q.add_argument("task", help="a task (bench tasks list), or 'pretrain' for SimMIM pre-training")
    q.add_argument("protocol", nargs="?", help="default: the task's default protocol")
    q.add_argument("--backbone", required=True)
    q.add_argument("--dataset", help="default: the task's first dataset")
    q.add_argument("--data-root", help="resolve against this data root (default: a tiny toy copy of its layout)")
    q.add_argument("--batch-size", type=int, help="resolve as a run with this global batch would")
    q.add_argument("--bbox-file", help="pose: resolve as a run evaluating on these detections would")
    q.add_argument("--json", action="store_true", help="print the audit as JSON")
    q.set_defaults(handler=show_cmd)


def list_cmd(args) -> int:
    """One line per protocol: task, name, kind, recipe file."""
    from bench.run.recipe import load_recipe
    from bench.tasks import get_task, task_names

    for name in [args.task] if args.task else task_names():
        task = get_task(name)
        first = next(iter(task.datasets))
        for protocol in task.protocols:
            recipe = load_recipe(task, first, protocol)
            kind = (recipe or {}).get("kind", "no recipe")
            of = f" (shrinks {recipe['of']})" if recipe and recipe.get("of") else ""
            print(f"{task.name:<15} {protocol:<15} {kind}{of}")
    return 0


def _pretrain_audit(args):
    from argparse import Namespace

    from bench._cli.pretrain import build_config
    from bench.run.recipe import audit, load_recipe_file
    from backbones.core.paths import CONFIG_ROOT
    from backbones.registry import get_spec
    from bench.simmim import ARCHS

    recipe_name = args.protocol or "simmim"
    ns = Namespace(arch=args.backbone, images=None, img_size=192, mask_patch=32, mask_ratio=0.6, recipe="800ep",
                   epochs=None, batch_size=args.batch_size, workers=None, seed=0, quiet=True)
    cfg = build_config(ns, Path(tempfile.mkdtemp()))
    spec = get_spec(ARCHS.get(args.backbone, args.backbone))
    recipe = load_recipe_file(CONFIG_ROOT / "pretrain" / f"{recipe_name}.recipe.py")
    return audit(recipe, cfg, {"backbone": spec, "world_size": 1, "requested": []})


def _task_audit(args):
    from bench.run.spec import RunSpec
    from bench.tasks import get_task
    from bench.tasks.base import read_once

    task = get_task(args.task)
    dataset = task.dataset(args.dataset)
    root = args.data_root
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="bench-protocols-")) / dataset.name
        dataset.write_toy(root, 4, 2, 0)
    spec = RunSpec(backbone=args.backbone, task=task.name, dataset=dataset.name, protocol=args.protocol,
                   data_root=str(root), device="cpu", allow_missing=True, batch_size=args.batch_size,
                   bbox_file=args.bbox_file, work_dir=tempfile.mkdtemp(prefix="bench-protocols-"))
    with read_once():
        resolved = task.resolve(spec)
    if resolved.recipe_audit is None:
        raise BenchError(f"{task.name}/{resolved.spec.protocol} has no recipe file beside its config")
    return resolved.recipe_audit


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def show_cmd(args) -> int:
    """Print the audit table (or JSON); exit 0 whatever it finds (it reports, it does not judge a run)."""
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    result = _pretrain_audit(args) if args.task == "pretrain" else _task_audit(args)
    if args.json:
        print(json.dumps(result, indent=1, default=str))
        return 0
    print(f"recipe {result['recipe']} ({result['kind']}{', shrinks ' + result['of'] if result.get('of') else ''})")
    width = max(len(r["setting"]) for r in result["settings"])
    for r in result["settings"]:
        print(f"{r['setting']:<{width}}  {r['status']:<8}  published {_text(r['published'])}")
        if r["status"] != "ok":
            print(f"{'':<{width}}  {'':<8}  resolved  {_text(r['resolved'])}")
            print(f"{'':<{width}}  {'':<8}  why       {r.get('reason', '')}")
        print(f"{'':<{width}}  {'':<8}  source    {r['source']}")
    print(f"{len(result['deviations'])} deviating, {len(result['intended'])} intended, "
          f"{len(result['undeclared'])} undeclared: {', '.join(result['undeclared']) or 'none'}")
    return 0
