"""Basics shared by `backbones` and `bench` (which imports `backbones`, never the other way round): the one
user-facing exception, cache locations, the generic lazy registry, atomic file writes."""
