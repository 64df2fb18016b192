"""Deep clustering estimators trained with PyTorch through skorch."""

from ._base import BaseDeepClusterer
from ._net import DeepClusteringNet, TrainingDiverged
from .callbacks import ClusteringScore
from .methods import (
    BSCICClusterer,
    C3Clusterer,
    CCClusterer,
    CCESClusterer,
    DPACClusterer,
    PIPCDRClusterer,
)

__all__ = [
    "BaseDeepClusterer",
    "DeepClusteringNet",
    "TrainingDiverged",
    "ClusteringScore",
    "DPACClusterer",
    "CCClusterer",
    "C3Clusterer",
    "CCESClusterer",
    "PIPCDRClusterer",
    "BSCICClusterer",
]
