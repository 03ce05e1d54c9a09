"""Pose on mmpose end to end through the `bench` CLI, on toy COCO-keypoints data."""
import json
from pathlib import Path

import pytest

from bench.cli import main
from cli_run import bench_run, read_split
from official_layouts import save_simmim_container, swin_state

TINY = "timm:vit_tiny_patch16_224"


def _run(args, tmp_path, capsys):
    row, _ = bench_run(args, tmp_path / "results", capsys, tmp_path / "work")
    assert len(list((tmp_path / "results" / "pose").glob("*.json"))) == 1
    return row


def _cocoeval_ap(ann_file, pred_file):
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval

    gt = COCO(str(ann_file))
    dt = gt.loadRes(str(pred_file))
    ev = COCOeval(gt, dt, "keypoints", use_area=True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev.stats[0]


def test_toy_layout_is_coco_keypoints(toy_pose):
    ann = json.loads((toy_pose / "annotations" / "person_keypoints_train2017.json").read_text())
    a = ann["annotations"][0]
    assert {"bbox", "area", "num_keypoints", "keypoints", "iscrowd", "image_id", "category_id"} <= set(a)
    assert len(a["keypoints"]) == 17 * 3 and set(a["keypoints"][2::3]) <= {0, 1, 2}
    assert len(ann["categories"][0]["keypoints"]) == 17
    val = json.loads((toy_pose / "annotations" / "person_keypoints_val2017.json").read_text())
    assert not {i["file_name"] for i in ann["images"]} & {i["file_name"] for i in val["images"]}
    assert (toy_pose / "train2017" / ann["images"][0]["file_name"]).exists()


def test_run_end_to_end_tiny_backbone(toy_pose, tmp_path, capsys):
    row = _run(["--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(toy_pose),
                "--epochs", "1"], tmp_path, capsys)
    assert row["status"] == "ok" and row["task"] == "pose" and row["protocol"] == "toy"
    assert set(row["metrics"]) >= {"AP", "AP50", "AP75", "APm", "APl", "AR"}
    pred = Path(row["predictions"]["path"])
    assert pred.parent.name == "predictions" and pred.exists()
    from backbones.core.io import sha256_file

    assert row["predictions"]["sha256"] == sha256_file(pred)
    ap = _cocoeval_ap(toy_pose / "annotations" / "person_keypoints_val2017.json", pred)
    assert row["metrics"]["AP"] == pytest.approx(100 * ap, abs=1e-4)  # rows hold percent, pycocotools a fraction
    assert row["env"]["mmpose"] == "1.3.2" and row["timings"]["train_img_per_s"] > 0
    assert row["timings"]["data_time_s"] > 0 and row["timings"]["step_time_s"] > 0  # end to end: fetch + step
    assert row["dataset_fingerprint"] and row["config_hash"] and "loss_kpt" in row["extra"]["losses"]


def test_run_simmim_swin_b_official_checkpoint(toy_pose_small, tmp_path, capsys):
    ckpt = tmp_path / "simmim_swin_b.pth"
    save_simmim_container(swin_state(img=192, window=6), ckpt)
    row = _run(["--backbone", "simmim-swin-b", "--task", "pose", "--protocol", "toy", "--data-root",
                str(toy_pose_small), "--weights", str(ckpt), "--epochs", "1", "--batch-size", "2"], tmp_path, capsys)
    assert row["status"] == "ok"
    audit = row["load_audit"]
    assert audit["ok"] and audit["n_missing"] == 0 and audit["n_loaded"] > 300
    assert row["weights_sha256"] and len(row["extra"]["losses"]["loss_kpt"]) == 2


def test_learnability_beats_untrained(toy_pose, tmp_path, capsys):
    common = ["--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(toy_pose)]
    untrained = _run(common + ["--epochs", "0"], tmp_path / "a", capsys)
    trained = _run(common + ["--epochs", "8"], tmp_path / "b", capsys)
    # measured (2-core CPU): AP 41.2 / 47.5 / 49.0 for seeds 0 / 1 / 2 after 8 epochs, 0.0 untrained
    assert trained["metrics"]["AP"] > untrained["metrics"]["AP"] + 25, (trained["metrics"], untrained["metrics"])


def test_bad_inputs(toy_pose, tmp_path, capsys):
    base = ["run", "--results", str(tmp_path / "r"), "--device", "cpu", "--protocol", "toy"]
    cases = [
        (["--backbone", TINY, "--task", "posee", "--data-root", str(toy_pose)], "unknown task 'posee'"),
        (["--backbone", TINY, "--task", "pose", "--dataset", "mpii", "--data-root", str(toy_pose)], "no dataset"),
        (["--backbone", TINY, "--task", "pose", "--data-root", str(tmp_path / "none")], "does not exist"),
        (["--backbone", TINY, "--task", "pose", "--data-root", str(tmp_path)], "person_keypoints_train2017.json"),
        (["--backbone", TINY, "--task", "pose", "--dataset", "crowdpose", "--data-root", str(toy_pose)],
         "json/crowdpose_trainval.json is missing"),
        (["--backbone", "timm:vit_small_patch14_dinov2", "--task", "pose", "--data-root", str(toy_pose)],
         "stride 14"),
        (["--backbone", "nope", "--task", "pose", "--data-root", str(toy_pose)], "unknown backbone"),
    ]
    for args, message in cases:
        assert main(base + args) == 2
        assert message in capsys.readouterr().err, args


def test_keypoint_count_mismatch(tmp_path, capsys):
    from bench.tasks.pose.toy import write_toy_pose

    root = write_toy_pose(tmp_path / "cp", "crowdpose", n_train=2, n_val=2)
    # a CrowdPose file placed in the COCO layout
    (root / "annotations").mkdir()
    for split, src in (("train", "crowdpose_trainval"), ("val", "crowdpose_test")):
        (root / "annotations" / f"person_keypoints_{split}2017.json").write_text((root / "json" / f"{src}.json")
                                                                                  .read_text())
    (root / "train2017").symlink_to(root / "images")
    (root / "val2017").symlink_to(root / "images")
    assert main(["run", "--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(root),
                 "--device", "cpu", "--dry-run"]) == 2
    assert "have 14 keypoints but the coco config expects 17; use --dataset crowdpose" in capsys.readouterr().err


def test_crowdpose_toy_runs(tmp_path, capsys):
    from bench.tasks.pose.toy import write_toy_pose

    root = write_toy_pose(tmp_path / "cp", "crowdpose", n_train=4, n_val=4)
    row = _run(["--backbone", TINY, "--task", "pose", "--dataset", "crowdpose", "--protocol", "toy",
                "--data-root", str(root), "--epochs", "1", "--batch-size", "2"], tmp_path, capsys)
    assert row["status"] == "ok" and "AP" in row["metrics"] and row["split"] == "test"


def test_eval_only_with_finetuned_checkpoint(toy_pose_small, tmp_path, capsys):
    row = _run(["--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(toy_pose_small),
                "--epochs", "1"], tmp_path, capsys)
    ckpt = next(Path(row["work_dir"]).glob("epoch_*.pth"))
    again = _run(["--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(toy_pose_small),
                  "--epochs", "1", "--eval-only", "--checkpoint", str(ckpt)], tmp_path / "eval", capsys)
    assert again["metrics"]["AP"] == pytest.approx(row["metrics"]["AP"], abs=1e-9)


def test_tasks_list_and_data_toy_cli(tmp_path, capsys):
    assert main(["tasks", "list"]) == 0
    out = capsys.readouterr().out
    assert "pose" in out and "vitpose" in out and "crowdpose" in out
    assert main(["data", "toy", "--task", "pose", "--dataset", "crowdpose", "--out", str(tmp_path / "cp"),
                 "--n-train", "3", "--n-val", "2"]) == 0
    assert (tmp_path / "cp" / "json" / "crowdpose_test.json").exists()
    assert main(["data", "toy", "--task", "pose", "--out", str(tmp_path / "cp")]) == 2  # not empty: refused
    assert "not empty" in capsys.readouterr().err


def test_reads_handwritten_coco_fixture(tmp_path):
    """The real COCO-keypoints fields (segmentation, coco_url, licenses, zero-keypoint persons) read through the
    data check and mmpose's CocoDataset, not only files our toy writer made."""
    import shutil

    import cv2
    import numpy as np
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    fixture = Path(__file__).parent / "fixtures" / "pose" / "person_keypoints_val2017.json"
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    for split in ("train", "val"):
        shutil.copy(fixture, root / "annotations" / f"person_keypoints_{split}2017.json")
        for image in json.loads(fixture.read_text())["images"]:
            (root / f"{split}2017").mkdir(exist_ok=True)
            cv2.imwrite(str(root / f"{split}2017" / image["file_name"]),
                        np.zeros((image["height"], image["width"], 3), np.uint8))
    read_split("pose", "coco", root)
    init_default_scope("mmpose")
    ds = DATASETS.build(dict(type="CocoDataset", data_root=str(root), data_mode="topdown",
                             ann_file="annotations/person_keypoints_train2017.json",
                             data_prefix=dict(img="train2017/"), pipeline=[]))
    assert len(ds) == 2  # the zero-keypoint person is skipped for training
    item = ds.get_data_info(0)
    assert item["keypoints"].shape == (1, 17, 2) and item["bbox"].shape == (1, 4)
    (root / "annotations" / "person_keypoints_val2017.json").write_text('{"images": []}')
    with pytest.raises(Exception, match="not a COCO-keypoints annotation file"):
        read_split("pose", "coco", root)


def test_bbox_file_detections(toy_pose_small, tmp_path, capsys):
    """Evaluation on a person-detection results file (COCO results format) instead of ground-truth boxes."""
    val = json.loads((toy_pose_small / "annotations" / "person_keypoints_val2017.json").read_text())
    dets = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"], "score": 0.99}
            for a in val["annotations"]]
    dets.append({"image_id": val["images"][0]["id"], "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.2})
    bbox_file = tmp_path / "dets.json"
    bbox_file.write_text(json.dumps(dets))
    row = _run(["--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(toy_pose_small),
                "--epochs", "0", "--bbox-file", str(bbox_file)], tmp_path, capsys)
    preds = json.loads(Path(row["predictions"]["path"]).read_text())
    assert len(preds) == len(dets) and row["status"] == "ok"
    assert main(["run", "--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root",
                 str(toy_pose_small), "--bbox-file", str(tmp_path / "none.json"), "--dry-run"]) == 2


def test_img_size_rejected_where_protocol_fixes_it(toy_pose, capsys):
    assert main(["run", "--backbone", TINY, "--task", "pose", "--protocol", "toy", "--data-root", str(toy_pose),
                 "--img-size", "64", "64", "--dry-run"]) == 2
    assert "pose protocols fix the input size (vitpose 256x192" in capsys.readouterr().err
