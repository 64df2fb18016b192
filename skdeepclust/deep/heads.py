"""Heads on top of the backbone features.

Shapes: features (B, F) in, (B, out_dim) out.
"""

from torch import nn


def mlp_head(in_dim, hidden_dim, out_dim, batch_norm=True, n_hidden=1):
    """Linear-[BatchNorm]-ReLU blocks followed by a Linear layer.

    Used as the SimCLR/CC projection head (to the contrastive space), the
    cluster head (to K logits), and the BYOL projector and predictor.

    Parameters
    ----------
    in_dim, hidden_dim, out_dim : int
        Widths.
    batch_norm : bool, default=True
        BatchNorm after each hidden Linear layer (BYOL, DPAC); CC uses none.
    n_hidden : int, default=1
        Number of hidden blocks.

    Returns
    -------
    head : torch.nn.Sequential
    """
    layers = []
    width = in_dim
    for _ in range(n_hidden):
        layers.append(nn.Linear(width, hidden_dim))
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden_dim))
        layers.append(nn.ReLU(inplace=True))
        width = hidden_dim
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)
