"""Single-object tracking: readers on hand-written GOT-10k / LaSOT / TrackingNet fixtures, a trained tracker
beating the 'box stays where it started' baseline through the CLI (untrained: it does not), submission formats and
metrics through the CLI, bad inputs, the full-size configs, --train-mix (the metrics: test_tracking_metrics.py)."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from backbones.core.errors import BenchError
from bench.cli import main
from cli_run import bench_run
from bench.tasks.tracking.datasets import read_got10k, read_lasot, read_trackingnet
from bench.tasks.tracking.metrics import got10k_metrics

BACKBONE = "demo-random"


def _touch(paths):
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")


def test_got10k_reader(tmp_path):
    d = tmp_path / "GOT-10k" / "val" / "GOT-10k_Val_000001"
    _touch([d / "00000001.jpg", d / "00000002.jpg", d / "00000003.jpg"])
    (d.parent / "list.txt").write_text("GOT-10k_Val_000001\n")
    (d / "groundtruth.txt").write_text("347.0000,443.0000,429.0000,272.0000\n"
                                       "348.0000,440.0000,430.0000,275.0000\n350.0,441.0,428.0,270.0\n")
    (d / "absence.label").write_text("0\n1\n0\n")
    (d / "cover.label").write_text("8\n0\n5\n")
    (d / "cut_by_image.label").write_text("0\n0\n1\n")
    (d / "meta_info.ini").write_text("[METAINFO]\nurl: https://youtu.be/x\nbegin: 00:00:09\nend: 00:00:13\n"
                                     "anno_fps: 10Hz\nobject_class: ichneumon\nmotion_class: walking\n"
                                     "major_class: viverrine\nroot_class: animal\nmotion_adverb: slowly\n"
                                     "resolution: (1920, 1080)\n")
    (seq,) = read_got10k(tmp_path / "GOT-10k", "val")
    assert seq.name == "GOT-10k_Val_000001" and seq.resolution == (1920, 1080)
    assert seq.boxes[1].tolist() == [348, 440, 430, 275] and seq.visible.tolist() == [True, False, True]
    assert seq.cover.tolist() == [8, 0, 5] and seq.meta["object_class"] == "ichneumon"
    (d / "cover.label").write_text("8\n0\n")
    with pytest.raises(BenchError, match="cover.label has 2 entries for 3 frames"):
        read_got10k(tmp_path / "GOT-10k", "val")


def test_lasot_reader(tmp_path):
    root = tmp_path / "LaSOT"
    for name in ("airplane-1", "airplane-2"):
        d = root / "airplane" / name
        _touch([d / "img" / "00000001.jpg", d / "img" / "00000002.jpg"])
        (d / "groundtruth.txt").write_text("367,101,41,16\n366,103,45,16\n")
        (d / "full_occlusion.txt").write_text("0,1\n")
        (d / "out_of_view.txt").write_text("0,0\n")
    test, = read_lasot(root, "test")  # airplane-1 is on the official test list, airplane-2 is not
    train, = read_lasot(root, "train")
    assert test.name == "airplane-1" and train.name == "airplane-2"
    assert test.visible.tolist() == [True, False] and test.boxes[1].tolist() == [366, 103, 45, 16]
    (root / "airplane" / "airplane-1" / "out_of_view.txt").unlink()
    with pytest.raises(BenchError, match="out_of_view.txt is missing"):
        read_lasot(root, "test")


def test_trackingnet_reader(tmp_path):
    root = tmp_path / "TrackingNet"
    _touch([root / "TEST" / "frames" / "-0a1b2c_0" / f"{i}.jpg" for i in range(12)])
    (root / "TEST" / "anno").mkdir(parents=True)
    (root / "TEST" / "anno" / "-0a1b2c_0.txt").write_text("10.0,20.0,30.0,40.0\n")
    (seq,) = read_trackingnet(root, "test")
    assert [Path(f).name for f in seq.frames[:3]] + [Path(seq.frames[-1]).name] == ["0.jpg", "1.jpg", "2.jpg",
                                                                                   "11.jpg"]  # numeric order
    assert seq.boxes.tolist() == [[10, 20, 30, 40]]
    with pytest.raises(BenchError, match="TRAIN_<k>"):
        read_trackingnet(root, "train")


def _run(args, results, capsys):
    return bench_run(args, results, capsys)


def test_trained_tracker_beats_static_box(toy_got10k, tmp_path, capsys):
    args = ["--backbone", BACKBONE, "--task", "tracking", "--dataset", "got10k", "--protocol", "toy",
            "--data-root", str(toy_got10k)]
    trained, _ = _run(args, tmp_path / "a", capsys)  # the toy protocol's 12 epochs
    untrained, _ = _run(args + ["--epochs", "0"], tmp_path / "b", capsys)
    static = trained["extra"]["static_baseline"]["AO"]
    assert trained["status"] == "ok" and trained["primary_metric"] == "AO" and trained["split"] == "val"
    # measured (2-core CPU): AO 49.7 / 58.4 / 56.2 for seeds 0 / 1 / 2 against 8.7 for the static box
    assert trained["metrics"]["AO"] > static + 25, (trained["metrics"], static)
    assert untrained["metrics"]["AO"] < static + 5, (untrained["metrics"], static)
    archive = Path(trained["predictions"]["path"])
    names = zipfile.ZipFile(archive).namelist()
    assert "GOT-10k_Val_000001/GOT-10k_Val_000001_001.txt" in names
    assert "GOT-10k_Val_000001/GOT-10k_Val_000001_time.txt" in names
    seqs = read_got10k(toy_got10k, "val")
    folder = archive.with_suffix("")
    preds = [np.loadtxt(folder / s.name / f"{s.name}_001.txt", delimiter=",") for s in seqs]
    assert preds[0].shape == seqs[0].boxes.shape and np.allclose(preds[0][0], seqs[0].boxes[0])
    again = got10k_metrics(preds, [s.boxes for s in seqs], [s.cover for s in seqs], [s.resolution for s in seqs])
    assert again["AO"] == pytest.approx(trained["metrics"]["AO"], abs=0.01)  # files hold what was scored


@pytest.mark.parametrize("dataset", ["lasot", "trackingnet", "got10k-test"])
def test_submission_formats(dataset, tmp_path, capsys):
    root = tmp_path / dataset
    assert main(["data", "toy", "--task", "tracking", "--dataset", dataset, "--out", str(root), "--n-train", "3",
                 "--n-val", "2"]) == 0
    capsys.readouterr()
    row, out = _run(["--backbone", BACKBONE, "--task", "tracking", "--dataset", dataset, "--protocol", "toy",
                     "--data-root", str(root), "--epochs", "1", "--cfg-options",
                     "train_dataloader.dataset.samples_per_epoch=32"], tmp_path / "r", capsys)
    names = zipfile.ZipFile(row["predictions"]["path"]).namelist()
    assert len(names) == (4 if dataset == "got10k-test" else 2)
    if dataset == "lasot":
        assert row["primary_metric"] == "success_auc"
        assert {"success_auc", "precision", "norm_precision", "fps"} == set(row["metrics"])
        assert set(names) == {"airplane-1.txt", "airplane-9.txt"}
    else:  # ground truth held by the server: a submission archive and the speed
        assert set(row["metrics"]) == {"fps"} and row["extra"]["server_only"]
        assert "upload" in out and row["predictions"]["path"] in out
    first = zipfile.ZipFile(row["predictions"]["path"]).read(sorted(names)[0]).decode().splitlines()
    assert len(first[0].split(",")) == 4 and len(first) == 40


def test_bad_inputs(toy_got10k, tmp_path, capsys):
    base = ["run", "--backbone", BACKBONE, "--task", "tracking", "--protocol", "toy", "--device", "cpu",
            "--results", str(tmp_path / "r")]
    for args, msg in [(["--dataset", "got10k", "--data-root", str(tmp_path / "none")], "does not exist"),
                      (["--dataset", "got10k", "--data-root", str(tmp_path)], "train is missing"),
                      (["--dataset", "lasot", "--data-root", str(toy_got10k)], "no <class>/<class>-<n>"),
                      (["--dataset", "otb", "--data-root", str(toy_got10k)], "no dataset 'otb'")]:
        assert main(base + args) == 2
        assert msg in capsys.readouterr().err


@pytest.mark.parametrize("backbone", ["simmim-swinv2-b", "simmim-vit-b"])
def test_full_config_one_step(backbone, toy_got10k, tmp_path):
    import torch
    from mmengine.registry import MODELS

    from cli_run import resolved_config

    cfg = resolved_config("tracking", toy_got10k, tmp_path, backbone=backbone, dataset="got10k",
                          protocol="swintrack", allow_missing=True)
    assert cfg.train_cfg.max_epochs == 300 and cfg.train_dataloader.batch_size == 64
    assert (cfg.model.encoder_depth, cfg.model.decoder_depth, cfg.model.dim) == (8, 1, 512)
    assert cfg.train_dataloader.dataset.samples_per_epoch == 131072
    model = MODELS.build(cfg.model).train()
    assert (model.tz, model.sx) == (7, 14)  # stride-16 tokens of the 112 template and the 224 search crop
    box = torch.tensor([[0.35, 0.4, 0.6, 0.7]])
    losses = model(torch.randint(0, 255, (1, 3, 112, 112)), torch.randint(0, 255, (1, 3, 224, 224)), box,
                   mode="loss")
    loss = sum(losses.values())
    loss.backward()
    assert torch.isfinite(loss) and set(losses) == {"loss_cls", "loss_giou"}  # SwinTrack: no L1 term
    unused = [n for n, p in model.backbone.named_parameters() if p.requires_grad and p.grad is None]
    # only what comes after the stride-16 level: Swin's last stage and final norm; every ViT block is used
    assert all(".layers.3." in n or n.endswith("model.norm.weight") or n.endswith("model.norm.bias")
               for n in unused), unused
    assert backbone.startswith("simmim-swin") or not unused


def test_train_mix(tmp_path, capsys):
    """--train-mix: LaSOT trained together with COCO objects (SwinTrack's mix); the row's cell, the sequences
    trained on and the recipe audit name the mix; bad mixes are refused with a fix."""
    from bench.run.spec import RunSpec
    from bench.tasks import get_task

    lasot, coco = tmp_path / "LaSOT", tmp_path / "coco"
    for dataset, out, n in (("lasot", lasot, "3"), ("coco", coco, "4")):
        assert main(["data", "toy", "--task", "tracking", "--dataset", dataset, "--out", str(out), "--n-train", n,
                     "--n-val", "1"]) == 0
    assert f"--train-mix coco={coco}" in capsys.readouterr().out
    args = ["--backbone", BACKBONE, "--task", "tracking", "--dataset", "lasot", "--protocol", "toy",
            "--data-root", str(lasot), "--epochs", "1", "--cfg-options",
            "train_dataloader.dataset.samples_per_epoch=16"]
    row, _ = _run(args + ["--train-mix", f"coco={coco}"], tmp_path / "r", capsys)
    alone, _ = _run(args, tmp_path / "r", capsys)
    assert row["cell"]["train_mix"] == ["coco"] and alone["cell"]["train_mix"] == []
    assert row["cell_id"] != alone["cell_id"]  # another measurement: never pooled as seeds of one cell
    n_objects = len(json.loads((coco / "annotations" / "instances_train2017.json").read_text())["annotations"])
    assert row["extra"]["train_data"]["coco"]["sequences"] == n_objects > 0
    audit = {s["setting"]: s for s in row["recipe_audit"]["settings"]}
    assert audit["training_data"]["resolved"] == "coco+lasot"
    assert audit["training_data"]["published"] == "coco+got10k+lasot+trackingnet"

    def audit_of(**spec):
        spec = RunSpec(task="tracking", backbone=BACKBONE, dataset="lasot", data_root=str(lasot),
                       protocol="swintrack", device="cpu", **spec)
        resolved = get_task("tracking").resolve(spec)
        return {s["setting"]: s for s in resolved.recipe_audit["settings"]}["training_data"]
    assert "--train-mix got10k=DIR trackingnet=DIR" in audit_of(train_mix={"coco": str(coco)})["reason"]

    base = ["run", "--backbone", BACKBONE, "--task", "tracking", "--protocol", "toy", "--device", "cpu",
            "--results", str(tmp_path / "bad")]
    for extra, msg in [(["--dataset", "coco", "--data-root", str(coco)], "training source for --train-mix"),
                       (["--dataset", "lasot", "--data-root", str(lasot), "--train-mix", f"otb={coco}"],
                        "no dataset 'otb'"),
                       (["--dataset", "lasot", "--data-root", str(lasot), "--train-mix", f"coco={tmp_path}"],
                        "pass --train-mix coco=DIR")]:
        assert main(base + extra) == 2, extra
        assert msg in capsys.readouterr().err
    assert main(["run", "--backbone", BACKBONE, "--task", "pose", "--protocol", "toy", "--device", "cpu",
                 "--train-mix", f"coco={coco}"]) == 2
    assert "--train-mix mixes tracking training sets" in capsys.readouterr().err
