"""`build_backbone`: spec -> timm model -> audited weights -> FeatureBackbone."""
from typing import Optional, Sequence, Union

from backbones.audit import apply_entries
from backbones.checkpoint import read_checkpoint, unwrap_state_dict
from backbones.core.io import sha256_file
from backbones.core.errors import BenchError
from backbones.features import FeatureBackbone
from backbones.registry import get_spec, resolve


def _window_arg(window_size):
    if window_size is None or isinstance(window_size, int):
        return window_size
    window_size = tuple(int(w) for w in window_size)
    return window_size[0] if len(window_size) == 1 else window_size


def build_model(spec, img_size=None, window_size=None, drop_path_rate: float = 0.0, dynamic_img_size=False,
                shared_rel_pos_bias=False):
    """The bare timm (or plug-in) model for a spec, randomly initialised. `dynamic_img_size` (Swin / SwinV2 only)
    accepts any input size, building attention masks per forward (detection's variable image sizes);
    `shared_rel_pos_bias` (SimMIM ViT only) one relative position table for all blocks, as in pre-training."""
    img_size = tuple(img_size) if img_size is not None else tuple(spec.img_size)
    kwargs = {"img_size": img_size, "drop_path_rate": drop_path_rate}
    if shared_rel_pos_bias:
        if spec.arch != "beit":
            raise BenchError(f"a shared relative position bias is SimMIM ViT's (beit); {spec.name} is {spec.arch}")
        kwargs["shared_rel_pos_bias"] = True
    if dynamic_img_size:
        if spec.arch not in ("swin", "swinv2"):
            raise BenchError(f"{spec.name} ({spec.arch}) needs a fixed input size; only Swin backbones are dynamic")
        kwargs["dynamic_img_size"] = True
    window = _window_arg(window_size)
    if window is not None:
        if spec.arch not in ("swin", "swinv2"):
            raise BenchError(f"--window applies to Swin backbones only; {spec.name} is {spec.arch}")
        kwargs["window_size"] = window
    try:
        return resolve(spec.builder)(spec, **kwargs)
    except (AssertionError, ValueError, RuntimeError) as exc:
        raise BenchError(f"cannot build {spec.name} at img_size={img_size}, window={window}: {exc}") from None


def probe_features(spec, img_size=None, window_size=None):
    """[(channels, stride)] of every feature level, from a model built on the meta device (no memory, no init)."""
    import torch

    with torch.device("meta"):
        model = build_model(spec, img_size=img_size, window_size=window_size)
    return [(f["num_chs"], f["reduction"]) for f in model.feature_info]


def load_weights(backbone: FeatureBackbone, weights, allow_missing: bool = False, sha256: Optional[str] = None):
    """Load `weights` ('auto' or a path) into `backbone.model` through the audit; returns the LoadAudit. `sha256`:
    the file's checksum when the caller has it already (it is not read twice)."""
    spec = backbone.spec
    if weights == "auto":
        from backbones.download import fetch_weights

        path = fetch_weights(spec)
    else:
        path = weights
    raw = read_checkpoint(path)
    state = unwrap_state_dict(raw)
    del raw
    entries = resolve(spec.checkpoint_filter)(state, backbone.model, spec)
    audit = apply_entries(backbone.model, entries, checkpoint=str(path), sha256=sha256 or sha256_file(path),
                          n_tensors=len(state), allowed=spec.allowed_reasons, allow_missing=allow_missing)
    backbone.load_audit = audit
    return audit


def build_backbone(name: str, weights: Optional[str] = None, img_size: Optional[Sequence[int]] = None,
                   window_size: Union[None, int, Sequence[int]] = None, out_indices: Optional[Sequence[int]] = None,
                   drop_path_rate: float = 0.0, frozen_stages: int = -1, allow_missing: bool = False,
                   reinit_last_layers: int = 0, dynamic_img_size: bool = False,
                   weights_sha256: Optional[str] = None, out_norms: bool = False,
                   drop_last_layers: int = 0) -> FeatureBackbone:
    """Build a registered backbone. `weights`: None (random init), a checkpoint path, or "auto" (official URL,
    cached, sha256-checked). The result's `load_audit` says what arrived; a failing audit raises BenchError.
    `reinit_last_layers=k` re-initialises the last k blocks after loading, `drop_last_layers=k` removes them (the
    two readings of the seed paper's diversity ablation)."""
    spec = get_spec(name)
    model = build_model(spec, img_size, window_size, drop_path_rate, dynamic_img_size)
    backbone = FeatureBackbone(model, spec, out_indices=out_indices, frozen_stages=frozen_stages,
                               out_norms=out_norms)
    if weights is not None:
        load_weights(backbone, weights, allow_missing=allow_missing, sha256=weights_sha256)
    try:
        if reinit_last_layers:
            backbone.reinit_last_layers(reinit_last_layers)
        if drop_last_layers:
            backbone.drop_last_layers(drop_last_layers)
    except ValueError as exc:
        raise BenchError(str(exc)) from None
    return backbone
