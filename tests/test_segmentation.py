"""ADE20K semantic segmentation on mmseg: toy layout, end to end through the CLI with mIoU checked against a
hand-computed confusion matrix on the written predictions and against a majority-class baseline, UperNet on a plain
ViT through the shared simple feature pyramid, full-size configs for one step at 512x512, bad inputs."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from bench.cli import main
from cli_run import bench_run

N_CLASSES = 150


@pytest.fixture(scope="module")
def toy_ade(tmp_path_factory):
    root = tmp_path_factory.mktemp("ade") / "ADEChallengeData2016"
    assert main(["data", "toy", "--task", "segmentation", "--dataset", "ade20k", "--out", str(root),
                 "--n-train", "24", "--n-val", "6", "--seed", "0"]) == 0
    return root


def _run(args, tmp_path, capsys):
    return bench_run(args, tmp_path / "results", capsys, tmp_path / "work")[0]


def confusion_miou(pairs):
    """mIoU (%) from a confusion matrix over ADE20K label maps: 0 is unlabelled, classes 1..150; a class counts
    when it occurs in the ground truth or the prediction."""
    conf = np.zeros((N_CLASSES + 1, N_CLASSES + 1), np.int64)
    for gt, pred in pairs:
        keep = gt > 0
        np.add.at(conf, (gt[keep], pred[keep]), 1)
    conf = conf[1:, 1:]
    tp = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - tp
    return 100 * float(np.mean(tp[union > 0] / union[union > 0]))


def test_confusion_miou_by_hand():
    gt = np.array([[0, 3, 3], [10, 10, 3]])
    pred = np.array([[10, 3, 10], [10, 10, 10]])
    # sky (3): tp 1, fp 0, fn 2 -> 1/3; grass (10): tp 2, fp 2 (the unlabelled pixel is ignored) -> 2/4
    assert confusion_miou([(gt, pred)]) == pytest.approx(100 * (1 / 3 + 2 / 4) / 2)


def test_end_to_end_learns_and_miou_matches_predictions(toy_ade, tmp_path, capsys):
    row = _run(["--backbone", "demo-random", "--task", "segmentation", "--protocol", "toy", "--data-root",
                str(toy_ade), "--epochs", "10"], tmp_path, capsys)
    assert row["status"] == "ok" and row["primary_metric"] == "mIoU" and row["split"] == "validation"
    assert set(row["metrics"]) == {"mIoU", "aAcc", "mAcc", "mIoU_msflip", "aAcc_msflip", "mAcc_msflip"}
    assert row["config"]["model"]["decode_head"]["type"] == "UPerHead" and "neck" not in row["config"]["model"]
    manifest_path = Path(row["predictions"]["path"])
    manifest = json.loads(manifest_path.read_text())
    assert len(manifest["files"]) == 6 and "1..150" in manifest["format"]
    pairs = []
    for name in manifest["files"]:
        pred = cv2.imread(str(manifest_path.with_suffix("") / name), cv2.IMREAD_UNCHANGED)
        gt = cv2.imread(str(toy_ade / "annotations" / "validation" / name), cv2.IMREAD_UNCHANGED)
        assert pred.shape == gt.shape and pred.dtype == np.uint8 and pred.min() >= 1
        pairs.append((gt.astype(np.int64), pred.astype(np.int64)))
    assert row["metrics"]["mIoU"] == pytest.approx(confusion_miou(pairs), abs=0.01)
    train = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in (toy_ade / "annotations" / "training").glob("*.png")]
    counts = np.bincount(np.concatenate([t[t > 0].ravel() for t in train]), minlength=N_CLASSES + 1)
    majority = confusion_miou([(gt, np.full_like(gt, counts.argmax())) for gt, _ in pairs])
    # measured (2-core CPU): mIoU 86.4 / 89.6 / 82.0 (multi-scale + flip 92.3 / 92.5 / 87.5) for seeds 0 / 1 / 2,
    # the majority class 12.2
    assert row["metrics"]["mIoU"] > majority + 50, (row["metrics"], majority)
    assert row["metrics"]["mIoU_msflip"] > majority + 50


def test_plain_vit_uses_simple_fpn(toy_ade, tmp_path, capsys):
    row = _run(["--backbone", "timm:vit_tiny_patch16_224", "--task", "segmentation", "--protocol", "toy",
                "--data-root", str(toy_ade), "--epochs", "1"], tmp_path, capsys)
    model = row["config"]["model"]
    assert model["neck"]["type"] == "SimpleFPN" and model["decode_head"]["in_channels"] == [256] * 4
    assert 0 <= row["metrics"]["mIoU"] <= 100


@pytest.mark.parametrize("backbone", ["simmim-swin-b", "simmim-vit-b"])
def test_full_config_one_step(backbone, toy_ade, tmp_path):
    from mmengine.registry import init_default_scope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    from cli_run import resolved_config

    cfg = resolved_config("segmentation", toy_ade, tmp_path, backbone=backbone, dataset="ade20k", protocol="upernet",
                          allow_missing=True)
    assert cfg.train_cfg.max_iters == 160000 and cfg.train_dataloader.batch_size == 16
    assert cfg.model.test_cfg.mode == "slide" and tuple(cfg.model.test_cfg.crop_size) == (512, 512)
    assert cfg.param_scheduler[1].end == 160000 and cfg.model.decode_head.num_classes == 150
    init_default_scope("mmseg")
    model = MODELS.build(cfg.model).train()
    # batch 2, the protocol's per-GPU batch: at batch 1 the pyramid pooling's BatchNorm sees one value per channel
    # on its 1x1 pooled map and cannot train (bench run refuses --batch-size 1 for that reason)
    size = (512, 512)
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo={"img_shape": size, "pad_shape": size, "ori_shape": size})
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 150, (1, *size)))
        samples.append(sample)
    losses = model.loss(torch.randn(2, 3, *size), samples)
    loss = losses["decode.loss_ce"] + losses["aux.loss_ce"]
    loss.backward()
    assert torch.isfinite(loss)
    no_grad = [n for n, p in model.backbone.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, no_grad


def test_bad_inputs(toy_ade, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(toy_ade, broken)
    (broken / "annotations" / "validation" / "ADE_val_00000002.png").unlink()
    base = ["run", "--backbone", "demo-random", "--task", "segmentation", "--protocol", "toy", "--device", "cpu",
            "--results", str(tmp_path / "r")]
    for args, msg in [(["--data-root", str(tmp_path / "none")], "does not exist"),
                      (["--data-root", str(tmp_path)], "images/training is missing"),
                      (["--data-root", str(broken)], "ADE_val_00000002.jpg has no label map"),
                      (["--dataset", "cityscapes", "--data-root", str(toy_ade)], "no dataset 'cityscapes'"),
                      (["--data-root", str(toy_ade), "--batch-size", "1"], "batch 1 cannot train")]:
        assert main(base + args) == 2
        assert msg in capsys.readouterr().err
