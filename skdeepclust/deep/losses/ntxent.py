"""NT-Xent, the SimCLR contrastive loss."""

import torch
import torch.nn.functional as F
from torch import nn


class NTXentLoss(nn.Module):
    """Normalised-temperature cross-entropy over two views (SimCLR).

    For 2B embeddings (both views of B samples), each one's positive is the
    other view of its sample and its negatives are the other 2B - 2::

        l_i = -log exp(s_{i,p(i)} / tau) / sum_{j != i} exp(s_ij / tau)

    with ``s`` the cosine similarity, averaged over the 2B anchors
    (Chen et al., "A Simple Framework for Contrastive Learning of Visual
    Representations", ICML 2020, Eq. 1). Contrastive Clustering uses it as its
    instance-level loss with tau = 0.5.

    Parameters
    ----------
    temperature : float, default=0.5

    Examples
    --------
    >>> import torch
    >>> loss = NTXentLoss(0.5)
    >>> z = torch.randn(8, 16)
    >>> bool(loss(z, z) < loss(z, torch.randn(8, 16)))
    True
    """

    def __init__(self, temperature=0.5):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature should be > 0, got {temperature}.")
        self.temperature = temperature

    def forward(self, z_a, z_b):
        """Loss of two (B, D) batches of embeddings (normalised inside)."""
        if z_a.shape != z_b.shape:
            raise ValueError(f"z_a and z_b shapes differ: {z_a.shape} and {z_b.shape}.")
        n = z_a.shape[0]
        z = F.normalize(torch.cat([z_a, z_b]).float(), dim=1)
        # (2B, D) x (2B, D) -> (2B, 2B)
        logits = z @ z.T / self.temperature
        logits.fill_diagonal_(float("-inf"))
        targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
        return F.cross_entropy(logits, targets)
