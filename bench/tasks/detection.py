"""Object detection + instance segmentation on mmdet 3.3.0 (Mask R-CNN / Cascade Mask R-CNN, CocoMetric) with any
registry backbone: FPN over hierarchical stages (strides 4-32) or ViTDet's SimpleFPN over a plain ViT's single
stride-16 map, chosen from the backbone's feature strides."""
import importlib
import json
from pathlib import Path

from backbones.errors import BenchError
from backbones.registry import get_spec
from bench.tasks.base import DatasetInfo, Task, apply_schedule

ANN = ("annotations/instances_train2017.json", "annotations/instances_val2017.json")


class DetectionTask(Task):
    name = "detection"
    version = "1.0"
    datasets = {"coco": DatasetInfo("coco", ANN + ("train2017", "val2017"), ANN,
                                    "COCO 2017 instances (boxes + polygon/RLE masks); evaluated on val2017",
                                    "val2017")}
    protocols = ("maskrcnn_1x", "maskrcnn_3x", "cascade_1x", "lsj_1x", "toy")
    default_protocol = "maskrcnn_1x"
    primary_metric = "bbox_mAP"
    fixed_input = "1333x800, or 1024 crops for lsj"
    higher_is_better = True
    metrics = ("bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l", "segm_mAP",
               "segm_mAP_50", "segm_mAP_75")

    def _categories(self, data_root: Path):
        cats = []
        for rel in ANN:
            try:
                ann = json.loads((data_root / rel).read_text())
                names = [c["name"] for c in sorted(ann["categories"], key=lambda c: c["id"])]
                ids = {c["id"] for c in ann["categories"]}
                used = {a["category_id"] for a in ann["annotations"]}
                ann["images"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise BenchError(f"{data_root / rel} is not a COCO instances file ({exc!r} missing or invalid)") \
                    from None
            if used - ids:
                raise BenchError(f"{rel} annotates category ids {sorted(used - ids)} that its categories list lacks")
            cats.append(names)
        if cats[0] != cats[1]:
            raise BenchError(f"category mismatch: train has {cats[0]}, val has {cats[1]}")
        return cats[0]

    def check_data(self, data_root, dataset):
        super().check_data(data_root, dataset)
        self._categories(data_root)

    def build_config(self, run, data_root, work_dir):
        from mmengine.config import Config

        import backbones.mm_bridge  # noqa: F401
        from backbones.simple_fpn import pyramid_levels
        import bench.hooks  # noqa: F401
        import bench.optim  # noqa: F401

        protocol = self.protocol(run.protocol)
        cfg = Config.fromfile(self.config_path(run.dataset, protocol))
        if cfg.bench.get("model_base"):  # e.g. Cascade Mask R-CNN: mmdet's heads, our backbone and neck
            package, _, rel = cfg.bench.model_base.partition("::")
            heads = Config.fromfile(Path(importlib.import_module(package).__file__).parent / ".mim" / "configs" /
                                    rel).model
            for key in ("backbone", "neck", "data_preprocessor"):  # replace, not merge
                heads[key] = cfg.model[key]
            cfg.model = heads
        spec = get_spec(run.backbone)
        bb = cfg.model.backbone
        out_indices, channels, plain = pyramid_levels(spec, bb.img_size)
        if not plain:
            bb.update(out_indices=out_indices, dynamic_img_size=True)
            cfg.model.neck = dict(type="FPN", in_channels=channels, out_channels=256, num_outs=5)
        else:
            size = tuple(bb.img_size)
            if cfg.model.data_preprocessor.get("batch_augments") is None:  # fixed-size input for global attention
                side = max(size)
                size = (side, side)
                cfg.model.data_preprocessor.batch_augments = [dict(type="BatchFixedSizePad", size=size,
                                                                   pad_mask=True)]
            bb.update(out_indices=out_indices, img_size=size)
            cfg.model.neck = dict(type="SimpleFPN", in_channels=channels[-1], out_channels=256, num_outs=5)
        bb.update(name=spec.name, weights=run.weights, allow_missing=run.allow_missing,
                  drop_path_rate=cfg.bench.drop_path_rate)
        cfg.model.data_preprocessor.update(mean=[255 * m for m in spec.mean], std=[255 * s for s in spec.std])
        classes = tuple(self._categories(data_root))
        heads = cfg.model.roi_head.bbox_head
        for head in heads if isinstance(heads, list) else [heads]:
            head.num_classes = len(classes)
        cfg.model.roi_head.mask_head.num_classes = len(classes)
        cfg.optim_wrapper.paramwise_cfg.layer_decay_rate = cfg.optim_wrapper.paramwise_cfg.get(
            "layer_decay_rate", cfg.bench.get("layer_decay", 1.0))
        for loader, rel, img in ((cfg.train_dataloader, ANN[0], "train2017/"),
                                 (cfg.test_dataloader, ANN[1], "val2017/")):
            loader.dataset.update(data_root=str(data_root), ann_file=rel, data_prefix=dict(img=img),
                                  metainfo=dict(classes=classes))
        cfg.test_evaluator.update(ann_file=str(data_root / ANN[1]), outfile_prefix=str(work_dir / "predictions" /
                                                                                     "coco"))
        apply_schedule(cfg, run)
        return cfg

    def evaluate(self, runner, work_dir):
        metrics = self.test_metrics(runner)
        if not metrics:  # mmdet's CocoMetric reports nothing when the model detected nothing: that is AP 0
            metrics = {name: 0.0 for name in self.metrics}
        pred = work_dir / "predictions" / "coco.bbox.json"
        return metrics, pred if pred.exists() else None

    def write_toy(self, out, dataset, n_train, n_val, seed):
        from bench.toy.detection import write_toy_detection

        return write_toy_detection(out, n_train=n_train, n_val=n_val, seed=seed)
