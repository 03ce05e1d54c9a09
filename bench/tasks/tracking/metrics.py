"""One-pass-evaluation metrics exactly as the official toolkits compute them.

GOT-10k (the `got10k` toolkit's ExperimentGOT10k): per sequence, IoUs of frames 2..n with both boxes clipped to
the image, frames whose `cover.label` is 0 dropped; IoUs pooled over all sequences; AO = mean IoU, SR@t = share of
IoUs above t.
LaSOT (the official MATLAB toolkit, HengLan/LaSOT_Evaluation_Toolkit): `lasot_metrics`, absent frames counted as
misses, normalised precision at 0.20.
OTB-style curves (the got10k toolkit's ExperimentOTB, kept for other public-ground-truth sets): the first predicted
box replaced by the ground truth, all frames; per sequence the success curve over IoU thresholds 0:0.05:1 (IoU > t),
the precision curve over centre errors 0..50 px (error <= t) and the normalised-precision curve over 0:0.01:0.5;
curves averaged over sequences; success AUC = mean of the success curve, precision = the curve at 20 px."""
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


def _lasot_errors(pred: np.ndarray, gt: np.ndarray, absent: np.ndarray, norm: bool):
    """Per present frame: overlap and centre error as HengLan/LaSOT_Evaluation_Toolkit utils/calc_seq_err_robust.m
    computes them (invalid results carried over from the previous frame, the first frame set to the ground truth,
    absent frames removed, inclusive-pixel boxes; frames whose ground truth is not all positive get -1 for both)."""
    res = np.array(pred[:len(gt)], dtype=np.float64, copy=True)
    for i in range(1, len(res)):
        r = res[i]
        if (np.isnan(r).any() or r[2] <= 0 or r[3] <= 0) and not np.isnan(gt[i]).any():
            res[i] = res[i - 1]
    res[0] = gt[0]
    keep = np.asarray(absent) != 1
    res, ann = res[keep], np.asarray(gt, np.float64)[keep]
    centre = lambda b: b[:, :2] + (b[:, 2:] - 1) / 2  # noqa: E731
    c, c_gt = centre(res), centre(ann)
    if norm:
        c, c_gt = c / ann[:, 2:], c_gt / ann[:, 2:]
    err = np.sqrt(((c - c_gt) ** 2).sum(1))
    valid = (ann > 0).all(1)
    lo, hi = np.maximum(res[:, :2], ann[:, :2]), np.minimum(res[:, :2] + res[:, 2:] - 1, ann[:, :2] + ann[:, 2:] - 1)
    inter = np.clip(hi - lo + 1, 0, None).prod(1)
    overlap = inter / (res[:, 2:].prod(1) + ann[:, 2:].prod(1) - inter)
    return np.where(valid, overlap, -1.0), np.where(valid, err, -1.0)


def lasot_metrics(preds: Seq[np.ndarray], gts: Seq[np.ndarray], absents: Seq[np.ndarray]) -> Dict[str, float]:
    """LaSOT's official numbers (HengLan/LaSOT_Evaluation_Toolkit utils/eval_tracker.m, plot_draw_save.m), in %:
    per sequence the success curve (overlap > t, t = 0:0.05:1), the precision curve (centre error <= t px,
    t = 0:50) and the normalised one (errors of centres divided by the ground truth's w, h; t = 0:0.01:0.5), each
    counted over all of the sequence's frames (an absent frame is a miss); sequences whose curve sums to zero left
    out of the mean; success AUC = mean of the success curve, precision and normalised precision = the curves at
    20 px and at 0.20 (the value, not the curve's mean)."""
    curves = {"success": [], "precision": [], "norm": []}
    for pred, gt, absent in zip(preds, gts, absents):
        overlap, err = _lasot_errors(pred, gt, absent, norm=False)
        _, norm_err = _lasot_errors(pred, gt, absent, norm=True)
        n = len(gt) + np.finfo(float).eps
        curves["success"].append((overlap[:, None] > np.linspace(0, 1, 21)[None]).sum(0) / n)
        curves["precision"].append((err[:, None] <= np.arange(51)[None]).sum(0) / n)
        curves["norm"].append((norm_err[:, None] <= np.arange(51)[None] / 100).sum(0) / n)
    mean = {}
    for name, rows in curves.items():
        rows = np.array(rows)
        rows = rows[rows.sum(1) > np.finfo(float).eps]
        mean[name] = rows.mean(0) if len(rows) else np.zeros(rows.shape[1])
    return {"success_auc": 100 * float(mean["success"].mean()), "precision": 100 * float(mean["precision"][20]),
            "norm_precision": 100 * float(mean["norm"][20])}


def static_baseline(gts: List[np.ndarray]) -> List[np.ndarray]:
    """The 'box stays where it started' tracker: the first box repeated over the sequence."""
    return [np.repeat(g[:1], len(g), axis=0) for g in gts]


def seq_metrics(dataset: str, preds, seqs) -> Optional[Dict[str, float]]:
    """The benchmark's metrics for predictions on sequences with public ground truth."""
    gts = [s.boxes for s in seqs]
    if dataset == "got10k":
        return got10k_metrics(preds, gts, [s.cover for s in seqs], [s.resolution for s in seqs])
    if dataset == "lasot":
        absent = [np.zeros(len(s.boxes)) if s.visible is None else (~s.visible).astype(float) for s in seqs]
        return lasot_metrics(preds, gts, absent)
    return ope_metrics(preds, gts)
