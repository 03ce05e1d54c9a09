"""ViT-B: SimMIM's BEiT-style encoder (timm `Beit`) and supervised DeiT-B (timm `VisionTransformer`), with their
checkpoint filters. SimMIM ViT has no absolute pos-embed, a shared relative position bias, layer scale and q/v
bias: its shared table is copied to every block and resampled (keeping the 3 cls rows) for the target grid."""
from backbones.checkpoint import Entry, map_entries
from backbones.registry import add_spec
from backbones.resize import resize_pos_embed, resize_rpb_table, square_side
from backbones.spec import BackboneSpec

VIT_B = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0)
SHARED_RPB = "rel_pos_bias.relative_position_bias_table"


def build_beit(spec, img_size, drop_path_rate=0.0, shared_rel_pos_bias=False):
    """SimMIM's ViT as timm's Beit: per-block relative position tables (fine-tuning), or one shared table
    (pre-training: SimMIM configs/vit_base__800ep/simmim_pretrain__vit_base__img224__800ep.yaml USE_SHARED_RPB)."""
    from timm.models.beit import Beit

    return Beit(img_size=img_size, num_classes=0, global_pool="token", qkv_bias=True, use_abs_pos_emb=False,
                use_rel_pos_bias=not shared_rel_pos_bias, use_shared_rel_pos_bias=shared_rel_pos_bias,
                init_values=0.1, drop_path_rate=drop_path_rate, **spec.arch_kwargs)


def build_vit(spec, img_size, drop_path_rate=0.0):
    """Build a headless timm VisionTransformer (cls-token pooling, qkv bias) with the spec's architecture."""
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(img_size=img_size, num_classes=0, global_pool="token", qkv_bias=True,
                             drop_path_rate=drop_path_rate, **spec.arch_kwargs)


def _resize_rpb(value, attn, transform):
    src = square_side(value.shape[0] - 3)
    dst = (2 * attn.window_size[0] - 1, 2 * attn.window_size[1] - 1)
    if (src, src) == dst:
        return value, transform
    suffix = f"rpb-resize {src}x{src}->{dst[0]}x{dst[1]}"
    return resize_rpb_table(value, (src, src), dst, num_extra=3), (
        suffix if transform == "copy" else f"{transform}+{suffix}")


def beit_checkpoint_filter_fn(state_dict, model, spec):
    """SimMIM ViT (pre-train: shared table; fine-tune: per-block tables) -> timm Beit with per-block tables."""

    def convert(key, value):
        if key == SHARED_RPB:
            entries = []
            for i, block in enumerate(model.blocks):
                table, transform = _resize_rpb(value, block.attn, "shared-rpb-copy")
                entries.append(Entry(key, table, model_key=f"blocks.{i}.attn.relative_position_bias_table",
                                     transform=transform))
            return entries
        transform = "copy"
        if key.endswith("attn.relative_position_bias_table") and key in model.state_dict():
            value, transform = _resize_rpb(value, model.get_submodule(key.rsplit(".", 1)[0]), transform)
        return [Entry(key, value, model_key=key, transform=transform)]

    return map_entries(state_dict, convert)


def vit_checkpoint_filter_fn(state_dict, model, spec):
    """timm/DeiT ViT keys; the absolute pos-embed is resized to the model's patch grid."""

    def convert(key, value):
        transform = "copy"
        if key == "pos_embed" and value.shape != model.pos_embed.shape:
            grid = model.patch_embed.grid_size
            side = square_side(value.shape[1] - 1)
            value = resize_pos_embed(value, grid, num_prefix=1)
            transform = f"pos-embed-resize {side}x{side}->{grid[0]}x{grid[1]}"
        return [Entry(key, value, model_key=key, transform=transform)]

    return map_entries(state_dict, convert)


add_spec(BackboneSpec(
    name="simmim-vit-b", arch="beit", builder="backbones.vit:build_beit",
    checkpoint_filter="backbones.vit:beit_checkpoint_filter_fn", pretraining="simmim", pretrain_data="ImageNet-1K",
    family="vit-b", pair_with="sup-vit-b", hierarchical=False, img_size=(224, 224), arch_kwargs=VIT_B,
    description="SimMIM ViT-B/16, 800 epochs, 224px (BEiT-style: shared RPB, layer scale 0.1, q/v bias, no abs "
                "pos-embed)",
    urls=("https://drive.google.com/uc?export=download&id=1dJn6GYkwMIcoP3zqOEyW1_iQfpBi8UOw",)))
add_spec(BackboneSpec(
    name="sup-vit-b", arch="vit", builder="backbones.vit:build_vit",
    checkpoint_filter="backbones.vit:vit_checkpoint_filter_fn", pretraining="supervised",
    pretrain_data="ImageNet-1K", family="vit-b", pair_with="simmim-vit-b", hierarchical=False, img_size=(224, 224),
    arch_kwargs=VIT_B, description="Supervised ViT-B/16 (DeiT-B recipe), ImageNet-1K, 224px",
    urls=("https://dl.fbaipublicfiles.com/deit/deit_base_patch16_224-b5f2ef4d.pth",)))
