"""A tiny Swin for the offline demo (`bench demo`): three names for one architecture, so its SimMIM, supervised
and random-init variants are separate leaderboard rows with a MIM <-> supervised pairing. Weights come from the
demo's own pre-training runs (`--weights PATH`); there is nothing to download."""
from backbones.registry import add_spec
from backbones.spec import BackboneSpec

TINY_SWIN = dict(embed_dim=32, depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8), patch_size=4)
_COMMON = dict(arch="swin", builder="backbones.swin:build", checkpoint_filter="backbones.swin:checkpoint_filter_fn",
               family="demo-swin", img_size=(64, 64), window_size=(4, 4, 4, 4), arch_kwargs=TINY_SWIN)

add_spec(BackboneSpec(name="demo-simmim", pretraining="simmim", pretrain_data="demo toy images",
                      pair_with="demo-supervised", description="tiny Swin (1.4M), SimMIM-pre-trained by bench demo",
                      **_COMMON))
add_spec(BackboneSpec(name="demo-supervised", pretraining="supervised", pretrain_data="demo toy labels",
                      pair_with="demo-simmim", description="tiny Swin, supervised on coarse toy labels by bench demo",
                      **_COMMON))
add_spec(BackboneSpec(name="demo-random", pretraining="none", description="tiny Swin, random init (demo baseline)",
                      **_COMMON))
