"""OpenMMLab bridge: `dict(type='TransferBackbone', name=..., weights=...)` in mmpose, mmdet and mmseg configs."""
from mmengine.model import BaseModule

from backbones.build import build_backbone


class TransferBackbone(BaseModule):
    """Any registered backbone as an OpenMMLab backbone; weights are loaded (and audited) at construction."""

    def __init__(self, name, weights=None, img_size=None, window_size=None, out_indices=None,
                 drop_path_rate=0.0, frozen_stages=-1, allow_missing=False, reinit_last_layers=0,
                 dynamic_img_size=False, weights_sha256=None, out_norms=False, drop_last_layers=0, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = build_backbone(name, weights=weights, img_size=img_size, window_size=window_size,
                                       out_indices=out_indices, drop_path_rate=drop_path_rate,
                                       frozen_stages=frozen_stages, allow_missing=allow_missing,
                                       reinit_last_layers=reinit_last_layers, dynamic_img_size=dynamic_img_size,
                                       weights_sha256=weights_sha256, out_norms=out_norms,
                                       drop_last_layers=drop_last_layers)
        self.out_channels = self.backbone.out_channels
        self.out_strides = self.backbone.out_strides
        self.load_audit = self.backbone.load_audit

    def init_weights(self):
        """Pretrained weights arrived at construction through the audit; mmengine's init must not overwrite
        them (nor the backbone's own init when there are none)."""
        self._is_init = True

    def forward(self, x):
        return self.backbone(x)


def register_all():
    """Register TransferBackbone in every installed OpenMMLab model registry (idempotent)."""
    import importlib

    for scope in ("mmpose", "mmdet", "mmseg"):
        registry = importlib.import_module(f"{scope}.registry").MODELS
        if "TransferBackbone" not in registry.module_dict:
            registry.register_module(module=TransferBackbone)


register_all()
