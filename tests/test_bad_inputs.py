"""Mistakes people make, through the CLI: a one-line error (exit 2) that names the problem and the fix, and
nothing written or lost. Read-only and full disks are real mounts (a tmpfs); those tests skip, with the reason,
where this machine cannot mount."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main

TINY = "timm:vit_tiny_patch16_224"


def _err(capsys) -> str:
    """The error line (exactly one), from stderr."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("bench: error:")]
    assert len(lines) == 1, lines
    return lines[0]


def _run(toy, tmp_path, *extra):
    return ["run", "--backbone", "demo-random", "--task", "pose", "--protocol", "toy", "--data-root", str(toy),
            "--device", "cpu", "--epochs", "1", "--results", str(tmp_path / "results"), *extra]


@pytest.fixture
def mount(tmp_path):
    """mount(options) -> a fresh tmpfs folder mounted with `options` (unmounted afterwards)."""
    made = []

    def _mount(options: str) -> Path:
        where = tmp_path / f"mnt{len(made)}"
        where.mkdir()
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                             text=True)
        if out.returncode:
            pytest.skip(f"cannot mount a tmpfs here ({out.stderr.strip() or out.returncode}): needs root in a "
                        "container allowed to mount")
        made.append(where)
        return where

    yield _mount
    for where in reversed(made):
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_random_bytes_safetensors(toy_pose_small, tmp_path, capsys):
    bad = tmp_path / "w.safetensors"
    bad.write_bytes(bytes(range(256)) * 16)
    assert main(_run(toy_pose_small, tmp_path, "--weights", str(bad))) == 2
    assert "as safetensors" in _err(capsys) and not (tmp_path / "results").exists()
    assert main(["backbones", "verify", "demo-random", "--weights", str(bad)]) == 2
    assert "the file is damaged or not a .safetensors file" in _err(capsys)


def test_read_only_results_and_work_dir(toy_pose_small, tmp_path, capsys, mount):
    ro = mount("ro,size=1m")
    assert main(_run(toy_pose_small, tmp_path, "--results", str(ro / "results"))) == 2
    assert "is on a read-only file system; pass a folder you can write to" in _err(capsys)
    assert main(_run(toy_pose_small, tmp_path, "--work-dir", str(ro / "work"))) == 2
    assert _err(capsys).startswith(f"bench: error: --work-dir {ro / 'work'}: {ro} is on a read-only file system")
    assert not (tmp_path / "results").exists()  # refused before the running row


def test_disk_full_during_training(toy_pose_small, tmp_path, capsys, mount):
    """A work dir with room for the logs but not the first checkpoint: a one-line error, the row `failed` (the
    results live elsewhere) saying so, and no partial checkpoint left to resume from."""
    small = mount("size=256k")
    assert main(_run(toy_pose_small, tmp_path, "--work-dir", str(small / "work"), "--backbone", TINY)) == 2
    err = _err(capsys)
    assert "no space left on the device" in err and "run again to resume from the last complete checkpoint" in err
    (row,) = [json.loads(p.read_text()) for p in (tmp_path / "results" / "pose").glob("*.json")]
    assert row["status"] == "failed" and row["extra"]["disk_full"] is True
    assert not list((small / "work").glob("*.pth"))


def test_diverged_training_fails_the_row(toy_pose_small, tmp_path, capsys):
    """A loss that turns NaN / inf stops the run with one line naming the loss and the iteration, and the row says
    `failed` (before: an `ok` row of an untrained model's metrics)."""
    args = _run(toy_pose_small, tmp_path, "--epochs", "3", "--cfg-options", "optim_wrapper.optimizer.lr=1e30")
    assert main(args) == 2
    err = _err(capsys)
    assert "training diverged: loss" in err and "at iteration" in err and "Lower the learning rate" in err
    (row,) = [json.loads(p.read_text()) for p in (tmp_path / "results" / "pose").glob("*.json")]
    assert row["status"] == "failed" and "training diverged" in row["error"] and not row["metrics"]


def test_unusable_rows_are_skipped_with_a_warning(tmp_path, capsys):
    from test_results import _row

    from bench.results import write_row

    results = tmp_path / "results"
    write_row(results, _row(cell_key="good", metrics={"AP": 50.0}))
    write_row(results, _row(cell_key="died", status="running", metrics={}, pid=2 ** 22 + 5, pid_start=1.0))
    write_row(results, _row(cell_key="broke", status="failed", metrics={}, error="RuntimeError: boom\ntrace"))
    for key, metrics in (("nullm", None), ("strm", {"AP": "high"})):
        data = json.loads((results / "pose" / "good.json").read_text())
        (results / "pose" / f"{key}.json").write_text(json.dumps({**data, "cell_key": key, "metrics": metrics}))
    assert main(["results", "list", "--results", str(results)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 4 and all(line.strip() for line in lines)  # header + 3 rows, none blank
    by_key = {line.split()[0]: line for line in lines}
    assert by_key["good"].index(" ok ") + 1 == by_key["died"].index(" interrupted ") + 1 == lines[0].index("status")
    assert by_key["broke"].index("RuntimeError") == lines[0].index("primary")  # aligned columns
    assert "RuntimeError: boom" in out.out and "nullm.json: its metrics are not a mapping" in out.err
    assert "strm.json: its metrics are not numbers" in out.err
    assert main(["leaderboard", "--results", str(results)]) == 0
    assert "50 (n=1)" in capsys.readouterr().out
    assert main(["leaderboard", "--results", str(results), "--metric", "nope"]) == 2
    assert "--metric nope: no ok row reports it; the rows' metrics are AP" in _err(capsys)


def test_eval_only_with_a_missing_checkpoint(toy_pose_small, tmp_path, capsys):
    assert main(_run(toy_pose_small, tmp_path, "--eval-only", "--checkpoint", str(tmp_path / "nope.pth"))) == 2
    assert "--checkpoint" in _err(capsys) and not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, message", [
    (["--epochs", "-1"], "--epochs -1: pass 0"),
    (["--batch-size", "0"], "--batch-size 0: pass 1 or more"),
    (["--batch-size", "-4"], "--batch-size -4: pass 1 or more"),
    (["--img-size", "7", "7"], "--img-size 7 7: each side must be at least 32 pixels"),
])
def test_bad_numbers(args, message, toy_pose_small, tmp_path, capsys):
    assert main(_run(toy_pose_small, tmp_path, *args)) == 2
    assert message in _err(capsys) and not (tmp_path / "results").exists()


def test_results_naming_a_file(toy_pose_small, tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(_run(toy_pose_small, tmp_path, "--results", str(tmp_path / "f"))) == 2
    assert "is a file; pass a folder for the result rows" in _err(capsys)


def test_cli_entry_point_prints_one_line(tmp_path):
    """The installed `bench` itself (not main()): one line on stderr, exit 2, no traceback."""
    out = subprocess.run([sys.executable, "-m", "bench.cli", "leaderboard", "--results", str(tmp_path / "r"),
                          "--metric", "x", "--filter", "colour=red"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
