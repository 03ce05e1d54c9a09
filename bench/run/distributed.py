"""Multi-process runs of one cell (`bench run --gpus N`): torchrun relaunches the same command N times; each process
joins the process group (NCCL on GPUs, gloo on the CPU) before mmengine builds its Runner with the pytorch
launcher. The protocol's batch stays the global batch: each process takes batch / N, so the learning rate the
protocol states for that batch still holds."""
import os
import subprocess
import sys

from backbones.core.errors import BenchError


def world_size() -> int:
    """Processes in this run (torchrun's WORLD_SIZE; 1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """This process's rank (torchrun's RANK; 0 outside torchrun)."""
    return int(os.environ.get("RANK", "0"))


def is_worker() -> bool:
    """Inside a torchrun-launched process of a multi-process run."""
    return "LOCAL_RANK" in os.environ and world_size() > 1


def launch(argv, n: int, device: str) -> int:
    """Run `bench <argv>` in `n` processes (torch.distributed.run, one node); returns their exit status."""
    import torch

    if device.startswith("cuda") and torch.cuda.device_count() < n:
        raise BenchError(f"--gpus {n}, but {torch.cuda.device_count()} CUDA devices are visible; lower --gpus")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}",
           "-m", "bench.cli", *argv]
    return subprocess.run(cmd).returncode


def init_process_group(device: str) -> None:
    """Join torchrun's process group (NCCL on CUDA, gloo on CPU), once."""
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")


def configure(cfg, device: str, n: int) -> None:
    """Per-process batch, the pytorch launcher, SyncBN on GPUs, a DDP wrapper that works on the CPU too."""
    global_batch = cfg.train_dataloader.batch_size
    if global_batch % n:
        raise BenchError(f"the global batch {global_batch} does not split over --gpus {n}; pass --batch-size a "
                         f"multiple of {n}")
    cfg.train_dataloader.batch_size = global_batch // n
    cfg.launcher = "pytorch"
    wrapper = dict(cfg.get("model_wrapper_cfg") or {})
    wrapper.setdefault("type", "MMDistributedDataParallel")
    wrapper.setdefault("broadcast_buffers", False)
    if not device.startswith("cuda"):
        wrapper["device_ids"] = None  # CPU modules take no device ids
    else:
        cfg.sync_bn = "torch"  # BatchNorm in heads sees the global batch (torch's SyncBN needs CUDA)
    cfg.model_wrapper_cfg = wrapper


def all_mean(values):
    """Element-wise means of a list of scalars over the process group, in one all-reduce (the values themselves
    outside one)."""
    import torch
    import torch.distributed as dist

    if not values or not (dist.is_available() and dist.is_initialized()):
        return list(values)
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return (t / dist.get_world_size()).tolist()


def unwrap(model):
    """The model inside a DDP wrapper (the model itself otherwise)."""
    return model.module if hasattr(model, "module") else model
