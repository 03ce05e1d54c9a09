"""Image classification transfer on mmengine: full fine-tuning (Runner, layer-decay optimizer wrapper, evaluator)
and a cached-feature linear probe (the `linear` protocol's loops, bench.tasks.classification.linear_probe), on
datasets in their official layouts (bench.tasks.classification.datasets), each tagged `fine-grained` or
`semantic` so tables can average a group."""
import hashlib
import json
from dataclasses import replace
from pathlib import Path

from backbones.core.errors import BenchError
from bench.tasks.base import MetricDef, Task, TaskResult, register_task
from bench.tasks.shared.schedules import apply_schedule


def checked_split(split, root: Path, dataset: str):
    """A reader's Split with its data root attached, refused when it lists nothing or its images are missing."""
    if not split.train or not split.test:
        raise BenchError(f"{root}: the {dataset} annotations list no train or no test images")
    missing = next((p for p, _ in split.train[:1] + split.test[:1] if not split.exists(p)), None)
    if missing:
        raise BenchError(f"image {missing} listed in the annotations is missing under {root}")
    return replace(split, root=root)


@register_task("classification", aliases=("fgvc",))
class ClassificationTask(Task):
    """Top-1 / top-5 / mean-per-class accuracy on the test split."""

    name = "classification"
    version = "2.0"
    protocols = ("finetune", "linear", "toy")
    default_protocol = "finetune"
    primary_metric = "top1"
    metrics = (MetricDef("top1"), MetricDef("top5"), MetricDef("mean_per_class", description="mean class recall"))

    def prepare(self, spec, data, data_root):
        if spec.eval_only and spec.protocol == "linear":
            raise BenchError("--eval-only evaluates a fine-tuned model; the linear protocol fits its probe on cached "
                             "features in seconds: run it without --eval-only")
        return checked_split(data, data_root, spec.dataset)

    def fingerprint(self, data):
        """sha256 of the train / test (path relative to the data root, label) lists and the class names."""
        ident = {part: [(str(Path(p).relative_to(data.root)) if "#" not in p else p, y)
                        for p, y in getattr(data, part)] for part in ("train", "test")}
        return hashlib.sha256(json.dumps([ident, data.classes]).encode()).hexdigest()

    def build_config(self, ctx):
        from mmengine.config import Config

        import bench.tasks.classification.linear_probe  # noqa: F401  (its loops)
        import bench.tasks.classification.model  # noqa: F401
        import bench.tasks.shared.optim  # noqa: F401
        from bench.tasks.classification.linear_probe import cache_key

        spec, bb_spec = ctx.spec, ctx.backbone
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        img_size = tuple(spec.img_size or cfg.bench.get("img_size") or bb_spec.img_size)
        cfg.model.backbone.update(name=bb_spec.name, weights=ctx.weights, img_size=img_size,
                                  allow_missing=spec.allow_missing)
        cfg.model.num_classes = len(ctx.data.classes)
        cfg.model.data_preprocessor.update(mean=[255 * m for m in bb_spec.mean], std=[255 * s for s in bb_spec.std])
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.update(dataset=spec.dataset, data_root=str(ctx.data_root), img_size=img_size)
        cfg.test_evaluator.outfile = str(ctx.work_dir / "predictions" / "predictions.csv")
        if cfg.train_cfg.get("type") == "LinearProbeLoop":
            cfg.train_cfg.cache_key = cache_key(bb_spec.name, ctx.weights_sha256, img_size, ctx.fingerprint)
        apply_schedule(cfg, spec)
        return cfg

    def evaluation(self, cfg, spec):
        return "resize 256/224 + centre crop"  # ClassificationDataset's eval transform (model.build_transform)

    def evaluate(self, runner, resolved):
        metrics = self.test_metrics(runner)
        summary = getattr(runner.train_loop, "summary", None) if not resolved.spec.eval_only else None
        extra = {k: summary[k] for k in ("feature_cache_hit", "feature_cache_key", "feature_device", "sweep",
                                         "best")} if summary else {}
        return TaskResult(metrics, resolved.work_dir / "predictions" / "predictions.csv", extra,
                          len(resolved.data.test))
