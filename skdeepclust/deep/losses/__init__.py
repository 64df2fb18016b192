"""Losses, one per file, each a ``torch.nn.Module`` (or function) citing its paper."""

from .ntxent import NTXentLoss
from .opa import OnlineProbabilityAggregation, kl_to_target, pac_batch_loss
from .weighted_contrastive import WeightedContrastiveLoss

__all__ = [
    "NTXentLoss",
    "WeightedContrastiveLoss",
    "OnlineProbabilityAggregation",
    "kl_to_target",
    "pac_batch_loss",
]
