"""`bench sweep --launcher slurm` against a real single-node Slurm (slurmctld + slurmd + munge from Debian's
packages, installed by the test setup where missing, configured for this machine's cores and memory, private ports
and folders): every cell a job named after its cell key, rows in the store, the leaderboard; a cancelled job
resumed by the rerun (only that cell submitted again), a job signalled for its time limit requeued and resumed,
attempts counted. Skipped, with the reason, only where the packages cannot be installed."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from system_packages import ensure_debian_packages

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
BACKBONES = "timm:vit_tiny_patch16_224,demo-random"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_line() -> str:
    """This machine as slurmd sees it (`slurmd -C`: name, CPUs, sockets, cores, memory)."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.startswith("NodeName="))


def _slurm_conf(root: Path, node: str, ports) -> str:
    name = re.match(r"NodeName=(\S+)", node).group(1)
    return "\n".join([
        "ClusterName=tbtest", f"SlurmctldHost={name}(127.0.0.1)", f"SlurmctldPort={ports[0]}",
        f"SlurmdPort={ports[1]}", "SlurmUser=root", "SlurmdUser=root", "AuthType=auth/munge",
        f"AuthInfo=socket={root}/munge.sock", f"StateSaveLocation={root}/state", f"SlurmdSpoolDir={root}/spool",
        f"SlurmctldPidFile={root}/slurmctld.pid", f"SlurmdPidFile={root}/slurmd.pid",
        f"SlurmctldLogFile={root}/slurmctld.log", f"SlurmdLogFile={root}/slurmd.log",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core", "SchedulerType=sched/backfill", "MpiDefault=none", "ReturnToService=2",
        # no slurmdbd: `sacct` answers from the job completion log (`sacct --completion`), `squeue` shows live jobs
        "AccountingStorageType=accounting_storage/none", "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/filetxt", f"JobCompLoc={root}/jobcomp.txt", "KillWait=5", "MinJobAge=3600",
        f"{node} NodeAddr=127.0.0.1 State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""])


def _stop(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A private single-node Slurm: {'SLURM_CONF': ...} for the environment; stopped afterwards."""
    ok, reason = ensure_debian_packages(PACKAGES)
    if not ok:
        pytest.skip(f"no Slurm to test against: {reason}")
    if os.geteuid() != 0:
        pytest.skip("a private Slurm cluster needs root (slurmd launches the jobs)")
    root = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    (root / "munge.key").write_bytes(os.urandom(1024))
    (root / "munge.key").chmod(0o600)
    conf = root / "slurm.conf"
    conf.write_text(_slurm_conf(root, _node_line(), (_free_port(), _free_port())))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    subprocess.run(["munged", "--force", f"--socket={root}/munge.sock", f"--key-file={root}/munge.key",
                    f"--pid-file={root}/munged.pid", f"--log-file={root}/munged.log",
                    f"--seed-file={root}/munged.seed"], check=True, env=env)
    try:
        subprocess.run(["slurmctld", "-f", str(conf)], check=True, env=env)
        subprocess.run(["slurmd", "-f", str(conf)], check=True, env=env)
        deadline = time.time() + 60
        while "idle" not in _out(["sinfo", "--noheader", "--format=%T"], env):
            assert time.time() < deadline, (root / "slurmctld.log").read_text()[-3000:]
            time.sleep(0.5)
        yield {"SLURM_CONF": str(conf)}
    finally:
        subprocess.run(["scancel", "--user=root"], env=env, capture_output=True)
        for daemon in ("slurmd", "slurmctld", "munged"):
            _stop(root / f"{daemon}.pid")


def _out(cmd, env) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, env=env).stdout


def _jobs(env) -> dict:
    """Every job the cluster knows (finished ones too): {job id: (name, state)}."""
    lines = _out(["squeue", "--noheader", "--states=all", "--format=%i|%j|%T"], env).split()
    return {i: (n, s) for i, n, s in (line.split("|") for line in lines)}


def _rows(results: Path) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in (results / "pose").glob("*.json")}


def _wait(what, check, timeout, proc=None):
    deadline = time.time() + timeout
    while not (found := check()):
        assert time.time() < deadline, f"timed out waiting for {what}"
        assert proc is None or proc.poll() is None, f"the sweep ended before {what}: {proc.stdout.read()[-3000:]}"
        time.sleep(0.1)
    return found


def _checkpoint(row) -> str:
    last = Path(row["work_dir"]) / "last_checkpoint"
    return Path(last.read_text().strip()).name if last.exists() else ""


def _running_with_checkpoint(results, after=None):
    """The key of a `running` row whose work dir has a checkpoint later than `after` (file name)."""
    for key, row in _rows(results).items():
        ckpt = row["status"] == "running" and _checkpoint(row)
        if ckpt and ckpt != after:
            return key
    return None


def _skip_requeue_hold(job: str, env) -> bool:
    """If `job` waits out Slurm's hold on requeued jobs (BeginTime, 2 minutes), start it in 3 seconds instead. Not at
    once: slurmd revokes the killed run's job credential, and a relaunch of the same job id within that second is
    refused ("Job credential revoked") and the job ends FAILED; the hold exists to avoid that."""
    info = _out(["scontrol", "--oneliner", "show", "job", job], env)
    if not re.search(r"JobState=PENDING Reason=BeginTime.*Restarts=[1-9]", info):
        return False
    subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now+3"], env=env, capture_output=True)
    return True


def _sweep_cmd(data: Path, results: Path, backbones: str, seeds: str, epochs: int, timeout_min: int):
    return [sys.executable, "-m", "bench.cli", "sweep", "--backbones", backbones, "--cells", "pose:coco:toy",
            "--seeds", seeds, "--data-dir", str(data), "--no-weights", "--epochs", str(epochs), "--device", "cpu",
            "--results", str(results), "--launcher", "slurm", "--cpus-per-task", "1", "--timeout-min",
            str(timeout_min)]


def _data(toy_pose_small, tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "coco").symlink_to(toy_pose_small)
    return tmp_path / "data"


def test_sweep_on_slurm_cancel_and_time_limit_resume(slurm, toy_pose_small, tmp_path):
    env, results = {**os.environ, **slurm}, tmp_path / "results"
    sweep = _sweep_cmd(_data(toy_pose_small, tmp_path), results, BACKBONES, "0,1", epochs=4, timeout_min=10)

    def start():
        return subprocess.Popen(sweep, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

    # 1. four cells, four jobs; one cancelled mid-training (after its first checkpoint)
    first = start()
    victim = _wait("a checkpoint", lambda: _running_with_checkpoint(results), 300, first)
    job = next(i for i, (name, state) in _jobs(env).items() if name == f"tb-{victim}")
    subprocess.run(["scancel", job], env=env, check=True)
    out = first.communicate(timeout=300)[0]
    assert first.returncode == 1, out[-3000:]
    assert "summary: 3 done, 0 skipped, 1 failed" in out and "killed by SIGTERM; a rerun resumes it" in out, out[-3000:]
    rows = _rows(results)
    names = {name: state for name, state in _jobs(env).values()}
    assert len(rows) == 4 and {f"tb-{k}" for k in rows} <= set(names), (names, _out(["squeue", "--states=all"], env), _out(["scontrol", "show", "jobs"], env))
    assert names[f"tb-{victim}"] == "CANCELLED"
    assert sorted(r["status"] for r in rows.values()) == ["ok", "ok", "ok", "running"]
    if shutil.which("sacct"):  # no slurmdbd here: sacct reads the job completion log
        done = _out(["sacct", "--completion", "--format=JobName,State", "--parsable2", "--noheader"], env)
        assert f"tb-{victim}|CANCELLED" in done and all(f"tb-{k}|COMPLETED" in done for k in rows if k != victim)

    # 2. the dry run sees it: 3 done, the cancelled one to run from its checkpoint
    plan = subprocess.run(sweep + ["--dry-run"], capture_output=True, text=True, env=env)
    assert plan.stdout.count(": done") == 3 and "to run (resumes from epoch_" in plan.stdout, plan.stdout
    assert "--cpus-per-task=1" in plan.stdout and "--time=10" in plan.stdout and "--requeue" in plan.stdout

    # 3. the rerun submits only that cell; its job is signalled as at its time limit, requeued, resumed
    resumed_from = _checkpoint(rows[victim])
    second = start()
    _wait("the resumed cell's next checkpoint", lambda: _running_with_checkpoint(results, resumed_from), 300, second)
    job = next(i for i, (name, state) in _jobs(env).items() if name == f"tb-{victim}" and state == "RUNNING")
    subprocess.run(["scancel", "--signal=USR2", job], env=env, check=True)  # what Slurm sends before the limit
    _wait("the requeue", lambda: _skip_requeue_hold(job, env), 60, second)
    out = second.communicate(timeout=300)[0]
    assert second.returncode == 0, out[-3000:]
    assert "summary: 1 done, 3 skipped, 0 failed" in out and out.count("[submitted]") == 1, out[-3000:]
    rows = _rows(results)
    row = rows[victim]
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows.values())
    assert row["extra"]["attempts"] == 3 and row["extra"]["resumed_from"].endswith(".pth")
    assert sum(name == f"tb-{victim}" for name, _ in _jobs(env).values()) == 2  # cancelled + requeued one

    board = subprocess.run([sys.executable, "-m", "bench.cli", "leaderboard", "--results", str(results)],
                           capture_output=True, text=True, env=env)
    for backbone in BACKBONES.split(","):
        assert re.search(rf"{re.escape(backbone)} \|.*\(n=2\)", board.stdout), board.stdout


@pytest.mark.slow
def test_slurm_time_limit_requeues_and_resumes(slurm, toy_pose_small, tmp_path):
    """A cell longer than its job's real time limit: Slurm signals the job ahead of the limit (--signal=USR2@60),
    submitit requeues it, the requeued job resumes from the last checkpoint, and the row counts the attempts."""
    env, results = {**os.environ, **slurm}, tmp_path / "results"
    sweep = subprocess.Popen(_sweep_cmd(_data(toy_pose_small, tmp_path), results, "timm:vit_tiny_patch16_224", "0",
                                        epochs=60, timeout_min=2),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.time() + 900
    while sweep.poll() is None:
        assert time.time() < deadline, "the time-limited sweep did not finish in 15 minutes"
        for job, (name, state) in _jobs(env).items():
            if state == "PENDING":
                _skip_requeue_hold(job, env)
        time.sleep(1)
    out = sweep.stdout.read()
    assert sweep.returncode == 0 and "summary: 1 done, 0 skipped, 0 failed" in out, out[-3000:]
    (row,) = _rows(results).values()
    assert row["status"] == "ok" and row["extra"]["attempts"] >= 2 and row["extra"]["resumed_from"]
    (job,) = [job for job, (name, _) in _jobs(env).items() if name == f"tb-{row['cell_key']}"]
    info = _out(["scontrol", "--oneliner", "show", "job", job], env)
    assert f"Restarts={row['extra']['attempts'] - 1}" in info and "TimeLimit=00:02:00" in info, info
    assert "this job is timed-out" in (results / ".slurm" / f"{job}_0_log.err").read_text()
