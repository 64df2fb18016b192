"""Deep clustering estimators trained with PyTorch through skorch."""

from . import methods
from ._base import BaseDeepClusterer
from ._net import DeepClusteringNet, TrainingDiverged
from .callbacks import ClusteringScore
from .methods import *  # noqa: F403 (the six estimators, listed in methods.__all__)

__all__ = [
    "BaseDeepClusterer",
    "DeepClusteringNet",
    "TrainingDiverged",
    "ClusteringScore",
    *methods.__all__,
]
