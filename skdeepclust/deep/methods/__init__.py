"""Deep clustering methods: thin assemblies of backbones, heads, views and losses."""

from .dpac import DPACClusterer

__all__ = ["DPACClusterer"]
