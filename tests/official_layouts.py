"""Fake checkpoints with the exact key layouts and shapes of the official releases (protocols.md §4.4, §4.5, §4.7):
SimMIM Swin / SwinV2 / ViT pre-training files (with pickled training state and a yacs CfgNode), and supervised
Swin / SwinV2 / DeiT files with classifier heads. Values are random; tests compare what arrives in the model."""
import sys
import types

import torch


def _attn_mask_needed(res, window, j):
    return j % 2 == 1 and res > window


def swin_state(embed=128, depths=(2, 2, 18, 2), heads=(4, 8, 16, 32), img=192, window=6, v2=False,
               simmim=True, num_classes=None, gen=None):
    """Official Swin (v1) / SwinV2 state dict. Windows are clipped to each stage's resolution, as in the
    official code; `simmim` adds the `encoder.` prefix, mask token and decoder."""
    g = gen or torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g) * 0.02  # noqa: E731
    sd = {"patch_embed.proj.weight": r(embed, 3, 4, 4), "patch_embed.proj.bias": r(embed),
          "patch_embed.norm.weight": 1 + r(embed), "patch_embed.norm.bias": r(embed)}
    res = img // 4
    for i, (depth, nh) in enumerate(zip(depths, heads)):
        c = embed * 2 ** i
        w = min(window if isinstance(window, int) else window[i], res)
        for j in range(depth):
            p = f"layers.{i}.blocks.{j}."
            sd[p + "norm1.weight"], sd[p + "norm1.bias"] = 1 + r(c), r(c)
            if v2:
                sd[p + "attn.logit_scale"] = torch.log(10 * torch.ones(nh, 1, 1)) + r(nh, 1, 1)
                mlp = "rpe_mlp" if simmim else "cpb_mlp"  # SimMIM's released SwinV2 files call it rpe_mlp
                sd[p + f"attn.{mlp}.0.weight"], sd[p + f"attn.{mlp}.0.bias"] = r(512, 2), r(512)
                sd[p + f"attn.{mlp}.2.weight"] = r(nh, 512)
                sd[p + "attn.q_bias"], sd[p + "attn.v_bias"] = r(c), r(c)
                sd[p + "attn.qkv.weight"] = r(3 * c, c)
                sd[p + "attn.relative_coords_table"] = torch.zeros(1, 2 * w - 1, 2 * w - 1, 2)
            else:
                sd[p + "attn.relative_position_bias_table"] = r((2 * w - 1) ** 2, nh)
                sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"] = r(3 * c, c), r(3 * c)
            sd[p + "attn.relative_position_index"] = torch.zeros(w * w, w * w, dtype=torch.long)
            sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"] = r(c, c), r(c)
            sd[p + "norm2.weight"], sd[p + "norm2.bias"] = 1 + r(c), r(c)
            sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"] = r(4 * c, c), r(4 * c)
            sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"] = r(c, 4 * c), r(c)
            if _attn_mask_needed(res, w, j):
                n_win = (res // w) ** 2
                sd[p + "attn_mask"] = torch.zeros(n_win, w * w, w * w)
        if i < len(depths) - 1:
            norm_c = 2 * c if v2 else 4 * c
            sd[f"layers.{i}.downsample.reduction.weight"] = r(2 * c, 4 * c)
            sd[f"layers.{i}.downsample.norm.weight"] = 1 + r(norm_c)
            sd[f"layers.{i}.downsample.norm.bias"] = r(norm_c)
            res //= 2
    final = embed * 2 ** (len(depths) - 1)
    sd["norm.weight"], sd["norm.bias"] = 1 + r(final), r(final)
    if num_classes:
        sd["head.weight"], sd["head.bias"] = r(num_classes, final), r(num_classes)
    if simmim:
        sd = {f"encoder.{k}": v for k, v in sd.items()}
        sd["encoder.mask_token"] = r(1, 1, embed)
        sd["decoder.0.weight"], sd["decoder.0.bias"] = r(32 * 32 * 3, final, 1, 1), r(32 * 32 * 3)
    return sd


def simmim_vit_state(embed=768, depth=12, heads=12, img=224, patch=16, gen=None):
    """Official SimMIM ViT-B pre-training state dict (BEiT-style, shared relative position bias)."""
    g = gen or torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g) * 0.02  # noqa: E731
    grid = img // patch
    n_rel = (2 * grid - 1) ** 2 + 3
    sd = {"encoder.cls_token": r(1, 1, embed), "encoder.mask_token": r(1, 1, embed),
          "encoder.patch_embed.proj.weight": r(embed, 3, patch, patch), "encoder.patch_embed.proj.bias": r(embed),
          "encoder.rel_pos_bias.relative_position_bias_table": r(n_rel, heads),
          "encoder.rel_pos_bias.relative_position_index": torch.zeros(grid * grid + 1, grid * grid + 1,
                                                                      dtype=torch.long)}
    for k in range(depth):
        p = f"encoder.blocks.{k}."
        sd[p + "norm1.weight"], sd[p + "norm1.bias"] = 1 + r(embed), r(embed)
        sd[p + "attn.qkv.weight"] = r(3 * embed, embed)
        sd[p + "attn.q_bias"], sd[p + "attn.v_bias"] = r(embed), r(embed)
        sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"] = r(embed, embed), r(embed)
        sd[p + "norm2.weight"], sd[p + "norm2.bias"] = 1 + r(embed), r(embed)
        sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"] = r(4 * embed, embed), r(4 * embed)
        sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"] = r(embed, 4 * embed), r(embed)
        sd[p + "gamma_1"], sd[p + "gamma_2"] = 0.1 + r(embed), 0.1 + r(embed)
    sd["encoder.norm.weight"], sd["encoder.norm.bias"] = 1 + r(embed), r(embed)
    sd["decoder.0.weight"], sd["decoder.0.bias"] = r(patch * patch * 3, embed, 1, 1), r(patch * patch * 3)
    return sd


