"""Training images/s of `bench run`'s loop vs a bare PyTorch loop and vs stock mmpose, in one run.

    .venv/bin/python benchmarks/train_throughput.py --task pose --backbone timm:vit_tiny_patch16_224 --protocol toy
    .venv/bin/python benchmarks/train_throughput.py --task pose --backbone sup-vit-b --protocol vitpose --batch 128 \
        --compile --gpu-pipeline --device cuda

(a) bare: backbone + head forward, MSE on synthetic heatmaps, backward, AdamW step, on synthetic tensors;
(b) bench: `bench run`'s loop (its Runner, fast path, hooks) on toy data in the COCO layout with mmpose's data
    pipeline (decode, augmentation, targets);
(c) stock mmpose: a plain mmengine Runner over mmpose's TopdownPoseEstimator and the same pipeline, backbone, head
    and batch, fp32, none of bench's additions.
Prints the three, the ratios b/a and b/c, and the peak memory of each (CUDA: allocated; CPU: process RSS)."""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def bare_loop(cfg, batch, iters, device):
    import torch
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    init_default_scope("mmpose")
    model = MODELS.build(cfg.model).to(device).train()
    w, h = cfg.codec["input_size"]
    hw, hh = cfg.codec["heatmap_size"]
    k = cfg.model.head.out_channels
    x = torch.randn(batch, 3, h, w, device=device)
    target = torch.rand(batch, k, hh, hw, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")

    def step():
        with amp:
            loss = torch.nn.functional.mse_loss(model.head(model.backbone(x)).float(), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return batch * iters / (time.perf_counter() - start)


def stock_loop(cfg, device):
    """Images/s of stock mmpose training with `cfg` (a copy stripped of bench's hooks and fast path)."""
    import torch
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class Clock(Hook):
        def __init__(self):
            self.images, self.seconds, self.seen, self.start = 0, 0.0, 0, None

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if device == "cuda":
                torch.cuda.synchronize()
            self.start = time.perf_counter()

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if device == "cuda":
                torch.cuda.synchronize()
            self.seen += 1
            if self.seen > 2:  # warmup excluded, as in (b)
                self.seconds += time.perf_counter() - self.start
                self.images += len(data_batch["inputs"])

    cfg = cfg.copy()
    cfg.custom_hooks = []
    cfg.optim_wrapper.type = "OptimWrapper"
    cfg.optim_wrapper.pop("dtype", None)
    cfg.optim_wrapper.optimizer.pop("fused", None)
    cfg.work_dir = cfg.work_dir + "-stock"
    runner = Runner.from_cfg(cfg)
    clock = Clock()
    runner.register_hook(clock, priority="VERY_LOW")
    runner.train()
    return clock.images / clock.seconds


def _reset_peak(device):
    import torch

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def _peak_mb(device):
    import resource

    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="pose", choices=["pose"])
    parser.add_argument("--backbone", default="timm:vit_tiny_patch16_224")
    parser.add_argument("--protocol", default="toy")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--iters", type=int, default=20, help="timed iterations of the bare loop")
    parser.add_argument("--n-train", type=int, default=160, help="toy training images for the bench loop")
    parser.add_argument("--device", default=None)
    parser.add_argument("--compile", action="store_true", help="torch.compile the backbone in (b)")
    parser.add_argument("--gpu-pipeline", action="store_true", help="(b) makes warps and heatmaps on the device")
    args = parser.parse_args(argv)

    import torch

    from bench.run.execute import Plan, execute
    from bench.tasks.base import RunSpec
    from bench.tasks.pose.toy import write_toy_pose

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        root = write_toy_pose(Path(tmp) / "coco", "coco", n_train=args.n_train, n_val=8)
        run = RunSpec(backbone=args.backbone, task=args.task, protocol=args.protocol, data_root=str(root),
                      epochs=1, batch_size=args.batch, device=device, work_dir=str(Path(tmp) / "work"),
                      compile=args.compile, gpu_pipeline=args.gpu_pipeline)
        plan = Plan(run)
        plan.cfg.default_hooks.logger.interval = 10 ** 6
        peaks = {}
        _reset_peak(device)
        bare = bare_loop(plan.cfg, args.batch, args.iters, device)
        peaks["a"] = _peak_mb(device)
        _reset_peak(device)
        stock = stock_loop(Plan(RunSpec(**{**vars(run), "gpu_pipeline": False, "compile": False})).cfg, device)
        peaks["c"] = _peak_mb(device)
        _reset_peak(device)
        row = execute(plan, Path(tmp) / "results")
        peaks["b"] = _peak_mb(device)
        ours = row.timings["train_img_per_s"]
    import mmpose

    print(f"device={device} torch={torch.__version__} mmpose={mmpose.__version__} threads={torch.get_num_threads()} "
          f"cpus={os.cpu_count()}" + (f" gpu={torch.cuda.get_device_name(0)}" if device == "cuda" else ""))
    print(f"task={args.task} backbone={args.backbone} protocol={args.protocol} batch={args.batch} "
          f"compile={args.compile} gpu_pipeline={args.gpu_pipeline}")
    print(f"(a) bare backbone+head step, synthetic tensors : {bare:8.1f} img/s   peak {peaks['a']:8.0f} MiB")
    print(f"(b) bench run loop, toy data + mmpose pipeline : {ours:8.1f} img/s   peak {peaks['b']:8.0f} MiB")
    print(f"(c) stock mmpose Runner, same pipeline/model   : {stock:8.1f} img/s   peak {peaks['c']:8.0f} MiB")
    print(f"ratio b/a = {ours / bare:.3f}   ratio b/c = {ours / stock:.3f}"
          + ("   (CPU peaks are the process's running maximum RSS)" if device != "cuda" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
