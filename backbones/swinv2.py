"""Swin Transformer V2: SimMIM and supervised specs, timm builder, official-checkpoint filter. The continuous
position bias (cpb_mlp) is resolution-free given `pretrained_window_sizes` (each spec's native windows, so
coordinates are normalised as in pre-training at any fine-tuning window): no table is resampled."""
from backbones.checkpoint import Entry, map_entries
from backbones.registry import add_spec
from backbones.spec import BackboneSpec
from backbones.swin import SWIN_B, SWIN_L, shift_downsample

SIMMIM_V2 = "https://huggingface.co/zdaxie/SimMIM/resolve/main/simmim_swinv2_pretrain_models/"
SWIN_V2_RELEASES = "https://github.com/SwinTransformer/storage/releases/download/v2.0.0/"


def build(spec, img_size, drop_path_rate=0.0, window_size=None, dynamic_img_size=False):
    """Build a headless timm SwinTransformerV2 for `spec`, with its pretrained window sizes."""
    from timm.models.swin_transformer_v2 import SwinTransformerV2

    return SwinTransformerV2(img_size=img_size, window_size=window_size or spec.window_size, num_classes=0,
                             drop_path_rate=drop_path_rate, pretrained_window_sizes=spec.pretrained_window_sizes,
                             strict_img_size=not dynamic_img_size, **spec.arch_kwargs)


def checkpoint_filter_fn(state_dict, model, spec):
    """Official SwinV2 (merging at the end of a stage) or timm-native keys -> timm SwinTransformerV2 keys. The
    released SimMIM SwinV2 files name the position-bias MLP `attn.rpe_mlp.*`, which the model code calls
    `cpb_mlp` (microsoft/Swin-Transformer utils_simmim.py `remap_pretrained_keys_swin` renames it 'for loading
    provided models', as does SwinTransformer/MIM-Depth-Estimation): both names are accepted."""
    official = any(k.startswith("layers.0.downsample") for k in state_dict)

    def convert(key, value):
        model_key = shift_downsample(key) if official else key
        model_key = model_key.replace(".attn.rpe_mlp.", ".attn.cpb_mlp.")
        return [Entry(key, value, model_key=model_key, transform="rename" if model_key != key else "copy")]

    return map_entries(state_dict, convert)


def _spec(name, **kw):
    base = dict(arch="swinv2", builder="backbones.swinv2:build",
                checkpoint_filter="backbones.swinv2:checkpoint_filter_fn")
    add_spec(BackboneSpec(name=name, **{**base, **kw}))


_spec("simmim-swinv2-b", pretraining="simmim", pretrain_data="ImageNet-1K", family="swinv2-b",
      pair_with="sup-swinv2-b",
      description="SimMIM SwinV2-B (the seed paper's '1K-MIM'), 192px, window 12 (stage 4: 6)",
      urls=(SIMMIM_V2 + "swinv2_base_1k_500k.pth",), img_size=(192, 192), window_size=(12, 12, 12, 6),
      pretrained_window_sizes=(12, 12, 12, 6), arch_kwargs=SWIN_B)
_spec("simmim-swinv2-l", pretraining="simmim", pretrain_data="ImageNet-1K", family="swinv2-l", pair_with=None,
      description="SimMIM SwinV2-L, 192px, window 12 (stage 4: 6); no supervised SwinV2-L partner is registered",
      urls=(SIMMIM_V2 + "swinv2_large_1k_500k.pth",), img_size=(192, 192), window_size=(12, 12, 12, 6),
      pretrained_window_sizes=(12, 12, 12, 6), arch_kwargs=SWIN_L)
_spec("sup-swinv2-b", pretraining="supervised", pretrain_data="ImageNet-1K", family="swinv2-b",
      pair_with="simmim-swinv2-b", description="Supervised SwinV2-B, ImageNet-1K, 256px, window 8",
      urls=(SWIN_V2_RELEASES + "swinv2_base_patch4_window8_256.pth",), img_size=(256, 256),
      window_size=(8, 8, 8, 8), pretrained_window_sizes=(8, 8, 8, 8), arch_kwargs=SWIN_B)
_spec("sup-swinv2-b-22k", pretraining="supervised", pretrain_data="ImageNet-22K", family="swinv2-b",
      pair_with="simmim-swinv2-b", description="Supervised SwinV2-B, ImageNet-22K, 192px, window 12",
      urls=(SWIN_V2_RELEASES + "swinv2_base_patch4_window12_192_22k.pth",), img_size=(192, 192),
      window_size=(12, 12, 12, 6), pretrained_window_sizes=(12, 12, 12, 6), arch_kwargs=SWIN_B)
