"""A SwinTrack-style Siamese transformer tracker on mmengine: template and search crops through the same registry
backbone (its stride-16 level), a transformer encoder over the concatenated token sets, an IoU-aware
classification head and a box head on the search tokens; template/search pair sampling with scale and centre
jitter; one-pass online tracking with a Hanning-window penalty."""
import math
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, FUNCTIONS, MODELS
from torch import nn

from backbones.mm_bridge import TransferBackbone


def crop_region(img: np.ndarray, center, side: float, out: int) -> np.ndarray:
    """The square of `side` pixels around `center`, resized to `out` x `out`; outside the image: the mean colour."""
    scale = out / side
    m = np.array([[scale, 0, out / 2 - center[0] * scale], [0, scale, out / 2 - center[1] * scale]], np.float32)
    fill = tuple(float(c) for c in img.reshape(-1, 3).mean(0))
    return cv2.warpAffine(img, m, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=fill)


def region_side(box, factor: float) -> float:
    """Crop side for an xywh box: `factor` x sqrt(w h) (SwinTrack: 2 for the template, 4 for the search)."""
    return factor * math.sqrt(max(box[2], 1.0) * max(box[3], 1.0))


def _read(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"cannot read frame {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@DATASETS.register_module()
class TrackingPairs(BaseDataset):
    """Template/search pairs sampled from training sequences (`bench.datasets.tracking.READERS[dataset]`, split
    `train`): two visible frames at most `max_gap` apart; the template crop is centred on its box, the search crop
    on the box jittered in scale (log-normal, `scale_jitter`) and centre (`center_jitter` x sqrt(wh) x U(-.5,.5)).
    `samples_per_epoch` pairs make an epoch, each drawn afresh from numpy's (run-seeded) random state."""

    def __init__(self, dataset, data_root, template_size=112, search_size=224, template_factor=2.0,
                 search_factor=4.0, max_gap=100, scale_jitter=0.25, center_jitter=3.0, samples_per_epoch=1000,
                 flip=True, **kwargs):
        self.dataset_name, self.samples_per_epoch = dataset, samples_per_epoch
        self.sizes = (template_size, search_size)
        self.factors = (template_factor, search_factor)
        self.max_gap, self.scale_jitter, self.center_jitter, self.flip = max_gap, scale_jitter, center_jitter, flip
        super().__init__(data_root=data_root, serialize_data=False, **kwargs)

    def load_data_list(self):
        from pathlib import Path

        from bench.datasets.tracking import READERS

        seqs = READERS[self.dataset_name](Path(self.data_root), "train")
        self.sequences = []
        for s in seqs:
            vis = s.visible if s.visible is not None else np.ones(len(s.frames), bool)
            vis = vis & (s.boxes[:, 2] > 1) & (s.boxes[:, 3] > 1)
            if vis.sum() >= 2:
                self.sequences.append((s, np.flatnonzero(vis)))
        if not self.sequences:
            raise ValueError("no training sequence has two frames with a visible target")
        return [{"index": i} for i in range(self.samples_per_epoch)]

    def __len__(self):
        return self.samples_per_epoch

    def _crop(self, rng, path, box, which, jitter):
        size, factor = self.sizes[which], self.factors[which]
        center = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        wh = np.array(box[2:4], float)
        if jitter:
            wh_j = wh * np.exp(rng.normal(0, self.scale_jitter, 2))
            center = center + (rng.random(2) - 0.5) * math.sqrt(wh_j.prod()) * self.center_jitter
        else:
            wh_j = wh
        side = factor * math.sqrt(wh_j.prod())
        img = crop_region(_read(path), center, side, size)
        x0, y0 = center - side / 2
        norm = np.array([(box[0] - x0) / side, (box[1] - y0) / side, (box[0] + box[2] - x0) / side,
                         (box[1] + box[3] - y0) / side], np.float32)  # x1 y1 x2 y2 in [0, 1] of the crop
        return img, norm

    def __getitem__(self, idx):
        rng = np.random.default_rng(np.random.randint(0, 2 ** 31 - 1))  # numpy's state: seeded per run / worker
        seq, frames = self.sequences[rng.integers(len(self.sequences))]
        t = frames[rng.integers(len(frames))]
        near = frames[np.abs(frames - t) <= self.max_gap]
        s = near[rng.integers(len(near))]
        z, _ = self._crop(rng, seq.frames[t], seq.boxes[t], 0, jitter=False)
        x, box = self._crop(rng, seq.frames[s], seq.boxes[s], 1, jitter=True)
        if self.flip and rng.random() < 0.5:
            z, x = z[:, ::-1], x[:, ::-1]
            box = np.array([1 - box[2], box[1], 1 - box[0], box[3]], np.float32)
        return {"template": torch.from_numpy(np.ascontiguousarray(z)).permute(2, 0, 1),
                "search": torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1),
                "box": torch.from_numpy(np.clip(box, -0.5, 1.5))}


