"""End-to-end training images/s of `bench run`'s loop vs a bare PyTorch loop and vs stock mmpose, in one run.

    .venv/bin/python benchmarks/train_throughput.py --task pose --backbone timm:vit_tiny_patch16_224 --protocol toy
    .venv/bin/python benchmarks/train_throughput.py --task pose --backbone sup-vit-b --protocol vitpose --batch 64 \
        --compile --gpu-pipeline --device cuda

(a) bare: backbone + head forward, MSE on synthetic heatmaps, backward, AdamW step, on synthetic tensors already
    on the device (no data loading at all);
(b) bench: `bench run`'s loop (its Runner, fast path, hooks) on toy data in the COCO layout with mmpose's data
    pipeline (decode, augmentation, targets);
(c) stock mmpose: a plain mmengine Runner over mmpose's TopdownPoseEstimator and the same pipeline, backbone, head
    and batch, fp32, none of bench's additions.
All three run the same number of iterations (warm-up + --iters) on the same clock: bench.run.hooks.ThroughputHook,
whole iterations from the end of the previous one (the batch fetch included) to the end of this one, CUDA
synchronised at the window's edges, warm-up left out. (b) and (c) also split each iteration into data time (the
fetch) and step time. Prints the three, the ratios b/a and b/c, the data share of (b) and (c), and the peak memory
of each (CUDA: allocated; CPU: the process's running maximum RSS). `--markdown FILE` appends one table row."""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

WARMUP = 2


def bare_loop(cfg, batch, iters, device):
    """Images/s of (a): the model's backbone + head trained on synthetic tensors, timed like ThroughputHook."""
    import torch
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    from bench.run.hooks import _synchronize

    init_default_scope("mmpose")
    model = MODELS.build(cfg.model).to(device).train()
    w, h = cfg.codec["input_size"]
    hw, hh = cfg.codec["heatmap_size"]
    x = torch.randn(batch, 3, h, w, device=device)
    target = torch.rand(batch, cfg.model.head.out_channels, hh, hw, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda"))
    seconds = 0.0
    _synchronize()
    mark = time.perf_counter()
    for i in range(WARMUP + iters):
        with amp:
            loss = torch.nn.functional.mse_loss(model.head(model.backbone(x)).float(), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _synchronize()
        now = time.perf_counter()
        if i >= WARMUP:
            seconds += now - mark
        mark = now
    return {"train_img_per_s": batch * iters / seconds, "data_share": 0.0, "timed_iterations": iters}


def stock_loop(cfg):
    """(c): stock mmpose training with `cfg` (a copy stripped of bench's hooks and fast path), on the same clock."""
    from mmengine.runner import Runner

    from bench.run.hooks import ThroughputHook

    cfg = cfg.copy()
    cfg.custom_hooks = []
    cfg.optim_wrapper.type = "OptimWrapper"
    cfg.optim_wrapper.pop("dtype", None)
    cfg.optim_wrapper.optimizer.pop("fused", None)
    cfg.work_dir = cfg.work_dir + "-stock"
    runner = Runner.from_cfg(cfg)
    clock = ThroughputHook(warmup=WARMUP)
    runner.register_hook(clock, priority="VERY_LOW")
    runner.train()
    return clock.timings()


def _reset_peak(device):
    import torch

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()


def _peak_mb(device):
    import resource

    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_args(argv):
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="pose", choices=["pose"])
    parser.add_argument("--backbone", default="timm:vit_tiny_patch16_224")
    parser.add_argument("--protocol", default="toy")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--iters", type=int, default=20, help="timed iterations of each loop (after 2 warm-up)")
    parser.add_argument("--workers", type=int, default=None, help="data loader workers of (b) and (c) "
                                                                  "(default: the protocol's, capped at the cores)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--compile", action="store_true", help="torch.compile the backbone in (b)")
    parser.add_argument("--gpu-pipeline", action="store_true", help="(b) makes warps and heatmaps on the device")
    parser.add_argument("--markdown", help="append the figures as one Markdown table row to this file")
    return parser.parse_args(argv)


def main(argv=None):
    """Run (a), (c) and (b) in this process and print their figures."""
    args = parse_args(argv)
    import torch

    from bench.run.execute import execute
    from bench.run.spec import RunSpec
    from bench.tasks import get_task
    from bench.tasks.pose.toy import write_toy_pose

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    options = {"train_dataloader.num_workers": args.workers} if args.workers is not None else {}
    with tempfile.TemporaryDirectory() as tmp:
        # exactly warm-up + iters full batches for (b) and (c)
        root = write_toy_pose(Path(tmp) / "coco", "coco", n_train=args.batch * (WARMUP + args.iters), n_val=8)
        spec = RunSpec(backbone=args.backbone, task=args.task, protocol=args.protocol, data_root=str(root),
                       epochs=1, batch_size=args.batch, device=device, work_dir=str(Path(tmp) / "work"),
                       compile=args.compile, gpu_pipeline=args.gpu_pipeline, cfg_options=options)
        task = get_task(args.task)
        resolved = task.resolve(spec)
        resolved.cfg.default_hooks.logger.interval = 10 ** 6
        figures, peaks = {}, {}
        for name, measure in (("a", lambda: bare_loop(resolved.cfg, args.batch, args.iters, device)),
                              ("c", lambda: stock_loop(task.resolve(spec.replace(gpu_pipeline=False,
                                                                                 compile=False)).cfg)),
                              ("b", lambda: execute(resolved, Path(tmp) / "results").timings)):
            _reset_peak(device)
            figures[name] = measure()
            peaks[name] = _peak_mb(device)
    import mmpose

    a, b, c = (figures[k]["train_img_per_s"] for k in "abc")
    machine = (f"device={device} torch={torch.__version__} mmpose={mmpose.__version__} "
               f"threads={torch.get_num_threads()} cpus={os.cpu_count()}"
               + (f" gpu={torch.cuda.get_device_name(0)}" if device.startswith("cuda") else ""))
    print(machine)
    print(f"task={args.task} backbone={args.backbone} protocol={args.protocol} batch={args.batch} "
          f"compile={args.compile} gpu_pipeline={args.gpu_pipeline} iterations={WARMUP}+{args.iters}")
    for key, label in (("a", "bare backbone+head step, synthetic tensors"), ("b", "bench run loop, toy data + "
                       "mmpose pipeline"), ("c", "stock mmpose Runner, same pipeline/model  ")):
        f = figures[key]
        print(f"({key}) {label} : {f['train_img_per_s']:8.1f} img/s   data share {f['data_share']:5.1%}   "
              f"timed iterations {f['timed_iterations']}   peak {peaks[key]:8.0f} MiB")
    print(f"ratio b/a = {b / a:.3f}   ratio b/c = {b / c:.3f}"
          + ("   (CPU peaks are the process's running maximum RSS)" if not device.startswith("cuda") else ""))
    if args.markdown:
        with open(args.markdown, "a") as out:
            out.write(f"| {machine} | {args.backbone}, {args.protocol}, batch {args.batch}"
                      f"{', --gpu-pipeline' if args.gpu_pipeline else ''}{', --compile' if args.compile else ''} | "
                      f"{a:.1f} | {b:.1f} | {c:.1f} | {b / a:.3f} | {b / c:.3f} | "
                      f"{figures['b']['data_share']:.1%} / {figures['c']['data_share']:.1%} |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
