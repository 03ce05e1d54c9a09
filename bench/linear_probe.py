"""Linear probe: frozen-backbone features extracted once and cached on disk (keyed by backbone, weights, input size
and data fingerprint), a small LR / weight-decay sweep on a held-out part of train, then train + test."""
import hashlib
import itertools

import torch
import torch.nn.functional as F

from bench import paths
from bench.models.classification import accuracy_metrics, collate

LRS = (1e-3, 3e-3, 1e-2)
WEIGHT_DECAYS = (0.0, 1e-3)
HOLDOUT = 0.2


def cache_key(backbone: str, weights_sha256, img_size, fingerprint: str) -> str:
    ident = f"{backbone}|{weights_sha256}|{tuple(img_size)}|{fingerprint}"
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


@torch.no_grad()
def extract(backbone, dataset, preprocessor, batch_size=64, device="cpu"):
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)
    feats, labels = [], []
    backbone.eval().to(device)
    for batch in loader:
        x = preprocessor(batch, training=False)["inputs"].to(device)
        feats.append(backbone(x)[-1].mean(dim=(2, 3)).float().cpu())
        labels.append(batch["data_samples"]["gt_label"])
    return torch.cat(feats), torch.cat(labels)


def cached_features(key: str, compute):
    """(features, labels) for train and test from `<cache>/features/<key>.safetensors`, computing them once."""
    from safetensors.torch import load_file, save_file

    path = paths.cache_root() / "features" / f"{key}.safetensors"
    if path.exists():
        return load_file(str(path)), True
    tensors = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    tmp.replace(path)
    return tensors, False


def _standardise(train, *others):
    mean, std = train.mean(0, keepdim=True), train.std(0, keepdim=True) + 1e-6
    return [(t - mean) / std for t in (train, *others)]


def fit(x, y, num_classes, lr, wd, epochs, seed):
    torch.manual_seed(seed)
    head = torch.nn.Linear(x.shape[1], num_classes)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for idx in perm.split(256):
            loss = F.cross_entropy(head(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return head


def probe(feats: dict, num_classes: int, epochs: int, seed: int):
    """Sweep on a held-out 20 % of train, refit on all of train, evaluate on test.
    Returns metrics, test probabilities and the sweep table."""
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
        probs = head(xtest).softmax(-1).numpy()
    metrics = accuracy_metrics(probs, feats["test_y"].numpy())
    return metrics, probs, {"sweep": sweep, "best": best}
