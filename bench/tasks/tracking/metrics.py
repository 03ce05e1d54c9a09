"""One-pass-evaluation metrics exactly as the official toolkits compute them.

GOT-10k (the `got10k` toolkit's ExperimentGOT10k): per sequence, IoUs of frames 2..n with both boxes clipped to
the image, frames whose `cover.label` is 0 dropped; IoUs pooled over all sequences; AO = mean IoU, SR@t = share of
IoUs above t.
LaSOT / TrackingNet (OTB-style, the toolkit's ExperimentOTB): the first predicted box replaced by the ground truth,
all frames; per sequence the success curve over IoU thresholds 0:0.05:1 (IoU > t), the precision curve over
centre errors 0..50 px (error <= t) and the normalised-precision curve over 0:0.01:0.5 (centre error divided by
the ground-truth size); curves averaged over sequences; success AUC = mean of the success curve, precision = the
curve at 20 px, normalised precision = mean of its curve."""
from typing import Dict, List, Optional, Sequence as Seq, Tuple

import numpy as np


def clip_boxes(boxes: np.ndarray, bound: Tuple[float, float]) -> np.ndarray:
    """xywh boxes clipped to a (width, height) image, as the toolkit's `rect_iou(bound=...)` does."""
    out = np.array(boxes, dtype=np.float64, copy=True)
    out[:, 0] = np.clip(out[:, 0], 0, bound[0])
    out[:, 1] = np.clip(out[:, 1], 0, bound[1])
    out[:, 2] = np.clip(out[:, 2], 0, bound[0] - out[:, 0])
    out[:, 3] = np.clip(out[:, 3], 0, bound[1] - out[:, 1])
    return out


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of xywh boxes (zero-area boxes give 0)."""
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.clip(inter / (union + np.finfo(float).eps), 0.0, 1.0)


def _centres(boxes):
    return boxes[:, :2] + (boxes[:, 2:] - 1) / 2


def got10k_metrics(preds: Seq[np.ndarray], gts: Seq[np.ndarray], covers: Seq[np.ndarray],
                   resolutions: Seq[Tuple[int, int]]) -> Dict[str, float]:
    """AO, SR@0.5, SR@0.75 (in %) over frames pooled across sequences."""
    ious = []
    for pred, gt, cover, bound in zip(preds, gts, covers, resolutions):
        seq = box_iou(clip_boxes(pred[1:], bound), clip_boxes(gt[1:], bound))
        ious.append(seq[np.asarray(cover)[1:] > 0])
    ious = np.concatenate(ious) if ious else np.zeros(0)
    return {"AO": 100 * float(ious.mean()), "SR50": 100 * float((ious > 0.5).mean()),
            "SR75": 100 * float((ious > 0.75).mean())}


def ope_curves(pred: np.ndarray, gt: np.ndarray):
    """Success, precision and normalised-precision curves of one sequence (first box set to the ground truth)."""
    pred = np.array(pred, dtype=np.float64, copy=True)
    pred[0] = gt[0]
    ious = box_iou(pred, gt)
    err = _centres(pred) - _centres(gt)
    dist = np.sqrt((err ** 2).sum(1))
    size = np.maximum(gt[:, 2:], np.finfo(float).eps)
    norm = np.sqrt(((err / size) ** 2).sum(1))
    success = (ious[:, None] > np.linspace(0, 1, 21)[None]).mean(0)
    precision = (dist[:, None] <= np.arange(51)[None]).mean(0)
    norm_precision = (norm[:, None] <= np.linspace(0, 0.5, 51)[None]).mean(0)
    return success, precision, norm_precision


def ope_metrics(preds: Seq[np.ndarray], gts: Seq[np.ndarray]) -> Dict[str, float]:
    """success AUC, precision @20 px, normalised precision (in %), averaged over sequences."""
    curves = [ope_curves(p, g) for p, g in zip(preds, gts)]
    success, precision, norm = (np.mean([c[i] for c in curves], axis=0) for i in range(3))
    return {"success_auc": 100 * float(success.mean()), "precision": 100 * float(precision[20]),
            "norm_precision": 100 * float(norm.mean())}


def static_baseline(gts: List[np.ndarray]) -> List[np.ndarray]:
    """The 'box stays where it started' tracker: the first box repeated over the sequence."""
    return [np.repeat(g[:1], len(g), axis=0) for g in gts]


def seq_metrics(dataset: str, preds, seqs) -> Optional[Dict[str, float]]:
    """The benchmark's metrics for predictions on sequences with public ground truth."""
    gts = [s.boxes for s in seqs]
    if dataset == "got10k":
        return got10k_metrics(preds, gts, [s.cover for s in seqs], [s.resolution for s in seqs])
    return ope_metrics(preds, gts)
