"""Backbone registry: SimMIM and supervised encoders with audited checkpoint loading.

Public API (imported lazily so `bench --help` stays fast): build_backbone, register_backbone, list_backbones,
get_spec, BenchError."""
import importlib

_EXPORTS = {"build_backbone": "backbones.build", "get_spec": "backbones.registry",
            "list_backbones": "backbones.registry", "register_backbone": "backbones.registry",
            "BenchError": "backbones.core.errors"}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'backbones' has no attribute {name!r}")
