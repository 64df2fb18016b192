"""Losses, one per file, each a ``torch.nn.Module`` (or function) citing its paper."""

from .c3 import C3Loss, c3_weights
from .cluster_contrastive import ClusterContrastiveLoss, entropy_penalty
from .ntxent import NTXentLoss, contrastive_terms
from .opa import OnlineProbabilityAggregation, kl_to_target, pac_batch_loss
from .weighted_contrastive import WeightedContrastiveLoss

__all__ = [
    "NTXentLoss",
    "contrastive_terms",
    "ClusterContrastiveLoss",
    "entropy_penalty",
    "C3Loss",
    "c3_weights",
    "WeightedContrastiveLoss",
    "OnlineProbabilityAggregation",
    "kl_to_target",
    "pac_batch_loss",
]
