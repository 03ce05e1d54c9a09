"""Backbone registry: SimMIM and supervised encoders with audited checkpoint loading."""
from backbones.build import build_backbone
from backbones.errors import BenchError
from backbones.registry import get_spec, list_backbones, register_backbone

__all__ = ["build_backbone", "get_spec", "list_backbones", "register_backbone", "BenchError"]
