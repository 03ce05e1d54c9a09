"""ViTDet's simple feature pyramid (Li et al. 2022): one stride-16 map of a plain ViT -> strides 4, 8, 16, 32
(deconvolutions / identity / max-pool, then 1x1 + 3x3 convs with LayerNorm) plus a max-pooled stride-64 level.
Written once, registered in the mmdet and mmseg model registries (detection and segmentation necks)."""
from typing import List, Sequence, Tuple

from mmengine.model import BaseModule
from torch import nn


class ChannelNorm(nn.Module):
    """LayerNorm over the channels of an NCHW map."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class SimpleFPN(BaseModule):
    """in: a tuple whose last map has stride 16; out: `num_outs` maps at strides 4, 8, 16, 32 (, 64)."""

    def __init__(self, in_channels, out_channels: int = 256, num_outs: int = 5, scales: Sequence[float] = (4, 2, 1,
                                                                                                          0.5),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        c = in_channels[-1] if isinstance(in_channels, (list, tuple)) else in_channels
        self.num_outs = num_outs
        self.stages = nn.ModuleList()
        for scale in scales:
            if scale == 4:
                layers, dim = [nn.ConvTranspose2d(c, c // 2, 2, 2), ChannelNorm(c // 2), nn.GELU(),
                               nn.ConvTranspose2d(c // 2, c // 4, 2, 2)], c // 4
            elif scale == 2:
                layers, dim = [nn.ConvTranspose2d(c, c // 2, 2, 2)], c // 2
            elif scale == 1:
                layers, dim = [], c
            elif scale == 0.5:
                layers, dim = [nn.MaxPool2d(2, 2)], c
            else:
                raise ValueError(f"SimpleFPN scale {scale} is not one of 4, 2, 1, 0.5")
            layers += [nn.Conv2d(dim, out_channels, 1, bias=False), ChannelNorm(out_channels),
                       nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), ChannelNorm(out_channels)]
            self.stages.append(nn.Sequential(*layers))

    def forward(self, inputs):
        x = inputs[-1]
        outs = [stage(x) for stage in self.stages]
        while len(outs) < self.num_outs:
            outs.append(nn.functional.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)


PYRAMID_STRIDES = (4, 8, 16, 32)


def pyramid_levels(spec, img_size) -> Tuple[Tuple[int, ...], List[int], bool]:
    """How a backbone feeds a stride 4-32 pyramid (detection's FPN, segmentation's UperNet): (out_indices, their
    channels, plain). Hierarchical backbones give their stages at strides 4-32; a plain ViT gives its stride-16 map
    (`plain` = True: put SimpleFPN on it)."""
    from backbones.build import probe_features
    from backbones.core.errors import BenchError

    levels = probe_features(spec, tuple(img_size))
    strides = [s for _, s in levels]
    if len(set(strides)) > 1:
        idx = [strides.index(s) for s in PYRAMID_STRIDES if s in strides]
        if len(idx) != len(PYRAMID_STRIDES):
            raise BenchError(f"{spec.name} has feature strides {strides}; a feature pyramid needs levels at strides "
                             f"{PYRAMID_STRIDES}")
        return tuple(idx), [levels[i][0] for i in idx], False
    if strides[-1] != 16:
        raise BenchError(f"{spec.name} is a plain backbone with stride {strides[-1]}; the simple feature pyramid "
                         "needs a stride-16 map (patch size 16)")
    return (-1,), [levels[-1][0]], True


def register_all():
    """Register SimpleFPN in the mmdet and mmseg model registries where it is not registered yet."""
    import importlib

    for scope in ("mmdet", "mmseg"):
        registry = importlib.import_module(f"{scope}.registry").MODELS
        if "SimpleFPN" not in registry.module_dict:
            registry.register_module(module=SimpleFPN)


register_all()
