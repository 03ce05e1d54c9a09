"""Monocular depth on mmsegmentation 1.2.2 (DepthEstimator, SiLogLoss, LoadDepthAnnotation, DepthMetric) with the
seed paper's last-stage head (bench.tasks.depth.model), NYUv2 (BTS layout) and KITTI (Eigen split). Datasets:
bench.tasks.depth.datasets; protocols: task_configs/depth/."""
from bench.tasks.base import MetricDef, Task, TaskResult, register_task
from bench.tasks.shared.schedules import apply_schedule


@register_task("depth")
class DepthTask(Task):
    """Per-image depth errors and accuracies, averaged over the test images (the official evaluation)."""

    name = "depth"
    version = "2.0"
    protocols = ("glp", "toy")
    default_protocol = "glp"
    primary_metric = "rmse"
    fixed_input = "NYU crops 480x480, KITTI 352x352"
    metrics = (MetricDef("d1", True, "fraction", "share of pixels with max(pred/gt, gt/pred) < 1.25"),
               MetricDef("d2", True, "fraction", "... < 1.25^2"), MetricDef("d3", True, "fraction", "... < 1.25^3"),
               MetricDef("abs_rel", False, "", "mean |pred - gt| / gt"),
               MetricDef("sq_rel", False, "", "mean (pred - gt)^2 / gt"),
               MetricDef("rmse", False, "m", "root mean squared error"),
               MetricDef("rmse_log", False, "", "RMSE of log depth"), MetricDef("log10", False, "", "mean |log10|"),
               MetricDef("silog", False, "", "scale-invariant log error"))

    def build_config(self, ctx):
        from mmengine.config import Config

        import bench.tasks.depth.model  # noqa: F401  (dataset, head, metric; registers TransferBackbone)
        import bench.tasks.shared.optim  # noqa: F401
        from backbones.build import probe_features

        spec, bb_spec = ctx.spec, ctx.backbone
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        size = "large" if bb_spec.arch_kwargs.get("embed_dim", 0) >= 192 else "base"
        window = cfg.bench.window if bb_spec.arch in ("swin", "swinv2") else None
        channels, _ = probe_features(bb_spec, tuple(cfg.model.backbone.img_size), window)[-1]
        cfg.model.backbone.update(name=bb_spec.name, weights=ctx.weights, window_size=window,
                                  allow_missing=spec.allow_missing, drop_path_rate=cfg.bench.drop_path[size])
        cfg.model.decode_head.in_channels = channels
        cfg.model.data_preprocessor.update(mean=[255 * m for m in bb_spec.mean], std=[255 * s for s in bb_spec.std])
        if spec.protocol == "glp":
            cfg.optim_wrapper.paramwise_cfg.layer_decay_rate = cfg.bench.layer_decay[size]
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.update(data_root=str(ctx.data_root), dataset=spec.dataset)
        cfg.test_evaluator.output_dir = str(ctx.work_dir / "predictions" / "depth")
        apply_schedule(cfg, spec)
        return cfg

    def evaluate(self, runner, resolved):
        from bench.tasks.shared.predictions import write_manifest

        metrics = self.test_metrics(runner)
        manifest = write_manifest(resolved.work_dir / "predictions" / "depth", "uint16 png, depth x scale")
        return TaskResult(metrics, manifest, n_eval=len(resolved.data.pairs["test"]))
