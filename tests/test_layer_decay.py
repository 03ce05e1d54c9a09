import pytest

from backbones import build_backbone
from backbones.layer_decay import layer_id, num_layers


def test_vit_and_swin_layer_ids():
    vit = build_backbone("simmim-vit-b", img_size=(32, 32)).model
    assert num_layers(vit) == 13
    assert layer_id("patch_embed.proj.weight", vit) == 0
    assert layer_id("blocks.0.attn.qkv.weight", vit) == 1
    assert layer_id("blocks.11.mlp.fc2.bias", vit) == 12
    assert layer_id("norm.weight", vit) == 13
    swin = build_backbone("timm:swin_tiny_patch4_window7_224", img_size=(64, 64)).model  # depths 2,2,6,2
    assert num_layers(swin) == 13
    assert layer_id("layers.0.blocks.1.attn.qkv.weight", swin) == 2
    assert layer_id("layers.2.blocks.0.norm1.weight", swin) == 5
    # SimMIM's get_swin_layer: the merging that ends stage 1 (timm: layers.2.downsample) shares stage 1's last id
    assert layer_id("layers.2.downsample.reduction.weight", swin) == 4
    assert layer_id("layers.3.blocks.1.mlp.fc1.weight", swin) == 12
    assert layer_id("norm.weight", swin) == 13


def test_constructor_scales_lr_by_depth():
    from mmengine.optim import build_optim_wrapper
    from torch import nn

    import bench.tasks.shared.optim  # noqa: F401

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = build_backbone("timm:swin_tiny_patch4_window7_224", img_size=(64, 64))
            self.head = nn.Conv2d(768, 4, 1)

    model = Model()
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type="AdamW", lr=1.0, weight_decay=0.05),
                                              constructor="LayerDecayConstructor",
                                              paramwise_cfg=dict(layer_decay_rate=0.5)))
    lr_of = {}
    for group in wrapper.optimizer.param_groups:
        for p in group["params"]:
            lr_of[id(p)] = (group["lr"], group["weight_decay"])
    named = dict(model.named_parameters())
    assert lr_of[id(named["head.weight"])] == (1.0, 0.05)
    assert lr_of[id(named["backbone.model.patch_embed.proj.weight"])][0] == pytest.approx(0.5 ** 13)
    assert lr_of[id(named["backbone.model.layers.3.blocks.1.mlp.fc1.weight"])][0] == pytest.approx(0.5)
    assert lr_of[id(named["backbone.model.layers.0.blocks.0.norm1.weight"])][1] == 0.0  # no decay on norms
    assert len(lr_of) == len(named)
