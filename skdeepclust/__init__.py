"""skdeepclust: scikit-learn compatible classical and deep clustering."""

from .cluster import PAC, FuzzyCMeans, SphericalKMeans
from .deep import (
    BSCICClusterer,
    C3Clusterer,
    CCClusterer,
    CCESClusterer,
    DPACClusterer,
    PIPCDRClusterer,
)
from .metrics import cluster_accuracy

__version__ = "0.1.0"

__all__ = [
    "PAC",
    "FuzzyCMeans",
    "SphericalKMeans",
    "DPACClusterer",
    "CCClusterer",
    "C3Clusterer",
    "CCESClusterer",
    "PIPCDRClusterer",
    "BSCICClusterer",
    "cluster_accuracy",
    "__version__",
]
