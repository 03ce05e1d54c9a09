"""SwinTrack on mmengine (LitingLin/SwinTrack, `config/SwinTrack/{Tiny,Base}/config.yaml` + `runs.yaml`):
template and search crops through the same registry backbone (its stride-16 level), an encoder of
concatenation-based fusion layers (self-attention over [template; search] tokens), one decoder layer (search tokens
attending to the encoder's [template; search] output), then per search token an IoU-aware score and a box
(`models/head/mlp.py`: two 3-layer MLPs, the box a sigmoid cx cy w h in the search crop). Training targets follow
`data/tracking/label/label_generation.py` (every token whose cell the box covers is a positive, all regressing the
box), the losses `runs.yaml` runner.train.loss (varifocal alpha 0.75 gamma 2 IoU-weighted on the IoU target,
weight 1.5, over the positives' count; GIoU on the positives weighted by their detached score, weight 1.5, over
the weights' sum; no L1). Inference: a first-frame template, per frame a search crop around the last box, scores
blended with a Hanning window."""
import time

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from torch import nn

from backbones.mm_bridge import TransferBackbone
from bench.tasks.tracking.pairs import area_scale, crop_region, read_frame


# cxcywh: SwinTrack's sigmoid box in the search crop; ltrb: sigmoid distances from the token's cell centre to the
# box sides (translation-equivariant, FCOS-style), which a from-scratch toy model learns in far fewer steps
BOX_ENCODINGS = ("cxcywh", "ltrb")


def _mlp(dim, out):
    return nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, out))


def cxcywh_to_xyxy(box):
    """cx cy w h -> x1 y1 x2 y2 (last dimension)."""
    c, half = box[..., :2], box[..., 2:] / 2
    return torch.cat([c - half, c + half], -1)


def giou(pred, target):
    """(GIoU, IoU) of x1y1x2y2 boxes, row-wise."""
    lt = torch.max(pred[:, :2], target[:, :2])
    rb = torch.min(pred[:, 2:], target[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(1)
    area_p = (pred[:, 2:] - pred[:, :2]).clamp(min=0).prod(1)
    area_t = (target[:, 2:] - target[:, :2]).clamp(min=0).prod(1)
    union = area_p + area_t - inter
    iou = inter / union.clamp(min=1e-7)
    enclose = (torch.max(pred[:, 2:], target[:, 2:]) - torch.min(pred[:, :2], target[:, :2])).clamp(min=0).prod(1)
    return iou - (enclose - union) / enclose.clamp(min=1e-7), iou


def positive_cells(box, n: int, centres=None):
    """(B, n*n) bool: the cells of an n x n grid that an x1y1x2y2 box in [0, 1] covers (SwinTrack's 'round'
    assignment: cell indices floor(x1 n) .. floor(x2 n) inclusive, the box clipped to the crop); with `centres`
    ((n*n, 2) cell centres), the cells whose centre lies inside the box (at least the one holding its centre), the
    assignment a box encoded as distances from the centre can fit."""
    if centres is not None:
        inside = ((centres[None] > box[:, None, :2]) & (centres[None] < box[:, None, 2:])).all(-1)
        middle = ((box[:, :2] + box[:, 2:]) / 2).clamp(0, 1 - 1e-6).mul(n).floor().long()
        inside[torch.arange(len(box)), middle[:, 1] * n + middle[:, 0]] = True
        return inside
    idx = (box.clamp(0, 1 - 1e-6) * n).floor().long()
    cells = torch.arange(n, device=box.device)
    cols = (cells[None] >= idx[:, 0:1]) & (cells[None] <= idx[:, 2:3])
    rows = (cells[None] >= idx[:, 1:2]) & (cells[None] <= idx[:, 3:4])
    return (rows[:, :, None] & cols[:, None, :]).flatten(1)


class FusionLayer(nn.Module):
    """Pre-norm attention block: queries attend to `memory` (themselves when None), then an MLP (ratio 4)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm_q, self.norm_kv, self.norm_mlp = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, memory=None):
        q = self.norm_q(x)
        kv = q if memory is None else self.norm_kv(memory)
        x = x + self.attn(q, kv, kv, need_weights=False)[0]
        return x + self.mlp(self.norm_mlp(x))


@MODELS.register_module()
class SiameseTracker(BaseModel):
    """SwinTrack (module docstring) over any registry backbone. Backbones with a fixed input size (all but Swin /
    SwinV2) take the template resized to the search size, its feature map average-pooled to the template grid; a
    linear projection maps the backbone's channels to `dim` (Identity when they match, as in SwinTrack)."""

    def __init__(self, backbone: dict, template_size=112, search_size=224, dim=512, encoder_depth=8,
                 decoder_depth=1, heads=8, loss_weights=(1.5, 1.5), varifocal=(0.75, 2.0), box_encoding="cxcywh",
                 position_encoding="learned absolute", mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        super().__init__()
        self.backbone = TransferBackbone(**backbone)
        self.dynamic, self.search_size = backbone.get("dynamic_img_size", False), search_size
        stride = self.backbone.out_strides[-1]
        self.tz, self.sx = template_size // stride, search_size // stride
        channels = self.backbone.out_channels[-1]
        self.proj = nn.Identity() if channels == dim else nn.Linear(channels, dim)
        self.pos_z = nn.Parameter(torch.zeros(1, self.tz * self.tz, dim))
        self.pos_x = nn.Parameter(torch.zeros(1, self.sx * self.sx, dim))
        nn.init.trunc_normal_(self.pos_z, std=0.02)
        nn.init.trunc_normal_(self.pos_x, std=0.02)
        self.encoder = nn.ModuleList(FusionLayer(dim, heads) for _ in range(encoder_depth))
        self.decoder = nn.ModuleList(FusionLayer(dim, heads) for _ in range(decoder_depth))
        self.norm = nn.LayerNorm(dim)
        self.cls_head = _mlp(dim, 1)
        self.box_head = _mlp(dim, 4)
        for head in (self.cls_head, self.box_head):
            for m in head:
                if isinstance(m, nn.Linear):
                    nn.init.trunc_normal_(m.weight, std=0.02)
                    nn.init.zeros_(m.bias)
        self.loss_weights, self.varifocal = tuple(loss_weights), tuple(varifocal)
        if position_encoding != "learned absolute":
            raise ValueError(f"position_encoding {position_encoding!r}: only 'learned absolute' is implemented")
        if box_encoding not in BOX_ENCODINGS:
            raise ValueError(f"box_encoding {box_encoding!r}: choose one of {', '.join(BOX_ENCODINGS)}")
        self.box_encoding = box_encoding
        centres = (torch.arange(self.sx) + 0.5) / self.sx
        cy, cx = torch.meshgrid(centres, centres, indexing="ij")
        self.register_buffer("grid", torch.stack([cx.flatten(), cy.flatten()], -1), persistent=False)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1) * 255, persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1) * 255, persistent=False)

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
        tokens = torch.cat([z + self.pos_z, x + self.pos_x], 1)
        for layer in self.encoder:
            tokens = layer(tokens)
        xs = tokens[:, z.shape[1]:]
        for layer in self.decoder:
            xs = layer(xs, tokens)
        xs = self.norm(xs)
        box = self.box_head(xs).sigmoid()
        if self.box_encoding == "ltrb":
            box = torch.cat([self.grid - box[..., :2], self.grid + box[..., 2:]], -1)
        else:
            box = cxcywh_to_xyxy(box)
        return self.cls_head(xs).squeeze(-1), box

    def forward(self, template, search, box=None, mode="tensor"):
        logits, boxes = self.predict_maps(template, search)
        if mode != "loss":
            return logits, boxes
        pos = positive_cells(box, self.sx, self.grid if self.box_encoding == "ltrb" else None)
        target = box[:, None].expand_as(boxes)[pos]
        g, iou = giou(boxes[pos], target)
        prob = logits.sigmoid()
        quality = torch.zeros_like(logits)
        quality[pos] = iou.detach()
        alpha, gamma = self.varifocal
        weight = torch.where(pos, quality, alpha * (prob.detach() - quality).abs() ** gamma)
        cls = F.binary_cross_entropy_with_logits(logits, quality, reduction="none") * weight
        score = prob.detach()[pos]
        w_cls, w_giou, w_l1 = (self.loss_weights + (0.0,))[:3]
        losses = {"loss_cls": w_cls * cls.sum() / pos.sum().clamp(min=1),
                  "loss_giou": w_giou * ((1 - g) * score).sum() / score.sum().clamp(min=1e-6)}
        if w_l1:
            losses["loss_l1"] = w_l1 * (boxes[pos] - target).abs().mean(1).sum() / pos.sum().clamp(min=1)
        return losses


