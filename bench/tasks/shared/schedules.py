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


def register_schedulers():
    """Register the LR schedules of the official recipes that mmengine lacks (idempotent)."""
    from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
    from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
    from mmengine.registry import PARAM_SCHEDULERS

    if "GLPDepthLR" in PARAM_SCHEDULERS.module_dict:
        return

    class GLPDepthParamScheduler(_ParamScheduler):
        """MIM-Depth-Estimation's one-cycle schedule (SwinTransformer/MIM-Depth-Estimation train.py L184-198, per
        step): with t the 1-based step and h = (epochs // 2) x steps per epoch, lr(t) = (max - min) (t/h)^0.9 + min
        for t < h, then max(min, (min - max) (t/h - 1)^0.9 + max). Each parameter group runs lr(t) times its own
        layer-decay scale (the official code multiplies by `lr_scale` every step): the schedule is applied as a
        factor lr(t)/max to each group's initial value, so layer decay survives it (mmengine's OneCycleLR sets
        every group to the same value)."""

        def __init__(self, optimizer, param_name, eta_min_ratio, power=0.9, half=None, begin=0, end=INF,
                     last_step=-1, by_epoch=False, verbose=False):
            self.eta_min_ratio, self.power = eta_min_ratio, power
            self.half = half or max((end - begin) // 2, 1)
            super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

        @classmethod
        def build_iter_from_epoch(cls, *args, begin=0, end=INF, by_epoch=True, epoch_length=None, **kwargs):
            """Epochs -> steps; the rise lasts (epochs // 2) whole epochs, as in the official code."""
            half = max(int((end - begin) // 2 * epoch_length), 1)
            return cls(*args, begin=int(begin * epoch_length), end=int(end * epoch_length), half=half,
                       by_epoch=False, **kwargs)

        def factor(self, step: int) -> float:
            """lr(step) / max, the same for every group (min = eta_min_ratio x max: 3e-5 / 5e-4 officially)."""
            t = (step - self.begin + 1) / self.half
            lo = self.eta_min_ratio
            return (1 - lo) * t ** self.power + lo if t < 1 else max(lo, (lo - 1) * (t - 1) ** self.power + 1)

        def _get_value(self):
            return [base * self.factor(self.last_step) for base in self.base_values]

    @PARAM_SCHEDULERS.register_module()
    class GLPDepthLR(LRSchedulerMixin, GLPDepthParamScheduler):
        """GLPDepthParamScheduler on the learning rate."""
