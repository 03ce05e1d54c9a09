"""The backbone registry (one `Registry` of specs): built-in family files, `@register_backbone` plug-ins, entry
points, `--include FILE`, and `timm:<name>` for any timm model."""
from typing import Callable, List, Optional

from backbones.core.errors import BenchError
from backbones.core.registry import Registry, resolve  # noqa: F401  (resolve: the lazy "module:attr" loader)
from backbones.spec import BackboneSpec

# Family modules whose import registers the built-in specs (lazy: imported on first lookup).
BUILTIN_MODULES = ("backbones.swin", "backbones.swinv2", "backbones.vit", "backbones.demo")
ENTRY_POINT_GROUP = "transfer_bench.backbones"


def _timm_fallback(name: str) -> Optional[BackboneSpec]:
    if not name.startswith("timm:"):
        return None
    from backbones.timm_any import timm_spec

    return timm_spec(name)


BACKBONES: Registry[BackboneSpec] = Registry("backbone", BUILTIN_MODULES, ENTRY_POINT_GROUP, _timm_fallback,
                                             hint="or timm:<any timm model name>")


def add_spec(spec: BackboneSpec) -> BackboneSpec:
    """Register a spec; a second, different spec under the same name is an error, not a silent override."""
    if spec.name.startswith("timm:"):
        raise BenchError(f"backbone names starting with 'timm:' are reserved for timm models: {spec.name!r}")
    return BACKBONES.register(spec.name, spec)


def register_backbone(name: str, **spec_fields) -> Callable:
    """Decorator for plug-ins: `fn(img_size, drop_path_rate, **kw)` returns a timm-style model with
    `forward_intermediates` and `feature_info`. Spec fields (mean, std, img_size, pair_with, ...) are keywords."""

    def wrap(fn):
        def builder(spec, **kwargs):
            return fn(**kwargs)

        builder.__qualname__ = getattr(fn, "__qualname__", name)
        add_spec(BackboneSpec(name=name, arch=spec_fields.pop("arch", "plugin"), builder=builder, **spec_fields))
        return fn

    return wrap


def list_backbones() -> List[str]:
    """Names of the registered backbones (timm:<name> aside)."""
    return BACKBONES.names()


def get_spec(name: str) -> BackboneSpec:
    """The spec registered under `name`, or a timm model's spec for `timm:<name>`."""
    return BACKBONES.get(name)
