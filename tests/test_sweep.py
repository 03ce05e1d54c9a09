"""`bench sweep` without a cluster: local skip / failures, progress streamed while a cell runs, a stopped or killed
sweep takes its running cell down and the rerun resumes every unfinished one, the --weights auto default named in
the error, the Slurm job request (options -> #SBATCH lines), the dry run's cell states, and the Slurm launcher's
submit / OOM-retry flow with a fake submitit (the real Slurm: test_sweep_slurm.py)."""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from bench.cli import build_parser, main
from bench.results import ResultRow, effective_status, read_row, write_row

TINY = "timm:vit_tiny_patch16_224"


@pytest.fixture
def data_dir(toy_pose_small, tmp_path):
    """<data-dir>/coco -> the small toy pose set."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "coco").symlink_to(toy_pose_small)
    return data


def _grid(data_dir, results, *extra):
    return ["sweep", "--backbones", TINY, "--cells", "pose:coco:toy", "--data-dir", str(data_dir), "--no-weights",
            "--device", "cpu", "--results", str(results), *extra]


def test_sweep_local_skip_and_failures(data_dir, tmp_path, capsys):
    args = ["sweep", "--backbones", f"{TINY}", "--cells", "pose:coco:toy", "pose:crowdpose:toy", "--seeds", "1",
            "--data-dir", str(data_dir), "--no-weights", "--epochs", "1", "--device", "cpu", "--results",
            str(tmp_path / "results")]
    assert main(args) == 1  # the crowdpose cell fails (no data); the coco cell still runs
    out = capsys.readouterr().out
    assert "summary: 1 done, 0 skipped, 1 failed" in out and "crowdpose" in out
    assert f"[{TINY} pose:coco:toy seed=1] " in out  # each child's output, prefixed by its cell
    assert main(args) == 1
    assert "summary: 0 done, 1 skipped, 1 failed" in capsys.readouterr().out
    assert main(["sweep", "--backbones", "nope", "--cells", "pose:coco", "--dry-run"]) == 2
    assert main(["sweep", "--backbones", TINY, "--cells", "pose", "--dry-run"]) == 2


def _gone(pid: int) -> bool:
    """The process ended (a zombie left unreaped counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait(what, check, timeout=120):
    deadline = time.time() + timeout
    while not (found := check()):
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def _only_row(results: Path):
    rows = list((results / "pose").glob("*.json"))
    return read_row(rows[0]) if len(rows) == 1 else None


def test_stopped_or_killed_sweep_takes_its_cell_down_and_rerun_resumes(data_dir, tmp_path, capsys):
    results = tmp_path / "results"
    grid = _grid(data_dir, results, "--seeds", "0,1", "--epochs", "3")
    cmd = [sys.executable, "-m", "bench.cli", *grid]
    sweep = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # progress arrives while the cell runs, each line prefixed by the cell
    for line in sweep.stdout:
        if "train:" in line and "iterations  epoch" in line:  # the child's progress display
            break
    else:
        pytest.fail("the sweep streamed no training progress")
    assert line.startswith(f"[{TINY} pose:coco:toy seed=0] ")
    row = _wait("the running row", lambda: _only_row(results))
    assert row.status == "running"
    _wait("the first checkpoint", lambda: (Path(row.work_dir) / "last_checkpoint").exists())
    sweep.send_signal(signal.SIGTERM)  # `kill PID`: the sweep stops its child and the cells not begun
    rest = sweep.communicate(timeout=60)[0]
    assert sweep.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM" in rest, rest[-2000:]
    assert _wait("the child to stop", lambda: _gone(row.pid), 30)
    assert effective_status(_only_row(results)) == "interrupted"  # and seed 1 never started

    # `kill -9`: no chance to forward anything; the child gets SIGTERM as its parent dies
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: the orphaned child is ours to reap (some PID 1s never reap)
    try:
        sweep = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child = _wait("the resumed child's row", lambda: (r := _only_row(results)) and r.pid != row.pid and r.pid)
        sweep.kill()
        sweep.wait()
        _wait("the orphaned child to die", lambda: os.waitpid(child, os.WNOHANG)[0] == child, 30)
    finally:
        libc.prctl(36, 0)

    # the rerun finishes every unfinished cell, resuming the interrupted one
    capsys.readouterr()
    assert main(grid) == 0
    out = capsys.readouterr().out
    assert "summary: 2 done, 0 skipped, 0 failed" in out and "was interrupted; resuming" in out
    rows = {r.seed: r for r in map(read_row, (results / "pose").glob("*.json"))}
    assert sorted(rows) == [0, 1] and all(r.status == "ok" for r in rows.values())
    assert rows[0].cell_key == row.cell_key and rows[0].extra["attempts"] == 3 and rows[0].extra["resumed_from"]
    assert rows[1].extra["attempts"] == 1


def test_weights_auto_default_named_in_the_error(data_dir, tmp_path, capsys, monkeypatch):
    grid = [a for a in _grid(data_dir, tmp_path / "r", "--epochs", "1") if a != "--no-weights"]
    grid[grid.index(TINY)] = "demo-random"  # no official weights at all: refused before anything runs
    assert main(grid) == 2
    err = capsys.readouterr().err
    assert "--weights auto" in err and "--no-weights" in err
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # offline: the download fails at once
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    grid[grid.index("demo-random")] = TINY
    assert main(grid) == 1
    out = capsys.readouterr().out
    failed = next(line for line in out.splitlines() if line.startswith("  failed:"))
    assert "could not download weights" in failed and "--weights auto" in failed and "--no-weights" in failed


def _args(*extra):
    return build_parser().parse_args(["sweep", "--backbones", TINY, "--cells", "pose:coco:toy", "--launcher",
                                      "slurm", *extra])


def test_slurm_job_request_mapping(capsys):
    from bench.sweep_slurm import sbatch_lines  # submitit's own sbatch script, from the sweep's options

    lines = sbatch_lines(_args("--gpus", "4", "--cpus-per-task", "16", "--mem", "64G", "--timeout-min", "90",
                               "--slurm-partition", "gpu"), key="abc123")
    for flag in ("--gpus-per-node=4", "--cpus-per-task=16", "--mem=64G", "--time=90", "--partition=gpu",
                 "--job-name=tb-abc123", "--nodes=1", "--ntasks-per-node=1", "--requeue", "--signal=USR2@90"):
        assert f"#SBATCH {flag}" in lines, lines
    defaults = sbatch_lines(_args("--gpus", "2"))
    assert "#SBATCH --gpus-per-node=2" in defaults and "#SBATCH --cpus-per-task=16" in defaults
    assert "#SBATCH --time=1440" in defaults and not any("--mem" in line for line in defaults)
    cpu = sbatch_lines(_args("--device", "cpu", "--gpus", "3", "--timeout-min", "2"))
    assert not any("gpus" in line for line in cpu) and "#SBATCH --cpus-per-task=3" in cpu
    assert "#SBATCH --signal=USR2@60" in cpu  # the requeue warning fits a short limit
    for bad in (["--mem", "lots"], ["--gpus", "0"], ["--timeout-min", "0"], ["--slurm-array-parallelism", "0"]):
        assert main(["sweep", "--backbones", TINY, "--cells", "pose:coco:toy", "--launcher", "slurm", "--dry-run",
                     *bad]) == 2
        assert bad[0] in capsys.readouterr().err


@pytest.fixture
def fake_squeue(tmp_path, monkeypatch):
    """A `squeue` on PATH printing the lines written to the returned file (the user's queued / running jobs)."""
    bin_dir, listing = tmp_path / "bin", tmp_path / "queue.txt"
    bin_dir.mkdir()
    listing.write_text("")
    (bin_dir / "squeue").write_text(f"#!/bin/sh\ncat {listing}\n")
    (bin_dir / "squeue").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return listing


def _key(data_dir, results, seed, capsys) -> str:
    assert main(["run", "--backbone", TINY, "--task", "pose", "--dataset", "coco", "--protocol", "toy", "--data-root",
                 str(data_dir / "coco"), "--seed", str(seed), "--device", "cpu", "--results", str(results),
                 "--dry-run"]) == 0
    return json.loads(capsys.readouterr().out)["cell_key"]


def test_slurm_dry_run_shows_each_cells_state(data_dir, tmp_path, fake_squeue, capsys):
    results = tmp_path / "results"
    done, running = _key(data_dir, results, 0, capsys), _key(data_dir, results, 1, capsys)
    write_row(results, ResultRow(cell_key=done, status="ok", backbone=TINY, task="pose", task_version="1",
                                 dataset="coco", split="val2017", protocol="toy", schedule="full", seed=0,
                                 weights=None, weights_sha256=None, config_hash="c", dataset_fingerprint="d",
                                 primary_metric="AP", higher_is_better=True, metrics={"AP": 0.5}))
    fake_squeue.write_text(f"77|tb-{running}|RUNNING\n78|someone-else|RUNNING\n")
    assert main(_grid(data_dir, results, "--seeds", "0,1,2", "--launcher", "slurm", "--dry-run", "--gpus", "2",
                      "--cpus-per-task", "4", "--mem", "8G", "--slurm-array-parallelism", "2")) == 0
    out = capsys.readouterr().out
    assert f"seed=0: done [job name tb-{done}]" in out
    assert f"seed=1: running as job 77 (running) [job name tb-{running}]" in out
    assert "seed=2: to run [job name tb-" in out
    assert "--cpus-per-task=4" in out and "--mem=8G" in out and "at most 2 cells queued or running" in out
    assert "gpus" not in out.split("sbatch, per cell:")[1].split("\n")[0]  # --device cpu asks for no GPU
    assert "3 cells: 1 done, 1 running, 1 to run" in out


def test_sweep_oom_retry_and_slurm_launcher(data_dir, tmp_path, monkeypatch, capsys, fake_squeue):
    import bench.sweep as sweep

    seen, real_command = [], sweep.command

    def fake_command(cell, args, oom_halvings=0):
        seen.append(real_command(cell, args, oom_halvings))
        if not oom_halvings:
            return [sys.executable, "-c", "import sys; print('torch.OutOfMemoryError: CUDA out of memory'); "
                                          "sys.exit(1)"]
        return [sys.executable, "-c", "print('pose/coco: AP = 0.5')"]

    monkeypatch.setattr(sweep, "command", fake_command)
    submitted, params = [], {}

    class FakeJob:
        def __init__(self, fn, job_id):
            self.value, self.job_id = fn(), str(job_id)
            self.paths = types.SimpleNamespace(result_pickle=tmp_path / "result.pkl", stdout=tmp_path / "log")
            self.paths.result_pickle.write_text("")

        def result(self):
            return self.value

    class FakeExecutor:
        def __init__(self, folder):
            params["folder"] = folder

        def update_parameters(self, **kw):
            params.update(kw)

        def submit(self, fn):
            submitted.append((fn.cell, params["job_name"]))
            return FakeJob(fn, 100 + len(submitted))

    monkeypatch.setitem(sys.modules, "submitit", types.SimpleNamespace(SlurmExecutor=FakeExecutor))
    grid = [a for a in _grid(data_dir, tmp_path, "--launcher", "slurm", "--gpus", "4", "--slurm-partition", "gpu")
            if a not in ("--device", "cpu")]
    grid[grid.index(TINY)] = f"{TINY},simmim-vit-b"
    assert main(grid) == 0
    out = capsys.readouterr().out
    assert len(submitted) == 2 and params["gpus_per_node"] == 4 and params["partition"] == "gpu"
    assert all(name.startswith("tb-") and len(name) == 23 for _, name in submitted)
    assert "summary: 2 done, 0 skipped, 0 failed" in out and "as Slurm job 101" in out
    assert seen[1][seen[1].index("--oom-halvings") + 1] == "1"
