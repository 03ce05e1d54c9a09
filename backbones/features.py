"""The dense-feature adapter every task sees: a timm model's `forward_intermediates` as a tuple of NCHW maps."""
import math
from typing import Sequence, Tuple

import torch
from torch import nn


def transformer_blocks(model: nn.Module):
    """The blocks of a timm ViT / BEiT (`blocks`) or Swin / SwinV2 (`layers[s].blocks`), in depth order."""
    if hasattr(model, "blocks"):
        return list(model.blocks)
    if hasattr(model, "layers") and all(hasattr(s, "blocks") for s in model.layers):
        return [blk for stage in model.layers for blk in stage.blocks]
    raise ValueError(f"{type(model).__name__} has no transformer blocks (ViT `blocks` / Swin `layers[].blocks`)")


@torch.no_grad()
def reinit_blocks(blocks):
    """Fresh timm-style init of whole blocks: Linear trunc-normal(0.02) + zero bias, LayerNorm (1, 0), relative
    position tables trunc-normal(0.02), layer scale 0.1, SwinV2 logit scale log(10), q/v biases 0."""
    for blk in blocks:
        for m in blk.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for name, p in blk.named_parameters():
            if name.endswith("relative_position_bias_table"):
                nn.init.trunc_normal_(p, std=0.02)
            elif name.endswith(("gamma_1", "gamma_2")):
                p.fill_(0.1)
            elif name.endswith("logit_scale"):
                p.fill_(math.log(10))
            elif name.endswith(("q_bias", "v_bias")):
                p.zero_()


class FeatureBackbone(nn.Module):
    """`forward(x)` -> tuple of NCHW feature maps at `out_indices`; exposes `out_channels`, `out_strides`.

    `frozen_stages=k` freezes the patch embedding (k >= 0) and the first k stages (Swin) or blocks (ViT).
    `out_norms=True` gives every output level a LayerNorm of its own instead of the model's final norm on the
    last level only (mmdet / mmseg's Swin add `norm{i}` per output stage for FPN / UperNet:
    open-mmlab/mmdetection mmdet/models/backbones/swin.py)."""

    def __init__(self, model: nn.Module, spec, out_indices: Sequence[int] = None, frozen_stages: int = -1,
                 out_norms: bool = False):
        super().__init__()
        self.model = model
        self.spec = spec
        self.load_audit = None
        info = model.feature_info
        n = len(info)
        if out_indices is None:  # every stage of a pyramid; the last block of a plain (single-stride) model
            out_indices = range(n) if len({f["reduction"] for f in info}) > 1 else (n - 1,)
        bad = [i for i in out_indices if not -n <= i < n]
        if bad:
            raise ValueError(f"out_indices {bad} out of range for {spec.name} with {n} feature levels")
        self.out_indices = tuple(sorted({i % n for i in out_indices}))
        self.out_channels = tuple(info[i]["num_chs"] for i in self.out_indices)
        self.out_strides = tuple(info[i]["reduction"] for i in self.out_indices)
        self.num_levels = n
        self.out_norms = nn.ModuleList(nn.LayerNorm(c) for c in self.out_channels) if out_norms else None
        final_norm = getattr(model, "norm", None) if out_norms else None
        if isinstance(final_norm, nn.Module):  # unused beside per-stage norms (mmdet/mmseg's Swin has none): frozen,
            for p in final_norm.parameters():  # so no trainable parameter goes without a gradient (DDP refuses that)
                p.requires_grad_(False)
        self.frozen_stages = frozen_stages
        self._frozen = self._frozen_modules()
        for module in self._frozen:
            for p in module.parameters():
                p.requires_grad_(False)
        for name in ("cls_token", "pos_embed", "absolute_pos_embed") if frozen_stages >= 0 else ():
            p = getattr(model, name, None)
            if isinstance(p, nn.Parameter):
                p.requires_grad_(False)

    def reinit_last_layers(self, k: int):
        """Re-initialise the last k transformer blocks (the seed paper's diversity ablation)."""
        blocks = transformer_blocks(self.model)
        if not 0 < k <= len(blocks):
            raise ValueError(f"--reinit-last-layers {k}: {self.spec.name} has {len(blocks)} blocks")
        reinit_blocks(blocks[-k:])

    def drop_last_layers(self, k: int):
        """Remove the last k transformer blocks, so the backbone ends k blocks earlier (the other reading of the
        seed paper's diversity ablation, beside reinit_last_layers). A plain ViT / BEiT keeps its first n - k blocks
        and its outputs come from the new last one (its final norm still applies); a Swin drops blocks of its last
        stage only (at least one stays), so its pyramid keeps every level."""
        model = self.model
        if hasattr(model, "blocks"):
            n = len(model.blocks)
            if not 0 < k < n:
                raise ValueError(f"--drop-last-layers {k}: {self.spec.name} has {n} blocks; pass 1 to {n - 1}")
            model.blocks = model.blocks[:n - k]
            model.feature_info = model.feature_info[:n - k]
            self.out_indices = tuple(sorted({min(i, n - k - 1) for i in self.out_indices}))
            self.num_levels = n - k
        elif hasattr(model, "layers"):
            stage = model.layers[-1]
            n = len(stage.blocks)
            if not 0 < k < n:
                allowed = f"pass 1 to {n - 1}" if n > 1 else "none can go"
                raise ValueError(f"--drop-last-layers {k}: {self.spec.name}'s last stage has {n} block(s), and a "
                                 f"Swin drops blocks of its last stage only (its pyramid keeps every level): {allowed}")
            stage.blocks = stage.blocks[:n - k]
        else:
            raise ValueError(f"--drop-last-layers: {self.spec.name} has no transformer blocks")

    def _frozen_modules(self):
        if self.frozen_stages < 0:
            return []
        mods = [self.model.patch_embed]
        if getattr(self.model, "rel_pos_bias", None) is not None:
            mods.append(self.model.rel_pos_bias)
        for i in range(min(self.frozen_stages, self.num_levels)):
            mods.append(self.model.get_submodule(self.model.feature_info[i]["module"]))
        return mods

    def train(self, mode: bool = True):
        """Set training mode as nn.Module does, but keep the frozen modules in eval mode."""
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The NCHW maps at `out_indices` (normalised: see the class docstring)."""
        feats = self.model.forward_intermediates(x, indices=list(self.out_indices), norm=self.out_norms is None,
                                                 stop_early=True, intermediates_only=True)
        if self.out_norms is not None:
            feats = [norm(f.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) for norm, f in zip(self.out_norms, feats)]
        return tuple(feats)
