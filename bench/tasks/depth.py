"""Monocular depth on mmsegmentation 1.2.2 (DepthEstimator, SiLogLoss, LoadDepthAnnotation, DepthMetric) with the
seed paper's last-stage head, NYUv2 (BTS layout) and KITTI (Eigen split)."""
import hashlib
import json
from pathlib import Path

from backbones.build import probe_features
from backbones.errors import BenchError
from backbones.registry import get_spec
from bench.tasks.base import DatasetInfo, Task, apply_schedule


class DepthTask(Task):
    name = "depth"
    version = "1.0"
    datasets = {
        "nyu": DatasetInfo("nyu", (), (), "NYU Depth v2, BTS/GLPDepth layout; 654 Eigen test images, cap 10 m",
                           "test"),
        "kitti": DatasetInfo("kitti", (), (), "KITTI Eigen split; 652 test images with ground truth, Garg crop, "
                                              "cap 80 m", "test"),
    }
    protocols = ("glp", "toy")
    default_protocol = "glp"
    primary_metric = "rmse"
    fixed_input = "NYU crops 480x480, KITTI 352x352"
    higher_is_better = False
    metrics = ("d1", "d2", "d3", "abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "silog")

    def _pairs(self, data_root, dataset):
        from bench.datasets.depth import read_pairs

        self.dataset(dataset)
        if not Path(data_root).is_dir():
            raise BenchError(f"data root {data_root} does not exist; pass --data-root DIR, or make toy data: "
                             f"bench data toy --task depth --dataset {dataset} --out DIR")
        return {split: read_pairs(Path(data_root), dataset, split) for split in ("train", "test")}

    def check_data(self, data_root, dataset):
        self._pairs(data_root, dataset)

    def fingerprint(self, data_root, dataset):
        pairs = self._pairs(data_root, dataset)
        rel = {s: [(str(Path(i).relative_to(data_root)), str(Path(d).relative_to(data_root))) for i, d in p]
               for s, p in pairs.items()}
        return hashlib.sha256(json.dumps([dataset, rel]).encode()).hexdigest()

    def build_config(self, run, data_root, work_dir):
        from mmengine.config import Config

        import bench.hooks  # noqa: F401
        import bench.models.depth  # noqa: F401  (dataset, head, metric; registers TransferBackbone)
        import bench.optim  # noqa: F401

        protocol = self.protocol(run.protocol)
        cfg = Config.fromfile(self.config_path(run.dataset, protocol))
        spec = get_spec(run.backbone)
        large = spec.arch_kwargs.get("embed_dim", 0) >= 192
        size = "large" if large else "base"
        window = cfg.bench.window if spec.arch in ("swin", "swinv2") else None
        img_size = tuple(cfg.model.backbone.img_size)
        channels, stride = probe_features(spec, img_size, window)[-1]
        cfg.model.backbone.update(name=spec.name, weights=run.weights, window_size=window,
                                  allow_missing=run.allow_missing, drop_path_rate=cfg.bench.drop_path[size])
        cfg.model.decode_head.in_channels = channels
        cfg.model.data_preprocessor.update(mean=[255 * m for m in spec.mean], std=[255 * s for s in spec.std])
        if protocol == "glp":
            cfg.optim_wrapper.paramwise_cfg.layer_decay_rate = cfg.bench.layer_decay[size]
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.update(data_root=str(data_root), dataset=run.dataset)
        cfg.test_evaluator.output_dir = str(work_dir / "predictions" / "depth")
        apply_schedule(cfg, run)
        return cfg

    def evaluate(self, runner, work_dir):
        from bench.predictions import write_manifest

        return self.test_metrics(runner), write_manifest(work_dir / "predictions" / "depth",
                                                         "uint16 png, depth x scale")

    def write_toy(self, out, dataset, n_train, n_val, seed):
        from bench.toy.depth import write_toy_depth

        return write_toy_depth(out, dataset, n_train=n_train, n_test=n_val, seed=seed)
