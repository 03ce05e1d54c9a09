"""Detection on mmdet: FPN (tiny Swin) and simple feature pyramid (tiny ViT) end to end through the CLI, bbox AP
equal to pycocotools on the written predictions, the loss series kept separately, full-size configs, errors."""
import json
from pathlib import Path

import pytest
import torch

from bench.cli import main
from cli_run import bench_run


@pytest.fixture(scope="module")
def toy_det(tmp_path_factory):
    from bench.tasks.detection.toy import write_toy_detection

    root = tmp_path_factory.mktemp("det") / "coco"
    write_toy_detection(root, n_train=16, n_val=6, seed=0)
    return root


def _run(args, tmp_path, capsys):
    return bench_run(args, tmp_path / "results", capsys, tmp_path / "work")[0]


def _coco_ap(ann, pred):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = COCO(str(ann))
    ev = COCOeval(gt, gt.loadRes(str(pred)), "bbox")
    ev.params.maxDets = [100, 300, 1000]  # as mmdet's CocoMetric evaluates
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev.stats[0]


@pytest.mark.parametrize("backbone,neck", [("demo-simmim", "FPN"), ("timm:vit_tiny_patch16_224", "SimpleFPN")])
def test_end_to_end(backbone, neck, toy_det, tmp_path, capsys):
    row = _run(["--backbone", backbone, "--task", "detection", "--protocol", "toy", "--data-root", str(toy_det),
                "--epochs", "1"], tmp_path, capsys)
    assert row["status"] == "ok" and row["config"]["model"]["neck"]["type"] == neck
    assert {"bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "segm_mAP"} <= set(row["metrics"])
    pred = Path(row["predictions"]["path"])
    assert pred.name == "coco.bbox.json" and (pred.parent / "coco.segm.json").exists()
    if json.loads(pred.read_text()):
        ap = _coco_ap(toy_det / "annotations" / "instances_val2017.json", pred)
        assert row["metrics"]["bbox_mAP"] == pytest.approx(100 * max(ap, 0.0), abs=0.1)  # rows: percent
    losses = row["extra"]["losses"]
    assert len(losses["loss_cls"]) == len(losses["loss_bbox"]) == 4  # 16 images / batch 4, kept separately


def test_results_show_plot(toy_det, tmp_path, capsys):
    row = _run(["--backbone", "demo-simmim", "--task", "detection", "--protocol", "toy", "--data-root",
                str(toy_det), "--epochs", "1"], tmp_path, capsys)
    png = tmp_path / "losses.png"
    assert main(["results", "show", row["cell_key"], "--results", str(tmp_path / "results"), "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000


def test_bad_inputs(toy_det, tmp_path, capsys):
    import shutil

    base = ["run", "--task", "detection", "--device", "cpu", "--results", str(tmp_path), "--dry-run"]
    assert main(base + ["--backbone", "timm:vit_small_patch14_dinov2", "--data-root", str(toy_det)]) == 2
    assert "stride 14" in capsys.readouterr().err
    assert main(base + ["--backbone", "demo-simmim", "--data-root", str(tmp_path / "none")]) == 2
    bad = tmp_path / "bad"
    shutil.copytree(toy_det, bad)
    val = json.loads((bad / "annotations" / "instances_val2017.json").read_text())
    val["categories"] = val["categories"][:2]
    val["annotations"] = [a for a in val["annotations"] if a["category_id"] < 3]
    (bad / "annotations" / "instances_val2017.json").write_text(json.dumps(val))
    assert main(base + ["--backbone", "demo-simmim", "--data-root", str(bad)]) == 2
    assert "category mismatch" in capsys.readouterr().err
    (bad / "annotations" / "instances_train2017.json").unlink()
    assert main(base + ["--backbone", "demo-simmim", "--data-root", str(bad)]) == 2
    assert "annotations/instances_train2017.json is missing" in capsys.readouterr().err


@pytest.mark.parametrize("protocol,size", [("maskrcnn_1x", (800, 1216)), ("maskrcnn_3x", (800, 1216)),
                                           ("cascade_1x", (800, 1216)), ("lsj_1x", (1024, 1024))])
def test_full_config_one_step(protocol, size, toy_det, tmp_path):
    """Build each shipped full-size config with a Swin-B backbone and run one training step at its input size."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData

    from cli_run import resolved_config

    cfg = resolved_config("detection", toy_det, tmp_path, backbone="sup-swin-b", dataset="coco", protocol=protocol)
    init_default_scope("mmdet")
    model = MODELS.build(cfg.model).train()
    h, w = size
    sample = DetDataSample(metainfo=dict(img_shape=size, pad_shape=size, ori_shape=size, scale_factor=(1.0, 1.0),
                                         batch_input_shape=size))
    masks = torch.zeros(1, h, w, dtype=torch.uint8)
    masks[0, 100:300, 200:500] = 1
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[200.0, 100.0, 500.0, 300.0]]),
                                       labels=torch.tensor([1]), masks=BitmapMasks(masks.numpy(), h, w))
    losses = model.loss(torch.randn(1, 3, h, w), [sample])
    total, _ = model.parse_losses(losses)
    total.backward()
    assert torch.isfinite(total)


# bbox AP50 / mAP gains over the untrained detector that every seed must reach (see test_learnability)
MIN_GAIN_AP50, MIN_GAIN_MAP = 2.5, 0.6


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learnability(seed, tmp_path, capsys):
    """24 toy epochs (384 iterations) on 64 toy images lift bbox AP50 and mAP above the untrained detector, on every
    seed (about 2 min per seed on 2 cores, so `make test-all`). Measured (2-core CPU),
    bbox AP50 / mAP: seed 0 5.2 / 1.4, seed 1 11.3 / 2.6, seed 2 10.5 / 2.8, untrained 0.3 / 0.1, 0.2 / 0.0,
    0.2 / 0.0; the smallest gains (4.9 / 1.3, seed 0) are about twice MIN_GAIN_AP50 / MIN_GAIN_MAP.

    The toy protocol's heads are narrowed (task_configs/detection/toy.py) and keep the 1x step decay; with the
    full-width heads and 8 epochs this test learned on seed 0 only (mAP / AP50 11.2 / 29, but 1.9 / 8.2 and
    2.6 / 11.8 on seeds 1 / 2, and no better with 12 epochs, batch 2 or LR 3e-4). What else was tried with the
    narrow heads, AP50 of seed 1 (two numbers: seeds 0 / 1): 48 epochs 10.6 (a plateau); SimMIM demo weights 12.2;
    LR 3e-3 3.0, LR 3e-4 8.7 / 6.1; 128-wide heads 8.3 / 7.3; images upscaled to 256 5.9 / 12.2; a plain
    background 2.6; SGD 0.02 diverged (which now fails the run). So the tiny random-init Swin detector learns
    slowly but on every seed; the thresholds sit at about half the worst seed."""
    from bench.tasks.detection.toy import write_toy_detection

    root = tmp_path / "coco"
    write_toy_detection(root, n_train=64, n_val=16, seed=0)
    common = ["--backbone", "demo-simmim", "--task", "detection", "--protocol", "toy", "--data-root", str(root),
              "--seed", str(seed)]
    untrained = _run(common + ["--epochs", "0"], tmp_path / "a", capsys)["metrics"]
    trained_row = _run(common + ["--epochs", "24"], tmp_path / "b", capsys)
    trained = trained_row["metrics"]
    assert trained["bbox_mAP_50"] > untrained["bbox_mAP_50"] + MIN_GAIN_AP50, (trained, untrained)
    assert trained["bbox_mAP"] > untrained["bbox_mAP"] + MIN_GAIN_MAP, (trained, untrained)
    ap = _coco_ap(root / "annotations" / "instances_val2017.json", trained_row["predictions"]["path"])
    assert trained["bbox_mAP"] == pytest.approx(100 * ap, abs=0.1)
