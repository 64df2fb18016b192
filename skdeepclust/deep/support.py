"""A FIFO queue of features with nearest-neighbour lookup (CCES's support set)."""

import torch


class FeatureQueue:
    """First-in-first-out memory of feature vectors.

    Parameters
    ----------
    size : int
        Number of slots.
    dim : int
        Feature dimension.
    device : str or torch.device
    generator : torch.Generator, optional
        Draws the random initial content (the CCES paper starts from a random
        matrix; the slots are overwritten within ``size / batch`` steps).

    Examples
    --------
    >>> import torch
    >>> queue = FeatureQueue(4, 2, "cpu")
    >>> queue.push(torch.tensor([[0.0, 1.0], [5.0, 5.0]]))
    >>> queue.nearest(torch.tensor([[4.0, 4.0]])).tolist()
    [[5.0, 5.0]]
    """

    def __init__(self, size, dim, device, generator=None):
        self.features = torch.randn(size, dim, generator=generator, device=device)
        self.pointer = 0

    @torch.no_grad()
    def push(self, features):
        """Replace the oldest rows by ``features`` (B, dim), detached."""
        features = features.detach().to(self.features.dtype)
        size = self.features.shape[0]
        if features.shape[0] >= size:
            self.features.copy_(features[-size:])
            self.pointer = 0
            return
        end = self.pointer + features.shape[0]
        if end <= size:
            self.features[self.pointer:end] = features
        else:
            split = size - self.pointer
            self.features[self.pointer:] = features[:split]
            self.features[:end - size] = features[split:]
        self.pointer = end % size

    @torch.no_grad()
    def nearest(self, queries):
        """The stored row nearest (Euclidean) to each query (B, dim)."""
        queries = queries.detach().to(self.features.dtype)
        # ||q||^2 - 2 q.s + ||s||^2, the first term is constant per row
        scores = (self.features * self.features).sum(dim=1)[None, :] - 2.0 * queries @ self.features.T
        return self.features[scores.argmin(dim=1)]
