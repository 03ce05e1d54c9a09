"""Training length from `--schedule` / `--epochs` / `--batch-size`, with the protocol's LR schedule following a
shortened (or lengthened) run: epoch-based protocols (`cfg.bench.schedules` in epochs) and iteration-based ones
(`cfg.bench.schedules` in iterations, e.g. segmentation's 160k)."""


def apply_iter_schedule(cfg, run, n_train: int) -> int:
    """Iteration-based protocols: `--epochs E` means E passes over the `n_train` training images (0: no training
    at all); warmup keeps its length (capped by the run), the poly decay ends with the run."""
    if run.batch_size:
        cfg.train_dataloader.batch_size = run.batch_size
    batch = cfg.train_dataloader.batch_size
    iters = run.epochs * -(-n_train // batch) if run.epochs is not None else cfg.bench.schedules[run.schedule]
    iters = int(iters)
    cfg.train_cfg.max_iters = iters
    if iters == 0:
        cfg.param_scheduler = []
    for sched in cfg.get("param_scheduler", None) or []:
        if sched.type == "LinearLR":
            sched.end = min(sched.end, iters)
        else:
            sched.begin = min(sched.get("begin", 0), iters - 1)
            sched.end = iters
    hook = cfg.default_hooks.checkpoint
    hook.interval = max(1, min(hook.interval, iters))
    return iters


def apply_schedule(cfg, run) -> int:
    """Epoch-based protocols: the epoch count from `--schedule` / `--epochs`; LR milestones scale with the run."""
    full = cfg.bench.schedules["full"]
    epochs = run.epochs if run.epochs is not None else cfg.bench.schedules[run.schedule]
    cfg.train_cfg.max_epochs = epochs
    for sched in cfg.get("param_scheduler", None) or []:
        if not sched.get("by_epoch", True):
            continue
        if sched.type == "LinearLR":  # warmup: keeps its length, capped by the run
            sched.end = min(sched.end, max(epochs, 1))
            continue
        sched.begin = min(sched.get("begin", 0), max(epochs - 1, 0))
        sched.end = max(epochs, sched.begin + 1)
        if "T_max" in sched:
            sched.T_max = sched.end - sched.begin
        if "total_steps" in sched:  # OneCycleLR, counted in epochs before conversion to iterations
            sched.total_steps = sched.end - sched.begin
        if "milestones" in sched:
            sched.milestones = [max(1, round(m * epochs / full)) for m in sched.milestones]
    if run.batch_size:
        cfg.train_dataloader.batch_size = run.batch_size
    return epochs
