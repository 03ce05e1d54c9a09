"""`bench run --task pose --gpu-pipeline`: top-down pose training targets made on the model's device, in batch.

The CPU keeps decoding and drawing the random parameters with mmpose's own transforms (LoadImage,
GetBBoxCenterScale, RandomFlip, RandomHalfBody, RandomBBoxTransform) and packs the raw image with the box and
keypoints (`PackForDeviceTargets`). `DeviceTopdownPreprocessor` then does, on the device, what mmpose's
TopdownAffine (UDP or standard warp matrix, bilinear warp: `grid_sample` instead of cv2.warpAffine) and
GenerateTarget with the UDPHeatmap or MSRAHeatmap codec (Gaussian, the same integer window arithmetic) do per image
on the CPU, mirrors the flipped
samples inside the same warp, and normalises the batch.
Evaluation keeps mmpose's CPU pipeline."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from backbones.core.errors import BenchError
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData, PixelData
from mmpose.models.data_preprocessors import PoseDataPreprocessor
from mmpose.datasets.transforms import RandomFlip
from mmpose.registry import MODELS, TRANSFORMS
from mmpose.structures import PoseDataSample


@TRANSFORMS.register_module()
class DeferredImageFlip(RandomFlip):
    """mmpose's RandomFlip (same random draw, same flipped box centre and keypoints with swapped left/right) that
    leaves the image as it is: the device mirrors it while warping."""

    def transform(self, results):
        if self.direction not in ("horizontal", ["horizontal"]):
            raise ValueError("DeferredImageFlip mirrors horizontally only")
        img = results["img"]
        results["img"] = img[:0, :0]  # nothing to copy; the image's shape stays in img_shape
        results = super().transform(results)
        results["img"] = img
        return results


@TRANSFORMS.register_module()
class PackForDeviceTargets(BaseTransform):
    """Raw image (CHW uint8, its own size) + box centre / scale / rotation and keypoints in the data sample."""

    def transform(self, results):
        img = np.ascontiguousarray(results["img"].transpose(2, 0, 1))
        kpts = np.asarray(results["keypoints"], np.float32)[0, :, :2]
        visible = np.asarray(results["keypoints_visible"], np.float32)[0]
        if visible.ndim == 2:  # (K, 2): visibility and its weight
            visible = visible[:, 0]
        meta = dict(img_path=results.get("img_path"), img_shape=img.shape[1:], flip=results.get("flip", False),
                    bbox_center=np.asarray(results["bbox_center"], np.float64)[0],
                    bbox_scale=np.asarray(results["bbox_scale"], np.float64)[0],
                    bbox_rotation=float(np.asarray(results.get("bbox_rotation", [0.0]))[0]),
                    raw_keypoints=kpts, raw_keypoints_visible=visible)
        return {"inputs": torch.from_numpy(img), "data_samples": PoseDataSample(metainfo=meta)}


def fix_aspect_ratio(scale: torch.Tensor, aspect: float) -> torch.Tensor:
    """mmpose's TopdownAffine._fix_aspect_ratio on (B, 2) w, h."""
    w, h = scale[:, 0], scale[:, 1]
    wide = w > h * aspect
    return torch.stack([torch.where(wide, w, h * aspect), torch.where(wide, w / aspect, h)], 1)


def udp_warp_matrices(center, scale, rot_deg, output_size) -> torch.Tensor:
    """(B, 2, 3) UDP warp matrices, as mmpose's get_udp_warp_matrix (float64)."""
    w, h = output_size
    rot = torch.deg2rad(rot_deg)
    cos, sin = torch.cos(rot), torch.sin(rot)
    in_w, in_h = center[:, 0] * 2, center[:, 1] * 2
    sx, sy = (w - 1) / scale[:, 0], (h - 1) / scale[:, 1]
    mat = torch.zeros(len(center), 2, 3, dtype=torch.float64, device=center.device)
    mat[:, 0, 0], mat[:, 0, 1] = cos * sx, -sin * sx
    mat[:, 0, 2] = sx * (-0.5 * in_w * cos + 0.5 * in_h * sin + 0.5 * scale[:, 0])
    mat[:, 1, 0], mat[:, 1, 1] = sin * sy, cos * sy
    mat[:, 1, 2] = sy * (-0.5 * in_w * sin - 0.5 * in_h * cos + 0.5 * scale[:, 1])
    return mat.to(torch.float32).to(torch.float64)  # mmpose keeps the matrix in float32


