"""The recipe audit, as the load audit is for weights: each paper protocol declares the published settings that
decide its number (task_configs/<task>/<protocol>.recipe.py: value, per backbone family where they differ, and the
source), and a resolved run is compared with them setting by setting: `ok`, `DEVIATES`, or `intended` (a
deviation the protocol declares, with its reason). Toy protocols are audited against the paper protocol they
shrink (`of=`), and deviate by design."""
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

from backbones.core.errors import BenchError

SETTINGS = ("input_size", "window", "global_batch", "base_lr", "lr_scaling", "layer_decay", "layer_decay_rule",
            "drop_path", "weight_decay", "no_weight_decay", "grad_clip", "warmup", "schedule", "augmentations",
            "input_normalisation", "evaluation")


def recipe_path(config: Path) -> Path:
    """The recipe file beside a protocol config (`<name>.recipe.py`)."""
    return config.with_name(config.stem + ".recipe.py")


def load_recipe_file(path: Path) -> dict:
    """A recipe file's `recipe` dict, with its path."""
    from mmengine.config import Config

    recipe = Config.fromfile(str(path)).recipe.to_dict()
    recipe["path"] = str(path)
    return recipe


def load_recipe(task, dataset: str, protocol: str) -> Optional[dict]:
    """The recipe of a protocol (a toy protocol's points at the paper protocol it shrinks), or None."""
    path = recipe_path(task.config_path(dataset, protocol))
    if not path.exists():
        return None
    recipe = load_recipe_file(path)
    if recipe.get("of"):
        paper = load_recipe(task, dataset, recipe["of"])
        if paper is None:
            raise BenchError(f"{path}: its paper protocol {recipe['of']!r} has no recipe")
        recipe = {**paper, "kind": recipe.get("kind", "toy"), "of": recipe["of"],
                  "intended": {**paper.get("intended", {}), **recipe.get("intended", {})}, "path": str(path)}
    return recipe


def _get(cfg, dotted):
    if isinstance(dotted, (list, tuple)):
        return [_get(cfg, d) for d in dotted]
    node = cfg
    for part in dotted.split("."):
        if node is None or not hasattr(node, "get"):
            return None
        node = node[int(part)] if part.lstrip("-").isdigit() else node.get(part)
    return node


def _scheduler_text(cfg) -> Dict[str, str]:
    """Warmup and decay of the config's LR schedule, in one canonical wording."""
    scheds = list(cfg.get("param_scheduler") or [])
    warm = next((s for s in scheds if s.type == "LinearLR"), None)
    unit = lambda s: "epochs" if s.get("by_epoch", True) else "iters"  # noqa: E731
    warmup = (f"linear {warm.end - warm.get('begin', 0)} {unit(warm)} from {warm.start_factor:g}" if warm
              else "none")
    loop = cfg.get("train_cfg") or {}
    length = (f"{loop.max_epochs} epochs" if loop.get("max_epochs") is not None else
              f"{loop.get('max_iters')} iters")
    parts = [length]
    for s in scheds:
        if s.type == "MultiStepLR":
            parts.append("steps at " + "/".join(str(m) for m in s.milestones))
        elif s.type in ("CosineAnnealingLR", "PolyLR", "GLPDepthLR", "OneCycleLR"):
            parts.append({"CosineAnnealingLR": "cosine", "PolyLR": f"poly {s.get('power', 1.0):g}",
                          "GLPDepthLR": f"one-cycle power {s.get('power', 0.9):g}",
                          "OneCycleLR": "one-cycle"}[s.type])
    return {"warmup": warmup, "schedule": ", ".join(parts)}


def _augmentations(cfg) -> List[str]:
    pipeline = _get(cfg, "train_dataloader.dataset.pipeline") or []
    names = [t["type"] for t in pipeline if not t["type"].startswith(("Load", "Pack"))]
    ds = _get(cfg, "train_dataloader.dataset") or {}
    for key in ("augment", "color_jitter", "grayscale_prob", "scale_jitter", "center_jitter"):
        if ds.get(key):
            names.append(f"{key}={ds[key]}")
    return names


def published_value(setting: dict, ctx: Dict[str, Any]):
    """A setting's published value for this run: per dataset (`by_dataset`) or per backbone family (`value`)."""
    if "by_dataset" in setting:
        by = setting["by_dataset"]
        return by.get(ctx.get("dataset"), by.get("default"))
    return ctx["backbone"].pick(setting.get("value"))


