"""Layer ids for layer-wise LR decay, by the rule of the recipe being reproduced (a parameter's LR scale is
rate ** (top - id); whatever sits after the backbone, heads and necks, is at the top, scale 1):

- `vitpose` (ViT / BEiT, ViTAE-Transformer/ViTPose mmcv_custom/layer_decay_optimizer_constructor.py): patch embed,
  cls / pos / mask tokens id 0, block i id i + 1, the rest (final norm) the top, num_blocks + 1.
- `simmim` (Swin / SwinV2, microsoft/SimMIM optimizer.py `get_swin_layer`): patch embed 0, block b of stage s id
  sum(depths[:s]) + b + 1, the patch merging that ends stage s shares the id of that stage's last block, the
  final norm the top, num_blocks + 1 (25 for Swin-B).
- `glp` (Swin / SwinV2, SwinTransformer/MIM-Depth-Estimation models/optimizer.py and Gengzigang/PCT
  utils/optimzer_ld.py): every patch merging is a layer of its own at the end of its stage, so stage s has
  depths[s] + 1 levels (the last stage depths[s]); patch embed 0, the top num_levels + 1 (28 for SwinV2-B: 29
  levels).
- `timm` (any timm model: ConvNeXt, ResNet, BEiT, EVA, ...): the model's own `group_matcher(coarse=False)`, as
  timm's `param_groups_layer_decay` reads it; the top is one above its last group (the head)."""
import re
from typing import Dict, Tuple

from torch import nn

RULES = ("vitpose", "simmim", "glp", "timm")
_VIT_BLOCK = re.compile(r"^blocks\.(\d+)\.")
_SWIN_BLOCK = re.compile(r"^layers\.(\d+)\.blocks\.(\d+)\.")
_SWIN_DOWN = re.compile(r"^layers\.(\d+)\.downsample\.")
_EMBED = ("patch_embed.", "cls_token", "pos_embed", "absolute_pos_embed", "rel_pos_bias.", "mask_token",
          "reg_token")


def block_counts(model: nn.Module):
    """Blocks per stage of a timm model: [n] for a plain ViT, [n0, n1, ...] for staged models, [] otherwise."""
    blocks = getattr(model, "blocks", None)
    if isinstance(blocks, (nn.Sequential, nn.ModuleList)):
        return [len(blocks)]
    if hasattr(model, "layers") and all(hasattr(s, "blocks") for s in model.layers):
        return [len(s.blocks) for s in model.layers]
    return []


def default_rule(model: nn.Module) -> str:
    """The rule for a model when a recipe names none: vitpose for plain ViTs, simmim for Swin, timm otherwise."""
    counts = block_counts(model)
    return "vitpose" if len(counts) == 1 else "simmim" if counts else "timm"


def _swin_id(name: str, counts, merge_levels: bool) -> int:
    """Swin layer id under `simmim` (merge_levels False) or `glp` (True); timm keeps the patch merging that ends
    official stage s at the start of layers.{s+1}."""
    levels = [c + (merge_levels and s < len(counts) - 1) for s, c in enumerate(counts)]
    m = _SWIN_BLOCK.match(name)
    if m:
        stage, block = int(m.group(1)), int(m.group(2))
        return sum(levels[:stage]) + block + 1
    m = _SWIN_DOWN.match(name)
    if m:
        ended = int(m.group(1)) - 1  # the official stage this merging ends
        return sum(levels[:ended + 1])
    return sum(levels) + 1


def layer_ids(model: nn.Module, rule: str) -> Tuple[Dict[str, int], int]:
    """({parameter name: layer id}, top id) of a timm model's parameters under `rule` (module docstring)."""
    if rule not in RULES:
        raise ValueError(f"layer-decay rule {rule!r}: choose one of {', '.join(RULES)}")
    names = [n for n, _ in model.named_parameters()]
    counts = block_counts(model)
    if rule == "timm" or not counts or (rule == "vitpose") != (len(counts) == 1):
        if not hasattr(model, "group_matcher"):
            return {n: 0 for n in names}, 1  # no structure to read: one level below the head
        from timm.models._manipulate import group_parameters

        ids = group_parameters(model, model.group_matcher(coarse=False), reverse=True)
        return dict(ids), max(ids.values(), default=0) + 1
    out = {}
    for n in names:
        if n.startswith(_EMBED):
            out[n] = 0
        elif rule == "vitpose":
            m = _VIT_BLOCK.match(n)
            out[n] = int(m.group(1)) + 1 if m else counts[0] + 1
        else:
            out[n] = _swin_id(n, counts, merge_levels=rule == "glp")
    top = counts[0] + 1 if rule == "vitpose" else _swin_id("", counts, rule == "glp")
    return out, top


def num_layers(model: nn.Module, rule: str = None) -> int:
    """The top layer id under `rule` (default: the model's default rule)."""
    return layer_ids(model, rule or default_rule(model))[1]


def layer_id(name: str, model: nn.Module, rule: str = None) -> int:
    """Layer id of parameter `name` (relative to the timm model) under `rule`."""
    return layer_ids(model, rule or default_rule(model))[0][name]