def msra_warp_matrices(center, scale, rot_deg, output_size) -> torch.Tensor:
    """(B, 2, 3) warp matrices as mmpose's get_warp_matrix builds them from three points: a similarity taking the
    box centre to the output centre, the box width to the output width, rotated by -rot."""
    w, h = output_size
    rot = torch.deg2rad(rot_deg)
    s = w / scale[:, 0]
    cos, sin = torch.cos(rot) * s, torch.sin(rot) * s
    mat = torch.zeros(len(center), 2, 3, dtype=torch.float64, device=center.device)
    mat[:, 0, 0], mat[:, 0, 1], mat[:, 1, 0], mat[:, 1, 1] = cos, sin, -sin, cos
    mat[:, 0, 2] = w / 2 - (cos * center[:, 0] + sin * center[:, 1])
    mat[:, 1, 2] = h / 2 - (-sin * center[:, 0] + cos * center[:, 1])
    return mat


def warp_images(images, mats, output_size, flips=None) -> torch.Tensor:
    """Bilinear affine warp of differently sized CHW images into one (B, C, h, w) float batch (zeros outside).
    `mats` map the (horizontally mirrored, where `flips`) image to the output."""
    w, h = output_size
    hmax, wmax = max(i.shape[1] for i in images), max(i.shape[2] for i in images)
    batch = torch.zeros(len(images), images[0].shape[0], hmax, wmax, device=mats.device)
    for b, img in enumerate(images):
        batch[b, :, :img.shape[1], :img.shape[2]] = img.float()
    ys, xs = torch.meshgrid(torch.arange(h, device=mats.device, dtype=torch.float64),
                            torch.arange(w, device=mats.device, dtype=torch.float64), indexing="ij")
    dst = torch.stack([xs, ys], -1).reshape(1, -1, 2) - mats[:, None, :, 2]
    src = torch.einsum("bij,bnj->bni", torch.linalg.inv(mats[:, :, :2]), dst)  # output pixel -> source pixel
    if flips is not None:  # a mirrored image's column x is the original's column (width - 1 - x)
        widths = torch.tensor([i.shape[2] for i in images], dtype=src.dtype, device=src.device)
        src[..., 0] = torch.where(flips[:, None], widths[:, None] - 1 - src[..., 0], src[..., 0])
    grid = torch.stack([2 * src[..., 0] / (wmax - 1) - 1, 2 * src[..., 1] / (hmax - 1) - 1], -1)
    grid = grid.reshape(len(images), h, w, 2).to(batch.dtype)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def gaussian_heatmaps(keypoints, visible, heatmap_size, sigma, udp=True):
    """Gaussian heatmaps (B, K, H, W) and keypoint weights (B, K) from heatmap-space keypoints (B, K, 2), with the
    window arithmetic of mmpose's generate_udp_gaussian_heatmaps (`udp`: the peak at the sub-pixel keypoint) or
    generate_gaussian_heatmaps (MSRA: the peak at the rounded keypoint): truncating casts, a 3-sigma window."""
    W, H = heatmap_size
    radius = sigma * 3
    gsize = 2 * radius + 1
    mu = torch.trunc(keypoints + 0.5)
    lo = torch.trunc(mu - radius)
    hi = torch.trunc(mu + radius + 1)
    outside = (lo[..., 0] >= W) | (lo[..., 1] >= H) | (hi[..., 0] < 0) | (hi[..., 1] < 0)
    labelled = visible >= 0.5
    weights = torch.where(labelled & outside, torch.zeros_like(visible), visible)
    centre = math.floor(gsize / 2) + ((keypoints - mu) if udp else torch.zeros_like(keypoints))  # peak in window
    u = torch.arange(W, device=keypoints.device, dtype=keypoints.dtype)
    v = torch.arange(H, device=keypoints.device, dtype=keypoints.dtype)
    dx = u - lo[..., 0:1] - centre[..., 0:1]  # (B, K, W)
    dy = v - lo[..., 1:2] - centre[..., 1:2]  # (B, K, H)
    in_x = (u >= lo[..., 0:1]) & (u < hi[..., 0:1])
    in_y = (v >= lo[..., 1:2]) & (v < hi[..., 1:2])
    gx = torch.exp(-dx ** 2 / (2 * sigma ** 2)) * in_x
    gy = torch.exp(-dy ** 2 / (2 * sigma ** 2)) * in_y
    heat = gy[..., :, None] * gx[..., None, :]
    heat = heat * (labelled & ~outside)[..., None, None]
    return heat.to(torch.float32), weights


