"""RunSpec -> ResolvedRun, once: the task's dataset read and fingerprinted, the backbone spec looked up, every input
file hashed, the cell identity built from an explicit allow-list of what changes the measurement, and the config
built. Later stages read the frozen result; nothing is resolved twice."""
import ast
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from backbones.core import paths
from backbones.core.errors import BenchError
from backbones.checkpoint import check_checkpoint_file
from backbones.core.io import sha256_file
from backbones.core.paths import CONFIG_ROOT
from bench.run.spec import RunSpec

SCHEDULES = ("smoke", "full")


@dataclass(frozen=True)
class ResolvedRun:
    """Everything one `bench run` needs, resolved once (see module docstring)."""

    spec: RunSpec                 # task / dataset / protocol canonical
    task: Any                     # Task
    dataset: Any                  # DatasetDef
    backbone: Any                 # BackboneSpec
    weights: Optional[Path]
    weights_sha256: Optional[str]
    data_root: Path
    data: Any                     # the task's parsed dataset
    fingerprint: str
    inputs: Dict[str, str]        # other input files by sha256 (bbox_file, checkpoint)
    device: str
    world_size: int
    cell: Dict[str, Any]          # what changes the measurement, seed aside
    cell_id: str                  # hash of `cell`: rows of one cell_id are seeds of one experiment
    key: str                      # hash of `cell` + seed: the row's file name
    work_dir: Path
    cfg: Any                      # mmengine Config (built once)
    recipe_audit: Optional[dict]  # the run's settings against the protocol's published ones (bench.run.recipe)

    @property
    def primary_metric(self) -> str:
        """The metric that ranks this run's dataset."""
        return self.task.primary_for(self.spec.dataset)


