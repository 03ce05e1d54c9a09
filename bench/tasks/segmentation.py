"""Semantic segmentation on mmsegmentation 1.2.2: UperNet (UPerHead + auxiliary FCNHead) over any registry backbone,
ADE20K in its distributed layout, mmseg's IoUMetric single-scale and multi-scale + flip (SegTTAModel)."""
import hashlib
from pathlib import Path

from backbones.errors import BenchError
from backbones.registry import get_spec
from bench.distributed import unwrap
from bench.tasks.base import DatasetInfo, Task, apply_iter_schedule

SPLITS = {"train": ("images/training", "annotations/training"),
          "val": ("images/validation", "annotations/validation")}
FORMAT = "ADE20K png label maps: 0 = unlabelled, 1..150 = class index + 1"


class SegmentationTask(Task):
    name = "segmentation"
    version = "1.0"
    datasets = {"ade20k": DatasetInfo("ade20k", tuple(p for pair in SPLITS.values() for p in pair), (),
                                      "ADE20K (ADEChallengeData2016), 150 classes; evaluated on validation",
                                      "validation", ("semantic",))}
    protocols = ("upernet", "toy")
    default_protocol = "upernet"
    primary_metric = "mIoU"
    higher_is_better = True
    fixed_input = "512x512 crops"
    metrics = ("mIoU", "aAcc", "mAcc", "mIoU_msflip", "aAcc_msflip", "mAcc_msflip")

    def _pairs(self, data_root: Path, split: str):
        """(image, label map) names of one split; every image needs its png. Read once per run."""
        memo = self.__dict__.setdefault("_memo", {})
        if (data_root, split) not in memo:
            memo[(data_root, split)] = self._scan(data_root, split)
        return memo[(data_root, split)]

    @staticmethod
    def _scan(data_root: Path, split: str):
        img_dir, ann_dir = (data_root / p for p in SPLITS[split])
        images = sorted(p.stem for p in img_dir.glob("*.jpg"))
        labels = {p.stem for p in ann_dir.glob("*.png")}
        if not images:
            raise BenchError(f"{img_dir} holds no .jpg images; is --data-root the ADEChallengeData2016 folder?")
        missing = next((i for i in images if i not in labels), None)
        if missing:
            raise BenchError(f"{img_dir / missing}.jpg has no label map {ann_dir / missing}.png")
        return images

    def check_data(self, data_root, dataset):
        super().check_data(data_root, dataset)
        for split in SPLITS:
            self._pairs(data_root, split)

    def fingerprint(self, data_root, dataset):
        """sha256 over the split file names and label-map sizes (hashing every png would read the whole set)."""
        h = hashlib.sha256(dataset.encode())
        for split, (_, ann) in SPLITS.items():
            for name in self._pairs(data_root, split):
                h.update(f"{split}/{name}:{(data_root / ann / name).with_suffix('.png').stat().st_size}".encode())
        return h.hexdigest()

    def build_config(self, run, data_root, work_dir):
        from mmengine.config import Config

        import backbones.mm_bridge  # noqa: F401
        import bench.hooks  # noqa: F401
        import bench.optim  # noqa: F401
        from backbones.simple_fpn import pyramid_levels

        protocol = self.protocol(run.protocol)
        cfg = Config.fromfile(self.config_path(run.dataset, protocol))
        spec = get_spec(run.backbone)
        bb = cfg.model.backbone
        out_indices, channels, plain = pyramid_levels(spec, bb.img_size)
        kind = "plain" if plain else "hierarchical"
        if plain:
            cfg.model.neck = dict(type="SimpleFPN", in_channels=channels[-1], out_channels=256, num_outs=4)
            channels = [256] * 4
        bb.update(name=spec.name, weights=run.weights, out_indices=out_indices, allow_missing=run.allow_missing,
                  drop_path_rate=cfg.bench.drop_path[kind])
        cfg.model.decode_head.in_channels = channels
        cfg.model.auxiliary_head.in_channels = channels[2]
        cfg.model.data_preprocessor.update(mean=[255 * m for m in spec.mean], std=[255 * s for s in spec.std])
        cfg.optim_wrapper.paramwise_cfg.layer_decay_rate = cfg.bench.layer_decay[kind]
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.data_root = str(data_root)
        cfg.test_evaluator.output_dir = str(work_dir / "predictions" / "ade20k")
        apply_iter_schedule(cfg, run, len(self._pairs(data_root, "train")))
        if cfg.train_dataloader.batch_size < 2:
            raise BenchError("UperNet's pyramid pooling normalises a 1x1 pooled map with BatchNorm, so batch 1 cannot "
                             "train it; use --batch-size 2 or more")
        return cfg

    def evaluate(self, runner, work_dir):
        from bench.predictions import write_manifest

        metrics = self.test_metrics(runner)
        if runner.cfg.bench.msflip:
            metrics.update({f"{k}_msflip": v for k, v in msflip_metrics(runner).items()})
        return metrics, write_manifest(work_dir / "predictions" / "ade20k", FORMAT)

    def write_toy(self, out, dataset, n_train, n_val, seed):
        from bench.toy.segmentation import write_toy_ade20k

        return write_toy_ade20k(out, n_train=n_train, n_val=n_val, seed=seed)


def msflip_metrics(runner) -> dict:
    """mIoU / aAcc / mAcc of the trained model under the config's `tta_pipeline` (scales 0.5-1.75, each with and
    without a horizontal flip; softmax scores averaged by mmseg's SegTTAModel)."""
    import torch
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner
    from mmseg.registry import MODELS

    cfg = runner.cfg
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.dataset = dict(cfg.test_dataloader.dataset, pipeline=cfg.tta_pipeline)
    loader = Runner.build_dataloader(loader_cfg, seed=cfg.get("randomness", {}).get("seed"))
    model = unwrap(runner.model)
    tta = MODELS.build(dict(type="SegTTAModel", module=model)).eval()
    evaluator = Evaluator(dict(type="IoUMetric", iou_metrics=["mIoU"]))
    evaluator.dataset_meta = loader.dataset.metainfo
    with torch.no_grad():
        for batch in loader:
            evaluator.process(tta.test_step(batch), batch)
    return {k.split("/", 1)[-1]: float(v) for k, v in evaluator.evaluate(len(loader.dataset)).items()}
