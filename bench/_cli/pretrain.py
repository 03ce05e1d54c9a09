"""`bench pretrain simmim`: SimMIM pre-training on a folder of images, resumable, official-layout output."""
import os
from pathlib import Path

from backbones.core.errors import BenchError
from backbones.core.paths import CONFIG_ROOT



def register(sub):
    """Add `bench pretrain simmim`."""
    p = sub.add_parser("pretrain", help="SimMIM pre-training on your own images")
    psub = p.add_subparsers(dest="method", metavar="METHOD", required=True)
    q = psub.add_parser("simmim", help="SimMIM: mask 32-px patches, predict their pixels (L1)",
                        description="Example: bench pretrain simmim --arch swin-b --images DIR --epochs 100 "
                                    "--out simmim_swin_b.pth")
    q.add_argument("--arch", required=True,
                   help="swin-b | swin-l | swinv2-b | vit-b | timm:NAME | any registered backbone name")
    q.add_argument("--images", required=True, help="folder of images (searched recursively)")
    q.add_argument("--out", required=True, help="checkpoint to write (.pth or .safetensors), official layout")
    q.add_argument("--img-size", type=int, help="default: SimMIM's, 192 (Swin) or 224 (ViT)")
    q.add_argument("--mask-patch", type=int, default=32)
    q.add_argument("--mask-ratio", type=float, default=0.6)
    q.add_argument("--recipe", choices=("100ep", "800ep"), default="100ep",
                   help="SimMIM's schedule: 100ep (cosine, base LR 2e-4) or 800ep (step at 7/8, base LR 1e-4)")
    q.add_argument("--epochs", type=int, help="override the recipe's epoch count (the schedule keeps its shape)")
    q.add_argument("--batch-size", type=int, help="default 128; the LR scales by batch/512")
    q.add_argument("--workers", type=int, help="data loader workers")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--device", choices=("cpu", "cuda"))
    q.add_argument("--work-dir", help="checkpoints for resuming (default: <out>.work)")
    q.add_argument("--fresh", action="store_true", help="ignore checkpoints in the work dir")
    q.add_argument("--preview", metavar="FILE.png", help="write input | mask | reconstruction for a few images")
    q.add_argument("--verbose", action="store_true",
                   help="show mmengine's log instead of the progress display (both always in the work dir)")
    q.set_defaults(handler=pretrain_cmd)


def simmim_schedule(recipe, epochs: int) -> list:
    """The recipe's warmup (linear from warmup_lr) and decay (cosine to min_lr, or steps), rescaled to `epochs`
    (SimMIM lr_scheduler.py; the LR values scale with the batch, so they are stated as ratios of the base LR)."""
    warmup = min(max(1, round(recipe.warmup_epochs * epochs / recipe.epochs)), max(epochs - 1, 0))
    out = [dict(type="LinearLR", start_factor=recipe.warmup_lr / recipe.base_lr, by_epoch=True, begin=0, end=warmup,
                convert_to_iter_based=True)] if warmup else []
    if recipe.schedule == "cosine":
        out.append(dict(type="CosineAnnealingLR", by_epoch=True, begin=warmup, end=max(epochs, warmup + 1),
                        T_max=max(epochs - warmup, 1), eta_min_ratio=recipe.min_lr / recipe.base_lr,
                        convert_to_iter_based=True))
    else:
        steps = [max(1, round(m * epochs / recipe.epochs)) for m in recipe.milestones]
        out.append(dict(type="MultiStepLR", by_epoch=True, begin=0, end=max(epochs, 1), milestones=steps,
                        gamma=recipe.gamma, convert_to_iter_based=True))
    return out


