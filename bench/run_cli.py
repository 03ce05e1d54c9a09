"""`bench run`, `bench tasks`, `bench data toy`."""
import json
import os
from pathlib import Path

from backbones.errors import BenchError
from bench import paths


def run_cmd(args) -> int:
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch initialises CUDA: mmengine then stays on the CPU
    from bench.runner import Plan, execute
    from bench.tasks.base import RunSpec

    run = RunSpec(backbone=args.backbone, task=args.task, dataset=args.dataset, protocol=args.protocol,
                  weights=args.weights, data_root=args.data_root, schedule=args.schedule, epochs=args.epochs,
                  batch_size=args.batch_size, seed=args.seed, device=args.device, work_dir=args.work_dir,
                  cfg_options=args.cfg_options or {}, bbox_file=args.bbox_file, allow_missing=args.allow_missing,
                  eval_only=args.eval_only, checkpoint=args.checkpoint, fresh=args.force,
                  oom_halvings=args.oom_halvings, compile=args.compile, gpu_pipeline=args.gpu_pipeline,
                  reinit_last_layers=args.reinit_last_layers,
                  img_size=tuple(args.img_size) if args.img_size else None)
    if args.eval_only and not args.checkpoint:
        raise BenchError("--eval-only needs --checkpoint PATH (a fine-tuned model from `bench run`)")
    if args.gpus < 1:
        raise BenchError(f"--gpus {args.gpus}: pass 1 or more")
    plan = Plan(run)
    results = Path(args.results or paths.results_dir())
    if args.print_config:
        print(plan.cfg.pretty_text)
        return 0
    if args.dry_run:
        print(json.dumps({"cell_key": plan.key, "task": plan.task.name, "dataset": run.dataset,
                          "protocol": run.protocol, "backbone": plan.spec.name, "weights": run.weights,
                          "data_root": str(plan.data_root), "work_dir": str(plan.work_dir),
                          "results": str(results), "config": str(plan.task.config_path(run.dataset, run.protocol)),
                          "device": plan.device}, indent=2))
        return 0
    from bench import distributed

    if distributed.is_worker():  # one of the --gpus N processes: the launching process checked the cell
        distributed.init_process_group(plan.device)
        row = execute(plan, results)
        return _report(row, results) if distributed.rank() == 0 else 0
    existing = _existing_row(results, plan)
    if existing is not None and not args.force:
        from bench.results import effective_status

        status = effective_status(existing)
        if status == "ok":
            print(f"cell {plan.key} already has an ok row ({existing.primary_metric} = {existing.primary_value}); "
                  "skipping (use --force to re-run)")
            return 0
        if status == "running":
            raise BenchError(f"cell {plan.key} is being run by pid {existing.pid} on {existing.host}; wait for it, "
                             "or pass --force if that process is gone")
        if status == "interrupted":
            print(f"cell {plan.key} was interrupted; resuming from {plan.work_dir}")
    if args.gpus > 1:
        code = distributed.launch(args.argv, args.gpus, plan.device)
        if code:
            raise BenchError(f"the {args.gpus}-process run failed (exit status {code}); its output is above")
        return 0
    return _report(execute(plan, results), results)


def _report(row, results: Path) -> int:
    value = row.primary_value
    print(f"{row.task}/{row.dataset} {row.protocol} {row.backbone}: {row.primary_metric} = "
          f"{value:.4f}" if value is not None else f"{row.task}: no {row.primary_metric} reported")
    print(f"row: {results / row.task / (row.cell_key + '.json')}")
    return 0


def _existing_row(results: Path, plan):
    from bench.results import read_row, row_path

    path = row_path(results, plan.task.name, plan.key)
    if not path.exists():
        return None
    try:
        return read_row(path)
    except ValueError as exc:
        print(f"warning: {exc}; it will be replaced")
        return None


def tasks_cmd(args) -> int:
    from bench.tasks import get_task, task_names

    if args.tasks_command == "show":
        desc = get_task(args.name).describe()
        print(json.dumps(desc, indent=2))
        return 0
    descs = [get_task(n).describe() for n in task_names()]
    if args.json:
        print(json.dumps(descs, indent=2))
        return 0
    for d in descs:
        arrow = "higher" if d["higher_is_better"] else "lower"
        print(f"{d['name']} (v{d['version']}): primary metric {d['primary_metric']} ({arrow} is better)")
        print(f"  protocols: {', '.join(d['protocols'])} (default {d['default_protocol']})")
        groups = {}
        for name, info in d["datasets"].items():
            groups.setdefault(", ".join(info["tags"]), []).append((name, info["description"]))
        for tag, items in groups.items():
            if tag:
                print(f"  {tag} datasets:")
            for name, description in items:
                print(f"{'    ' if tag else '  dataset '}{name}: {description}")
    return 0


def data_cmd(args) -> int:
    from bench.tasks import get_task

    task = get_task(args.task)
    dataset = task.dataset(args.dataset).name
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise BenchError(f"--out {out} is not empty; pick a new folder (nothing was written)")
    written = task.write_toy(out, dataset, args.n_train, args.n_val, args.seed)
    print(f"wrote toy {task.name}/{dataset} data to {out}: {', '.join(written)}")
    print(f"use it with: bench run --backbone NAME --task {task.name} --dataset {dataset} --data-root {out} "
          "--protocol toy")
    return 0
