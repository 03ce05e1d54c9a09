"""Classification on mmengine: the dataset (official layouts via
bench.tasks.classification.datasets), a pooled-feature linear
classifier over any registry backbone, and top-1 / top-5 / mean-per-class accuracy with a predictions CSV."""
import csv
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, FUNCTIONS, METRICS, MODELS
from torch import nn
from torchvision.transforms import v2

from backbones.mm_bridge import TransferBackbone


def build_transform(img_size, augment=None):
    """Train: RandomResizedCrop + flip (+ RandAugment); eval: resize to size/0.875 + centre crop. uint8 CHW out."""
    size = tuple(img_size)
    if augment:
        ops = [v2.RandomResizedCrop(size, scale=tuple(augment.get("scale", (0.08, 1.0))), antialias=True),
               v2.RandomHorizontalFlip()]
        if augment.get("rand_augment"):
            ops.append(v2.RandAugment(num_ops=2, magnitude=9))
    else:
        ops = [v2.Resize(tuple(int(s / 0.875) for s in size), antialias=True), v2.CenterCrop(size)]
    return v2.Compose([v2.PILToTensor(), *ops])


@DATASETS.register_module()
class ClassificationDataset(BaseDataset):
    """One split of a registered classification dataset (read once per run); items are
    dict(inputs=uint8 CHW tensor, data_samples=label, path=...)."""

    def __init__(self, dataset, data_root, split, img_size, augment=None, **kwargs):
        self.dataset_name, self.split, self.augment = dataset, split, augment
        self.transform = build_transform(img_size, augment)
        super().__init__(data_root=data_root, serialize_data=False, **kwargs)

    def load_data_list(self):
        from bench.tasks.base import read_dataset

        self._split = read_dataset("classification", self.dataset_name, self.data_root)
        self._metainfo["classes"] = self._split.classes
        items = self._split.train if self.split == "train" else self._split.test
        return [{"img_path": p, "gt_label": label} for p, label in items]

    def __getitem__(self, idx):
        info = self.get_data_info(idx)
        inputs = self.transform(self._split.open(info["img_path"]))
        return {"inputs": inputs, "data_samples": {"gt_label": info["gt_label"], "img_path": info["img_path"]}}


@FUNCTIONS.register_module(name="classification_collate")
def collate(batch):
    """Stack a batch's images and labels into tensors, keeping the image paths as a list."""
    return {"inputs": torch.stack([b["inputs"] for b in batch]),
            "data_samples": {"gt_label": torch.tensor([b["data_samples"]["gt_label"] for b in batch]),
                             "img_path": [b["data_samples"]["img_path"] for b in batch]}}