def deit_state(embed=768, depth=12, img=224, patch=16, num_classes=1000, gen=None):
    """Official DeiT-B (timm naming) with its ImageNet head."""
    g = gen or torch.Generator().manual_seed(2)
    r = lambda *s: torch.randn(*s, generator=g) * 0.02  # noqa: E731
    grid = img // patch
    sd = {"cls_token": r(1, 1, embed), "pos_embed": r(1, grid * grid + 1, embed),
          "patch_embed.proj.weight": r(embed, 3, patch, patch), "patch_embed.proj.bias": r(embed)}
    for k in range(depth):
        p = f"blocks.{k}."
        sd[p + "norm1.weight"], sd[p + "norm1.bias"] = 1 + r(embed), r(embed)
        sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"] = r(3 * embed, embed), r(3 * embed)
        sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"] = r(embed, embed), r(embed)
        sd[p + "norm2.weight"], sd[p + "norm2.bias"] = 1 + r(embed), r(embed)
        sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"] = r(4 * embed, embed), r(4 * embed)
        sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"] = r(embed, 4 * embed), r(embed)
    sd["norm.weight"], sd["norm.bias"] = 1 + r(embed), r(embed)
    sd["head.weight"], sd["head.bias"] = r(num_classes, embed), r(num_classes)
    return sd


def save_simmim_container(state, path, epoch=799):
    """Save as microsoft/SimMIM's `save_checkpoint` does: model + optimizer + scheduler + yacs config object."""
    yacs = types.ModuleType("yacs")
    yacs_config = types.ModuleType("yacs.config")

    class CfgNode(dict):
        pass

    CfgNode.__module__, CfgNode.__qualname__ = "yacs.config", "CfgNode"
    yacs_config.CfgNode = CfgNode
    sys.modules["yacs"], sys.modules["yacs.config"] = yacs, yacs_config
    try:
        config = CfgNode(MODEL=CfgNode(TYPE="swin", NAME="simmim_pretrain"), TRAIN=CfgNode(EPOCHS=epoch + 1))
        first = next(iter(state.values()))
        container = {"model": state,
                     "optimizer": {"state": {0: {"step": torch.tensor(10.0), "exp_avg": torch.zeros_like(first)}},
                                   "param_groups": [{"lr": 1e-4, "weight_decay": 0.05, "params": [0]}]},
                     "lr_scheduler": {"last_epoch": epoch, "base_lrs": [1e-4]},
                     "max_accuracy": 0.0, "epoch": epoch, "config": config}
        torch.save(container, path)
    finally:
        del sys.modules["yacs"], sys.modules["yacs.config"]


def save_plain(state, path):
    torch.save({"model": state}, path)
