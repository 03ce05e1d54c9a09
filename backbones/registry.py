"""One registry of backbone specs: built-in family files, `@register_backbone` plug-ins, entry points, `timm:<name>`."""
import difflib
import importlib
import importlib.util
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable, Dict, List

from backbones.errors import BenchError
from backbones.spec import BackboneSpec

# Family modules whose import registers the built-in specs (lazy: imported on first lookup).
BUILTIN_MODULES = ("backbones.swin", "backbones.swinv2", "backbones.vit", "backbones.demo")
ENTRY_POINT_GROUP = "transfer_bench.backbones"

_REGISTRY: Dict[str, BackboneSpec] = {}
_loaded = False


def add_spec(spec: BackboneSpec) -> BackboneSpec:
    """Register a spec; a second spec under the same name is an error, not a silent override."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] != spec:
        raise BenchError(f"backbone {spec.name!r} is registered twice; rename one of them")
    if spec.name.startswith("timm:"):
        raise BenchError(f"backbone names starting with 'timm:' are reserved for timm models: {spec.name!r}")
    _REGISTRY[spec.name] = spec
    return spec


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


def _load_all():
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()  # importing the module registers its backbones; a callable is called once
        if callable(obj) and not isinstance(obj, type):
            obj()


def include_file(path) -> None:
    """Import a user Python file so its `@register_backbone` decorators run (`bench --include FILE`)."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"--include {path}: no such file; pass the path of a .py file that registers backbones")
    _load_all()
    spec = importlib.util.spec_from_file_location(f"bench_plugin_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def list_backbones() -> List[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_spec(name: str) -> BackboneSpec:
    _load_all()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name.startswith("timm:"):
        from backbones.timm_any import timm_spec

        return timm_spec(name)
    close = difflib.get_close_matches(name, _REGISTRY, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise BenchError(f"unknown backbone {name!r}.{hint} Known: {', '.join(sorted(_REGISTRY))}, "
                     "or timm:<any timm model name>")


def resolve(obj):
    """Turn a lazy "module:attr" string into the object it names."""
    if not isinstance(obj, str):
        return obj
    module, _, attr = obj.partition(":")
    return getattr(importlib.import_module(module), attr)