def mix_batch(x, labels, num_classes, mixup=0.0, cutmix=0.0, switch_prob=0.5, smoothing=0.0):
    """Mixup / CutMix over a batch with soft (label-smoothed) targets, as timm's Mixup in 'batch' mode that
    SimMIM's fine-tuning uses (mixup_alpha 0.8, cutmix_alpha 1.0, prob 1.0, switch prob 0.5): one lambda for the
    batch, mixed with the batch reversed; CutMix pastes one box whose area is 1 - lambda and corrects lambda to the
    pasted area. Returns (inputs, targets)."""
    off, on = smoothing / num_classes, 1.0 - smoothing + smoothing / num_classes
    onehot = torch.full((len(labels), num_classes), off, device=x.device).scatter_(1, labels[:, None], on)
    use_cutmix = cutmix > 0 and (mixup <= 0 or np.random.rand() < switch_prob)
    alpha = cutmix if use_cutmix else mixup
    if alpha <= 0:
        return x, onehot
    lam = float(np.random.beta(alpha, alpha))
    flipped = x.flip(0)
    if use_cutmix:
        h, w = x.shape[-2:]
        ch, cw = int(h * np.sqrt(1 - lam)), int(w * np.sqrt(1 - lam))
        cy, cx = np.random.randint(h), np.random.randint(w)
        y0, y1 = np.clip([cy - ch // 2, cy + ch // 2], 0, h)
        x0, x1 = np.clip([cx - cw // 2, cx + cw // 2], 0, w)
        x = x.clone()
        x[..., y0:y1, x0:x1] = flipped[..., y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    else:
        x = x * lam + flipped * (1 - lam)
    return x, onehot * lam + onehot.flip(0) * (1 - lam)


def random_erase(x, prob=0.25, area=(0.02, 1 / 3), ratio=(0.3, 3.3)):
    """timm's RandomErasing (mode 'pixel', count 1) on normalised images: with probability `prob` per image, one
    box of U(area) x the image area and log-uniform aspect `ratio` filled with N(0, 1) noise."""
    h, w = x.shape[-2:]
    out = x.clone()
    for i in range(len(x)):
        if np.random.rand() >= prob:
            continue
        for _ in range(10):
            target = np.random.uniform(*area) * h * w
            aspect = np.exp(np.random.uniform(np.log(ratio[0]), np.log(ratio[1])))
            eh, ew = int(round(np.sqrt(target * aspect))), int(round(np.sqrt(target / aspect)))
            if eh < h and ew < w:
                top, left = np.random.randint(0, h - eh + 1), np.random.randint(0, w - ew + 1)
                out[i, :, top:top + eh, left:left + ew] = torch.randn(x.shape[1], eh, ew, device=x.device)
                break
    return out


@MODELS.register_module()
class TransferClassifier(BaseModel):
    """Backbone -> global average pool of the last feature map -> LayerNorm -> Linear. Training may mix the batch
    (`mixup`, `cutmix`: Beta alphas; soft targets with `label_smoothing`) and erase boxes (`reprob`)."""

    def __init__(self, backbone: dict, num_classes: int, label_smoothing: float = 0.1, data_preprocessor=None,
                 mixup: float = 0.0, cutmix: float = 0.0, mix_switch_prob: float = 0.5, reprob: float = 0.0):
        super().__init__(data_preprocessor=data_preprocessor)
        self.mix = dict(mixup=mixup, cutmix=cutmix, switch_prob=mix_switch_prob)
        self.reprob = reprob
        self.backbone = TransferBackbone(**backbone)
        channels = self.backbone.out_channels[-1]
        self.fc_norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, num_classes)
        nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)
        self.label_smoothing = label_smoothing

    def forward(self, inputs, data_samples=None, mode="tensor"):
        """mmengine's forward: losses (mode 'loss'), predictions ('predict') or logits."""
        if mode == "loss":
            labels = data_samples["gt_label"].to(inputs.device)
            if self.reprob:
                inputs = random_erase(inputs, self.reprob)
            if self.mix["mixup"] or self.mix["cutmix"]:
                inputs, target = mix_batch(inputs, labels, self.head.out_features, smoothing=self.label_smoothing,
                                           **self.mix)
                logits = self.head(self.fc_norm(self.backbone(inputs)[-1].mean(dim=(2, 3))))
                return {"loss_cls": torch.sum(-target * F.log_softmax(logits, -1), -1).mean()}
        feats = self.backbone(inputs)[-1].mean(dim=(2, 3))
        logits = self.head(self.fc_norm(feats))
        if mode == "loss":
            return {"loss_cls": F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)}
        if mode == "predict":
            probs = logits.float().softmax(-1)
            return [{"probs": probs[i].cpu(), "gt_label": int(data_samples["gt_label"][i]),
                     "img_path": data_samples["img_path"][i]} for i in range(len(probs))]
        return logits


def accuracy_metrics(probs: np.ndarray, labels: np.ndarray) -> dict:
    """top-1, top-5 and mean per-class accuracy (in %), as every fine-grained paper reports them."""
    order = np.argsort(-probs, axis=1)
    top1 = order[:, 0] == labels
    k = min(5, probs.shape[1])
    top5 = (order[:, :k] == labels[:, None]).any(1)
    per_class = [top1[labels == c].mean() for c in np.unique(labels)]
    return {"top1": 100 * float(top1.mean()), "top5": 100 * float(top5.mean()),
            "mean_per_class": 100 * float(np.mean(per_class))}


def write_predictions(path: Path, paths, labels, probs):
    """CSV: image, label, prediction, score (atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image", "label", "prediction", "score"])
        for p, label, prob in zip(paths, labels, probs):
            w.writerow([p, int(label), int(prob.argmax()), f"{float(prob.max()):.6f}"])
    os.replace(tmp, path)


@METRICS.register_module()
class ClassificationMetric(BaseMetric):
    """Top-1 / top-5 / mean-per-class accuracy over the test set, optionally writing a predictions CSV."""
    default_prefix = "cls"

    def __init__(self, outfile=None, **kwargs):
        super().__init__(**kwargs)
        self.outfile = outfile

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        probs = torch.stack([r["probs"] for r in results]).numpy()
        labels = np.array([r["gt_label"] for r in results])
        if self.outfile:
            write_predictions(Path(self.outfile), [r["img_path"] for r in results], labels, probs)
        return accuracy_metrics(probs, labels)
