"""Classical clustering estimators with numba kernels."""

from ._fuzzy_cmeans import FuzzyCMeans
from ._pac import PAC
from ._spherical_kmeans import SphericalKMeans

__all__ = ["PAC", "FuzzyCMeans", "SphericalKMeans"]
