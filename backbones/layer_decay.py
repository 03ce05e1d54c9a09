"""Layer ids for layer-wise LR decay, one rule for timm ViT/BEiT (`blocks.i`) and Swin/SwinV2
(`layers.s.blocks.b`, `layers.s.downsample`): embeddings are layer 0, block k is layer k+1, the final norm and
anything after the backbone is layer num_blocks+1."""
import re

from torch import nn

_VIT_BLOCK = re.compile(r"^blocks\.(\d+)\.")
_SWIN_BLOCK = re.compile(r"^layers\.(\d+)\.blocks\.(\d+)\.")
_SWIN_DOWN = re.compile(r"^layers\.(\d+)\.downsample\.")
_EMBED = ("patch_embed.", "cls_token", "pos_embed", "absolute_pos_embed", "rel_pos_bias.", "mask_token",
          "reg_token")


def block_counts(model: nn.Module):
    """Blocks per stage of a timm model: [n] for a plain ViT, [n0, n1, ...] for staged models."""
    if isinstance(getattr(model, "blocks", None), nn.Sequential) or isinstance(getattr(model, "blocks", None),
                                                                                nn.ModuleList):
        return [len(model.blocks)]
    if hasattr(model, "layers") and all(hasattr(s, "blocks") for s in model.layers):
        return [len(s.blocks) for s in model.layers]
    return []


def num_layers(model: nn.Module) -> int:
    """Number of decay levels below the top one (num_blocks + 1)."""
    return sum(block_counts(model)) + 1


def layer_id(name: str, model: nn.Module) -> int:
    """Layer id of parameter `name` (relative to the timm model)."""
    counts = block_counts(model)
    top = sum(counts) + 1
    if name.startswith(_EMBED):
        return 0
    m = _VIT_BLOCK.match(name)
    if m and len(counts) == 1:
        return int(m.group(1)) + 1
    m = _SWIN_BLOCK.match(name)
    if m:
        stage, block = int(m.group(1)), int(m.group(2))
        return sum(counts[:stage]) + block + 1
    m = _SWIN_DOWN.match(name)
    if m:  # patch merging belongs with the first block it feeds (timm) / the stage it ends (official)
        return sum(counts[:int(m.group(1))]) + 1
    return top
