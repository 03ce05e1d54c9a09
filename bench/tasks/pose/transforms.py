"""The photometric augmentations of PCT's heatmap baseline (Gengzigang/PCT configs/hmp_base.py train_pipeline:
`Albumentation` with ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2, p=1.0) and
GridDropout(unit_size_min=10, unit_size_max=40, random_offset=True, p=0.5), after the affine crop), as mmpose
transforms that need no albumentations: the same parameters and sampling, written here."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PhotoColorJitter(BaseTransform):
    """Brightness, contrast, saturation factors from U[1 - x, 1 + x] and a hue shift from U[-hue, hue], in random
    order (torchvision's ColorJitter, as albumentations' ColorJitter samples them), with probability `p`. mmpose
    keeps images BGR: the jitter works on RGB and the result goes back to BGR."""

    def __init__(self, brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2, p=1.0):
        from torchvision.transforms import ColorJitter

        self.jitter, self.p = ColorJitter(brightness, contrast, saturation, hue), p

    def transform(self, results):
        """Jitter `results['img']` (HWC uint8 BGR) in place of the original."""
        if np.random.rand() >= self.p:
            return results
        rgb = torch.from_numpy(np.ascontiguousarray(results["img"][..., ::-1])).permute(2, 0, 1)
        out = self.jitter(rgb).permute(1, 2, 0).numpy()[..., ::-1]
        results["img"] = np.ascontiguousarray(out)
        return results


@TRANSFORMS.register_module()
class GridDropout(BaseTransform):
    """With probability `p`: a grid of square cells of side U{unit_size_min..unit_size_max} pixels, offset at
    random (`random_offset`), each losing a square of `ratio` x its side at its corner, filled with `fill_value`
    (albumentations' GridDropout parameters and defaults: ratio 0.5, fill 0)."""

    def __init__(self, unit_size_min=10, unit_size_max=40, ratio=0.5, random_offset=True, fill_value=0, p=0.5):
        self.unit = (unit_size_min, unit_size_max)
        self.ratio, self.random_offset, self.fill, self.p = ratio, random_offset, fill_value, p

    def transform(self, results):
        """Drop the grid's holes from `results['img']`."""
        if np.random.rand() >= self.p:
            return results
        img = results["img"].copy()
        h, w = img.shape[:2]
        unit = int(np.random.randint(self.unit[0], self.unit[1] + 1))
        hole = max(1, int(unit * self.ratio))
        dy, dx = (np.random.randint(0, unit - hole + 1, 2) if self.random_offset else (0, 0))
        for y in range(int(dy), h, unit):
            for x in range(int(dx), w, unit):
                img[y:y + hole, x:x + hole] = self.fill
        results["img"] = img
        return results
