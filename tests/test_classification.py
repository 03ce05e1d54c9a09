"""Classification (fgvc): official-format readers on hand-written fixtures, both protocols end to end through the
CLI, learnability, the linear-probe feature cache."""
from pathlib import Path

import numpy as np
import pytest

from backbones.core.errors import BenchError
from bench.cli import main
from cli_run import bench_run, read_split
from bench.tasks.classification.fgvc import read_aircraft, read_cars, read_cub

TINY_CNN = "timm:resnet18"
TINY_VIT = "timm:vit_tiny_patch16_224"


def _touch_images(paths):
    for p in paths:
        Path(p).parent.mkdir(parents=True, exist_ok=True)
        Path(p).write_bytes(b"")


def test_cub_reader_handwritten(tmp_path):
    root = tmp_path / "CUB_200_2011"
    root.mkdir()
    (root / "images.txt").write_text("1 001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg\n"
                                     "2 001.Black_footed_Albatross/Black_Footed_Albatross_0009_34.jpg\n"
                                     "3 002.Laysan_Albatross/Laysan_Albatross_0002_1027.jpg\n")
    (root / "image_class_labels.txt").write_text("1 1\n2 1\n3 2\n")
    (root / "train_test_split.txt").write_text("1 0\n2 1\n3 1\n")
    (root / "classes.txt").write_text("1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n")
    (root / "bounding_boxes.txt").write_text("1 60.0 27.0 325.0 304.0\n2 139.0 30.0 153.0 264.0\n"
                                             "3 14.0 112.0 388.0 186.0\n")
    (root / "images").mkdir()
    split = read_cub(root)
    assert split.classes == ["001.Black_footed_Albatross", "002.Laysan_Albatross"]
    assert [y for _, y in split.train] == [0, 1] and [y for _, y in split.test] == [0]
    assert split.test[0][0].endswith("images/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg")
    (root / "classes.txt").unlink()
    with pytest.raises(BenchError, match="missing classes.txt"):
        read_cub(root)


def test_aircraft_reader_handwritten(tmp_path):
    data = tmp_path / "fgvc-aircraft-2013b" / "data"
    (data / "images").mkdir(parents=True)
    (data / "variants.txt").write_text("707-320\n727-200\nA300B4\n")
    (data / "families.txt").write_text("Boeing 707\nBoeing 727\nA300\n")
    (data / "images_variant_trainval.txt").write_text("1025794 707-320\n1340192 727-200\n")
    (data / "images_variant_test.txt").write_text("1514522 A300B4\n")
    (data / "images_family_trainval.txt").write_text("1025794 Boeing 707\n1340192 Boeing 727\n")
    (data / "images_family_test.txt").write_text("1514522 A300\n")
    split = read_aircraft(data.parent)
    assert split.train[0] == (str(data / "images" / "1025794.jpg"), 0) and split.test[0][1] == 2
    fam = read_aircraft(data.parent, "family")
    assert fam.classes[1] == "Boeing 727" and fam.train[1][1] == 1  # names with spaces
    (data / "images_variant_test.txt").write_text("1514522 A380\n")
    with pytest.raises(BenchError, match="'A380', not in variants.txt"):
        read_aircraft(data.parent)


def _cars_struct(rows, fields):
    arr = np.zeros((1, len(rows)), dtype=[(f, "O") for f in fields])
    for i, r in enumerate(rows):
        arr[0, i] = r
    return arr