def _normalisation(cfg) -> str:
    pre = _get(cfg, "model.data_preprocessor") or {}
    mean, std = pre.get("mean"), pre.get("std")
    if mean is not None and all(m == 0 for m in mean) and all(s == 255 for s in std):
        return "[0, 1], no mean/std"
    return "mean/std of the backbone" if mean is not None else "none"


def resolved_values(cfg, ctx: Dict[str, Any], recipe: dict) -> Dict[str, Any]:
    """What the run does, per setting, in the recipe's wording (`ctx`: backbone, world_size, evaluation)."""
    published = {k: published_value(v, ctx) for k, v in recipe["settings"].items()}
    optimizer = _get(cfg, "optim_wrapper.optimizer") or {}
    paramwise = _get(cfg, "optim_wrapper.paramwise_cfg") or {}
    batch = (_get(cfg, "train_dataloader.batch_size") or 0) * ctx["world_size"]
    scaling = ctx["backbone"].pick(_get(cfg, "bench.lr_scaling")) or {}
    lr = optimizer.get("lr")  # compared at the published global batch: the run's LR taken back by its rule
    reference = published.get("global_batch")
    if lr is not None and scaling and batch and isinstance(reference, (int, float)):
        rule = scaling.get("rule", "linear")
        ratio = reference / batch
        lr = lr * (ratio if rule == "linear" else math.sqrt(ratio) if rule == "sqrt" else 1.0)
    clip = _get(cfg, "optim_wrapper.clip_grad")
    out = {"global_batch": batch, "base_lr": lr,
           "lr_scaling": f"{scaling.get('rule', 'linear')} from batch {scaling['base_batch']}" if scaling else "none",
           "layer_decay": paramwise.get("layer_decay_rate", 1.0),
           "layer_decay_rule": paramwise.get("layer_decay_rule") or "default",
           "drop_path": _get(cfg, "model.backbone.drop_path_rate"),
           "weight_decay": optimizer.get("weight_decay"),
           "grad_clip": clip.get("max_norm") if clip else None,
           "augmentations": _augmentations(cfg), "input_normalisation": _normalisation(cfg), **_scheduler_text(cfg),
           **ctx.get("values", {})}
    from bench.tasks.shared.optim import NO_DECAY_RULE

    layer_decay = _get(cfg, "optim_wrapper.constructor") == "LayerDecayConstructor"
    out["no_weight_decay"] = NO_DECAY_RULE if layer_decay else "none (every parameter decayed)" if optimizer else None
    for name, setting in recipe["settings"].items():
        if setting.get("at"):
            value = _get(cfg, setting["at"])
            out[name] = list(value) if isinstance(value, (tuple, list)) else value
    return {k: out.get(k) for k in published}


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def audit(recipe: Optional[dict], cfg, ctx: Dict[str, Any]) -> Optional[dict]:
    """The recipe audit of one resolved config: a row per setting, and the deviations (`requested`: what the
    run asked to change, e.g. --batch-size or --epochs; `by_design`: a toy protocol's)."""
    if recipe is None:
        return None
    backbone = ctx["backbone"]
    resolved = resolved_values(cfg, ctx, recipe)
    toy, requested = recipe.get("kind") == "toy", set(ctx.get("requested", ()))
    rows, deviations, intended = [], [], []
    for name, setting in recipe["settings"].items():
        published = published_value(setting, ctx)
        if published is None:
            continue  # not a setting of this backbone family
        why = backbone.pick(recipe.get("intended", {}).get(name))
        if _same(published, resolved[name]):
            status = "ok"
        elif why:
            status = "intended"
        else:
            status = "DEVIATES"
        row = {"setting": name, "published": published, "resolved": resolved[name], "status": status,
               "source": setting.get("source", "")}
        if status == "intended":
            row["reason"] = why
            intended.append(row)
        elif status == "DEVIATES":
            row["reason"] = ("toy protocol: deviates by design" if toy else ctx.get("reasons", {}).get(name) or
                             ("asked for by the run" if name in requested else "undeclared"))
            deviations.append(row)
        rows.append(row)
    return {"recipe": recipe["path"], "kind": recipe.get("kind", "paper"), "of": recipe.get("of"),
            "settings": rows, "deviations": deviations, "intended": intended,
            "undeclared": [d["setting"] for d in deviations if d["reason"] == "undeclared"]}
