"""Swin Transformer (v1): SimMIM and supervised specs, timm builder, official-checkpoint filter."""
import re

from backbones.checkpoint import Entry, map_entries
from backbones.registry import add_spec
from backbones.resize import resize_rpb_table, square_side
from backbones.spec import BackboneSpec

SWIN_B = dict(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))
SWIN_L = dict(embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))
GDRIVE = "https://drive.google.com/uc?export=download&id="
SWIN_RELEASES = "https://github.com/SwinTransformer/storage/releases/download/v1.0.0/"


def build(spec, img_size, drop_path_rate=0.0, window_size=None, dynamic_img_size=False):
    """Build a headless timm SwinTransformer for `spec` (fixed input size unless `dynamic_img_size`)."""
    from timm.models.swin_transformer import SwinTransformer

    return SwinTransformer(img_size=img_size, window_size=window_size or spec.window_size, num_classes=0,
                           drop_path_rate=drop_path_rate, strict_img_size=not dynamic_img_size,
                           **spec.arch_kwargs)


def shift_downsample(key: str) -> str:
    """Official Swin/SwinV2 merge patches at the end of stage i; timm at the start of stage i+1."""
    return re.sub(r"^layers\.(\d+)\.downsample", lambda m: f"layers.{int(m.group(1)) + 1}.downsample", key)


def checkpoint_filter_fn(state_dict, model, spec):
    """Official (microsoft/Swin-Transformer, SimMIM) or timm-native keys -> timm SwinTransformer keys; relative
    position bias tables resampled to the model's windows with SimMIM's geometric method."""
    official = any(k.startswith("layers.0.downsample") for k in state_dict)

    def convert(key, value):
        model_key = shift_downsample(key) if official else key
        transform = "rename" if model_key != key else "copy"
        if model_key.endswith("relative_position_bias_table"):
            attn = model.get_submodule(model_key.rsplit(".", 1)[0])
            src = square_side(value.shape[0])
            dst = (2 * attn.window_size[0] - 1, 2 * attn.window_size[1] - 1)
            if (src, src) != dst:
                value = resize_rpb_table(value, (src, src), dst)
                transform = f"rpb-resize {src}x{src}->{dst[0]}x{dst[1]}"
        return [Entry(key, value, model_key=model_key, transform=transform)]

    return map_entries(state_dict, convert)


def _spec(name, **kw):
    base = dict(arch="swin", builder="backbones.swin:build", checkpoint_filter="backbones.swin:checkpoint_filter_fn")
    add_spec(BackboneSpec(name=name, **{**base, **kw}))


_spec("simmim-swin-b", pretraining="simmim", pretrain_data="ImageNet-1K", family="swin-b", pair_with="sup-swin-b",
      description="SimMIM Swin-B, 800 epochs, 192px, window 6 (simmim_pretrain__swin_base__img192_window6__800ep)",
      urls=(GDRIVE + "15zENvGjHlM71uKQ3d2FbljWPubtrPtjl",), img_size=(192, 192), window_size=(6, 6, 6, 6),
      arch_kwargs=SWIN_B)
_spec("simmim-swin-b-100ep", pretraining="simmim", pretrain_data="ImageNet-1K", family="swin-b",
      pair_with="sup-swin-b",
      description="SimMIM Swin-B, 100 epochs, 192px, window 6 (simmim_pretrain__swin_base__img192_window6__100ep)",
      urls=(GDRIVE + "1Wcbr66JL26FF30Kip9fZa_0lXrDAKP-d",), img_size=(192, 192), window_size=(6, 6, 6, 6),
      arch_kwargs=SWIN_B)
_spec("simmim-swin-l", pretraining="simmim", pretrain_data="ImageNet-1K", family="swin-l", pair_with=None,
      description="SimMIM Swin-L, 800 epochs, 192px, window 12 (stage 4 clipped to 6); no supervised Swin-L "
                  "partner is registered",
      urls=(GDRIVE + "1qDxrTl2YUDB0505_4QrU5LU2R1kKmcBP",), img_size=(192, 192), window_size=(12, 12, 12, 12),
      arch_kwargs=SWIN_L)
_spec("sup-swin-b", pretraining="supervised", pretrain_data="ImageNet-1K", family="swin-b",
      pair_with="simmim-swin-b", description="Supervised Swin-B, ImageNet-1K, 224px, window 7",
      urls=(SWIN_RELEASES + "swin_base_patch4_window7_224.pth",), img_size=(224, 224), window_size=(7, 7, 7, 7),
      arch_kwargs=SWIN_B)
_spec("sup-swin-b-22k", pretraining="supervised", pretrain_data="ImageNet-22K", family="swin-b",
      pair_with="simmim-swin-b", description="Supervised Swin-B, ImageNet-22K, 224px, window 7",
      urls=(SWIN_RELEASES + "swin_base_patch4_window7_224_22k.pth",), img_size=(224, 224),
      window_size=(7, 7, 7, 7), arch_kwargs=SWIN_B)
