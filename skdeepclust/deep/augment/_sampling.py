"""Per-sample random draws with a torch.Generator on the batch's device."""

import numpy as np
import torch


def _uniform(n, low, high, generator, device):
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def _bernoulli(n, p, generator, device):
    return torch.rand(n, generator=generator, device=device) < p

def _beta(n, alpha, generator, device):
    """Beta(alpha, alpha) draws seeded from ``generator``.

    torch's Beta sampler has no ``generator`` argument; a numpy generator
    seeded from the torch one keeps the views reproducible.
    """
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator, device=device))
    draws = np.random.default_rng(seed).beta(alpha, alpha, size=n)
    return torch.as_tensor(draws, dtype=torch.float32, device=device)
