"""Top-down heatmap pose estimation on mmpose 1.3.2 (TopdownPoseEstimator, its codecs, HeatmapHead, transforms and
CocoMetric), with the backbone from the registry through `TransferBackbone`. Datasets: bench.tasks.pose.datasets;
protocols: task_configs/pose/."""
import math
from pathlib import Path

from backbones.core.errors import BenchError
from bench.tasks.base import MetricDef, Task, TaskResult, register_task
from bench.tasks.shared.schedules import apply_schedule

# mmpose's CocoMetric names -> ours
METRIC_NAMES = {"AP": "AP", "AP .5": "AP50", "AP .75": "AP75", "AP (M)": "APm", "AP (L)": "APl", "AR": "AR",
                "AR .5": "AR50", "AR .75": "AR75", "AR (M)": "ARm", "AR (L)": "ARl", "AP(E)": "APe",
                "AP(M)": "APmed", "AP(H)": "APh"}


@register_task("pose")
class PoseTask(Task):
    """COCO-style keypoint AP on top-down crops (ground-truth boxes, or --bbox-file detections)."""

    name = "pose"
    version = "2.1"  # 2.1: AP / AR in percent (mmpose's CocoMetric reports fractions), as the papers and top-1
    protocols = ("vitpose", "pct", "toy")
    default_protocol = "vitpose"
    primary_metric = "AP"
    fixed_input = "vitpose 256x192, pct 256x256, toy 128x96"
    metrics = tuple(MetricDef(m, description=d) for m, d in (
        ("AP", "OKS AP@[.5:.95]"), ("AP50", "OKS AP@.5"), ("AP75", "OKS AP@.75"), ("APm", "AP, medium persons"),
        ("APl", "AP, large persons"), ("AR", "OKS AR@[.5:.95]"), ("AR50", ""), ("AR75", ""), ("ARm", ""),
        ("ARl", ""), ("APe", "CrowdPose AP, easy"), ("APmed", "CrowdPose AP, medium"), ("APh", "CrowdPose AP, hard")))

    def prepare(self, spec, data, data_root):
        joints = self.dataset(spec.dataset).options.get("joints")
        if joints and len(data.val.keypoints) != joints:
            other = "crowdpose" if len(data.val.keypoints) == 14 else "coco"
            raise BenchError(f"annotations in {data.val.path.parent} have {len(data.val.keypoints)} keypoints but "
                             f"the {spec.dataset} config expects {joints}; use --dataset {other}")
        return data

    def evaluation(self, cfg, spec):
        boxes = "detected person boxes" if cfg.test_dataloader.dataset.get("bbox_file") else "ground-truth boxes"
        return f"{'flip test' if cfg.model.test_cfg.get('flip_test') else 'no flip test'}, {boxes}"

    def deviation_reasons(self, spec):
        if spec.bbox_file:
            return {}
        return {"evaluation": "no --bbox-file: evaluated on ground-truth boxes (the paper's numbers use the person "
                              "detections file, COCO_val2017_detections_AP_H_56_person.json)"}

    def build_config(self, ctx):
        from mmengine.config import Config

        import backbones.mm_bridge  # noqa: F401  (registers TransferBackbone)
        import bench.tasks.pose.transforms  # noqa: F401
        import bench.tasks.shared.optim  # noqa: F401
        from backbones.build import probe_features

        spec, bb_spec, data = ctx.spec, ctx.backbone, ctx.data
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        bb = cfg.model.backbone
        channels, stride = probe_features(bb_spec, tuple(bb.img_size))[cfg.bench.out_index]
        n_deconv = math.log2(stride / 4) if stride >= 4 else -1
        if n_deconv < 0 or n_deconv != int(n_deconv):
            raise BenchError(f"backbone {bb_spec.name}'s last feature map has stride {stride}: the pose head "
                             "upsamples by powers of 2 to stride 4, so it needs stride 4, 8, 16 or 32")
        bb.update(name=bb_spec.name, weights=ctx.weights, allow_missing=spec.allow_missing,
                  out_indices=(cfg.bench.out_index,))
        head = cfg.model.head
        width = bb_spec.pick(cfg.bench.deconv_channels)
        head.update(in_channels=channels, deconv_out_channels=(width,) * int(n_deconv),
                    deconv_kernel_sizes=(cfg.bench.deconv_kernel,) * int(n_deconv))
        cfg.model.data_preprocessor.update(mean=[255 * m for m in bb_spec.mean], std=[255 * s for s in bb_spec.std])
        for loader, part in ((cfg.train_dataloader, data.train), (cfg.test_dataloader, data.val)):
            loader.dataset.update(data_root=str(ctx.data_root), ann_file=str(part.path),
                                  data_prefix=dict(img=str(part.image_dir) + "/"))
        if spec.bbox_file:
            cfg.test_dataloader.dataset.bbox_file = str(Path(spec.bbox_file).resolve())
        if spec.gpu_pipeline:
            from bench.tasks.pose.gpu_pipeline import device_targets

            device_targets(cfg)
        cfg.test_evaluator.ann_file = str(data.val.path)
        cfg.test_evaluator.outfile_prefix = str(ctx.work_dir / "predictions" / "keypoints")
        apply_schedule(cfg, spec)
        return cfg

    def evaluate(self, runner, resolved):
        metrics = {METRIC_NAMES.get(k, k): 100.0 * v for k, v in self.test_metrics(runner).items()}
        pred = resolved.work_dir / "predictions" / "keypoints.keypoints.json"
        boxes = "detections" if resolved.spec.bbox_file else "ground-truth"
        return TaskResult(metrics, pred if pred.exists() else None, {"boxes": boxes}, resolved.data.val.n_images)
