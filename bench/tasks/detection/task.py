"""Object detection + instance segmentation on mmdet 3.3.0 (Mask R-CNN / Cascade Mask R-CNN, CocoMetric) with any
registry backbone: FPN over hierarchical stages (strides 4-32) or ViTDet's SimpleFPN over a plain ViT's single
stride-16 map, chosen from the backbone's feature strides. Datasets: bench.tasks.detection.datasets; protocols:
task_configs/detection/."""
import importlib
from pathlib import Path

from bench.tasks.base import MetricDef, Task, TaskResult, register_task
from bench.tasks.shared.schedules import apply_schedule


@register_task("detection")
class DetectionTask(Task):
    """COCO box and mask AP (mmdet's CocoMetric)."""

    name = "detection"
    version = "2.1"  # 2.1: AP in percent (mmdet's CocoMetric reports fractions), as the papers and top-1
    protocols = ("maskrcnn_1x", "maskrcnn_3x", "cascade_1x", "lsj_1x", "toy")
    default_protocol = "maskrcnn_1x"
    primary_metric = "bbox_mAP"
    fixed_input = "1333x800, or 1024 crops for lsj"
    metrics = tuple(MetricDef(m) for m in (
        "bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l", "segm_mAP",
        "segm_mAP_50", "segm_mAP_75", "segm_mAP_s", "segm_mAP_m", "segm_mAP_l"))

    def build_config(self, ctx):
        from mmengine.config import Config

        import backbones.mm_bridge  # noqa: F401
        import bench.tasks.detection.transforms  # noqa: F401  (PadKeepShape)
        import bench.tasks.shared.optim  # noqa: F401
        from bench.tasks.shared.pyramid import pyramid_levels

        spec, bb_spec, data = ctx.spec, ctx.backbone, ctx.data
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        if cfg.bench.get("model_base"):  # e.g. Cascade Mask R-CNN: mmdet's heads, our backbone and neck
            package, _, rel = cfg.bench.model_base.partition("::")
            heads = Config.fromfile(Path(importlib.import_module(package).__file__).parent / ".mim" / "configs" /
                                    rel).model
            for key in ("backbone", "neck", "data_preprocessor"):  # replace, not merge
                heads[key] = cfg.model[key]
            cfg.model = heads
        bb = cfg.model.backbone
        width = cfg.model.neck.get("out_channels", 256)  # the protocol's neck width (the heads' input)
        out_indices, channels, plain = pyramid_levels(bb_spec, bb.img_size)
        if not plain:
            bb.update(out_indices=out_indices, dynamic_img_size=True, out_norms=True)
            cfg.model.neck = dict(type="FPN", in_channels=channels, out_channels=width, num_outs=5)
        else:
            size = tuple(bb.img_size)
            if cfg.model.data_preprocessor.get("batch_augments") is None:  # fixed-size input for global attention
                side = max(size)
                size = (side, side)
                cfg.model.data_preprocessor.batch_augments = [dict(type="BatchFixedSizePad", size=size,
                                                                   pad_mask=True)]
            pad_to_square(cfg.test_dataloader.dataset.pipeline, size)
            bb.update(out_indices=out_indices, img_size=size)
            cfg.model.neck = dict(type="SimpleFPN", in_channels=channels[-1], out_channels=width, num_outs=5)
        bb.update(name=bb_spec.name, weights=ctx.weights, allow_missing=spec.allow_missing)
        cfg.model.data_preprocessor.update(mean=[255 * m for m in bb_spec.mean], std=[255 * s for s in bb_spec.std])
        heads = cfg.model.roi_head.bbox_head
        for head in heads if isinstance(heads, list) else [heads]:
            head.num_classes = len(data.train.categories)
        cfg.model.roi_head.mask_head.num_classes = len(data.train.categories)
        for loader, part in ((cfg.train_dataloader, data.train), (cfg.test_dataloader, data.val)):
            loader.dataset.update(data_root=str(ctx.data_root), ann_file=str(part.path),
                                  data_prefix=dict(img=str(part.image_dir) + "/"),
                                  metainfo=dict(classes=data.train.categories))
        cfg.test_evaluator.update(ann_file=str(data.val.path),
                                  outfile_prefix=str(ctx.work_dir / "predictions" / "coco"))
        apply_schedule(cfg, spec)
        return cfg

    def evaluation(self, cfg, spec):
        resize = next((t for t in cfg.test_dataloader.dataset.pipeline if t["type"] == "Resize"), {})
        return f"single scale {tuple(resize.get('scale', ()))}, bbox + segm AP"

    def evaluate(self, runner, resolved):
        metrics = {k: 100.0 * v for k, v in self.test_metrics(runner).items()}  # percent, as every AP in the papers
        extra = {}
        if not metrics:  # mmdet's CocoMetric reports nothing when the model detected nothing: that is AP 0
            metrics = {m.name: 0.0 for m in self.metrics}
            extra["no_detections"] = True
        pred = resolved.work_dir / "predictions" / "coco.bbox.json"
        return TaskResult(metrics, pred if pred.exists() else None, extra, resolved.data.val.n_images)


def pad_to_square(pipeline, size) -> None:
    """Evaluation images padded to the fixed size a plain ViT was built for (batch augments pad training batches
    only), after their resize, as ViTDet's test pipeline does (projects/ViTDet/configs/lsj-100e_coco-instance.py:
    Resize then Pad(size=(1024, 1024), pad_val 114)); predictions stay in the resized image's coordinates, clipped to
    the image, not its padding (PadKeepShape keeps `img_shape` unpadded, as training and detectron2's ViTDet do)."""
    if any(t["type"] in ("Pad", "PadKeepShape") for t in pipeline):
        return
    at = next(i for i, t in enumerate(pipeline) if t["type"] == "Resize") + 1
    pipeline.insert(at, dict(type="PadKeepShape", size=(size[1], size[0]), pad_val=dict(img=(114, 114, 114))))
