"""DPAC's weighted contrastive loss (Eq. 11)."""

import torch
import torch.nn.functional as F

from ._base import TemperatureLoss


class WeightedContrastiveLoss(TemperatureLoss):
    """Contrastive loss whose negatives are weighted by ``1 - p_i . p_j``.

    Eq. 11 of Yan, Lu & Yan, "Deep Probability Aggregation Clustering"
    (ECCV 2024), for anchors from view a and the other view b::

        l(a, b, P) = -1/B sum_i log exp(z^a_i . z^b_i / tau) / (
                         sum_{j != i} w_ij exp(z^a_i . z^a_j / tau)
                       + sum_j      w_ij exp(z^a_i . z^b_j / tau) ),
        w_ij = 1 - p_i . p_j,

    so that samples predicted to share a cluster stop pushing each other apart.
    The second sum runs over all j, the positive included (as written in the
    paper). With uniform ``p = 1/K`` every weight is ``1 - 1/K`` and the loss
    is SimCLR's plus the constant ``log(1 - 1/K)``. The paper sums over i;
    here it is averaged, which only rescales the gradient.

    The authors' code for this loss is not public; this follows the equation.
    Weights below ``eps`` are clamped there so that a batch in which every
    sample is confidently in one cluster gives a finite loss.

    Parameters
    ----------
    temperature : float, default=0.5
    eps : float, default=1e-6

    Examples
    --------
    >>> import torch
    >>> loss = WeightedContrastiveLoss(0.5)
    >>> z_a, z_b = torch.randn(6, 8), torch.randn(6, 8)
    >>> p = torch.full((6, 3), 1 / 3)
    >>> float(loss(z_a, z_b, p)) > 0
    True
    """

    def __init__(self, temperature=0.5, eps=1e-6):
        super().__init__(temperature)
        self.eps = eps

    def forward(self, z_a, z_b, p):
        """Loss with anchors ``z_a`` (B, D), other view ``z_b`` (B, D) and
        cluster probabilities ``p`` (B, K), which are treated as constants."""
        if z_a.shape != z_b.shape or p.shape[0] != z_a.shape[0]:
            raise ValueError(
                f"Shapes do not match: z_a {tuple(z_a.shape)}, z_b {tuple(z_b.shape)}, "
                f"p {tuple(p.shape)}."
            )
        z_a = F.normalize(z_a.float(), dim=1)
        z_b = F.normalize(z_b.float(), dim=1)
        p = p.detach().float()
        # (B, K) x (B, K) -> (B, B)
        log_w = torch.log((1.0 - p @ p.T).clamp_min(self.eps))
        sim_aa = z_a @ z_a.T / self.temperature  # (B, B)
        sim_ab = z_a @ z_b.T / self.temperature  # (B, B)
        sim_aa = sim_aa.masked_fill(
            torch.eye(z_a.shape[0], dtype=torch.bool, device=z_a.device), float("-inf")
        )
        # log of the weighted denominator, over 2B terms per anchor
        log_denominator = torch.logsumexp(
            torch.cat([sim_aa + log_w, sim_ab + log_w], dim=1), dim=1
        )
        return (log_denominator - sim_ab.diagonal()).mean()
