"""The CUDA training path of `bench run`: bf16 autocast (AmpOptimWrapper), fused AdamW, pinned-memory loaders with
persistent workers, channels-last for convolutional backbones, and optional `torch.compile` of the backbone."""
from backbones.spec import BackboneSpec

# transformers (their only conv is the stem) and plug-ins of unknown make keep the default layout
KEEP_LAYOUT_ARCHS = ("swin", "swinv2", "vit", "beit", "plugin")


def cuda_fast_path(cfg, spec: BackboneSpec) -> None:
    """Rewrite a resolved config for a CUDA run (numerics of the recipe unchanged apart from bf16 autocast)."""
    cfg.optim_wrapper.type = "AmpOptimWrapper"
    cfg.optim_wrapper.dtype = "bfloat16"
    optimizer = cfg.optim_wrapper.get("optimizer")
    if optimizer is not None and optimizer.get("type") in ("AdamW", "Adam"):
        optimizer.fused = True
    for loader in (cfg.get("train_dataloader"), cfg.get("test_dataloader")):
        if loader:
            loader.pin_memory = True
            loader.persistent_workers = loader.get("num_workers", 0) > 0
    cfg.bench.channels_last = is_convolutional(spec)


def is_convolutional(spec: BackboneSpec) -> bool:
    """Backbones whose convolutions gain from channels-last (not the transformers, whose only conv is the stem)."""
    if spec.arch in KEEP_LAYOUT_ARCHS:
        return False
    return not any(k in spec.name.lower() for k in ("vit", "swin", "deit", "beit", "eva", "former"))


def prepare_model(model, cfg, compile_backbone: bool) -> dict:
    """Apply channels-last and `torch.compile` to the (unwrapped) model's backbone; returns what was done."""
    import torch

    done = {"compiled": False, "channels_last": False}
    if cfg.get("bench", {}).get("channels_last"):
        model.to(memory_format=torch.channels_last)
        done["channels_last"] = True
    if compile_backbone:
        model.backbone.compile()
        done["compiled"] = True
    return done
