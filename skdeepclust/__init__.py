"""skdeepclust: scikit-learn compatible classical and deep clustering."""

from .cluster import PAC, FuzzyCMeans, SphericalKMeans
from .metrics import cluster_accuracy

# The deep estimators import torch (seconds, and most of a process's memory):
# they load on first use, so that the classical estimators do not pay for it.
_DEEP_ESTIMATORS = ("DPACClusterer", "CCClusterer", "C3Clusterer", "CCESClusterer",
                    "PIPCDRClusterer", "BSCICClusterer")


def __getattr__(name):
    if name in _DEEP_ESTIMATORS:
        from . import deep

        return getattr(deep, name)
    raise AttributeError(f"module 'skdeepclust' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_DEEP_ESTIMATORS))

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
