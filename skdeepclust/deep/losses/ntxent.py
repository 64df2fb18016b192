"""NT-Xent, the SimCLR contrastive loss, and its one-directional building block."""

import torch
import torch.nn.functional as F

from ._base import TemperatureLoss


def contrastive_terms(anchors, same_view, other_view, temperature, decoupled=False):
    """Per-anchor InfoNCE terms with the positive in the other view.

    For anchor ``a_i`` (cosine similarities ``s``)::

        l_i = -log exp(s(a_i, o_i)/tau) / (sum_{j != i} exp(s(a_i, v_j)/tau)
                                           + sum_{j [!= i]} exp(s(a_i, o_j)/tau))

    with ``v`` the anchors' own view and ``o`` the other view; ``decoupled``
    leaves the positive out of the denominator (the ``j != i`` in brackets),
    as CCES prints its Eq. 1, 3 and 7. With ``anchors is same_view`` this is
    SimCLR's term; CCES passes nearest-neighbour features as anchors, and
    Contrastive Clustering passes the columns of the assignment matrices.

    Parameters
    ----------
    anchors, same_view, other_view : Tensor of shape (B, D)
        Normalised inside.
    temperature : float
    decoupled : bool, default=False

    Returns
    -------
    terms : Tensor of shape (B,)
    """
    anchors = F.normalize(anchors.float(), dim=1)
    same_view = F.normalize(same_view.float(), dim=1)
    other_view = F.normalize(other_view.float(), dim=1)
    eye = torch.eye(anchors.shape[0], dtype=torch.bool, device=anchors.device)
    # (B, D) x (B, D) -> (B, B) each
    logits_same = (anchors @ same_view.T / temperature).masked_fill(eye, float("-inf"))
    logits_other = anchors @ other_view.T / temperature
    positive = logits_other.diagonal()
    if decoupled:
        logits_other = logits_other.masked_fill(eye, float("-inf"))
    log_denominator = torch.logsumexp(torch.cat([logits_same, logits_other], dim=1), dim=1)
    # A single decoupled anchor (one sample, or one cluster column) has no
    # negative at all: there is nothing to contrast, and its term is zero.
    return torch.where(torch.isfinite(log_denominator), log_denominator - positive,
                       torch.zeros_like(positive))


class NTXentLoss(TemperatureLoss):
    """Normalised-temperature cross-entropy over two views (SimCLR).

    For 2B embeddings (both views of B samples), each one's positive is the
    other view of its sample and its negatives are the other 2B - 2::

        l_i = -log exp(s_{i,p(i)} / tau) / sum_{j != i} exp(s_ij / tau)

    with ``s`` the cosine similarity, averaged over the 2B anchors
    (Chen et al., "A Simple Framework for Contrastive Learning of Visual
    Representations", ICML 2020, Eq. 1). Contrastive Clustering uses it as its
    instance-level loss (tau = 0.5) and, on the columns of the two views'
    assignment matrices, as its cluster-level loss (tau = 1).

    Parameters
    ----------
    temperature : float, default=0.5
        tau: the similarities are divided by it before the softmax.

    Examples
    --------
    >>> import torch
    >>> loss = NTXentLoss(0.5)
    >>> z = torch.randn(8, 16)
    >>> bool(loss(z, z) < loss(z, torch.randn(8, 16)))
    True
    """

    def __init__(self, temperature=0.5):
        super().__init__(temperature)

    def forward(self, z_a, z_b):
        """Loss of two (B, D) batches of embeddings (normalised inside)."""
        if z_a.shape != z_b.shape:
            raise ValueError(f"z_a and z_b shapes differ: {z_a.shape} and {z_b.shape}.")
        forward = contrastive_terms(z_a, z_a, z_b, self.temperature)
        backward = contrastive_terms(z_b, z_b, z_a, self.temperature)
        return 0.5 * (forward.mean() + backward.mean())