@MODELS.register_module()
class DeviceTopdownPreprocessor(PoseDataPreprocessor):
    """Training batches: warp + UDP heatmap targets + normalisation on the device; evaluation: mmpose's own."""

    def __init__(self, input_size, heatmap_size, sigma, udp=True, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.heatmap_size, self.sigma = tuple(input_size), tuple(heatmap_size), sigma
        self.udp = udp  # UDPHeatmap + TopdownAffine(use_udp=True), else MSRAHeatmap + TopdownAffine

    def targets(self, images, samples):
        """(warped float BGR batch, heatmaps, keypoint weights, input-space keypoints) for packed samples."""
        dev = images[0].device
        meta = [s.metainfo for s in samples]

        def stack(key, dtype=torch.float64):
            return torch.as_tensor(np.stack([m[key] for m in meta]), dtype=dtype, device=dev)

        w, h = self.input_size
        scale = fix_aspect_ratio(stack("bbox_scale"), w / h)
        matrices = udp_warp_matrices if self.udp else msra_warp_matrices
        mats = matrices(stack("bbox_center"), scale, stack("bbox_rotation"), self.input_size)
        flips = torch.tensor([bool(m.get("flip")) for m in meta], device=dev)
        warped = warp_images(images, mats, self.input_size, flips)
        kpts = stack("raw_keypoints").to(torch.float32).to(torch.float64)
        kpts = torch.einsum("bij,bkj->bki", mats[:, :, :2], kpts) + mats[:, None, :, 2]
        one = 1 if self.udp else 0  # UDP measures sizes in pixel intervals
        factor = torch.tensor([(w - one) / (self.heatmap_size[0] - one), (h - one) / (self.heatmap_size[1] - one)],
                              dtype=torch.float64, device=dev)
        heat, weights = gaussian_heatmaps(kpts / factor, stack("raw_keypoints_visible"), self.heatmap_size,
                                          self.sigma, self.udp)
        return warped, heat, weights.to(torch.float32), kpts

    def forward(self, data, training=False):
        if not training:
            return super().forward(data, training)
        data = self.cast_data(data)
        images, samples = data["inputs"], data["data_samples"]
        warped, heat, weights, kpts = self.targets(images, samples)
        if self._channel_conversion:
            warped = warped[:, [2, 1, 0]]
        inputs = (warped - self.mean) / self.std
        w, h = self.input_size
        for i, s in enumerate(samples):
            s.gt_fields = PixelData(heatmaps=heat[i])
            s.gt_instance_labels = InstanceData(keypoint_weights=weights[i:i + 1])
            s.set_metainfo(dict(input_size=(w, h), img_shape=(h, w)))
            s.gt_instances = InstanceData(transformed_keypoints=kpts[i:i + 1].float())
        return {"inputs": inputs, "data_samples": samples}


def device_targets(cfg) -> None:
    """Switch the training pipeline to the device targets: mmpose's transforms up to TopdownAffine on the CPU (the
    flip leaving the image alone), the mirror, warp and heatmaps on the device (DeviceTopdownPreprocessor)."""
    pipeline = cfg.train_dataloader.dataset.pipeline
    steps = [t["type"] for t in pipeline]
    target = next((t for t in pipeline if t["type"] == "GenerateTarget"), None)
    encoder = (target or {}).get("encoder", {})
    udp = encoder.get("type") == "UDPHeatmap"
    if "TopdownAffine" not in steps or encoder.get("type") not in ("UDPHeatmap", "MSRAHeatmap") or \
            encoder.get("heatmap_type", "gaussian") != "gaussian" or encoder.get("unbiased") or \
            bool(pipeline[steps.index("TopdownAffine")].get("use_udp")) != udp:
        raise BenchError("--gpu-pipeline covers TopdownAffine + GenerateTarget with the Gaussian UDPHeatmap "
                         "(use_udp=True) or MSRAHeatmap codec; this protocol's pipeline differs: run without "
                         "--gpu-pipeline")
    flips = [t for t in pipeline if t["type"] == "RandomFlip"]
    if any(t.get("direction", "horizontal") not in ("horizontal", ["horizontal"]) for t in flips):
        raise BenchError("--gpu-pipeline mirrors images horizontally only; this protocol flips otherwise")
    cpu = [dict(t, type="DeferredImageFlip") if t["type"] == "RandomFlip" else t
           for t in pipeline[:steps.index("TopdownAffine")]]
    cfg.train_dataloader.dataset.pipeline = cpu + [dict(type="PackForDeviceTargets")]
    pre = cfg.model.data_preprocessor
    cfg.model.data_preprocessor = dict(pre, type="DeviceTopdownPreprocessor", input_size=encoder["input_size"],
                                       heatmap_size=encoder["heatmap_size"], sigma=encoder["sigma"], udp=udp)
