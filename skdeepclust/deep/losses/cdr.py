"""PIPCDR's cluster dispersion regulariser (Eq. 7)."""

import torch
import torch.nn.functional as F

from ._base import TemperatureLoss


class ClusterDispersionLoss(TemperatureLoss):
    """Supervised-contrastive loss with pseudo-labels, alignment and uniformity split.

    For an online embedding ``o_i`` of view a (unit norm), with target
    embeddings ``t^a, t^b`` of both views and pseudo-labels ``y``::

        l_i = - (o_i . t^b_i + sum_{k in P(i), k != i} sum_{c in a,b} o_i . t^c_k)
                / ((2 |P(i)| - 1) tau)
              + log sum_{j not in P(i)} sum_{c in a,b} exp(o_i . t^c_j / tau),

    with ``P(i)`` the batch samples of i's cluster (PIPCDR, Eq. 7). Extra
    target embeddings from a memory queue, with their labels, join as one
    more view each (they widen the cluster estimates). An anchor whose
    cluster holds every candidate has no negatives: its uniformity term is 0.

    Parameters
    ----------
    temperature : float, default=0.1
        tau of Eq. 7.

    Examples
    --------
    >>> import torch
    >>> loss = ClusterDispersionLoss(0.1)
    >>> o = torch.nn.functional.normalize(torch.randn(6, 3), dim=1)
    >>> y = torch.tensor([0, 0, 1, 1, 2, 2])
    >>> bool(torch.isfinite(loss(o, o, o, y)))
    True
    """

    def __init__(self, temperature=0.1):
        super().__init__(temperature)

    def forward(self, online, target_a, target_b, labels, queue=None, queue_labels=None):
        """Mean of ``l_i`` over the anchors ``online`` (B, D) (view a).

        Parameters
        ----------
        online : Tensor of shape (B, D)
            Online embeddings of view a (anchors; normalised inside).
        target_a, target_b : Tensor of shape (B, D)
            Target embeddings of both views (no gradient).
        labels : Tensor of shape (B,)
            Pseudo-labels of the batch.
        queue, queue_labels : Tensor of shape (Q, D) and (Q,), optional
            Past target embeddings and their current pseudo-labels.
        """
        o = F.normalize(online.float(), dim=1)
        candidates = [F.normalize(target_a.detach().float(), dim=1),
                      F.normalize(target_b.detach().float(), dim=1)]
        candidate_labels = [labels, labels]
        if queue is not None and len(queue):
            candidates.append(F.normalize(queue.detach().float(), dim=1))
            candidate_labels.append(queue_labels)
        t = torch.cat(candidates)  # (M, D)
        t_labels = torch.cat(candidate_labels)  # (M,)
        n = o.shape[0]
        logits = o @ t.T / self.temperature  # (B, M)
        same = labels[:, None] == t_labels[None, :]  # (B, M)
        # the anchor's own view-a target is not a positive: o_i . t^a_i is left out
        own_view_a = torch.zeros_like(same)
        own_view_a[torch.arange(n), torch.arange(n)] = True
        positive = same & ~own_view_a
        alignment = -(logits * positive).sum(dim=1) / positive.sum(dim=1).clamp_min(1)
        negative_logits = logits.masked_fill(same, float("-inf"))
        uniformity = torch.logsumexp(negative_logits, dim=1)
        uniformity = torch.where(torch.isfinite(uniformity), uniformity,
                                 torch.zeros_like(uniformity))
        return (alignment + uniformity).mean()
