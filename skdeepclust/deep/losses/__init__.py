"""Losses, one per file, each a ``torch.nn.Module`` (or function) citing its paper."""

from .bscic import (
    assignment_kl,
    cluster_correlation_loss,
    critic_loss,
    critic_steps,
    generator_loss,
    gradient_penalty,
    make_critic,
    sample_one_hot_prior,
)
from .byol import PIPLoss, byol_loss, nearest_other
from .c3 import C3Loss, c3_weights
from .cdr import ClusterDispersionLoss
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
    "byol_loss",
    "nearest_other",
    "PIPLoss",
    "ClusterDispersionLoss",
    "assignment_kl",
    "sample_one_hot_prior",
    "gradient_penalty",
    "critic_loss",
    "critic_steps",
    "generator_loss",
    "make_critic",
    "cluster_correlation_loss",
]
