"""The linear probe as mmengine loops the `linear` protocol's config chooses: `LinearProbeLoop` (train_cfg) extracts
frozen-backbone features once on the run's device and caches them on disk (keyed by backbone, weights, input size
and data fingerprint), sweeps LR / weight decay on a held-out 20 % of train, then fits on all of train;
`LinearProbeTestLoop` (test_cfg) scores the fitted probe on the cached test features through the config's
evaluator (ClassificationMetric: top-1 / top-5 / mean per class, the predictions CSV)."""
import hashlib
import itertools

import torch
import torch.nn.functional as F
from mmengine.registry import DATASETS, LOOPS
from mmengine.runner import BaseLoop

from backbones.core import paths
from backbones.core.io import atomic_path
from bench.run.distributed import unwrap
from bench.tasks.classification.model import collate

LRS = (1e-3, 3e-3, 1e-2)
WEIGHT_DECAYS = (0.0, 1e-3)
HOLDOUT = 0.2


def cache_key(backbone: str, weights_sha256, img_size, fingerprint: str) -> str:
    """The feature cache's file name for one backbone, weights file, input size and dataset."""
    ident = f"{backbone}|{weights_sha256}|{tuple(img_size)}|{fingerprint}"
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


@torch.no_grad()
def extract(backbone, dataset, preprocessor, batch_size=64, device="cpu", name="features"):
    """Global-average-pooled last-stage features and labels of `dataset`, computed on `device`."""
    from bench.run.progress import Phase

    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)
    feats, labels = [], []
    backbone.eval().to(device)
    shown = Phase(name, len(dataset), unit="images")
    for batch in loader:
        x = preprocessor(batch, training=False)["inputs"].to(device)
        feats.append(backbone(x)[-1].mean(dim=(2, 3)).float().cpu())
        labels.append(batch["data_samples"]["gt_label"])
        shown.update(shown.done + len(x))
    shown.close()
    return torch.cat(feats), torch.cat(labels)


def cached_features(key: str, compute):
    """(features, labels) for train and test from `<cache>/features/<key>.safetensors`, computing them once."""
    from safetensors.torch import load_file, save_file

    path = paths.cache_root() / "features" / f"{key}.safetensors"
    if path.exists():
        return load_file(str(path)), True
    tensors = compute()
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    return tensors, False


def _standardise(train, *others):
    mean, std = train.mean(0, keepdim=True), train.std(0, keepdim=True) + 1e-6
    return [(t - mean) / std for t in (train, *others)]


def fit(x, y, num_classes, lr, wd, epochs, seed):
    """A linear classifier on `x` (AdamW, cosine schedule, batches of 256)."""
    torch.manual_seed(seed)
    head = torch.nn.Linear(x.shape[1], num_classes)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(256):
            loss = F.cross_entropy(head(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return head


def probe(feats: dict, num_classes: int, epochs: int, seed: int):
    """Sweep on a held-out 20 % of train, refit on all of train; returns test probabilities and the sweep."""
    gen = torch.Generator().manual_seed(seed)
    n = len(feats["train_x"])
    perm = torch.randperm(n, generator=gen)
    n_hold = max(1, int(HOLDOUT * n))
    hold, fit_idx = perm[:n_hold], perm[n_hold:]
    xtr, xho = _standardise(feats["train_x"][fit_idx], feats["train_x"][hold])
    sweep = []
    for lr, wd in itertools.product(LRS, WEIGHT_DECAYS):
        head = fit(xtr, feats["train_y"][fit_idx], num_classes, lr, wd, epochs, seed)
        with torch.no_grad():
            acc = (head(xho).argmax(1) == feats["train_y"][hold]).float().mean().item()
        sweep.append({"lr": lr, "weight_decay": wd, "holdout_top1": 100 * acc})
    best = max(sweep, key=lambda r: r["holdout_top1"])
    xtrain, xtest = _standardise(feats["train_x"], feats["test_x"])
    head = fit(xtrain, feats["train_y"], num_classes, best["lr"], best["weight_decay"], epochs, seed)
    with torch.no_grad():
        probs = head(xtest).softmax(-1)
    return probs, {"sweep": sweep, "best": best}


@LOOPS.register_module()
class LinearProbeLoop(BaseLoop):
    """train_cfg=dict(type='LinearProbeLoop', max_epochs=E, cache_key=K): features once, sweep, fit (see module)."""

    def __init__(self, runner, dataloader, max_epochs: int, cache_key: str):
        super().__init__(runner, dataloader)
        self.max_epochs, self.cache_key = max_epochs, cache_key
        self.iter = self.max_iters = self.epoch = 0
        self.summary = {}

    def run(self):
        runner, cfg = self.runner, self.runner.cfg
        model = unwrap(runner.model)
        device = next(model.parameters()).device

        def compute():
            out = {}
            for part, loader in (("train", cfg.train_dataloader), ("test", cfg.test_dataloader)):
                out[f"{part}_x"], out[f"{part}_y"] = extract(model.backbone, DATASETS.build(loader.dataset),
                                                             model.data_preprocessor, device=device,
                                                             name=f"features ({part})")
            return out

        self.runner.call_hook("before_train")
        feats, hit = cached_features(self.cache_key, compute)
        probs, sweep = probe(feats, cfg.model.num_classes, self.max_epochs, cfg.randomness.seed)
        self.summary = {"probs": probs, "labels": feats["test_y"], "feature_cache_hit": hit,
                        "feature_cache_key": self.cache_key, "feature_device": str(device), **sweep}
        self.runner.call_hook("after_train")
        return runner.model


@LOOPS.register_module()
class LinearProbeTestLoop(BaseLoop):
    """test_cfg=dict(type='LinearProbeTestLoop'): the fitted probe's test probabilities through the evaluator."""

    def __init__(self, runner, dataloader, evaluator):
        super().__init__(runner, dataloader)
        self.evaluator = runner.build_evaluator(evaluator)

    def run(self) -> dict:
        summary = getattr(self.runner.train_loop, "summary", None)
        if not summary:
            raise RuntimeError("the linear probe has not been fitted: LinearProbeTestLoop runs after LinearProbeLoop")
        dataset = self.dataloader.dataset
        samples = [{"probs": p, "gt_label": int(y), "img_path": dataset.get_data_info(i)["img_path"]}
                   for i, (p, y) in enumerate(zip(summary["probs"], summary["labels"]))]
        self.evaluator.process(samples, None)
        return self.evaluator.evaluate(len(samples))
