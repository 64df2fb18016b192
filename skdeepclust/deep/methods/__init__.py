"""Deep clustering methods: thin assemblies of backbones, heads, views and losses."""

from .bscic import BSCICClusterer
from .c3 import C3Clusterer
from .cc import CCClusterer
from .cces import CCESClusterer
from .dpac import DPACClusterer
from .pipcdr import PIPCDRClusterer

__all__ = ["DPACClusterer", "CCClusterer", "C3Clusterer", "CCESClusterer",
           "PIPCDRClusterer", "BSCICClusterer"]
