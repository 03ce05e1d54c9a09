"""`bench run` through the CLI for the end-to-end tests: CPU, a results folder, the newest row back."""
import json

from bench.cli import main
from bench.tasks import TASKS, get_task


def bench_run(args, results, capsys, work_dir=None, prefix=()):
    """Run `bench [PREFIX] run ARGS` on the CPU into `results`; assert it succeeded; return (newest row of the
    task, stdout)."""
    code = main([*prefix, "run", "--results", str(results), "--device", "cpu", "--work-dir",
                 str(work_dir or results / "work"), *args])
    out = capsys.readouterr()
    assert code == 0, out.err[-3000:]
    task = args[args.index("--task") + 1]
    task = get_task(task).name if task in TASKS else task
    rows = sorted((results / task).glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(rows[-1].read_text()), out.out


def resolved_config(task, data_root, work_dir, **spec):
    """The config `bench run` would build for a task cell (resolved once, nothing trained)."""
    from bench.run.spec import RunSpec

    return get_task(task).resolve(RunSpec(task=task, data_root=str(data_root), work_dir=str(work_dir),
                                          device="cpu", **spec)).cfg


def read_split(task, dataset, data_root):
    """A registered dataset's parsed data (what its reader returns)."""
    return get_task(task).dataset(dataset).read(data_root)
