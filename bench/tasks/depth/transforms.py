"""MIM-Depth-Estimation's data augmentation and KITTI crop as mmseg transforms (SwinTransformer/
MIM-Depth-Estimation dataset/base_dataset.py `augment_training_data`, dataset/kitti.py), written here:

- `KBCrop`: KITTI's 352 x 1216 benchmark crop, top = h - 352, left = (w - 1216) // 2, on image and depth, for
  training and evaluation alike (kitti.py L38-47; the Garg crop fractions then apply to this crop);
- `CutDepth`: on every 4th sample a worker draws (the official `count % 4 == 0`), a full-height vertical strip of
  the image, from column int(a W) and int(max((W - a W) b 0.75, 1)) wide (a, b ~ U(0, 1)), is replaced in every
  channel by the depth map in the dataset's stored units cast to uint8, as the official code does it (it pastes the
  PNG values before dividing them to metres; uint8 wraps them);
- `GLPPhotometric`: albumentations' RandomBrightnessContrast(0.2, 0.2), RandomGamma((80, 120)) and
  HueSaturationValue(20, 30, 20), each with probability 0.5 (their defaults, which the official code uses)."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class KBCrop(BaseTransform):
    """Crop image and depth map to the bottom-centred `height` x `width` window (KITTI benchmark crop)."""

    def __init__(self, height=352, width=1216):
        self.height, self.width = height, width

    def transform(self, results):
        """Crop `img` and every map in `seg_fields`; records the new shapes."""
        h, w = results["img"].shape[:2]
        top, left = max(h - self.height, 0), max((w - self.width) // 2, 0)
        window = (slice(top, top + self.height), slice(left, left + self.width))
        results["img"] = results["img"][window]
        for key in results.get("seg_fields", []):
            results[key] = results[key][window]
        results["img_shape"] = results["img"].shape[:2]
        return results


@TRANSFORMS.register_module()
class CutDepth(BaseTransform):
    """The official CutDepth (module docstring); `depth_scale`: stored units per metre (NYU 1000, KITTI 256)."""

    def __init__(self, depth_scale, every=4, p=0.75):
        self.depth_scale, self.every, self.p, self.count = depth_scale, every, p, 0

    def transform(self, results):
        """Paste the depth strip into `img` on every `every`-th call."""
        apply = self.count % self.every == 0
        self.count += 1
        if not apply:
            return results
        img = results["img"].copy()
        width = img.shape[1]
        alpha, beta = np.random.rand(), np.random.rand()
        left = int(alpha * width)
        span = int(max((width - alpha * width) * beta * self.p, 1))
        stored = np.round(results["gt_depth_map"][:, left:left + span] * self.depth_scale).astype(np.int64)
        img[:, left:left + span] = (stored % 256).astype(np.uint8)[..., None]
        results["img"] = img
        return results


@TRANSFORMS.register_module()
class GLPPhotometric(BaseTransform):
    """Brightness / contrast, gamma, hue / saturation / value jitter, each with probability `p` (module
    docstring); works on the BGR uint8 image mmseg loads."""

    def __init__(self, brightness=0.2, contrast=0.2, gamma=(80, 120), hue=20, saturation=30, value=20, p=0.5):
        self.brightness, self.contrast, self.gamma = brightness, contrast, gamma
        self.hsv, self.p = (hue, saturation, value), p

    def transform(self, results):
        """Jitter `results['img']`."""
        img = results["img"].astype(np.float32)
        if np.random.rand() < self.p:
            alpha = 1 + np.random.uniform(-self.contrast, self.contrast)
            beta = np.random.uniform(-self.brightness, self.brightness)
            img = np.clip(img * alpha + beta * 255, 0, 255)
        if np.random.rand() < self.p:
            gamma = np.random.uniform(*self.gamma) / 100
            img = 255 * (img / 255) ** gamma
        out = np.clip(np.round(img), 0, 255).astype(np.uint8)
        if np.random.rand() < self.p:
            shifts = [np.random.uniform(-s, s) for s in self.hsv]
            hsv = cv2.cvtColor(out, cv2.COLOR_BGR2HSV).astype(np.float32)
            hsv[..., 0] = np.round(hsv[..., 0] + shifts[0]) % 180
            hsv[..., 1:] = np.clip(hsv[..., 1:] + shifts[1:], 0, 255)
            out = cv2.cvtColor(np.round(hsv).astype(np.uint8), cv2.COLOR_HSV2BGR)
        results["img"] = out
        return results
