"""A FIFO queue of features with nearest-neighbour lookup.

CCES's support set and PIPCDR's memory queue.
"""

import torch
import torch.nn.functional as F


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
    random_init : bool, default=True
        Start from random features; otherwise from zeros, with every slot's
        key -1 (empty).

    Examples
    --------
    >>> import torch
    >>> queue = FeatureQueue(4, 2, "cpu")
    >>> queue.push(torch.tensor([[0.0, 1.0], [5.0, 5.0]]))
    >>> queue.nearest(torch.tensor([[4.0, 4.0]])).tolist()
    [[5.0, 5.0]]
    """

    def __init__(self, size, dim, device, generator=None, random_init=True):
        if random_init:
            self.features = torch.randn(size, dim, generator=generator, device=device)
        else:
            self.features = torch.zeros(size, dim, device=device)
        # optional integer payload per slot (e.g. the sample index), -1 = empty
        self.keys = torch.full((size,), -1, dtype=torch.long, device=device)
        self.pointer = 0

    @torch.no_grad()
    def push(self, features, keys=None):
        """Replace the oldest rows by ``features`` (B, dim), detached.

        ``keys`` (B,) are stored alongside (sample indices, for example).
        """
        features = features.detach().to(self.features.dtype)
        if keys is None:
            keys = torch.zeros(features.shape[0], dtype=torch.long,
                               device=self.keys.device)
        size = self.features.shape[0]
        if features.shape[0] >= size:
            self.features.copy_(features[-size:])
            self.keys.copy_(keys[-size:])
            self.pointer = 0
            return
        end = self.pointer + features.shape[0]
        if end <= size:
            self.features[self.pointer:end] = features
            self.keys[self.pointer:end] = keys
        else:
            split = size - self.pointer
            self.features[self.pointer:] = features[:split]
            self.features[:end - size] = features[split:]
            self.keys[self.pointer:] = keys[:split]
            self.keys[:end - size] = keys[split:]
        self.pointer = end % size

    def filled(self):
        """Features (S', dim) and keys (S',) of the slots that hold a sample.

        Slots still empty have key -1 (``random_init=False``).
        """
        stored = self.keys >= 0
        return self.features[stored], self.keys[stored]

    @torch.no_grad()
    def nearest(self, queries, keys=None, cosine=False):
        """The stored row nearest to each query (B, dim).

        Parameters
        ----------
        queries : Tensor of shape (B, dim)
        keys : Tensor of shape (B,), optional
            The queries' own keys: slots holding the same key are skipped, so
            a sample is never its own neighbour.
        cosine : bool, default=False
            Compare directions (L2-normalised rows) instead of Euclidean
            distances. The stored row itself is returned either way.
        """
        queries = queries.detach().to(self.features.dtype)
        if cosine:
            # (B, dim) x (dim, S) -> (B, S) similarities; higher is nearer
            scores = -(F.normalize(queries, dim=1) @ F.normalize(self.features, dim=1).T)
        else:
            # ||q||^2 - 2 q.s + ||s||^2, the first term is constant per row
            scores = ((self.features * self.features).sum(dim=1)[None, :]
                      - 2.0 * queries @ self.features.T)
        if keys is not None:
            own = keys.to(self.keys.device)[:, None] == self.keys[None, :]
            scores = scores.masked_fill(own, float("inf"))
        return self.features[scores.argmin(dim=1)]


def fit_queue(net, name, size, dim, **kwargs):
    """The fit's :class:`FeatureQueue` in ``net.fit_state_[name]``, made on first use.

    ``kwargs`` go to :class:`FeatureQueue` (``generator``, ``random_init``);
    the queue lives on ``net.device`` and is dropped with the fit state.
    """
    queue = net.fit_state_.get(name)
    if queue is None:
        queue = net.fit_state_[name] = FeatureQueue(size, dim, net.device, **kwargs)
    return queue
