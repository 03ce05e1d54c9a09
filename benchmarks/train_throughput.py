"""Training images/s of `bench run`'s loop vs a bare PyTorch loop over the same backbone + head, in one run.

    .venv/bin/python benchmarks/train_throughput.py --task pose --backbone timm:vit_tiny_patch16_224 --protocol toy

(a) bare: backbone + head forward, MSE on synthetic heatmaps, backward, AdamW step, on synthetic tensors;
(b) bench: `bench run`'s mmengine loop on toy data in the COCO layout (data loading, augmentation, targets, hooks).
Prints both and the ratio b/a."""
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="pose", choices=["pose"])
    parser.add_argument("--backbone", default="timm:vit_tiny_patch16_224")
    parser.add_argument("--protocol", default="toy")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--iters", type=int, default=20, help="timed iterations of the bare loop")
    parser.add_argument("--n-train", type=int, default=160, help="toy training images for the bench loop")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)

    import torch

    from bench.runner import Plan, execute
    from bench.tasks.base import RunSpec
    from bench.toy.pose import write_toy_pose

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        root = write_toy_pose(Path(tmp) / "coco", "coco", n_train=args.n_train, n_val=8)
        run = RunSpec(backbone=args.backbone, task=args.task, protocol=args.protocol, data_root=str(root),
                      epochs=1, batch_size=args.batch, device=device, work_dir=str(Path(tmp) / "work"))
        plan = Plan(run)
        plan.cfg.default_hooks.logger.interval = 10 ** 6
        bare = bare_loop(plan.cfg, args.batch, args.iters, device)
        row = execute(plan, Path(tmp) / "results")
        ours = row.timings["train_img_per_s"]
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} cpus={os.cpu_count()}")
    print(f"task={args.task} backbone={args.backbone} protocol={args.protocol} batch={args.batch}")
    print(f"(a) bare backbone+head step, synthetic tensors : {bare:8.1f} img/s")
    print(f"(b) bench run loop, toy data + mmpose pipeline : {ours:8.1f} img/s")
    print(f"ratio b/a = {ours / bare:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
