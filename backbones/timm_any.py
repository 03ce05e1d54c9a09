"""`timm:<model name>`: any timm model as a backbone, specced from its pretrained config."""
import difflib
from pathlib import Path

from backbones.core.errors import BenchError
from backbones.spec import IMAGENET_MEAN, IMAGENET_STD, BackboneSpec


def build(spec, img_size, drop_path_rate=0.0):
    """Create the spec's timm model without weights or head, at `img_size` where the model takes one."""
    import timm

    name = spec.arch_kwargs["model_name"]
    try:
        return timm.create_model(name, pretrained=False, num_classes=0, img_size=img_size,
                                 drop_path_rate=drop_path_rate)
    except TypeError:  # models without an img_size argument (CNNs) take any input size
        return timm.create_model(name, pretrained=False, num_classes=0, drop_path_rate=drop_path_rate)


def timm_spec(name: str) -> BackboneSpec:
    """Spec a `timm:<model name>` from timm's pretrained config; raise BenchError if timm has no such model."""
    import timm

    model_name = name[len("timm:"):]
    if not timm.is_model(model_name):
        close = difflib.get_close_matches(model_name, timm.list_models(), n=5)
        raise BenchError(f"unknown timm model {model_name!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                                 else "; see timm.list_models()"))
    cfg = timm.models.get_pretrained_cfg(model_name)
    cfg = cfg.to_dict() if cfg is not None else {}
    urls = ()
    if cfg.get("hf_hub_id"):
        urls = (f"https://huggingface.co/{cfg['hf_hub_id']}/resolve/main/model.safetensors",)
    elif cfg.get("url"):
        urls = (cfg["url"],)
    input_size = cfg.get("input_size", (3, 224, 224))
    return BackboneSpec(
        name=name, arch="timm", builder="backbones.timm_any:build", pretraining=cfg.get("tag") or "timm-default",
        description=f"timm model {model_name}", urls=urls, img_size=tuple(input_size[1:]),
        mean=tuple(cfg.get("mean", IMAGENET_MEAN)), std=tuple(cfg.get("std", IMAGENET_STD)),
        family=Path(model_name).name, arch_kwargs={"model_name": model_name})
