"""Each sweep cell's state, and `bench sweep --launcher slurm`. A cell's state (done / to run / running as job N)
comes from its row key (its RunSpec resolved here: data read once per dataset, weights hashed) and the user's
Slurm queue. Each cell is one job named `tb-<cell key>`, so squeue / sacct show which cell a job runs; a cell done
or running in a job is not submitted again, so a rerun submits only the unfinished cells, which resume from their
last checkpoint. Near its time limit (or on pre-emption) a job stops its cell and submitit requeues it; the
requeued job resumes the cell, and the row counts the attempts."""
import getpass
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from backbones.core import paths
from backbones.core.errors import BenchError
from bench.sweep import CHILDREN, WEIGHTS_HINT, Cell, _outcome, cell_spec, run_cell

JOB_PREFIX = "tb-"
ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
          "RESIZING", "SIGNALING", "STAGE_OUT"}


@dataclass
class Plan:
    """What the sweep does with one cell: its row key (None until its weights are known), state, Slurm job."""

    cell: Cell
    key: Optional[str]
    state: str
    submit: bool
    job_id: Optional[str] = None
    task: Optional[str] = None


def check_request(args) -> None:
    """One-line errors for job requests no cluster grants (before anything is submitted)."""
    for flag, value in (("--gpus", args.gpus), ("--cpus-per-task", args.cpus_per_task),
                        ("--timeout-min", args.timeout_min),
                        ("--slurm-array-parallelism", args.slurm_array_parallelism)):
        if value is not None and value < 1:
            raise BenchError(f"{flag} {value}: pass 1 or more")
    if args.mem is not None and not re.fullmatch(r"\d+[KMGT]?", args.mem):
        raise BenchError(f"--mem {args.mem}: pass sbatch's form, e.g. 64G or 32000M")


def sbatch_options(args, key: Optional[str] = None) -> dict:
    """One cell's job request in submitit's SlurmExecutor names (each becomes an #SBATCH line): one task on one
    node, --gpus N GPUs (none with --device cpu), --cpus-per-task (default 8 per GPU, 1 per CPU process), --mem,
    --timeout-min, --slurm-partition, USR2 shortly before the time limit (submitit's requeue), requeue allowed."""
    gpus, cpu = args.gpus or 1, args.device == "cpu"
    opts = {"job_name": JOB_PREFIX + (key or "CELLKEY"), "time": args.timeout_min, "nodes": 1,
            "ntasks_per_node": 1, "cpus_per_task": args.cpus_per_task or (gpus if cpu else 8 * gpus),
            "signal_delay_s": min(90, 30 * args.timeout_min), "additional_parameters": {"requeue": True},
            "setup": ["export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}"]}
    if not cpu:
        opts["gpus_per_node"] = gpus
    if args.mem:
        opts["mem"] = args.mem
    if args.slurm_partition:
        opts["partition"] = args.slurm_partition
    return opts


def _results(args) -> Path:
    return Path(args.results or paths.results_dir())


def _folder(args) -> Path:
    return _results(args) / ".slurm"


def _read(results: Path, task: Optional[str], key: Optional[str]):
    """The cell's row, or None (none yet, or unreadable)."""
    from bench.results import read_row, row_path

    try:
        return read_row(row_path(results, task or "", key or ""))
    except ValueError:
        return None


def sbatch_lines(args, key: Optional[str] = None) -> List[str]:
    """The #SBATCH lines submitit writes for one cell (log paths left out)."""
    from submitit.slurm.slurm import _make_sbatch_string

    text = _make_sbatch_string(command="", folder=_folder(args), **sbatch_options(args, key))
    return [line for line in text.splitlines()
            if line.startswith("#SBATCH") and not re.match(r"#SBATCH --(output|error|open-mode)=", line)]


