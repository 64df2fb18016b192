"""skdeepclust: scikit-learn compatible classical and deep clustering."""

from .cluster import PAC, FuzzyCMeans, SphericalKMeans  # noqa: F401 (in __all__)
from .metrics import cluster_accuracy

_CLASSICAL_ESTIMATORS = ("PAC", "FuzzyCMeans", "SphericalKMeans")
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


def all_estimators(kind=None):
    """The library's public estimators, as scikit-learn's ``all_estimators``.

    Parameters
    ----------
    kind : {"classical", "deep"}, default=None
        Only the classical (numba) or only the deep (PyTorch) estimators;
        None gives all nine. Asking for deep estimators imports torch.

    Returns
    -------
    estimators : list of (str, type)
        Class names and classes, classical estimators first.

    Examples
    --------
    >>> from skdeepclust import all_estimators
    >>> [name for name, _ in all_estimators("classical")]
    ['PAC', 'FuzzyCMeans', 'SphericalKMeans']
    """
    groups = {"classical": _CLASSICAL_ESTIMATORS, "deep": _DEEP_ESTIMATORS}
    if kind is not None and kind not in groups:
        raise ValueError(f"kind must be 'classical', 'deep' or None, got {kind!r}.")
    names = groups[kind] if kind is not None else _CLASSICAL_ESTIMATORS + _DEEP_ESTIMATORS
    module = globals()
    return [(name, module[name] if name in module else __getattr__(name)) for name in names]


__version__ = "0.1.0"

__all__ = [
    *_CLASSICAL_ESTIMATORS,
    *_DEEP_ESTIMATORS,
    "all_estimators",
    "cluster_accuracy",
    "__version__",
]
