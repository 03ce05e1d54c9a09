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
        import bench.tasks.depth.transforms  # noqa: F401
        import bench.tasks.shared.optim  # noqa: F401
        from backbones.build import probe_features

        spec, bb_spec = ctx.spec, ctx.backbone
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        channels, _ = probe_features(bb_spec, tuple(cfg.model.backbone.img_size))[-1]
        cfg.model.backbone.update(name=bb_spec.name, weights=ctx.weights, allow_missing=spec.allow_missing)
        cfg.model.decode_head.update(in_channels=channels, embed_dim=bb_spec.pick(cfg.bench.head_width))
        if cfg.bench.normalise:
            cfg.model.data_preprocessor.update(mean=[255 * m for m in bb_spec.mean],
                                               std=[255 * s for s in bb_spec.std])
        else:  # the official code feeds images in [0, 1] (ToTensor, no mean/std)
            cfg.model.data_preprocessor.update(mean=[0.0] * 3, std=[255.0] * 3)
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.update(data_root=str(ctx.data_root), dataset=spec.dataset)
        cfg.test_evaluator.output_dir = str(ctx.work_dir / "predictions" / "depth")
        apply_schedule(cfg, spec)
        return cfg

    def evaluation(self, cfg, spec):
        test = cfg.model.test_cfg
        crop = cfg.test_evaluator.get("crop") or "no crop"
        how = f"flip + sliding {tuple(test.crop_size)} stride {tuple(test.stride)}" if test.mode == "slide_flip" \
            else test.mode
        return f"{how}, {crop}, range ({cfg.test_evaluator.min_depth_eval:g}, {cfg.test_evaluator.max_depth_eval:g})"

    def evaluate(self, runner, resolved):
        from bench.tasks.shared.predictions import write_manifest

        metrics = self.test_metrics(runner)
        manifest = write_manifest(resolved.work_dir / "predictions" / "depth", "uint16 png, depth x scale")
        return TaskResult(metrics, manifest, n_eval=len(resolved.data.pairs["test"]))