def test_cars_readers_handwritten(tmp_path):
    from scipy.io import savemat

    names = np.array(["AM General Hummer SUV 2000", "Acura RL Sedan 2012"], dtype=object)[None, :]
    # devkit layout
    root = tmp_path / "cars"
    (root / "devkit").mkdir(parents=True)
    (root / "cars_train").mkdir()
    (root / "cars_test").mkdir()
    fields = ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"]
    savemat(str(root / "devkit" / "cars_meta.mat"), {"class_names": names})
    savemat(str(root / "devkit" / "cars_train_annos.mat"),
            {"annotations": _cars_struct([(39, 116, 569, 375, 2, "00001.jpg"), (36, 116, 868, 587, 1,
                                                                                  "00002.jpg")], fields)})
    savemat(str(root / "cars_test_annos_withlabels.mat"),
            {"annotations": _cars_struct([(30, 52, 246, 147, 1, "00001.jpg")], fields)})
    split = read_cars(root)
    assert split.classes[0] == "AM General Hummer SUV 2000"
    assert split.train == [(str(root / "cars_train" / "00001.jpg"), 1), (str(root / "cars_train" / "00002.jpg"), 0)]
    assert split.test == [(str(root / "cars_test" / "00001.jpg"), 0)]
    # all-in-one cars_annos.mat with relative_im_path and a test flag
    other = tmp_path / "cars2"
    other.mkdir()
    fields = ["relative_im_path", "bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "test"]
    savemat(str(other / "cars_annos.mat"), {
        "class_names": names,
        "annotations": _cars_struct([("car_ims/000001.jpg", 112, 7, 853, 717, 1, 0),
                                     ("car_ims/000002.jpg", 48, 24, 441, 202, 2, 1)], fields)})
    split = read_cars(other)
    assert split.train == [(str(other / "car_ims" / "000001.jpg"), 0)]
    assert split.test == [(str(other / "car_ims" / "000002.jpg"), 1)]
    with pytest.raises(BenchError, match="devkit/cars_meta.mat"):
        read_cars(tmp_path / "empty")


@pytest.mark.parametrize("dataset", ["cub", "cars", "aircraft"])
def test_toy_layouts_read_back(dataset, tmp_path):
    from bench.tasks.classification.toy_fgvc import N_CLASSES

    assert main(["data", "toy", "--task", "fgvc", "--dataset", dataset, "--out", str(tmp_path / dataset),
                 "--n-train", "12", "--n-val", "6"]) == 0
    split = read_split("classification", dataset, tmp_path / dataset)
    assert len(split.train) == 12 and len(split.test) == 6 and len(split.classes) == N_CLASSES
    assert all(Path(p).exists() for p, _ in split.train + split.test)


def _run(args, tmp_path, capsys, results=None):
    return bench_run(args, results or tmp_path / "results", capsys, tmp_path / "work")


def test_finetune_learns_fine_grained_toy(toy_cub, tmp_path, capsys):
    row, _ = _run(["--backbone", TINY_CNN, "--task", "fgvc", "--dataset", "cub", "--data-root", str(toy_cub),
                   "--protocol", "toy", "--epochs", "10"], tmp_path, capsys)
    assert row["task"] == "classification" and row["status"] == "ok"
    assert set(row["metrics"]) == {"top1", "top5", "mean_per_class"}
    chance = 100 / 6  # measured (2-core CPU): top-1 66.7 / 55.0 / 51.7 for seeds 0 / 1 / 2
    assert row["metrics"]["top1"] > chance + 25, row["metrics"]
    pred = Path(row["predictions"]["path"])
    lines = pred.read_text().splitlines()
    assert lines[0] == "image,label,prediction,score" and len(lines) == 1 + 60
    correct = sum(int(l.split(",")[1]) == int(l.split(",")[2]) for l in lines[1:])
    assert 100 * correct / 60 == pytest.approx(row["metrics"]["top1"])


def test_linear_probe_cache_reuse_and_invalidation(toy_cub, tmp_path, capsys):
    import torch

    from backbones import build_backbone

    args = ["--backbone", TINY_VIT, "--task", "classification", "--dataset", "cub", "--data-root", str(toy_cub),
            "--protocol", "linear", "--img-size", "64", "64", "--epochs", "5"]
    first, _ = _run(args, tmp_path / "a", capsys)
    assert first["extra"]["feature_cache_hit"] is False and len(first["extra"]["sweep"]) == 6
    second, _ = _run(args + ["--seed", "1"], tmp_path / "b", capsys)
    assert second["extra"]["feature_cache_hit"] is True
    assert second["extra"]["feature_cache_key"] == first["extra"]["feature_cache_key"]
    weights = tmp_path / "w.pth"
    model = build_backbone(TINY_VIT, img_size=(64, 64)).model
    torch.save({k: v + 0.01 for k, v in model.state_dict().items()}, weights)
    third, _ = _run(args + ["--weights", str(weights)], tmp_path / "c", capsys)
    assert third["extra"]["feature_cache_hit"] is False
    assert third["extra"]["feature_cache_key"] != first["extra"]["feature_cache_key"]
    assert 0 <= third["metrics"]["top1"] <= 100 and third["load_audit"]["ok"]


def test_leaderboard_shows_classification_without_special_case(toy_cub, tmp_path, capsys):
    results = tmp_path / "shared"
    _run(["--backbone", TINY_VIT, "--task", "fgvc", "--dataset", "cub", "--data-root", str(toy_cub),
          "--protocol", "linear", "--img-size", "32", "32", "--epochs", "2"], tmp_path, capsys, results)
    assert main(["leaderboard", "--results", str(results), "--format", "csv"]) == 0
    assert "classification/cub/test/linear/2ep mean" in capsys.readouterr().out


def test_bad_inputs(toy_cub, tmp_path, capsys):
    base = ["run", "--backbone", TINY_VIT, "--task", "fgvc", "--device", "cpu", "--results", str(tmp_path)]
    for args, msg in [(["--dataset", "cub", "--data-root", str(tmp_path / "nope")], "does not exist"),
                      (["--dataset", "cub", "--data-root", str(tmp_path)], "missing images.txt"),
                      (["--dataset", "flowers", "--data-root", str(toy_cub)], "no dataset 'flowers'"),
                      (["--dataset", "cub", "--data-root", str(toy_cub), "--protocol", "knn"], "no protocol")]:
        assert main(base + args) == 2
        assert msg in capsys.readouterr().err
