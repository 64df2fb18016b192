"""C3's cross-instance contrastive loss (Eq. 1-2 with the weights of Eq. 7)."""

import torch
import torch.nn.functional as F
from torch import nn


def c3_weights(similarities, gamma):
    """Eq. 7: ``w_ij = softmax_j(Gamma * (1 - |s_ij|))`` over each row.

    Pairs that are neither very close nor opposite get the largest weights;
    ``gamma = 0`` gives every pair ``1 / (2B)``.

    Parameters
    ----------
    similarities : Tensor of shape (2B, 2B)
    gamma : float
    """
    return torch.softmax(gamma * (1.0 - similarities.abs()), dim=1)


class C3Loss(nn.Module):
    """Cross-instance guided contrastive loss of C3 (Sadeghi et al., BMVC 2023).

    With all 2B embeddings ``z`` of both views on the unit sphere and
    ``s_ij = z_i . z_j`` (no temperature), for every anchor i::

        l_i = -log( sum_{j: s_ij >= zeta} exp(s_ij) / sum_j w_ij exp(s_ij) ),

    where the positives are every pair at least ``zeta`` similar (the anchor
    itself and its other view always count) and ``w`` comes from Eq. 7. The
    sums run over all 2B embeddings, self included, as in Eq. 2 and the
    authors' code; the loss is the mean over the 2B anchors (Eq. 1). With
    ``gamma = 0`` the denominator is the authors' unweighted sum divided by
    2B, so the loss is theirs minus the constant ``log(2B)``.

    Parameters
    ----------
    zeta : float, default=0.6
        Similarity above which two samples are treated as a positive pair.
    gamma : float, default=0.1
        Sharpness of the weights (Gamma in the paper).

    Examples
    --------
    >>> import torch
    >>> loss = C3Loss()
    >>> z = torch.randn(8, 16)
    >>> value, positives = loss(z, z + 0.01 * torch.randn(8, 16), return_positives=True)
    >>> bool(positives >= 2)
    True
    """

    def __init__(self, zeta=0.6, gamma=0.1):
        super().__init__()
        if not -1 <= zeta <= 1:
            raise ValueError(f"zeta should be in [-1, 1], got {zeta}.")
        if gamma < 0:
            raise ValueError(f"gamma should be >= 0, got {gamma}.")
        self.zeta = zeta
        self.gamma = gamma

    def forward(self, z_a, z_b, return_positives=False):
        """Loss of two (B, D) batches of embeddings (normalised inside).

        With ``return_positives=True`` also returns the mean number of
        positives per anchor (the quantity the paper plots in Fig. 6).
        """
        n = z_a.shape[0]
        z = F.normalize(torch.cat([z_a, z_b]).float(), dim=1)
        similarities = z @ z.T  # (2B, 2B)
        same_sample = torch.eye(n, dtype=torch.bool, device=z.device).repeat(2, 2)
        positive = (similarities >= self.zeta) | same_sample
        log_numerator = torch.logsumexp(
            similarities.masked_fill(~positive, float("-inf")), dim=1)
        weights = c3_weights(similarities.detach(), self.gamma)
        log_denominator = torch.logsumexp(similarities + torch.log(weights), dim=1)
        loss = (log_denominator - log_numerator).mean()
        if return_positives:
            return loss, positive.sum(dim=1).float().mean()
        return loss
