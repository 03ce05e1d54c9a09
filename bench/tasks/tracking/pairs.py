"""SwinTrack's training samples: template / search pairs curated SiamFC-style from training sequences.

Follows LitingLin/SwinTrack (`config/SwinTrack/{Tiny,Base}/runs.yaml` data.train,
`data/tracking/methods/SiamFC/common/siamfc_curation.py`, `.../pipeline/processor.py`):
- crop scale from the area factor: context p = (f - 1)(w + h)/2, crop side sqrt((w + p)(h + p)) resized to the
  template / search size, outside the image the image's mean colour (`get_scaling_factor_from_area_factor`);
- search jitter: the scale divided by exp(N(0, 0.25)) drawn separately for x and y (so the aspect ratio jitters
  too), the centre shifted by U(-1/2, 1/2) x (w' + h') / 2 x 3 where w', h' is the box after scaling; drawn again
  until the box meets the crop (`get_jittered_scaling_and_translate_factor`);
- grey scale with probability 0.05 for both crops at once, then torchvision ColorJitter(0.4, 0.4, 0.4) on each
  crop separately; no horizontal flip (`pipeline.py: build_SiamTracker_image_augmentation_transformer`)."""
import math

import cv2
import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.registry import DATASETS, FUNCTIONS


def _bilinear_taps(coords: np.ndarray, size: int):
    """Indices into a 1-pixel-padded axis of `size` pixels and the weight of the second tap, for sample positions
    in pixel units (pixel i's centre at i). Positions beyond the padding read the padding (the fill colour)."""
    lo = np.floor(coords)
    frac = coords - lo
    lo = lo.astype(np.int64) + 1
    return np.clip(lo, 0, size + 1), np.clip(lo + 1, 0, size + 1), frac


def crop_region(img: np.ndarray, center, scale, out: int) -> np.ndarray:
    """`out` x `out` crop of `img` (HWC uint8) centred on `center` (x, y) at `scale` output pixels per input pixel
    (one number, or one per axis); outside the image: the image's mean colour.

    The resampling is stated here instead of left to cv2.warpAffine, whose INTER_LINEAR changed between OpenCV 4.x
    (sample positions quantised to 1/32 pixel) and 5.0 (exact) and moved every crop by up to 5 grey levels: pixel
    centres sit at half-integers (SwinTrack's half-pixel convention), output pixel u samples the input at
    x = cx + (u + 1/2 - out/2) / scale, bilinear in float64, rounded half to even."""
    sx, sy = (scale, scale) if np.isscalar(scale) else scale
    h, w = img.shape[:2]
    fill = img.reshape(-1, img.shape[2]).mean(0)
    padded = np.empty((h + 2, w + 2, img.shape[2]), np.float64)
    padded[:] = fill
    padded[1:-1, 1:-1] = img
    grid = np.arange(out) + 0.5 - out / 2
    x0, x1, fx = _bilinear_taps(center[0] + grid / sx - 0.5, w)
    y0, y1, fy = _bilinear_taps(center[1] + grid / sy - 0.5, h)
    rows = padded[y0] * (1 - fy)[:, None, None] + padded[y1] * fy[:, None, None]
    crop = rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]
    return np.clip(np.rint(crop), 0, 255).astype(np.uint8)


def area_scale(box, area_factor: float, out: int, min_size: float = 0.0) -> float:
    """Output pixels per input pixel that fit an xywh box with SiamFC context into an `out`-pixel crop."""
    w, h = max(box[2], min_size, 1e-3), max(box[3], min_size, 1e-3)
    pad = (area_factor - 1) * (w + h) / 2
    return math.sqrt(out * out / ((w + pad) * (h + pad)))


def box_in_crop(box, center, scale, out: int) -> np.ndarray:
    """An xywh image box as x1 y1 x2 y2 in the crop, in units of the crop side ([0, 1] inside)."""
    sx, sy = (scale, scale) if np.isscalar(scale) else scale
    x1 = (box[0] - center[0]) * sx + out / 2
    y1 = (box[1] - center[1]) * sy + out / 2
    return np.array([x1, y1, x1 + box[2] * sx, y1 + box[3] * sy], np.float64) / out


