"""mmengine optimizer-wrapper constructor with layer-wise LR decay for any registry backbone, by the layer-id rule
of the recipe reproduced (backbones.layer_decay: vitpose, simmim, glp, timm), and one weight-decay exemption rule
for every protocol: 1-D parameters (norms, biases, q/v biases, layer-scale gammas), biases, position tables and
the SwinV2 position-bias MLP, tokens and logit scales. Each group records its `lr_scale` (schedules keep it)."""
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

from backbones.features import FeatureBackbone
from backbones.layer_decay import default_rule, layer_ids
from bench.tasks.shared.schedules import register_schedulers

# names exempt from weight decay whatever their shape (the union of the official lists: ViTPose pos_embed;
# SimMIM / Swin-Transformer absolute_pos_embed, relative_position_bias_table, cpb_mlp, logit_scale, mask_token;
# PCT / MIM-Depth-Estimation rpe_mlp (= cpb_mlp), logit_scale, relative_position_bias_table)
NO_DECAY_NAMES = ("pos_embed", "cls_token", "relative_position_bias_table", "logit_scale", "mask_token",
                  "absolute_pos_embed", "cpb_mlp", "rel_pos_bias")
NO_DECAY_RULE = "1-D params, biases, " + ", ".join(NO_DECAY_NAMES)


def no_weight_decay(name, param) -> bool:
    """Whether `name` trains without weight decay (see NO_DECAY_NAMES)."""
    return param.ndim <= 1 or name.endswith(".bias") or any(n in name for n in NO_DECAY_NAMES)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayConstructor(DefaultOptimWrapperConstructor):
    """paramwise_cfg: `layer_decay_rate` (1.0 = none) and `layer_decay_rule` (default: the backbone's own, see
    backbones.layer_decay.default_rule). Head / neck parameters train at the base LR."""

    def add_params(self, params, module, prefix="", lr=None):
        """One group per (LR scale, weight decay)."""
        rate = float(self.paramwise_cfg.get("layer_decay_rate", 1.0))
        rule = self.paramwise_cfg.get("layer_decay_rule")
        scales = {}
        for name, m in module.named_modules():
            if isinstance(m, FeatureBackbone):
                ids, top = layer_ids(m.model, rule or default_rule(m.model))
                base = f"{name}.model." if name else "model."
                scales.update({base + p: rate ** (top - i) for p, i in ids.items()})
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            scale = scales.get(name, 1.0)
            wd = 0.0 if no_weight_decay(name, param) else self.base_wd
            if (scale, wd) not in groups:
                groups[(scale, wd)] = {"params": [], "lr": self.base_lr * scale, "weight_decay": wd,
                                       "lr_scale": scale}
            groups[(scale, wd)]["params"].append(param)
        params.extend(groups.values())


register_schedulers()
