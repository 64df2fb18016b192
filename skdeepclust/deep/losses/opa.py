"""Online probability aggregation (DPAC, Alg. 2) and the J_pac batch loss."""

import torch
import torch.nn.functional as F
from torch import nn


def cosine_distances(features):
    """(B, B) matrix ``1 - cos(h_i, h_j)`` with a zero diagonal."""
    h = F.normalize(features, dim=1)
    distances = (1.0 - h @ h.T).clamp_min(0.0)
    distances.fill_diagonal_(0.0)
    return distances


class OnlineProbabilityAggregation(nn.Module):
    """Target memberships Q from one PAC update on the batch (Alg. 2, Eq. 9).

    ``S = D P`` aggregates the predicted memberships ``P`` (B, K) of the batch
    through the cosine-distance matrix ``D`` of the backbone features (zero
    diagonal), and ``q_ik = s_ik^(-alpha) / sum_r s_ir^(-alpha)`` with
    ``alpha = 1 / (m - 1)``: exactly the update PAC's Eq. 8 gives each sample
    against the others' memberships. Computed without gradient, in float64 and
    in the log domain (alpha = 33 for m = 1.03), as in the authors' code.
    Cosine distances on normalised features are half the squared Euclidean
    ones, and the factor cancels in the normalisation.

    Parameters
    ----------
    m : float, default=1.03
        Weighting exponent, > 1.

    Examples
    --------
    >>> import torch
    >>> opa = OnlineProbabilityAggregation(1.03)
    >>> h = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> p = torch.tensor([[0.6, 0.4], [0.5, 0.5], [0.4, 0.6], [0.5, 0.5]])
    >>> opa(h, p).argmax(1).tolist()
    [0, 0, 1, 1]
    """

    def __init__(self, m=1.03):
        super().__init__()
        if m <= 1:
            raise ValueError(f"m should be > 1, got {m}.")
        self.m = m

    @torch.no_grad()
    def forward(self, features, probabilities):
        distances = cosine_distances(features.double())
        # (B, B) x (B, K) -> (B, K)
        scores = distances @ probabilities.double()
        log_q = -torch.log(scores.clamp_min(1e-300)) / (self.m - 1.0)
        return torch.softmax(log_q, dim=1).to(probabilities.dtype)


def kl_to_target(target, logits):
    """``KL(Q || softmax(logits))`` averaged over the batch (Eq. 10).

    Parameters
    ----------
    target : Tensor of shape (B, K)
        Target memberships Q (no gradient flows into them).
    logits : Tensor of shape (B, K)
        Cluster-head outputs.
    """
    log_p = F.log_softmax(logits.float(), dim=1)
    target = target.detach().float()
    return F.kl_div(log_p, target, reduction="batchmean")


def pac_batch_loss(features, probabilities):
    """Batch version of PAC's objective, ``Tr(P^T D P) / B`` (Eq. 13).

    ``D`` is the cosine-distance matrix of the (detached) features, as in the
    authors' ``pac_loss``; gradients reach the memberships only.
    """
    distances = cosine_distances(features.detach().float())
    p = probabilities.float()
    # sum_ij (p_i . p_j) d_ij
    return (distances * (p @ p.T)).sum() / p.shape[0]