def read_frame(path: str) -> np.ndarray:
    """A frame as RGB uint8 (cv2 decodes; the BGR -> RGB swap is explicit)."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"cannot read frame {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@DATASETS.register_module()
class TrackingPairs(BaseDataset):
    """`samples_per_epoch` template/search pairs from the training sequences of `dataset` (a registered tracking
    dataset):
    two visible frames at most `max_gap` apart, curated as SwinTrack does (module docstring); each pair is drawn
    afresh from numpy's run-seeded random state, the colour jitter from torch's."""

    def __init__(self, dataset, data_root, template_size=112, search_size=224, template_factor=2.0,
                 search_factor=4.0, max_gap=100, scale_jitter=0.25, center_jitter=3.0, samples_per_epoch=1000,
                 color_jitter=0.4, grayscale_prob=0.05, sources=(), **kwargs):
        self.dataset_name, self.samples_per_epoch = dataset, samples_per_epoch
        self.sources = [(dataset, data_root)] + [(s["dataset"], s["data_root"]) for s in sources]
        self.sizes = (template_size, search_size)
        self.factors = (template_factor, search_factor)
        self.max_gap, self.scale_jitter, self.center_jitter = max_gap, scale_jitter, center_jitter
        self.grayscale_prob = grayscale_prob
        self.color_jitter = None
        if color_jitter:
            from torchvision.transforms import ColorJitter

            self.color_jitter = ColorJitter(color_jitter, color_jitter, color_jitter)
        super().__init__(data_root=data_root, serialize_data=False, **kwargs)

    def load_data_list(self):
        """Per source (the dataset, then each --train-mix set) its usable training sequences: two or more frames
        with a visible target (one for COCO's single images), and the epoch's sample ids."""
        from bench.tasks.base import read_dataset

        self.pools = []
        for name, root in self.sources:
            pool = []
            for s in read_dataset("tracking", name, root).train:
                vis = s.visible if s.visible is not None else np.ones(len(s.frames), bool)
                vis = vis & (s.boxes[:, 2] > 1) & (s.boxes[:, 3] > 1)
                if vis.sum() >= min(2, len(s.frames)):
                    pool.append((s, np.flatnonzero(vis)))
            if not pool:
                raise ValueError(f"no {name} training sequence has two frames with a visible target")
            self.pools.append(pool)
        return [{"index": i} for i in range(self.samples_per_epoch)]

    def __len__(self):
        return self.samples_per_epoch

    def _search_params(self, rng, box):
        size = self.sizes[1]
        center = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        for _ in range(100):
            scale = area_scale(box, self.factors[1], size) / np.exp(rng.normal(0, self.scale_jitter, 2))
            reach = (np.asarray(box[2:4]) * scale).sum() * 0.5 * self.center_jitter
            shift = (rng.random(2) - 0.5) * reach / scale  # in input pixels
            c = center + shift
            norm = box_in_crop(box, c, scale, size)
            if norm[0] < 1 and norm[1] < 1 and norm[2] > 0 and norm[3] > 0:
                return c, scale, norm
        return center, area_scale(box, self.factors[1], size), box_in_crop(box, center, area_scale(
            box, self.factors[1], size), size)

    def _augment(self, crops, rng):
        tensors = [torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1) for c in crops]
        if rng.random() < self.grayscale_prob:
            from torchvision.transforms.functional import rgb_to_grayscale

            tensors = [rgb_to_grayscale(t, num_output_channels=3) for t in tensors]
        if self.color_jitter is not None:
            tensors = [self.color_jitter(t) for t in tensors]
        return tensors

    def __getitem__(self, idx):
        rng = np.random.default_rng(np.random.randint(0, 2 ** 31 - 1))  # numpy's state: seeded per run / worker
        pool = self.pools[rng.integers(len(self.pools))]  # each source with weight 1 (SwinTrack's train mix)
        seq, frames = pool[rng.integers(len(pool))]
        t = frames[rng.integers(len(frames))]
        near = frames[np.abs(frames - t) <= self.max_gap]
        s = near[rng.integers(len(near))]
        zb = seq.boxes[t]
        z = crop_region(read_frame(seq.frames[t]), (zb[0] + zb[2] / 2, zb[1] + zb[3] / 2),
                        area_scale(zb, self.factors[0], self.sizes[0]), self.sizes[0])
        center, scale, box = self._search_params(rng, seq.boxes[s])
        x = crop_region(read_frame(seq.frames[s]), center, scale, self.sizes[1])
        z, x = self._augment((z, x), rng)
        return {"template": z, "search": x, "box": torch.from_numpy(np.clip(box, -0.5, 1.5).astype(np.float32))}


@FUNCTIONS.register_module(name="tracking_collate")
def collate(batch):
    """Stack the template, search and box tensors of a batch."""
    return {k: torch.stack([b[k] for b in batch]) for k in batch[0]}
