"""Result store, resume after SIGKILL, concurrent writers, leaderboard statistics, results CLI (sweeps:
test_sweep.py, test_sweep_slurm.py)."""
import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main
from bench.results import ResultRow, effective_status, read_row, write_row

TINY = "timm:vit_tiny_patch16_224"


def _row(**kw):
    base = dict(cell_key="k0", status="ok", backbone="simmim-swin-b", task="pose", task_version="1.0",
                dataset="coco", split="val2017", protocol="vitpose", schedule="full", seed=0, weights=None,
                weights_sha256=None, config_hash="c", dataset_fingerprint="d", primary_metric="AP",
                higher_is_better=True, metrics={"AP": 0.5})
    base.update(kw)
    return ResultRow(**base)


def test_kill_9_then_resume(toy_pose, tmp_path):
    work, results = tmp_path / "work", tmp_path / "results"
    cmd = [sys.executable, "-m", "bench.cli", "run", "--backbone", TINY, "--task", "pose", "--protocol", "toy",
           "--data-root", str(toy_pose), "--epochs", "3", "--device", "cpu", "--work-dir", str(work),
           "--results", str(results)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (work / "last_checkpoint").exists():
        assert proc.poll() is None and time.time() < deadline, "training ended before its first checkpoint"
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rows = list((results / "pose").glob("*.json"))
    assert len(rows) == 1 and not list((results / "pose").glob(".*.tmp"))
    killed = read_row(rows[0])
    assert killed.status == "running" and effective_status(killed) == "interrupted"
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "was interrupted; resuming" in out.stdout
    row = read_row(rows[0])
    assert row.status == "ok" and row.extra["resumed_from"].endswith(".pth")
    iters_per_epoch = math.ceil(160 / 16)
    # the row holds the whole run: the losses up to the checkpoint, then the resumed run's, each iteration once,
    # and the wall time of both attempts
    assert len(row.extra["losses"]["loss_kpt"]) == 3 * iters_per_epoch and row.extra["attempts"] == 2
    assert row.timings["wall_s"] > row.timings["attempt_wall_s"] > 0
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "already has an ok row" in again.stdout  # a finished cell is skipped


def _writer(path_dir, n, tag):
    for i in range(n):
        write_row(Path(path_dir), _row(cell_key="shared", metrics={"AP": i / n}, extra={"writer": tag}))


def test_concurrent_writers_never_corrupt(tmp_path):
    code = ("import sys; sys.path.insert(0, 'tests'); from test_results import _writer; "
            f"_writer({str(tmp_path)!r}, 150, sys.argv[1])")
    procs = [subprocess.Popen([sys.executable, "-c", code, tag], cwd=Path(__file__).parents[1]) for tag in "ab"]
    reads = 0
    while any(p.poll() is None for p in procs):
        path = tmp_path / "pose" / "shared.json"
        if path.exists():
            read_row(path)  # raises on a half-written file
            reads += 1
    assert all(p.returncode == 0 for p in procs) and reads > 0
    assert read_row(tmp_path / "pose" / "shared.json").extra["writer"] in ("a", "b")


def _seed_rows(results):
    for seed, (mim, sup) in enumerate([(0.5, 0.40), (0.6, 0.45), (0.7, 0.50)]):
        write_row(results, _row(cell_key=f"m{seed}", cell_id="mim", backbone="simmim-swin-b", seed=seed,
                                metrics={"AP": mim}))
        write_row(results, _row(cell_key=f"s{seed}", cell_id="sup", backbone="sup-swin-b", seed=seed,
                                metrics={"AP": sup}))
    write_row(results, _row(cell_key="toy", cell_id="mim-toy", backbone="simmim-swin-b", protocol="toy",
                            metrics={"AP": 0.9}))
    write_row(results, _row(cell_key="run", backbone="simmim-swin-b", status="running", pid=2 ** 22 + 17))


def test_leaderboard_csv_ci_and_delta(tmp_path, capsys):
    results = tmp_path / "results"
    _seed_rows(results)
    (results / "pose" / "broken.json").write_text("{not json")
    (results / "pose" / "foreign.json").write_text(json.dumps({"hello": 1}))
    out = tmp_path / "board.csv"
    assert main(["leaderboard", "--results", str(results), "--format", "csv", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "broken.json" in err and "foreign.json" in err
    df = pd.read_csv(out)
    col = "pose/coco/val2017/vitpose/full"
    assert list(df.columns[:3]) == ["backbone", "pretraining", "pair_with"]
    assert {f"{col} mean", f"{col} ci95", f"{col} n", f"{col} delta_vs_pair"} <= set(df.columns)
    assert "pose/coco/val2017/toy/full mean" in df.columns  # toy runs never mix with real ones
    mim = df[df.backbone == "simmim-swin-b"].iloc[0]
    sup = df[df.backbone == "sup-swin-b"].iloc[0]
    t = 4.302652729911275  # Student t, 0.975 quantile, 2 degrees of freedom
    assert mim[f"{col} mean"] == pytest.approx(0.6)
    assert mim[f"{col} ci95"] == pytest.approx(t * 0.1 / math.sqrt(3))
    assert mim[f"{col} n"] == 3
    assert mim[f"{col} delta_vs_pair"] == pytest.approx(0.6 - 0.45)
    assert math.isnan(sup[f"{col} delta_vs_pair"])
    assert math.isnan(mim["pose/coco/val2017/toy/full ci95"])  # n = 1: blank CI

    assert main(["leaderboard", "--results", str(results), "--filter", "protocol=vitpose", "--with-reference",
                 "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "**0.6 ± 0.25 (n=3) [Δ +0.15]**" in md and "toy" not in md
    assert "[paper] simmim-swinv2-b" in md
    png = tmp_path / "board.png"
    assert main(["leaderboard", "--results", str(results), "--plot", str(png), "--format", "json"]) == 0
    assert png.stat().st_size > 1000
    assert main(["leaderboard", "--results", str(results), "--filter", "colour=red"]) == 2
    # the plot with the paper's lines and group averages, into a folder that does not exist yet
    deep = tmp_path / "new" / "dir" / "board.png"
    assert main(["leaderboard", "--results", str(results), "--with-reference", "--group-average", "semantic",
                 "--plot", str(deep), "--format", "csv"]) == 0
    assert deep.stat().st_size > 1000 and not list(deep.parent.glob(".*tmp*"))


def test_plot_whiskers_stay_in_the_metric_range():
    from bench.report.charts import whiskers

    low, high = whiskers([98.0, 3.0, 50.0], [5.0, 10.0, float("nan")], top=100.0)
    assert low == [5.0, 3.0, 0.0] and high == [2.0, 10.0, 0.0]  # clipped to 100 and to 0; n = 1: none


def test_results_cli(tmp_path, capsys):
    results = tmp_path / "results"
    _seed_rows(results)
    assert main(["results", "list", "--results", str(results)]) == 0
    listing = capsys.readouterr().out
    assert "interrupted" in listing and "m0" in listing
    assert main(["results", "show", "m1", "--results", str(results)]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["AP"] == 0.6
    assert main(["results", "diff", "m0", "s0", "--results", str(results)]) == 0
    diff = capsys.readouterr().out
    assert "backbone: 'simmim-swin-b' -> 'sup-swin-b'" in diff and "metrics.AP: 0.5 -> 0.4" in diff
    assert main(["results", "show", "zzz", "--results", str(results)]) == 2


def test_in_process_oom_halves_batch_same_cell(toy_pose_small, tmp_path, monkeypatch):
    import torch

    from mmengine.runner import Runner

    from bench.run.execute import execute
    from bench.run.spec import RunSpec
    from bench.tasks import get_task

    calls = []
    original = Runner.train

    def train(runner):
        calls.append(runner.train_dataloader.batch_size)
        if len(calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(runner)

    monkeypatch.setattr(Runner, "train", train)
    resolved = get_task("pose").resolve(RunSpec(backbone=TINY, task="pose", protocol="toy",
                                                data_root=str(toy_pose_small), epochs=1, batch_size=4,
                                                device="cpu", work_dir=str(tmp_path / "w")))
    key = resolved.key
    row = execute(resolved, tmp_path / "r")
    assert calls == [4, 2] and row.status == "ok" and row.cell_key == key
    assert row.extra["oom_batch_sizes"] == [4] and row.extra["train_batch_size"] == 2


def test_reused_pid_is_not_the_owner(tmp_path):
    """A `running` row whose pid now belongs to another process (same pid, other start time) is interrupted: the
    rerun resumes it rather than refusing as if it were still running."""
    import os

    from bench.results import owner_alive, process_start

    me = os.getpid()
    assert owner_alive(_row(status="running", pid=me, pid_start=process_start(me)))
    reused = _row(status="running", pid=me, pid_start=process_start(me) - 1000.0)
    assert not owner_alive(reused) and effective_status(reused) == "interrupted"
    assert effective_status(_row(status="running", pid=2 ** 22 + 7, pid_start=1.0)) == "interrupted"
