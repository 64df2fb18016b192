"""Contrastive Clustering's cluster-level loss."""

import math

import torch

from ._base import TemperatureLoss
from .ntxent import contrastive_terms


def entropy_penalty(probabilities):
    """``log K - H(mean assignment)``: zero when clusters are used evenly.

    Parameters
    ----------
    probabilities : Tensor of shape (B, K)
        Soft assignments of a batch.
    """
    p = probabilities.float().sum(dim=0)
    p = p / p.sum()
    return math.log(p.shape[0]) + (p * torch.log(p.clamp_min(1e-12))).sum()


class ClusterContrastiveLoss(TemperatureLoss):
    """Column-wise contrast of two views' assignments plus an entropy penalty.

    Contrastive Clustering (Li et al., AAAI 2021, Eq. 6-9) treats column k of
    the (B, K) assignment matrix of a view as the representation of cluster
    k: the same cluster in the other view is its positive, the other 2K - 2
    columns its negatives (NT-Xent on cosine similarities, tau = 1). The term
    ``log K - H(mean assignment)`` of each view keeps every cluster in use.

    CCES (Eq. 7-9) replaces the anchor view's assignments by those of the
    nearest neighbours of its features (``anchors_a``, ``anchors_b``) and
    drops the positive from the denominator (``decoupled=True``).

    Parameters
    ----------
    temperature : float, default=1.0
    decoupled : bool, default=False

    Examples
    --------
    >>> import torch
    >>> loss = ClusterContrastiveLoss()
    >>> c = torch.softmax(torch.randn(32, 4), dim=1)
    >>> terms = loss(c, c)
    >>> sorted(terms)
    ['contrastive', 'entropy']
    """

    def __init__(self, temperature=1.0, decoupled=False):
        super().__init__(temperature)
        self.decoupled = decoupled

    def forward(self, c_a, c_b, anchors_a=None, anchors_b=None):
        """Terms for (B, K) assignment probabilities of views a and b.

        Returns
        -------
        terms : dict
            ``contrastive`` (mean over the 2K column anchors) and ``entropy``
            (the two views' entropy penalties, summed).
        """
        anchors_a = c_a if anchors_a is None else anchors_a
        anchors_b = c_b if anchors_b is None else anchors_b
        # columns as samples: (K, B)
        forward = contrastive_terms(anchors_a.T, anchors_a.T, c_b.T, self.temperature,
                                    self.decoupled)
        backward = contrastive_terms(anchors_b.T, anchors_b.T, c_a.T, self.temperature,
                                     self.decoupled)
        return {
            "contrastive": 0.5 * (forward.mean() + backward.mean()),
            "entropy": entropy_penalty(anchors_a) + entropy_penalty(c_b),
        }