class OnlineTracker:
    """One-pass evaluation (SwinTrack's tracker): the first frame's template; per frame a search crop around the
    last box (SiamFC area factor, the box taken as at least `min_size` pixels for the crop), scores blended with a
    Hanning window (`window_influence`), the best token's box mapped back to the image."""

    def __init__(self, model: SiameseTracker, template_size, search_size, template_factor=2.0, search_factor=4.0,
                 window_influence=0.49, device="cpu", min_size=10.0):
        self.model = model.eval()
        self.sizes, self.factors = (template_size, search_size), (template_factor, search_factor)
        self.window_influence, self.device, self.min_size = window_influence, device, min_size
        hann = torch.hann_window(model.sx + 2, periodic=False)[1:-1]
        self.window = (hann[:, None] * hann[None, :]).flatten().to(device)

    def _tensor(self, img):
        return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].to(self.device)

    @torch.no_grad()
    def track(self, frames, init_box):
        """(n, 4) xywh boxes (the first is `init_box`) and per-frame seconds."""
        box = np.array(init_box, np.float64)
        scale = area_scale(box, self.factors[0], self.sizes[0])
        z = crop_region(read_frame(frames[0]), (box[0] + box[2] / 2, box[1] + box[3] / 2), scale, self.sizes[0])
        tokens = self.model._tokens(self._tensor(z), self.model.tz)
        boxes, times = [box.copy()], [0.0]
        out = self.sizes[1]
        for path in frames[1:]:
            start = time.perf_counter()
            img = read_frame(path)
            h, w = img.shape[:2]
            center = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
            scale = area_scale(box, self.factors[1], out, self.min_size)
            x = crop_region(img, center, scale, out)
            logits, pred = self.model.predict_maps(None, self._tensor(x), template_tokens=tokens)
            score = logits[0].sigmoid()
            best = int(torch.argmax((1 - self.window_influence) * score + self.window_influence * self.window))
            x1, y1, x2, y2 = (pred[0, best].cpu().numpy() * out - out / 2) / scale
            new = np.array([center[0] + x1, center[1] + y1, max(x2 - x1, 1.0), max(y2 - y1, 1.0)])
            new[0] = np.clip(new[0], -new[2] + 1, w - 1)  # keep at least a pixel of the box on the image
            new[1] = np.clip(new[1], -new[3] + 1, h - 1)
            new[2], new[3] = min(new[2], w), min(new[3], h)
            box = new
            boxes.append(box.copy())
            times.append(time.perf_counter() - start)
        return np.stack(boxes), np.array(times)