def config_sources(path: Path) -> List[Path]:
    """A protocol config and the project's own `_base_` files it inherits (package configs such as
    'mmdet::...' are pinned by the lock), in inheritance order."""
    out, todo = [], [Path(path).resolve()]
    while todo:
        current = todo.pop(0)
        if current in out or not current.exists():
            continue
        out.append(current)
        for node in ast.parse(current.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_base_" for t in node.targets):
                bases = ast.literal_eval(node.value)
                for base in [bases] if isinstance(bases, str) else bases:
                    if "::" not in base:
                        todo.append((current.parent / base).resolve())
    return out


def protocol_sha256(path: Path) -> str:
    """sha256 over the protocol's config sources (names relative to task_configs/, and bytes)."""
    h = hashlib.sha256()
    for src in config_sources(path):
        h.update(str(src.relative_to(CONFIG_ROOT) if src.is_relative_to(CONFIG_ROOT) else src.name).encode())
        h.update(src.read_bytes())
    return h.hexdigest()


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _validate(spec: RunSpec) -> None:
    """One-line errors for option values no run can honour (nothing is read or written before them)."""
    if spec.schedule not in SCHEDULES:
        raise BenchError(f"unknown schedule {spec.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    if spec.epochs is not None and spec.epochs < 0:
        raise BenchError(f"--epochs {spec.epochs}: pass 0 (evaluate the untrained model) or more")
    if spec.batch_size is not None and spec.batch_size < 1:
        raise BenchError(f"--batch-size {spec.batch_size}: pass 1 or more")
    if spec.img_size is not None and min(spec.img_size) < 32:
        raise BenchError(f"--img-size {spec.img_size[0]} {spec.img_size[1]}: each side must be at least 32 pixels")
    if spec.gpus < 1:
        raise BenchError(f"--gpus {spec.gpus}: pass 1 or more")
    for flag, value in (("--reinit-last-layers", spec.reinit_last_layers), ("--drop-last-layers",
                                                                            spec.drop_last_layers)):
        if value < 0:
            raise BenchError(f"{flag} {value}: pass 0 or more")
    if spec.eval_only and not spec.checkpoint:
        raise BenchError("--eval-only needs --checkpoint PATH (a fine-tuned model from `bench run`)")
    if spec.checkpoint and not spec.eval_only:
        raise BenchError("--checkpoint is the fine-tuned model that --eval-only evaluates; add --eval-only, or pass "
                         "backbone weights with --weights")


def _input_file(flag: str, value: Optional[str], what: str) -> Optional[str]:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise BenchError(f"{flag} {value}: no such file; pass {what}")
    return sha256_file(path)


def _weights(spec: RunSpec, backbone):
    if spec.weights is None:
        return None, None
    if spec.weights == "auto":
        from backbones.download import fetch_weights

        path = fetch_weights(backbone)
    else:
        path = Path(spec.weights)
        if not path.is_file():
            raise BenchError(f"--weights {spec.weights}: no such file; pass a checkpoint path or 'auto'")
    path = Path(path).resolve()
    check_checkpoint_file(path)  # a damaged file fails here, before any row or work dir is written
    return path, sha256_file(path)


def _device(spec: RunSpec) -> str:
    import torch

    device = spec.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BenchError("--device cuda, but no CUDA device is visible; use --device cpu")
    return device


def resolve_run(task, spec: RunSpec) -> ResolvedRun:
    """See the module docstring; raises BenchError (one line naming the problem and the fix) on bad input."""
    from backbones.registry import get_spec
    from bench.run.distributed import is_worker, world_size
    from bench.tasks.base import BuildContext

    _validate(spec)
    dataset = task.dataset(spec.dataset)
    spec = spec.replace(task=task.name, dataset=dataset.name, protocol=task.protocol(spec.protocol))
    backbone = get_spec(spec.backbone)
    if spec.train_mix and task.name != "tracking":
        raise BenchError("--train-mix mixes tracking training sets; drop it for other tasks")
    if spec.img_size and task.fixed_input:
        raise BenchError(f"{task.name} protocols fix the input size ({task.fixed_input}); drop --img-size")
    data_root = Path(spec.data_root or paths.data_cache() / dataset.name).resolve()
    data = task.prepare(spec, dataset.read(data_root), data_root)
    fingerprint = task.fingerprint(data)
    weights, weights_sha256 = _weights(spec, backbone)
    inputs = {k: v for k, v in (("bbox_file", _input_file("--bbox-file", spec.bbox_file, "a COCO detection "
                                                           "results json")),
                                ("checkpoint", _input_file("--checkpoint", spec.checkpoint, "a fine-tuned model "
                                                           "checkpoint from `bench run`"))) if v}
    cell = {"task": task.name, "task_version": task.version, "dataset": dataset.name,
            "dataset_fingerprint": fingerprint, "protocol": spec.protocol,
            "protocol_sha256": protocol_sha256(task.config_path(dataset.name, spec.protocol)),
            "backbone": backbone.name, "weights_sha256": weights_sha256, "schedule": spec.schedule,
            "epochs": spec.epochs, "batch_size": spec.batch_size,
            "img_size": list(spec.img_size) if spec.img_size else None, "cfg_options": spec.cfg_options,
            "reinit_last_layers": spec.reinit_last_layers, "gpu_pipeline": spec.gpu_pipeline,
            "train_mix": sorted(spec.train_mix), "eval_only": spec.eval_only,
            "checkpoint_sha256": inputs.get("checkpoint"),
            "bbox_file_sha256": inputs.get("bbox_file"),
            # added later: in the cell only when used, so the keys of cells without it stay as they were
            **({"drop_last_layers": spec.drop_last_layers} if spec.drop_last_layers else {})}
    key = _digest([cell, int(spec.seed)])
    work_dir = Path(spec.work_dir or paths.work_root() / task.name / key).resolve()
    device = _device(spec)
    spec = spec.replace(weights=str(weights) if weights else None)
    cfg = task.build_config(BuildContext(spec, backbone, spec.weights, weights_sha256, data_root, data, fingerprint,
                                         work_dir, device))
    n = world_size() if is_worker() else 1
    finish_config(cfg, spec, backbone, work_dir, device, n)
    if weights_sha256 and isinstance(cfg.model.get("backbone"), dict):
        cfg.model.backbone.weights_sha256 = weights_sha256  # the backbone's load audit need not hash it again
    return ResolvedRun(spec, task, dataset, backbone, weights, weights_sha256, data_root, data, fingerprint, inputs,
                       device, n, cell, _digest(cell), key, work_dir, cfg, audit_recipe(task, spec, backbone, cfg, n))


def requested_changes(spec: RunSpec) -> List[str]:
    """The recipe settings a run's own options change (a shortened schedule, another batch or input size)."""
    out = []
    if spec.epochs is not None or spec.schedule != "full":
        out += ["schedule", "warmup"]
    if spec.batch_size is not None:
        out.append("global_batch")
    if spec.img_size is not None:
        out.append("input_size")
    if spec.cfg_options:
        out += [k.split(".")[0] for k in spec.cfg_options]
    return out


def audit_recipe(task, spec: RunSpec, backbone, cfg, world_size: int) -> Optional[dict]:
    """The recipe audit of the resolved config (None for protocols without a recipe)."""
    from bench.run.recipe import audit, load_recipe

    ctx = {"backbone": backbone, "world_size": world_size, "values": task.recipe_values(cfg, spec),
           "requested": requested_changes(spec), "reasons": task.deviation_reasons(spec), "dataset": spec.dataset}
    return audit(load_recipe(task, spec.dataset, spec.protocol), cfg, ctx)


def apply_family_settings(cfg, backbone) -> None:
    """The protocol's per-family settings (`bench.window`, `bench.drop_path`, `bench.optimizer`, `bench.layer_decay`:
    mappings keyed 'swinv2-l' > 'swinv2' > 'default', see BackboneSpec.family_keys) on the backbone and the
    optimizer."""
    bench, bb = cfg.get("bench") or {}, cfg.model.get("backbone")
    window = backbone.pick(bench.get("window"))
    if window is not None and bb is not None and backbone.arch in ("swin", "swinv2"):
        bb.window_size = tuple(window)
    drop_path = backbone.pick(bench.get("drop_path"))
    if drop_path is not None and bb is not None:
        bb.drop_path_rate = drop_path
    optimizer = backbone.pick(bench.get("optimizer"))
    if optimizer:
        cfg.optim_wrapper.optimizer.update(optimizer)
    decay = backbone.pick(bench.get("layer_decay"))
    if decay is not None and cfg.get("optim_wrapper"):
        cfg.optim_wrapper.setdefault("paramwise_cfg", {})
        cfg.optim_wrapper.paramwise_cfg.update(layer_decay_rate=decay["rate"], layer_decay_rule=decay.get("rule"))


def scale_lr(cfg, backbone) -> None:
    """The protocol's LR is stated at its published global batch (`bench.lr_scaling.base_batch`); a run with
    another global batch (the config's, before it is split over processes) scales it by the protocol's rule
    (`linear`, `sqrt` or `none`)."""
    scaling = backbone.pick((cfg.get("bench") or {}).get("lr_scaling"))
    if not scaling or not cfg.get("train_dataloader"):
        return
    ratio = cfg.train_dataloader.batch_size / scaling["base_batch"]
    factor = {"linear": ratio, "sqrt": math.sqrt(ratio), "none": 1.0}[scaling.get("rule", "linear")]
    cfg.optim_wrapper.optimizer.lr = cfg.optim_wrapper.optimizer.lr * factor


def finish_config(cfg, spec: RunSpec, backbone, work_dir: Path, device: str, world_size: int) -> None:
    """What every task's config gets: the run's overrides, work dir, seed, the throughput and progress hooks, workers
    capped at the machine's cores, the CUDA fast path, the per-process batch of a multi-process run."""
    import bench.run.hooks  # noqa: F401  (registers ThroughputHook)
    import bench.run.progress  # noqa: F401  (registers ProgressHook)
    from bench.run.distributed import configure
    from bench.run.fast_path import cuda_fast_path

    if spec.reinit_last_layers:
        cfg.model.backbone.reinit_last_layers = spec.reinit_last_layers
    if spec.drop_last_layers:
        cfg.model.backbone.drop_last_layers = spec.drop_last_layers
    apply_family_settings(cfg, backbone)
    scale_lr(cfg, backbone)
    if spec.cfg_options:
        cfg.merge_from_dict(spec.cfg_options)
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=spec.seed, deterministic=False)
    cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + [dict(type="ThroughputHook"), dict(type="ProgressHook")]
    for loader in (cfg.get("train_dataloader"), cfg.get("test_dataloader")):
        if loader and loader.get("num_workers", 0) > (os.cpu_count() or 1):
            loader.num_workers = os.cpu_count() or 1
    if device.startswith("cuda"):
        cuda_fast_path(cfg, backbone)
    if world_size > 1:
        configure(cfg, device, world_size)
