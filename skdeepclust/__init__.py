"""skdeepclust: scikit-learn compatible classical and deep clustering."""

from .cluster import PAC, FuzzyCMeans, SphericalKMeans
from .deep import DPACClusterer
from .metrics import cluster_accuracy

__version__ = "0.1.0"

__all__ = [
    "PAC",
    "FuzzyCMeans",
    "SphericalKMeans",
    "DPACClusterer",
    "cluster_accuracy",
    "__version__",
]