def slurm_jobs() -> Dict[str, Tuple[str, str]]:
    """This user's queued and running Slurm jobs: {job name: (job id, state)} (one squeue call)."""
    cmd = ["squeue", "--noheader", f"--user={getpass.getuser()}", "--format=%i|%j|%T"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        problem = None if out.returncode == 0 else (out.stderr.strip().splitlines() or ["failed"])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        problem = str(exc)
    if problem:
        raise BenchError(f"squeue: {problem}; run on a Slurm login node, or pass --launcher local")
    jobs = {}
    for line in out.stdout.splitlines():
        job_id, _, rest = line.strip().partition("|")
        name, _, state = rest.rpartition("|")
        if state in ACTIVE:
            jobs[name] = (job_id, state)
    return jobs


def job_state(job_id: str) -> Optional[str]:
    """One job's state as Slurm still knows it, finished ones too (None where it has forgotten it)."""
    try:
        out = subprocess.run(["squeue", "--noheader", "--states=all", f"--jobs={job_id}", "--format=%T"],
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.split() or [None])[0] if out.returncode == 0 else None


def _weights_ready(cells: List[Cell], args) -> Dict[str, str]:
    """Slurm: official weights not yet cached are downloaded here, before submitting (compute nodes are often
    offline); {backbone: error} for those that could not be."""
    from backbones.download import fetch_weights
    from backbones.registry import get_spec
    from bench.sweep import _weights_arg

    errors = {}
    for name in dict.fromkeys(c.backbone for c in cells):
        if not args.no_weights and _weights_arg(name) == "auto":
            try:
                fetch_weights(get_spec(name))
            except BenchError as exc:
                errors[name] = f"{exc} ({WEIGHTS_HINT})"
    return errors


def plan_cells(cells: List[Cell], args, download: bool = True) -> List[Plan]:
    """Each cell's state: done (an ok row), running (as Slurm job N, or by a live process), else to run."""
    from bench.run.store import existing_row
    from bench.tasks import get_task
    from bench.tasks.base import read_once

    slurm = args.launcher == "slurm"
    results = _results(args)
    jobs = {}
    try:
        jobs = slurm_jobs() if slurm else {}
    except BenchError as exc:  # a dry run away from the cluster still shows the rest
        if download:
            raise
        print(f"warning: {exc}; jobs already queued are not shown")
    errors = _weights_ready(cells, args) if slurm and download else {}
    plans = []
    with read_once():
        for cell in cells:
            spec = cell_spec(cell, args)
            if cell.backbone in errors or spec.weights == "auto":
                plans.append(Plan(cell, None, f"cannot run: {errors[cell.backbone]}" if cell.backbone in errors
                                  else "to run (weights not cached: fetched first)", cell.backbone not in errors))
                continue
            try:
                resolved = get_task(spec.task).resolve(spec.replace(device="cpu"))  # the key is device-free
            except Exception as exc:  # one cell's bad input never stops the rest
                why = exc if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
                plans.append(Plan(cell, None, f"cannot run: {why}", False))
                continue
            plans.append(_plan(cell, resolved, existing_row(results, resolved), jobs, slurm))
    return plans


def _plan(cell: Cell, resolved, row, jobs, slurm: bool) -> Plan:
    """One cell's state from its row, its Slurm job and its work dir."""
    from bench.results import effective_status

    key, task, fresh = resolved.key, resolved.task.name, resolved.spec.fresh
    status = effective_status(row) if row else None
    if JOB_PREFIX + key in jobs:
        job_id, state = jobs[JOB_PREFIX + key]
        return Plan(cell, key, f"running as job {job_id} ({state.lower()})", False, job_id, task)
    if status == "ok" and not fresh:
        return Plan(cell, key, "done", False, task=task)
    if status == "running" and not (slurm and row.host != socket.gethostname()):
        return Plan(cell, key, f"running (pid {row.pid} on {row.host}): wait for it", False, task=task)
    last = resolved.work_dir / "last_checkpoint"
    resume = f" (resumes from {Path(last.read_text().strip()).name})" if last.exists() and not fresh else ""
    return Plan(cell, key, "to run" + resume, True, task=task)


def release_orphaned(results: Path, task: str, key: str, own_job: Optional[str]) -> bool:
    """A `running` row written on another host (where its pid cannot be checked) whose Slurm job no longer runs:
    marked failed, so this job resumes the cell from its checkpoint instead of being refused."""
    from bench.results import write_row

    row = _read(results, task, key)
    if row is None or row.status != "running" or row.host == socket.gethostname():
        return False
    try:
        job = slurm_jobs().get(JOB_PREFIX + key)
    except BenchError:
        return False
    if job and job[0] != own_job:  # run by another job: not orphaned
        return False
    row.status, row.error = "failed", f"interrupted: its Slurm job on {row.host} ended before the cell finished"
    write_row(results, row)
    return True


class CellJob:
    """One cell as a Slurm job (submitit pickles it and calls it on the node). Near the time limit or on
    pre-emption submitit calls checkpoint(): the cell's child stops and the job is requeued; the requeued job
    resumes the cell from its last checkpoint."""

    def __init__(self, cell: Cell, args, key: Optional[str] = None, task: Optional[str] = None):
        self.cell, self.args, self.key, self.task = cell, args, key, task

    def __call__(self) -> dict:
        if self.key:
            release_orphaned(_results(self.args), self.task, self.key, os.environ.get("SLURM_JOB_ID"))
        return run_cell(self.cell, self.args)

    def checkpoint(self):
        """submitit's requeue hook: stop the cell's child; the same job, requeued, resumes it."""
        from submitit.helpers import DelayedSubmission

        CHILDREN.stop()
        return DelayedSubmission(self)


def make_executor(args):
    """A submitit Slurm executor writing its job files under <results>/.slurm."""
    try:
        import submitit
    except ImportError:
        raise BenchError("--launcher slurm needs submitit: .venv/bin/pip install submitit") from None
    try:
        return submitit.SlurmExecutor(folder=str(_folder(args)))
    except RuntimeError as exc:  # no srun on PATH
        raise BenchError(f"--launcher slurm: {exc}; run on the cluster's login node, or pass --launcher local") \
            from None


def _submit(executor, plan: Plan, args):
    executor.update_parameters(**sbatch_options(args, plan.key))
    job = executor.submit(CellJob(plan.cell, args, plan.key, plan.task))
    print(f"  [submitted] {plan.cell} as Slurm job {job.job_id} ({JOB_PREFIX}{plan.key}); log: {job.paths.stdout}",
          flush=True)
    return job


def _finished(plan: Plan, job, job_id: str, args, state: Optional[str] = None) -> dict:
    """A job that left the queue (in Slurm's final `state`, where it still knows it): its run_cell outcome where it
    wrote one, else what the cell's row says."""
    if job is not None and job.paths.result_pickle.exists():
        try:
            return job.result()
        except Exception as exc:  # the job's own traceback
            lines = [line for line in str(exc).splitlines() if line.strip() and not line.startswith("-")]
            return _outcome(plan.cell, "failed", [f"Slurm job {job_id}: {lines[-1] if lines else exc}"])
    row = _read(_results(args), plan.task, plan.key)
    if row is not None and row.status == "ok":
        return _outcome(plan.cell, "done", [f"row {row.cell_key} (Slurm job {job_id})"])
    how = f"ended {state.lower()}" if state else "ended (cancelled, timed out or lost)"
    return _outcome(plan.cell, "failed", [f"Slurm job {job_id} {how} before the cell finished (its log: "
                                          f"{job.paths.stderr if job is not None else _folder(args)}); a rerun "
                                          "resumes it from its last checkpoint"])


def run_slurm(cells: List[Cell], args) -> List[dict]:
    """Submit each unfinished cell as its own job (at most --slurm-array-parallelism queued or running at once)
    and follow them, and those an earlier sweep left running, until they end. Ctrl-C stops following, not jobs."""
    plans = plan_cells(cells, args)
    outcomes = [_outcome(p.cell, "skipped", [p.state]) for p in plans if p.state == "done"]
    outcomes += [_outcome(p.cell, "failed", [p.state]) for p in plans
                 if not p.submit and not p.job_id and p.state != "done"]
    todo = [p for p in plans if p.submit]
    waiting = {p.job_id: (p, None) for p in plans if p.job_id}
    for plan, _ in waiting.values():
        print(f"  [{plan.state}] {plan.cell}: following it", flush=True)
    executor = make_executor(args) if todo else None
    limit, seen, missed, ended = args.slurm_array_parallelism or max(1, len(todo)), {}, {}, {}
    start = time.time()
    try:
        while todo or waiting:
            while todo and len(waiting) < limit:
                plan = todo.pop(0)
                try:
                    job = _submit(executor, plan, args)
                except Exception as exc:  # sbatch refused the request
                    outcomes.append(_outcome(plan.cell, "failed", [f"sbatch: {str(exc).strip().splitlines()[-1]}"]))
                    continue
                waiting[str(job.job_id)] = (plan, job)
            time.sleep(min(30.0, 1.0 + 0.05 * (time.time() - start)))
            try:
                active = dict(slurm_jobs().values())
            except BenchError as exc:
                print(f"  warning: {exc}; trying again", flush=True)
                continue
            for job_id, (plan, job) in list(waiting.items()):
                state = active.get(job_id)
                if state:
                    missed.pop(job_id, None)
                if state and seen.get(job_id) != state:
                    seen[job_id] = state
                    print(f"  [{state.lower()}] {plan.cell} (job {job_id})", flush=True)
                if state is None and not (job is not None and job.paths.result_pickle.exists()):
                    # between a requeue's COMPLETING and its PENDING a job can drop out of the default squeue:
                    # it ended only when Slurm says so, twice in a row
                    missed[job_id] = missed.get(job_id, 0) + 1
                    ended[job_id] = job_state(job_id)
                    if ended[job_id] in ACTIVE or missed[job_id] < 2:
                        continue
                if state is None or (job is not None and job.paths.result_pickle.exists()):
                    del waiting[job_id]
                    outcomes.append(_finished(plan, job, job_id, args, ended.get(job_id)))
                    print(f"  [{outcomes[-1]['state']}] {plan.cell} (job {job_id})", flush=True)
    except KeyboardInterrupt:
        print(f"sweep: stopped following; {len(waiting)} jobs go on in Slurm (squeue --me), {len(todo)} cells not "
              "submitted: run the same command again to follow the jobs and submit the rest", flush=True)
        CHILDREN.stopped_by = signal.SIGINT
        outcomes += [_outcome(p.cell, "stopped", []) for p in todo + [p for p, _ in waiting.values()]]
    return outcomes