@FUNCTIONS.register_module(name="tracking_collate")
def collate(batch):
    return {k: torch.stack([b[k] for b in batch]) for k in batch[0]}


def _mlp(dim, out):
    return nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, out))


def giou_loss(pred, target):
    """1 - GIoU of x1y1x2y2 boxes."""
    lt = torch.max(pred[:, :2], target[:, :2])
    rb = torch.min(pred[:, 2:], target[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(1)
    area_p = (pred[:, 2:] - pred[:, :2]).clamp(min=0).prod(1)
    area_t = (target[:, 2:] - target[:, :2]).clamp(min=0).prod(1)
    union = area_p + area_t - inter
    iou = inter / union.clamp(min=1e-7)
    enclose = (torch.max(pred[:, 2:], target[:, 2:]) - torch.min(pred[:, :2], target[:, :2])).clamp(min=0).prod(1)
    return 1 - (iou - (enclose - union) / enclose.clamp(min=1e-7)), iou


@MODELS.register_module()
class SiameseTracker(BaseModel):
    """Backbone (stride-16 level) -> linear projection + learned position embeddings -> transformer encoder over
    [template; search] tokens -> per search token: an IoU-aware score and a box (ltrb distances). Backbones with a
    fixed input size (all but Swin / SwinV2) take the template crop resized to the search size; its feature map is
    average-pooled to the template's token grid."""

    def __init__(self, backbone: dict, template_size=112, search_size=224, dim=256, depth=4, heads=8,
                 loss_weights=(1.0, 2.0, 5.0), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        super().__init__()
        self.backbone = TransferBackbone(**backbone)
        self.dynamic, self.search_size = backbone.get("dynamic_img_size", False), search_size
        stride = self.backbone.out_strides[-1]
        self.tz, self.sx = template_size // stride, search_size // stride
        self.proj = nn.Linear(self.backbone.out_channels[-1], dim)
        self.pos_z = nn.Parameter(torch.zeros(1, self.tz * self.tz, dim))
        self.pos_x = nn.Parameter(torch.zeros(1, self.sx * self.sx, dim))
        nn.init.trunc_normal_(self.pos_z, std=0.02)
        nn.init.trunc_normal_(self.pos_x, std=0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.fusion = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.cls_head = _mlp(dim, 1)
        self.box_head = _mlp(dim, 4)
        self.loss_weights = loss_weights
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1) * 255, persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1) * 255, persistent=False)
        centers = (torch.arange(self.sx) + 0.5) / self.sx
        cy, cx = torch.meshgrid(centers, centers, indexing="ij")
        self.register_buffer("grid", torch.stack([cx.flatten(), cy.flatten()], -1), persistent=False)

    def _tokens(self, img, n):
        img = img.float()
        if img.shape[-1] != self.search_size and not self.dynamic:  # fixed-size backbones see the template enlarged
            img = F.interpolate(img, size=(self.search_size, self.search_size), mode="bilinear", align_corners=False)
        feat = self.backbone((img - self.mean) / self.std)[-1]
        if feat.shape[-1] != n or feat.shape[-2] != n:
            feat = F.adaptive_avg_pool2d(feat, n)
        return self.proj(feat.flatten(2).transpose(1, 2))

    def predict_maps(self, template, search, template_tokens=None):
        """(score logits (B, S*S), boxes x1y1x2y2 in the search crop's [0, 1] frame (B, S*S, 4))."""
        z = template_tokens if template_tokens is not None else self._tokens(template, self.tz)
        x = self._tokens(search, self.sx)
        tokens = self.fusion(torch.cat([z + self.pos_z, x + self.pos_x], 1))
        xs = self.norm(tokens[:, z.shape[1]:])
        logits = self.cls_head(xs).squeeze(-1)
        ltrb = self.box_head(xs).sigmoid()
        boxes = torch.cat([self.grid - ltrb[..., :2], self.grid + ltrb[..., 2:]], -1)
        return logits, boxes

    def forward(self, template, search, box=None, mode="tensor"):
        logits, boxes = self.predict_maps(template, search)
        if mode != "loss":
            return logits, boxes
        # positives: token centres inside the central half of the target box
        cx, cy = (box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2
        hw, hh = (box[:, 2] - box[:, 0]) / 4, (box[:, 3] - box[:, 1]) / 4
        gx, gy = self.grid[None, :, 0], self.grid[None, :, 1]
        pos = ((gx - cx[:, None]).abs() <= hw[:, None].clamp(min=0.5 / self.sx)) & \
              ((gy - cy[:, None]).abs() <= hh[:, None].clamp(min=0.5 / self.sx))
        target = box[:, None].expand_as(boxes)
        n_pos = pos.sum().clamp(min=1).float()
        l_giou, iou = giou_loss(boxes[pos], target[pos])
        quality = torch.zeros_like(logits)
        quality[pos] = iou.detach().clamp(min=0.01)
        w_cls, w_giou, w_l1 = self.loss_weights
        prob = logits.sigmoid()
        focal = F.binary_cross_entropy_with_logits(logits, quality, reduction="none") * \
            torch.where(pos, quality, prob.detach() ** 2)  # varifocal weighting
        return {"loss_cls": w_cls * focal.sum() / n_pos, "loss_giou": w_giou * l_giou.sum() / n_pos,
                "loss_l1": w_l1 * (boxes[pos] - target[pos]).abs().sum() / (4 * n_pos)}


class OnlineTracker:
    """One-pass evaluation: a template from the first frame; per frame a search crop around the last box, scores
    blended with a Hanning window (`window_influence`), the box of the best token mapped back to the image."""

    def __init__(self, model: SiameseTracker, template_size, search_size, template_factor=2.0, search_factor=4.0,
                 window_influence=0.49, device="cpu"):
        self.model = model.eval()
        self.sizes, self.factors = (template_size, search_size), (template_factor, search_factor)
        self.window_influence, self.device = window_influence, device
        hann = torch.hann_window(model.sx + 2, periodic=False)[1:-1]
        self.window = (hann[:, None] * hann[None, :]).flatten().to(device)

    def _tensor(self, img):
        return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].to(self.device)

    @torch.no_grad()
    def track(self, frames, init_box):
        """(n, 4) xywh boxes (the first is `init_box`) and per-frame seconds."""
        first = _read(frames[0])
        box = np.array(init_box, np.float64)
        side = region_side(box, self.factors[0])
        z = crop_region(first, (box[0] + box[2] / 2, box[1] + box[3] / 2), side, self.sizes[0])
        tokens = self.model._tokens(self._tensor(z), self.model.tz)
        boxes, times = [box.copy()], [0.0]
        for path in frames[1:]:
            start = time.perf_counter()
            img = _read(path)
            h, w = img.shape[:2]
            center = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
            side = region_side(box, self.factors[1])
            x = crop_region(img, center, side, self.sizes[1])
            logits, pred = self.model.predict_maps(None, self._tensor(x), template_tokens=tokens)
            score = logits[0].sigmoid()
            best = int(torch.argmax((1 - self.window_influence) * score + self.window_influence * self.window))
            x1, y1, x2, y2 = (pred[0, best].cpu().numpy() * side).tolist()
            x0, y0 = center - side / 2
            new = np.array([x0 + x1, y0 + y1, max(x2 - x1, 1.0), max(y2 - y1, 1.0)])
            new[0] = np.clip(new[0], -new[2] + 1, w - 1)  # keep at least a pixel of the box on the image
            new[1] = np.clip(new[1], -new[3] + 1, h - 1)
            new[2], new[3] = min(new[2], w), min(new[3], h)
            box = new
            boxes.append(box.copy())
            times.append(time.perf_counter() - start)
        return np.stack(boxes), np.array(times)