def build_config(args, work_dir: Path):
    """Build the SimMIM pre-training mmengine Config from the CLI args: model, data, recipe LR schedule, work dir."""
    from mmengine.config import Config

    import torch

    import bench.run.hooks  # noqa: F401  (ThroughputHook)
    import bench.run.progress  # noqa: F401  (ProgressHook)
    from backbones.build import build_model
    from backbones.registry import get_spec
    from bench.simmim import ARCHS

    spec = get_spec(ARCHS.get(args.arch, args.arch))
    images = Path(args.images) if args.images is not None else None  # None: the config only (bench protocols)
    if images is not None and not images.is_dir():
        raise BenchError(f"--images {images}: no such folder; pass a folder of images (searched recursively)")
    cfg = Config.fromfile(CONFIG_ROOT / "pretrain" / "simmim.py")
    side = args.img_size or (224 if spec.arch in ("vit", "beit") else 192)
    img = (side, side)
    cfg.model.update(backbone=spec.name, img_size=img)
    with torch.device("meta"):  # the encoder's patch size, without allocating it
        patch = build_model(spec, img_size=img).patch_embed.patch_size[0]
    batch = args.batch_size or cfg.train_dataloader.batch_size
    cfg.train_dataloader.batch_size = batch
    cfg.train_dataloader.dataset.update(data_root=str(images) if images else None, img_size=img, mask_patch=args.mask_patch,
                                        model_patch=patch, mask_ratio=args.mask_ratio, mean=list(spec.mean),
                                        std=list(spec.std))
    recipe = cfg.bench.recipes[args.recipe]
    epochs = recipe.epochs if args.epochs is None else args.epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.optim_wrapper.optimizer.lr = recipe.base_lr * batch / 512  # SimMIM main_simmim.py: x total batch / 512
    cfg.param_scheduler = simmim_schedule(recipe, epochs)
    cfg.model.update(drop_path_rate=spec.pick(cfg.bench.drop_path), norm_target_patch=spec.pick(cfg.bench.norm_target))
    cfg.optim_wrapper.paramwise_cfg.no_decay_keywords = tuple(spec.pick(cfg.bench.no_decay_keywords))
    cfg.train_dataloader.num_workers = min(cfg.train_dataloader.num_workers, os.cpu_count() or 1)
    if args.workers is not None:
        cfg.train_dataloader.num_workers = args.workers
        cfg.train_dataloader.persistent_workers = args.workers > 0
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=args.seed)
    cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + [dict(type="ProgressHook")]
    return cfg


def pretrain_cmd(args) -> int:
    """Run SimMIM pre-training (resuming from the work dir unless --fresh) and save it in the official layout."""
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    from bench.run.execute import trusted_own_checkpoints
    from bench.run.hooks import ThroughputHook
    from bench.run.progress import BenchRunner, captured_output, set_verbose
    from bench.simmim import save_official, save_preview

    out = Path(args.out)
    if out.suffix not in (".pth", ".pt", ".safetensors"):
        raise BenchError(f"--out {out}: use a .pth or .safetensors file name")
    if args.epochs is not None and args.epochs < 1:
        raise BenchError(f"--epochs {args.epochs}: pass 1 or more")
    work_dir = Path(args.work_dir or str(out) + ".work").resolve()
    if args.verbose:
        set_verbose(True)
    cfg = build_config(args, work_dir)
    resumed = (work_dir / "last_checkpoint").exists() and not args.fresh
    cfg.resume = resumed
    if resumed:
        print(f"resuming SimMIM pre-training from {(work_dir / 'last_checkpoint').read_text().strip()}")
    with captured_output(work_dir), trusted_own_checkpoints(work_dir):
        runner = BenchRunner.from_cfg(cfg)
        runner.train()
    model = runner.model
    save_official(model, out)
    hook = next(h for h in runner.hooks if isinstance(h, ThroughputHook))
    losses = hook.losses.get("loss_rec", [])
    if losses:
        k = max(1, len(losses) // 10)
        print(f"reconstruction loss: first {sum(losses[:k]) / k:.4f} -> last {sum(losses[-k:]) / k:.4f} "
              f"({len(losses)} iterations)")
    print(f"wrote {out} (official SimMIM layout; load it with --backbone {model.spec.name} --weights {out})")
    if args.preview:
        save_preview(model, runner.train_dataloader.dataset, Path(args.preview))
        print(f"wrote preview {args.preview} (input | masked | reconstruction)")
    return 0
