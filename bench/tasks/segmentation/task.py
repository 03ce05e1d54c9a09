"""Semantic segmentation on mmsegmentation 1.2.2: UperNet (UPerHead + auxiliary FCNHead) over any registry backbone,
ADE20K in its distributed layout, mmseg's IoUMetric single-scale and multi-scale + flip (the config's
MultiScaleFlipTestLoop, bench.tasks.segmentation.loops). Datasets: bench.tasks.segmentation.datasets."""
from backbones.core.errors import BenchError
from bench.tasks.base import MetricDef, Task, TaskResult, register_task
from bench.tasks.segmentation.datasets import FORMAT
from bench.tasks.shared.schedules import apply_iter_schedule


@register_task("segmentation")
class SegmentationTask(Task):
    """mIoU over 150 ADE20K classes, single scale and multi-scale + flip."""

    name = "segmentation"
    version = "2.0"
    protocols = ("upernet", "toy")
    default_protocol = "upernet"
    primary_metric = "mIoU"
    fixed_input = "512x512 crops"
    metrics = tuple(MetricDef(m) for m in ("mIoU", "aAcc", "mAcc", "mIoU_msflip", "aAcc_msflip", "mAcc_msflip"))

    def build_config(self, ctx):
        from mmengine.config import Config

        import backbones.mm_bridge  # noqa: F401
        import bench.tasks.segmentation.loops  # noqa: F401
        import bench.tasks.shared.optim  # noqa: F401
        from bench.tasks.shared.pyramid import pyramid_levels

        spec, bb_spec = ctx.spec, ctx.backbone
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        bb = cfg.model.backbone
        out_indices, channels, plain = pyramid_levels(bb_spec, bb.img_size)
        if plain:
            cfg.model.neck = dict(type="SimpleFPN", in_channels=channels[-1], out_channels=256, num_outs=4)
            channels = [256] * 4
        bb.update(name=bb_spec.name, weights=ctx.weights, out_indices=out_indices, allow_missing=spec.allow_missing,
                  out_norms=bb.get("out_norms", False) and not plain)
        cfg.model.decode_head.in_channels = channels
        cfg.model.auxiliary_head.in_channels = channels[2]
        cfg.model.data_preprocessor.update(mean=[255 * m for m in bb_spec.mean], std=[255 * s for s in bb_spec.std])
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.data_root = str(ctx.data_root)
        cfg.test_evaluator.output_dir = str(ctx.work_dir / "predictions" / "ade20k")
        apply_iter_schedule(cfg, spec, len(ctx.data.names["train"]))
        if cfg.train_dataloader.batch_size < 2:
            raise BenchError("UperNet's pyramid pooling normalises a 1x1 pooled map with BatchNorm, so batch 1 "
                             "cannot train it; use --batch-size 2 or more")
        return cfg

    def evaluation(self, cfg, spec):
        test = cfg.model.test_cfg
        ms = ", + scales 0.5-1.75 x flip" if cfg.test_cfg.get("type") == "MultiScaleFlipTestLoop" else ""
        return f"{test.mode} {tuple(test.crop_size)} stride {tuple(test.stride)}, single scale{ms}"

    def evaluate(self, runner, resolved):
        from bench.tasks.shared.predictions import write_manifest

        metrics = self.test_metrics(runner)
        manifest = write_manifest(resolved.work_dir / "predictions" / "ade20k", FORMAT)
        return TaskResult(metrics, manifest, n_eval=len(resolved.data.names["val"]))
