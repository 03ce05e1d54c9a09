"""Tasks and datasets plug in as backbones do: `--include FILE` and the entry-point groups transfer_bench.tasks /
transfer_bench.datasets, end to end through `bench run`; and one `bench run` resolves once (a config build, one
parse of each annotation file, one hash of the weights)."""
import json
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.cli import main
from cli_run import bench_run

PLUGINS = Path(__file__).parent / "plugins"


def _images(root: Path, n: int, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        img = np.full((40, 56, 3), 200, np.uint8)
        cv2.rectangle(img, (4, 4), (20, 30), tuple(int(c) for c in rng.integers(0, 120, 3)), -1)  # an asymmetric mark
        cv2.imwrite(str(root / f"img_{i:03d}.jpg"), img)


@pytest.fixture
def fresh_registries(monkeypatch):
    """Plug-ins registered by a test leave the registries as they were."""
    import backbones.core.registry as core
    from bench.tasks import DATASETS, TASKS

    for reg in (TASKS, DATASETS):
        reg.load()
        monkeypatch.setattr(reg, "_entries", dict(reg._entries))
        monkeypatch.setattr(reg, "_aliases", dict(reg._aliases))
    monkeypatch.setattr(core, "_INCLUDED", {})


def test_plugin_task_through_include(tmp_path, capsys, fresh_registries):
    root = tmp_path / "photos"
    root.mkdir()
    _images(root, 10)
    include = ["--include", str(PLUGINS / "orientation_task.py")]
    assert main(include + ["tasks", "show", "orientation"]) == 0
    assert json.loads(capsys.readouterr().out)["datasets"]["folder"]["eval_split"] == "test"
    row, out = bench_run(["--backbone", "demo-random", "--task", "orientation", "--data-root", str(root),
                          "--epochs", "1"], tmp_path / "r", capsys, prefix=include)
    assert row["status"] == "ok" and row["task"] == "orientation" and row["dataset"] == "folder"
    assert set(row["metrics"]) == {"top1", "top5", "mean_per_class"} and row["extra"]["n_eval"] == 8
    assert Path(row["predictions"]["path"]).name == "predictions.csv"
    assert main(include + ["run", "--backbone", "demo-random", "--task", "orientation", "--data-root",
                           str(tmp_path / "none"), "--device", "cpu", "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_plugin_dataset_through_include(tmp_path, capsys, fresh_registries):
    root = tmp_path / "csvdata"
    (root / "pics").mkdir(parents=True)
    _images(root / "pics", 12)
    lines = ["path,label,split"] + [f"pics/img_{i:03d}.jpg,{'ab'[i % 2]},{'test' if i >= 8 else 'train'}"
                                    for i in range(12)]
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    include = ["--include", str(PLUGINS / "csv_dataset.py")]
    assert main(include + ["tasks", "list"]) == 0
    assert "my-csv: images listed in labels.csv" in capsys.readouterr().out
    row, _ = bench_run(["--backbone", "demo-random", "--task", "classification", "--dataset", "my-csv",
                        "--protocol", "toy", "--data-root", str(root), "--epochs", "1"], tmp_path / "r", capsys,
                       prefix=include)
    assert row["status"] == "ok" and row["dataset"] == "my-csv" and row["extra"]["n_eval"] == 4


def test_plugins_through_entry_points(tmp_path, monkeypatch, capsys, fresh_registries):
    """An installed distribution's entry_points.txt names the plug-in modules (no --include)."""
    from bench.tasks import DATASETS, TASKS

    for name in ("orientation_task.py", "csv_dataset.py"):
        shutil.copy(PLUGINS / name, tmp_path / name)
    dist = tmp_path / "bench_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bench-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[transfer_bench.tasks]\norientation = orientation_task\n\n"
                                           "[transfer_bench.datasets]\nmy-csv = csv_dataset\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for reg in (TASKS, DATASETS):
        monkeypatch.setattr(reg, "_loaded", False)
    assert main(["tasks", "list"]) == 0
    out = capsys.readouterr().out
    assert "orientation (v1.0)" in out and "my-csv" in out
    for module in ("orientation_task", "csv_dataset"):
        sys.modules.pop(module, None)


def test_one_run_resolves_once(toy_pose_small, tmp_path, capsys, monkeypatch):
    """Counts per `bench run`: one config build, one parse of each annotation file, one hash of the weights."""
    import torch
    from mmengine.config import Config

    import backbones.core.io as io
    from backbones.core.paths import CONFIG_ROOT
    import bench.tasks.shared.coco as coco

    from backbones.build import build_backbone

    weights = tmp_path / "w.pth"
    torch.save({"model": build_backbone("demo-random").model.state_dict()}, weights)
    counts = {"fromfile": 0, "recipes": [], "parse": [], "hash": [], "depth": 0}
    fromfile, read_file, sha = Config.fromfile, coco.read_coco_file, io.sha256_file

    def counting_fromfile(path, *a, **k):  # protocol builds (not their _base_ files, not mmpose's metainfo)
        if str(path).endswith(".recipe.py"):  # the recipe audit's declarations, read beside the build
            counts["recipes"].append(Path(path).name)
        else:
            counts["fromfile"] += counts["depth"] == 0 and Path(path).is_relative_to(CONFIG_ROOT)
        counts["depth"] += 1
        try:
            return fromfile(path, *a, **k)
        finally:
            counts["depth"] -= 1

    def counting_read(root, rel, *a, **k):
        counts["parse"].append(rel)
        return read_file(root, rel, *a, **k)

    def counting_sha(path, *a, **k):
        counts["hash"].append(Path(path).name)
        return sha(path, *a, **k)

    monkeypatch.setattr(Config, "fromfile", staticmethod(counting_fromfile))
    monkeypatch.setattr(coco, "read_coco_file", counting_read)
    monkeypatch.setattr(io, "sha256_file", counting_sha)
    for module in ("bench.run.resolve", "bench.run.execute", "backbones.build"):
        monkeypatch.setattr(f"{module}.sha256_file", counting_sha)
    row, _ = bench_run(["--backbone", "demo-random", "--weights", str(weights), "--task", "pose", "--protocol",
                        "toy", "--data-root", str(toy_pose_small), "--epochs", "1"], tmp_path / "r", capsys)
    assert row["status"] == "ok"
    assert counts["fromfile"] == 1
    assert sorted(counts["recipes"]) == ["toy_coco.recipe.py", "vitpose_coco.recipe.py"], counts["recipes"]
    assert sorted(counts["parse"]) == ["annotations/person_keypoints_train2017.json",
                                       "annotations/person_keypoints_val2017.json"]
    assert counts["hash"].count("w.pth") == 1, counts["hash"]
