"""A plug-in task, as a user would write it: "which way is up?" (0, 90, 180 or 270 degrees) on any folder of
images, fine-tuned through transfer-bench's classification model and metric.

    bench --include orientation_task.py run --backbone demo-random --task orientation --data-root DIR"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
from mmengine.dataset import BaseDataset
from mmengine.registry import DATASETS
from PIL import Image

from backbones.core.errors import BenchError
from bench.tasks import MetricDef, Task, TaskResult, register_dataset, register_task


@dataclass(frozen=True)
class Images:
    """Image paths: the first 80 % (sorted) train, the rest test."""

    train: tuple
    test: tuple
    fingerprint: str


def read_images(root: Path) -> Images:
    """Every .jpg / .png under `root`."""
    files = sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    if len(files) < 5:
        raise BenchError(f"{root} holds {len(files)} images; the orientation task needs at least 5")
    cut = len(files) * 4 // 5
    return Images(tuple(str(Path(root) / f) for f in files[:cut]), tuple(str(Path(root) / f) for f in files[cut:]),
                  hashlib.sha256("\n".join(files).encode()).hexdigest())


@DATASETS.register_module(force=True)  # force: a test process may import this file more than once
class RotatedImages(BaseDataset):
    """Each image four times, rotated by k x 90 degrees, labelled k."""

    def __init__(self, paths, img_size, **kwargs):
        from bench.tasks.classification.model import build_transform

        self.paths, self.transform = paths, build_transform(img_size)
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        return [{"img_path": p, "gt_label": k} for p in self.paths for k in range(4)]

    def __getitem__(self, idx):
        info = self.get_data_info(idx)
        with Image.open(info["img_path"]) as img:
            x = self.transform(img.convert("RGB"))
        return {"inputs": torch.rot90(x, info["gt_label"], (1, 2)), "data_samples": info}


@register_task("orientation")
class OrientationTask(Task):
    """4-way rotation accuracy."""

    name = "orientation"
    version = "1.0"
    protocols = ("toy",)
    default_protocol = "toy"
    primary_metric = "top1"
    metrics = (MetricDef("top1"), MetricDef("top5"), MetricDef("mean_per_class"))

    def config_path(self, dataset, protocol):
        return Path(__file__)  # the protocol is defined here: this file's bytes are part of the cell

    def build_config(self, ctx):
        from mmengine.config import Config

        import bench.tasks.classification.model  # noqa: F401  (TransferClassifier, ClassificationMetric, collate)

        size = (64, 64)
        loader = dict(batch_size=8, num_workers=0, collate_fn=dict(type="classification_collate"))
        cfg = Config(dict(
            default_scope="mmengine", work_dir=str(ctx.work_dir),
            model=dict(type="TransferClassifier", num_classes=4, label_smoothing=0.0,
                       backbone=dict(name=ctx.backbone.name, weights=ctx.weights, img_size=size,
                                     allow_missing=ctx.spec.allow_missing),
                       data_preprocessor=dict(type="ImgDataPreprocessor", mean=[127.5] * 3, std=[58.0] * 3)),
            train_dataloader=dict(loader, sampler=dict(type="DefaultSampler", shuffle=True),
                                  dataset=dict(type="RotatedImages", paths=ctx.data.train, img_size=size)),
            test_dataloader=dict(loader, sampler=dict(type="DefaultSampler", shuffle=False),
                                 dataset=dict(type="RotatedImages", paths=ctx.data.test, img_size=size)),
            test_evaluator=dict(type="ClassificationMetric",
                                outfile=str(ctx.work_dir / "predictions" / "predictions.csv")),
            train_cfg=dict(by_epoch=True, max_epochs=3 if ctx.spec.epochs is None else ctx.spec.epochs),
            test_cfg=dict(), optim_wrapper=dict(optimizer=dict(type="AdamW", lr=1e-3)),
            default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=1))))
        return cfg

    def evaluate(self, runner, resolved):
        return TaskResult(self.test_metrics(runner), resolved.work_dir / "predictions" / "predictions.csv",
                          n_eval=4 * len(resolved.data.test))


register_dataset("orientation", "folder", read_images, description="any folder of images (80 % train, 20 % test)",
                 eval_split="test")
