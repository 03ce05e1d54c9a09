"""Task registry: lazy "module:Class" entries, so listing tasks imports no OpenMMLab code."""
import difflib
import importlib

from backbones.errors import BenchError

TASKS = {
    "pose": "bench.tasks.pose:PoseTask",
    "classification": "bench.tasks.classification:ClassificationTask",
    "depth": "bench.tasks.depth:DepthTask",
    "detection": "bench.tasks.detection:DetectionTask",
    "segmentation": "bench.tasks.segmentation:SegmentationTask",
    "tracking": "bench.tasks.tracking:TrackingTask",
}
ALIASES = {"fgvc": "classification"}


def task_names():
    return sorted(TASKS)


def get_task(name: str):
    """The Task instance registered under `name` (or an alias)."""
    key = ALIASES.get(name, name)
    if key not in TASKS:
        close = difflib.get_close_matches(name, list(TASKS) + list(ALIASES), n=2)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise BenchError(f"unknown task {name!r}.{hint} Known tasks: {', '.join(task_names())}")
    module, _, cls = TASKS[key].partition(":")
    return getattr(importlib.import_module(module), cls)()
