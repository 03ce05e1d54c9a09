"""Single-object tracking: readers on hand-written GOT-10k / LaSOT / TrackingNet fixtures, metrics equal to the
got10k toolkit's on toy sequences, a trained tracker beating the 'box stays where it started' baseline through the
CLI (untrained: it does not), submission formats and metrics through the CLI, bad inputs."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from backbones.core.errors import BenchError
from bench.cli import main
from cli_run import bench_run
from bench.tasks.tracking.datasets import read_got10k, read_lasot, read_trackingnet
from bench.tasks.tracking.metrics import got10k_metrics, ope_curves, ope_metrics

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


@pytest.fixture(scope="module")
def toy_got10k(tmp_path_factory):
    from bench.tasks.tracking.toy import write_toy_tracking

    root = tmp_path_factory.mktemp("trk") / "GOT-10k"
    write_toy_tracking(root, "got10k", n_train=24, n_val=6, seed=0, n_frames=40)
    return root


def _noisy(seqs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in seqs:
        p = s.boxes + rng.normal(0, 4, s.boxes.shape)
        p[::7, 0] += 200  # some boxes leave the image: the toolkit clips them
        out.append(p)
    return out


def test_got10k_metrics_equal_toolkit(toy_got10k, tmp_path, monkeypatch):
    pytest.importorskip("got10k")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from got10k.experiments import ExperimentGOT10k

    seqs = read_got10k(toy_got10k, "val")
    preds = _noisy(seqs, 0)
    for s, p in zip(seqs, preds):
        d = tmp_path / "results" / "GOT-10k" / "mine" / s.name  # the toolkit's <result_dir>/GOT-10k/<tracker>
        d.mkdir(parents=True)
        np.savetxt(d / f"{s.name}_001.txt", p, fmt="%.3f", delimiter=",")
        np.savetxt(d / f"{s.name}_time.txt", np.full(len(p), 0.01), fmt="%.8f")
    exp = ExperimentGOT10k(str(toy_got10k), subset="val", result_dir=str(tmp_path / "results"),
                           report_dir=str(tmp_path / "reports"))
    ref = exp.report(["mine"])["mine"]["overall"]
    ours = got10k_metrics([np.loadtxt(tmp_path / "results" / "GOT-10k" / "mine" / s.name / f"{s.name}_001.txt", delimiter=",")
                           for s in seqs], [s.boxes for s in seqs], [s.cover for s in seqs],
                          [s.resolution for s in seqs])
    assert ours["AO"] == pytest.approx(100 * ref["ao"], abs=1e-9)
    assert ours["SR50"] == pytest.approx(100 * ref["sr"], abs=1e-9)
    ious = np.array(ref["succ_curve"])  # the toolkit's curve at threshold 0.75 is SR@0.75
    assert ours["SR75"] == pytest.approx(100 * ious[75], abs=1e-9)


def test_ope_metrics_equal_toolkit(toy_got10k):
    pytest.importorskip("got10k")
    from got10k.experiments import ExperimentOTB
    from got10k.utils.metrics import center_error, rect_iou

    seqs = read_got10k(toy_got10k, "val")
    preds = _noisy(seqs, 1)
    exp = ExperimentOTB.__new__(ExperimentOTB)  # only its curve code: no OTB download
    exp.nbins_iou, exp.nbins_ce = 21, 51
    succ, prec = [], []
    for s, p in zip(seqs, preds):
        boxes = p.copy()
        boxes[0] = s.boxes[0]
        curves = exp._calc_curves(rect_iou(boxes, s.boxes), center_error(boxes, s.boxes))
        succ.append(curves[0])
        prec.append(curves[1])
    ours = ope_metrics(preds, [s.boxes for s in seqs])
    assert ours["success_auc"] == pytest.approx(100 * np.mean(np.mean(succ, 0)), abs=1e-9)
    assert ours["precision"] == pytest.approx(100 * np.mean(prec, 0)[20], abs=1e-9)


def test_normalised_precision_by_hand():
    gt = np.array([[0, 0, 10, 20], [0, 0, 10, 20], [0, 0, 10, 20]], float)
    pred = np.array([[50, 50, 10, 20], [1, 0, 10, 20], [0, 8, 10, 20]], float)  # first box -> ground truth
    _, _, norm = ope_curves(pred, gt)
    # normalised centre errors: 0, 0.1, 0.4 -> share <= t over t = 0:0.01:0.5
    thresholds = np.linspace(0, 0.5, 51)
    expected = np.mean([(np.array([0, 0.1, 0.4]) <= t + 1e-12).mean() for t in thresholds])
    assert norm.mean() == pytest.approx(expected, abs=1e-9)


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


def _lasot_fixture():
    """Six toy LaSOT sequences and predictions: absent frames, a NaN and a negative-width result (carried over),
    ground truth with x = 0 (not all positive: -1 for the frame), a tracker lost from the second frame."""
    rng = np.random.default_rng(7)
    seqs = []
    for k in range(6):
        n = 30 + 5 * k
        gt = np.concatenate([np.cumsum(rng.normal(0, 3, (n, 2)), 0) + 60,
                             np.abs(rng.normal(30, 5, (n, 2))) + 5], 1).round(1)
        absent = (rng.random(n) < 0.1).astype(int)
        absent[0] = 0
        if k == 1:
            gt[3:6, 0] = 0
        pred = gt + rng.normal(0, 4 + 6 * k, gt.shape)
        pred[:, 2:] = np.abs(pred[:, 2:])
        if k == 2:
            pred[5], pred[8, 2] = np.nan, -3
        if k == 5:
            pred[1:] += 500
        seqs.append((f"toy-{k + 1}", gt, absent, pred))
    return seqs


def test_lasot_metrics_equal_official_toolkit(tmp_path):
    """The official MATLAB toolkit (HengLan/LaSOT_Evaluation_Toolkit @ 95bf38a: utils/eval_tracker.m with
    calc_seq_err_robust.m and calc_rect_int.m, the averaging of plot_draw_save.m), run under GNU Octave 7.3.0 on
    these files (written as below: %.6f, comma-separated; absent flags one per line), printed success AUC
    0.243563755469, precision 0.451337181337 and normalised precision 0.176588504089."""
    from bench.tasks.tracking.metrics import lasot_metrics

    preds, gts, absents = [], [], []
    for name, gt, absent, pred in _lasot_fixture():
        for kind, array, fmt in (("gt", gt, "%.6f"), ("pred", pred, "%.6f"), ("absent", absent, "%d")):
            np.savetxt(tmp_path / f"{name}.{kind}", array, fmt=fmt, delimiter=",")
        preds.append(np.loadtxt(tmp_path / f"{name}.pred", delimiter=","))
        gts.append(np.loadtxt(tmp_path / f"{name}.gt", delimiter=","))
        absents.append(np.loadtxt(tmp_path / f"{name}.absent"))
    ours = lasot_metrics(preds, gts, absents)
    assert ours["success_auc"] == pytest.approx(24.3563755469, abs=1e-6)
    assert ours["precision"] == pytest.approx(45.1337181337, abs=1e-6)
    assert ours["norm_precision"] == pytest.approx(17.6588504089, abs=1e-6)  # the value at 0.20, not the mean


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
