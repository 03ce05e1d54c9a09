"""Depth on mmsegmentation 1.2.2: its DepthEstimator, SiLogLoss, LoadDepthAnnotation and DepthMetric, plus what it
lacks: a dataset over split lists, the seed paper's last-stage head, and the official evaluation crops."""
from pathlib import Path

import cv2
import numpy as np
import torch
from mmseg.datasets import BaseSegDataset
from mmseg.evaluation.metrics import DepthMetric
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.vpd_depth_head import VPDDepthDecoder, VPDDepthHead
from mmseg.registry import DATASETS, METRICS, MODELS
from torch import nn

from backbones.mm_bridge import register_all

register_all()


@DATASETS.register_module()
class DepthPairsDataset(BaseSegDataset):
    """Image / depth-png pairs of a registered depth dataset (NYU BTS layout, KITTI Eigen, or a plug-in)."""

    METAINFO = dict(classes=("depth",))

    def __init__(self, dataset, split, **kwargs):
        self.dataset_name, self.split = dataset, split
        super().__init__(**kwargs)

    def load_data_list(self):
        from bench.tasks.base import read_dataset

        pairs = read_dataset("depth", self.dataset_name, self.data_root).pairs[self.split]
        return [dict(img_path=img, depth_map_path=depth, seg_fields=[], reduce_zero_label=False,
                     category_id=0) for img, depth in pairs]


@MODELS.register_module()
class LastStageDepthHead(VPDDepthHead):
    """The seed paper's head (MIM-Depth-Estimation, GLPDepth style) on the last backbone stage only:
    3x [ConvTranspose2d(k2, s2, 32 ch, no bias) + BN + ReLU] -> conv3x3 + BN + ReLU -> two bilinear x2 ->
    conv3x3 + ReLU + conv3x3 -> sigmoid x max_depth. Loss and prediction come from mmseg's VPDDepthHead."""

    def __init__(self, in_channels: int, max_depth: float = 10.0, embed_dim: int = 128,
                 num_deconv_filters=(32, 32, 32), align_corners=False, loss_decode=dict(type="SiLogLoss"),
                 init_cfg=None):
        super(BaseDecodeHead, self).__init__(init_cfg=init_cfg)  # as VPDDepthHead does: skip BaseDecodeHead's
        self.in_channels = in_channels
        self.max_depth = max_depth
        self.align_corners = align_corners
        self.decoder = VPDDepthDecoder(in_channels=in_channels, out_channels=embed_dim,
                                       num_deconv_layers=len(num_deconv_filters),
                                       num_deconv_filters=list(num_deconv_filters))
        self.depth_pred_layer = nn.Sequential(nn.Conv2d(embed_dim, embed_dim, 3, padding=1), nn.ReLU(),
                                              nn.Conv2d(embed_dim, 1, 3, padding=1))
        for m in self.depth_pred_layer:
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.001)
                nn.init.zeros_(m.bias)
        self.loss_decode = MODELS.build(loss_decode)

    def forward(self, x):
        return torch.sigmoid(self.depth_pred_layer(self.decoder(x[-1]))) * self.max_depth


def eval_mask(gt: torch.Tensor, min_depth: float, max_depth: float, crop):
    """Valid pixels (min < gt < max) inside the official crop: `nyu_crop` (Eigen: rows 45:471, cols 41:601 of the
    480x640 image) or `garg_crop` (KITTI, fractions of the image size)."""
    valid = (gt > min_depth) & (gt < max_depth)
    if crop == "nyu_crop":
        box = torch.zeros_like(valid)
        box[45:471, 41:601] = True
        valid &= box
    elif crop == "garg_crop":
        h, w = gt.shape
        box = torch.zeros_like(valid)
        box[int(0.40810811 * h):int(0.99189189 * h), int(0.03594771 * w):int(0.96405229 * w)] = True
        valid &= box
    return valid


@METRICS.register_module()
class OfficialDepthMetric(DepthMetric):
    """mmseg's DepthMetric (per-image d1/d2/d3, AbsRel, SqRel, RMSE, RMSE-log, log10, SiLog, averaged over images)
    with the official evaluation of MIM-Depth-Estimation: inf/nan predictions replaced by max/min depth, the Garg
    crop for KITTI, and predictions written as uint16 PNGs in the dataset's own depth scale."""

    def __init__(self, crop=None, **kwargs):
        super().__init__(**kwargs)
        self.crop = crop

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            pred = sample["pred_depth_map"]["data"].squeeze().float()
            pred = torch.nan_to_num(pred, nan=self.min_depth_eval, posinf=self.max_depth_eval,
                                    neginf=self.min_depth_eval)
            gt = sample["gt_depth_map"]["data"].squeeze().to(pred)
            mask = eval_mask(gt, self.min_depth_eval, self.max_depth_eval, self.crop)
            self.results.append((gt[mask], pred[mask]))
            if self.output_dir is not None:
                name = Path(sample["img_path"])
                out = Path(self.output_dir) / f"{name.parent.name}_{name.stem}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(out), (pred.cpu().numpy() * self.depth_scale_factor).clip(0, 65535)
                            .astype(np.uint16))

    def compute_metrics(self, results):
        results = [(g, p) for g, p in results if len(g)]
        return super().compute_metrics(results)
