"""mmengine optimizer-wrapper constructor with layer-wise LR decay for any registry backbone (ViT and Swin names
alike, via backbones.layer_decay) and no weight decay on norms, biases, tokens and position tables."""
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

from backbones.features import FeatureBackbone
from backbones.layer_decay import layer_id, num_layers

NO_DECAY_NAMES = ("pos_embed", "cls_token", "relative_position_bias_table", "logit_scale", "mask_token",
                  "absolute_pos_embed")


def no_weight_decay(name, param) -> bool:
    return param.ndim <= 1 or name.endswith(".bias") or any(n in name for n in NO_DECAY_NAMES)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayConstructor(DefaultOptimWrapperConstructor):
    """paramwise_cfg: `layer_decay_rate` (1.0 = none). Head/neck parameters train at the base LR."""

    def add_params(self, params, module, prefix="", lr=None):
        rate = float(self.paramwise_cfg.get("layer_decay_rate", 1.0))
        backbones = {name + "." if name else "": m.model for name, m in module.named_modules()
                     if isinstance(m, FeatureBackbone)}
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            owner = next(((p, m) for p, m in backbones.items() if name.startswith(p + "model.")), None)
            if owner:
                rel = name[len(owner[0]) + len("model."):]
                depth = num_layers(owner[1])
                scale = rate ** (depth - layer_id(rel, owner[1]))
            else:
                scale = 1.0
            wd = 0.0 if no_weight_decay(name, param) else self.base_wd
            key = (scale, wd)
            if key not in groups:
                groups[key] = {"params": [], "lr": self.base_lr * scale, "weight_decay": wd, "lr_scale": scale}
            groups[key]["params"].append(param)
        params.extend(groups.values())
