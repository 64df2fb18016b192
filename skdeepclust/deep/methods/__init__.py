"""Deep clustering methods: thin assemblies of backbones, heads, views and losses."""

from .cc import C3Clusterer, CCClusterer
from .cces import CCESClusterer
from .dpac import DPACClusterer

__all__ = ["DPACClusterer", "CCClusterer", "C3Clusterer", "CCESClusterer"]
