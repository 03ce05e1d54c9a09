"""Semantic classification transfer: readers of Food-101, CIFAR-10/100, Pets, Flowers-102, DTD and ImageFolder on
hand-written fixtures (real field names), toy layouts, two formats end to end through the CLI with a learnability
check, `bench tasks list` groups and the leaderboard's group average."""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from backbones.core.errors import BenchError
from bench.cli import main
from cli_run import bench_run, read_split
from bench.tasks.classification import semantic

TINY_CNN = "timm:resnet18"


def _touch(root, rels):
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")


def test_food101_reader(tmp_path):
    root = tmp_path / "food-101"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "classes.txt").write_text("apple_pie\nbaby_back_ribs\n")
    (root / "meta" / "train.txt").write_text("apple_pie/1005649\nbaby_back_ribs/1008078\n")
    (root / "meta" / "test.txt").write_text("baby_back_ribs/1034067\n")
    _touch(root, ["images/apple_pie/1005649.jpg"])
    split = semantic.read_food101(root)
    assert split.train == [(str(root / "images/apple_pie/1005649.jpg"), 0),
                           (str(root / "images/baby_back_ribs/1008078.jpg"), 1)]
    assert split.test[0][1] == 1 and split.classes == ["apple_pie", "baby_back_ribs"]
    (root / "meta" / "test.txt").write_text("beignets/1034067\n")
    with pytest.raises(BenchError, match="'beignets', not in meta/classes.txt"):
        semantic.read_food101(root)


