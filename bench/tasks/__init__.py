"""Tasks and their datasets, each a `Registry` (lazy: listing them imports no OpenMMLab code). Built-in tasks live
in one package each (`bench/tasks/<task>/`: task, datasets, models, metrics, toy data); plug-ins register with
`@register_task` / `register_dataset`, through `bench --include FILE`, or the entry-point groups
`transfer_bench.tasks` / `transfer_bench.datasets`."""
from backbones.core.registry import Registry

BUILTIN = ("pose", "classification", "depth", "detection", "segmentation", "tracking")
TASKS = Registry("task", builtins=tuple(f"bench.tasks.{t}.task" for t in BUILTIN),
                 entry_point_group="transfer_bench.tasks")
DATASETS = Registry("dataset", builtins=tuple(f"bench.tasks.{t}.datasets" for t in BUILTIN),
                    entry_point_group="transfer_bench.datasets")


def task_names():
    """Registered task names."""
    return TASKS.names()


def get_task(name: str):
    """A Task instance for `name` (or an alias, e.g. fgvc)."""
    return TASKS.get(name)()


from bench.tasks.base import (DatasetDef, MetricDef, Task, TaskResult, register_dataset,  # noqa: E402,F401
                              register_task)  # the plug-in API
