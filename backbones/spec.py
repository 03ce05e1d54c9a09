"""A backbone spec is data: architecture, pretraining, download URLs, geometry, normalisation, MIM<->SUP pairing."""
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Optional, Tuple

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Reason(str, Enum):
    """Why a checkpoint tensor was dropped or a model tensor was not loaded (the enumerated audit reasons)."""

    SIMMIM_DECODER = "simmim-decoder"          # pre-training reconstruction head, not part of the encoder
    MASK_TOKEN = "mask-token"                  # pre-training [MASK] embedding
    CLASSIFIER_HEAD = "classifier-head"        # ImageNet classifier / pooled-head norm
    REBUILT_BUFFER = "buffer-rebuilt-by-model"  # index tables and attention masks recomputed for the new geometry
    NOT_IN_MODEL = "not-in-model"              # checkpoint tensor with no counterpart: wrong layout?
    SHAPE_MISMATCH = "shape-mismatch"          # same name, incompatible shape and no resize rule
    NOT_IN_CHECKPOINT = "not-in-checkpoint"    # model tensor the checkpoint does not provide: stays at random init


DEFAULT_ALLOWED = (Reason.SIMMIM_DECODER, Reason.MASK_TOKEN, Reason.CLASSIFIER_HEAD, Reason.REBUILT_BUFFER)


@dataclass(frozen=True)
class BackboneSpec:
    """A registered backbone: how to build it, what it was pre-trained on, its native geometry and partner."""

    name: str
    arch: str                                  # swin | swinv2 | beit | vit | timm | plugin
    builder: object                            # "module:function" (lazy) or a callable(spec, **build_kwargs)
    pretraining: str = "none"                  # simmim | supervised | none | timm-default | ...
    pretrain_data: str = ""
    description: str = ""
    urls: Tuple[str, ...] = ()
    sha256: Optional[str] = None               # pinned checksum; otherwise recorded on first download
    img_size: Tuple[int, int] = (224, 224)
    window_size: Optional[Tuple[int, ...]] = None          # per stage, as pretrained
    pretrained_window_sizes: Optional[Tuple[int, ...]] = None  # SwinV2 continuous position bias reference
    mean: Tuple[float, float, float] = IMAGENET_MEAN
    std: Tuple[float, float, float] = IMAGENET_STD
    family: str = ""                           # architecture family used to pair MIM vs supervised rows
    pair_with: Optional[str] = None            # the partner spec's name; None means "no partner"
    hierarchical: bool = True                  # multi-scale stages (Swin) vs one stride-16 map (ViT)
    arch_kwargs: dict = field(default_factory=dict)
    checkpoint_filter: object = "backbones.checkpoint:identity_filter"
    allowed_reasons: Tuple[Reason, ...] = DEFAULT_ALLOWED

    @property
    def family_keys(self) -> Tuple[str, ...]:
        """Keys for per-family recipe values, most specific first, e.g. ('simmim-swinv2-l', 'swinv2-l', 'swinv2',
        'default'): the spec's own name, then its group and size (ViT and BEiT are one group, 'vit'; the size comes
        from `family`, 'swinv2-l' -> 'l'), then the group."""
        group = "vit" if self.arch in ("vit", "beit") else self.arch
        size = self.family.rsplit("-", 1)[-1] if "-" in self.family else ""
        sized = (f"{group}-{size}",) if size in ("t", "s", "b", "l", "h", "g") else ()
        return (self.name,) + sized + (group, "default")

    def pick(self, values):
        """The entry of a per-family mapping (a dict with a 'default' key) for this backbone; any other value is
        returned as it is."""
        if not isinstance(values, dict) or "default" not in values:
            return values
        return next((values[k] for k in self.family_keys if k in values), None)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["builder"] = self.builder if isinstance(self.builder, str) else getattr(self.builder, "__qualname__", "?")
        d["checkpoint_filter"] = (self.checkpoint_filter if isinstance(self.checkpoint_filter, str)
                                  else getattr(self.checkpoint_filter, "__qualname__", "?"))
        d["allowed_reasons"] = [r.value for r in self.allowed_reasons]
        d["pair_with"] = self.pair_with or "none (no partner)"
        return d
