"""BYOL's regression loss and PIPCDR's positive instances proximity (PIP)."""

import torch
import torch.nn.functional as F
from torch import nn


def byol_loss(predictions, targets):
    """Mean of ``||p/|p| - t/|t|||^2 = 2 - 2 cos(p, t)`` over the batch.

    Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020, Eq. 2. The
    targets come from the momentum network and get no gradient.

    Parameters
    ----------
    predictions, targets : Tensor of shape (B, D)
    """
    p = F.normalize(predictions.float(), dim=1)
    t = F.normalize(targets.detach().float(), dim=1)
    return (2.0 - 2.0 * (p * t).sum(dim=1)).mean()


def nearest_other(embeddings):
    """Index of each row's most cosine-similar other row of the batch."""
    z = F.normalize(embeddings.detach().float(), dim=1)
    similarities = z @ z.T
    similarities.fill_diagonal_(float("-inf"))
    return similarities.argmax(dim=1)


class PIPLoss(nn.Module):
    """Positive instances proximity loss (PIPCDR, Eq. 4).

    The online projection of view a moves a fraction ``sigma`` toward its
    nearest other sample of the batch (cosine), goes through the predictor,
    and regresses the target projection of view b::

        v_i = f(x_i^a) + sigma (f(x_nn(i)^a) - f(x_i^a)),
        l_i = || g(v_i) / |g(v_i)| - f'(x_i^b) / |f'(x_i^b)| ||^2.

    With ``sigma = 0`` it is BYOL's loss. The method averages both view orders.

    Parameters
    ----------
    sigma : float, default=0.001
        How far (a fraction) the online projection moves toward its neighbour.

    Examples
    --------
    >>> import torch
    >>> loss = PIPLoss(0.0)
    >>> online, target = torch.randn(8, 4), torch.randn(8, 4)
    >>> bool(torch.isclose(loss(online, target, lambda v: v), byol_loss(online, target)))
    True
    """

    def __init__(self, sigma=0.001):
        super().__init__()
        if sigma < 0:
            raise ValueError(f"sigma should be >= 0, got {sigma}.")
        self.sigma = sigma

    def forward(self, online, target, predictor):
        """Loss for online projections (B, D) of view a, target projections of
        view b and the predictor module.

        Half-precision projections (from an autocast forward pass) are cast
        to float32 first: the losses run outside the autocast
        region, where they would not match the predictor's float32 weights."""
        if online.dtype in (torch.float16, torch.bfloat16):
            online = online.float()
        neighbours = online[nearest_other(online)]
        pulled = online + self.sigma * (neighbours - online)
        return byol_loss(predictor(pulled), target)