def _py2_batch(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def test_cifar_readers(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        _py2_batch(root / name, {b"batch_label": b"training batch 1 of 5", b"labels": [3, 7], b"data": data,
                                 b"filenames": [b"a.png", b"b.png"]})
    _py2_batch(root / "batches.meta", {b"label_names": [b"airplane", b"automobile", b"bird", b"cat", b"deer",
                                                        b"dog", b"frog", b"horse", b"ship", b"truck"],
                                       b"num_cases_per_batch": 10000, b"num_vis": 3072})
    split = semantic.read_cifar10(root)
    assert len(split.train) == 10 and len(split.test) == 2 and split.classes[3] == "cat"
    key, label = split.test[1]
    assert label == 7 and key.endswith("test_batch#1") and split.exists(key)
    img = np.asarray(split.open(key))
    assert img.shape == (32, 32, 3)
    assert img[0, 0].tolist() == [data[1, 0], data[1, 1024], data[1, 2048]]  # R, G, B planes of row 1
    root100 = tmp_path / "cifar-100-python"
    root100.mkdir()
    for name in ("train", "test"):
        _py2_batch(root100 / name, {b"fine_labels": [42, 1], b"coarse_labels": [0, 1], b"data": data,
                                    b"filenames": [b"x.png", b"y.png"], b"batch_label": b"x"})
    _py2_batch(root100 / "meta", {b"fine_label_names": [f"c{i}".encode() for i in range(100)],
                                  b"coarse_label_names": [b"s"] * 20})
    split = semantic.read_cifar100(root100)
    assert [y for _, y in split.train] == [42, 1] and len(split.classes) == 100
    _py2_batch(root100 / "test", {b"coarse_labels": [0], b"data": data[:1]})
    with pytest.raises(BenchError, match="needs 'data' and 'fine_labels'"):
        semantic.read_cifar100(root100)
    (root100 / "test").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")  # a malicious pickle is refused
    with pytest.raises(BenchError, match="refusing to load.*os.system"):
        semantic.read_cifar100(root100)


def test_pets_reader(tmp_path):
    root = tmp_path / "oxford-iiit-pet"
    (root / "annotations").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "annotations" / "trainval.txt").write_text("Abyssinian_100 1 1 1\namerican_bulldog_100 2 2 1\n")
    (root / "annotations" / "test.txt").write_text("Abyssinian_201 1 1 1\nyorkshire_terrier_9 37 2 25\n")
    split = semantic.read_pets(root)
    assert split.train[1] == (str(root / "images" / "american_bulldog_100.jpg"), 1)
    assert split.classes[0] == "Abyssinian" and split.classes[36] == "yorkshire_terrier" and len(split.classes) == 37
    (root / "annotations" / "test.txt").write_text("Abyssinian_201\n")
    with pytest.raises(BenchError, match="malformed line"):
        semantic.read_pets(root)


def test_flowers_reader(tmp_path):
    from scipy.io import savemat

    root = tmp_path / "flowers102"
    (root / "jpg").mkdir(parents=True)
    savemat(str(root / "imagelabels.mat"), {"labels": np.array([[77, 77, 3, 102, 1]], np.uint8)})
    savemat(str(root / "setid.mat"), {"trnid": np.array([[1, 3]], np.uint16), "valid": np.array([[5]], np.uint16),
                                      "tstid": np.array([[2, 4]], np.uint16)})
    split = semantic.read_flowers102(root)
    assert split.train == [(str(root / "jpg" / "image_00001.jpg"), 76), (str(root / "jpg" / "image_00003.jpg"), 2),
                           (str(root / "jpg" / "image_00005.jpg"), 0)]
    assert [y for _, y in split.test] == [76, 101] and len(split.classes) == 102
    savemat(str(root / "setid.mat"), {"trnid": np.array([[9]]), "valid": np.array([[1]]), "tstid": np.array([[2]])})
    with pytest.raises(BenchError, match="image id 9"):
        semantic.read_flowers102(root)


def test_dtd_reader(tmp_path):
    root = tmp_path / "dtd"
    _touch(root, ["images/banded/banded_0002.jpg", "images/zigzagged/zigzagged_0006.jpg"])
    (root / "labels").mkdir()
    (root / "labels" / "train1.txt").write_text("banded/banded_0002.jpg\n")
    (root / "labels" / "val1.txt").write_text("zigzagged/zigzagged_0006.jpg\n")
    (root / "labels" / "test1.txt").write_text("zigzagged/zigzagged_0051.jpg\n")
    split = semantic.read_dtd(root)
    assert [y for _, y in split.train] == [0, 1] and split.test[0][0].endswith("images/zigzagged/zigzagged_0051.jpg")
    (root / "labels" / "test1.txt").unlink()
    with pytest.raises(BenchError, match="missing labels/test1.txt"):
        semantic.read_dtd(root)


def test_imagefolder_reader(tmp_path):
    root = tmp_path / "mydata"
    _touch(root, ["train/cat/1.jpg", "train/cat/notes.txt", "train/dog/2.PNG", "val/dog/3.jpeg"])
    split = semantic.read_imagefolder(root)
    assert split.classes == ["cat", "dog"] and [y for _, y in split.train] == [0, 1]
    assert split.test == [(str(root / "val/dog/3.jpeg"), 1)]
    _touch(root, ["val/horse/4.jpg"])
    with pytest.raises(BenchError, match="val/horse is a class that train/ does not have"):
        semantic.read_imagefolder(root)


@pytest.mark.parametrize("dataset", ["food101", "cifar10", "cifar100", "pets", "flowers102", "dtd", "imagefolder"])
def test_toy_layouts_read_back(dataset, tmp_path):
    assert main(["data", "toy", "--task", "classification", "--dataset", dataset, "--out", str(tmp_path / dataset),
                 "--n-train", "12", "--n-val", "6"]) == 0
    split = read_split("classification", dataset, tmp_path / dataset)
    assert len(split.train) == 12 and len(split.test) == 6
    assert all(split.exists(k) for k, _ in split.train + split.test)
    assert len({y for _, y in split.train}) == 6  # every toy class present


def _run(args, results, capsys):
    return bench_run(args, results, capsys)[0]


@pytest.mark.parametrize("dataset", ["cifar10", "pets"])
def test_end_to_end_learns_semantic_toy(dataset, tmp_path, capsys):
    root = tmp_path / dataset
    assert main(["data", "toy", "--task", "classification", "--dataset", dataset, "--out", str(root),
                 "--n-train", "120", "--n-val", "60", "--seed", "2"]) == 0
    args = ["--backbone", TINY_CNN, "--task", "classification", "--dataset", dataset, "--data-root", str(root),
            "--protocol", "toy"]
    trained = _run(args + ["--epochs", "4"], tmp_path / "results", capsys)
    assert trained["status"] == "ok" and trained["dataset"] == dataset
    lines = Path(trained["predictions"]["path"]).read_text().splitlines()[1:]
    assert len(lines) == 60
    if dataset == "cifar10":
        assert lines[0].split(",")[0].split("#")[0].endswith("test_batch")
    untrained = _run(args + ["--epochs", "0"], tmp_path / "results0", capsys)
    # measured (2-core CPU), seeds 0 / 1 / 2: cifar10 top-1 58.3 / 61.7 / 68.3 (untrained 16.7 / 16.7 / 18.3),
    # pets 50.0 / 58.3 / 66.7 (untrained 16.7 / 15.0 / 16.7)
    chance = 100 / 6
    assert trained["metrics"]["top1"] > chance + 25, trained["metrics"]
    assert trained["metrics"]["top1"] > untrained["metrics"]["top1"] + 25, (trained["metrics"], untrained["metrics"])


def test_tasks_list_groups_datasets(capsys):
    assert main(["tasks", "list"]) == 0
    out = capsys.readouterr().out
    cls = out[out.index("classification"):out.index("depth")]
    semantic_block = cls[cls.index("semantic datasets:"):]
    fine_block = cls[cls.index("fine-grained datasets:"):cls.index("semantic datasets:")]
    assert all(f"    {d}:" in semantic_block for d in ("food101", "cifar10", "cifar100", "pets", "flowers102", "dtd"))
    assert all(f"    {d}:" in fine_block for d in ("cub", "cars", "aircraft"))
    assert "custom datasets:\n    imagefolder:" in cls


def _fake_row(results, backbone, dataset, seed, top1):
    from bench.results import ResultRow, write_row

    row = ResultRow(cell_key=f"{backbone}-{dataset}-{seed}".replace(":", "_"), cell_id=f"{backbone}-{dataset}",
                    status="ok", backbone=backbone,
                    task="classification", task_version="1.0", dataset=dataset, split="test", protocol="finetune",
                    schedule="full", seed=seed, weights=None, weights_sha256=None, config_hash="c",
                    dataset_fingerprint="d", metrics={"top1": top1}, primary_metric="top1", higher_is_better=True)
    write_row(results, row)


def test_leaderboard_group_average(tmp_path, capsys):
    results = tmp_path / "results"
    for seed, noise in ((0, 0.0), (1, 2.0)):
        _fake_row(results, "simmim-swin-b", "food101", seed, 80 + noise)
        _fake_row(results, "simmim-swin-b", "pets", seed, 90 + noise)
        _fake_row(results, "simmim-swin-b", "cub", seed, 85)
        _fake_row(results, "sup-swin-b", "food101", seed, 84)
        _fake_row(results, "sup-swin-b", "pets", seed, 94)
    _fake_row(results, "timm:resnet18", "food101", 0, 50)  # lacks pets: no semantic average
    out = tmp_path / "lb.json"
    assert main(["leaderboard", "--results", str(results), "--format", "json", "--out", str(out),
                 "--group-average", "semantic", "fine-grained"]) == 0
    table = {r["backbone"]: r for r in json.loads(out.read_text())}
    col = "classification/[semantic]/avg/finetune/full"
    assert table["simmim-swin-b"][f"{col} mean"] == pytest.approx((81 + 91) / 2)
    assert table["simmim-swin-b"][f"{col} n"] == 2
    assert table["sup-swin-b"][f"{col} mean"] == pytest.approx(89)
    assert table["simmim-swin-b"][f"{col} delta_vs_pair"] == pytest.approx(86 - 89)
    assert table["timm:resnet18"][f"{col} mean"] is None
    assert table["simmim-swin-b"]["classification/[fine-grained]/avg/finetune/full mean"] == pytest.approx(85)
    assert main(["leaderboard", "--results", str(results), "--group-average", "semantic"]) == 0
    assert "classification/[semantic]/avg/finetune/full" in capsys.readouterr().out
    assert main(["leaderboard", "--results", str(results), "--group-average", "semantics"]) == 2
    err = capsys.readouterr().err
    assert "--group-average semantics: unknown group; known: " in err and "fine-grained" in err and "semantic" in err


def test_bad_inputs(tmp_path, capsys):
    base = ["run", "--backbone", TINY_CNN, "--task", "classification", "--device", "cpu", "--results",
            str(tmp_path / "r")]
    (tmp_path / "empty").mkdir()
    for args, msg in [(["--dataset", "cifar10", "--data-root", str(tmp_path / "empty")], "missing batches.meta"),
                      (["--dataset", "food101", "--data-root", str(tmp_path / "empty")], "missing meta/classes.txt"),
                      (["--dataset", "imagefolder", "--data-root", str(tmp_path / "empty")], "missing train"),
                      (["--dataset", "cifar", "--data-root", str(tmp_path)], "no dataset 'cifar'")]:
        assert main(base + args) == 2
        assert msg in capsys.readouterr().err
