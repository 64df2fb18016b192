"""Per-sample random draws with a torch.Generator on the batch's device.

Every per-sample draw of the views goes through these helpers, so that a
data-parallel fit makes the same views as a single process: inside
:func:`batch_shard`, a process that holds rows ``offset:offset + n`` of a
global batch of ``n_global`` rows draws the values of the whole global batch
(the processes' generators stay in step) and keeps its own rows.
"""

import contextlib
import threading

import numpy as np
import torch

_SHARD = threading.local()


@contextlib.contextmanager
def batch_shard(n_global, offset, n_local):
    """Draw per-sample values for a global batch and keep rows ``offset:offset + n_local``.

    Parameters
    ----------
    n_global : int
        Rows of the global batch (all processes together).
    offset : int
        First global row of this process's shard.
    n_local : int
        Rows of the shard; per-sample draws inside the context must be for
        this many rows.
    """
    previous = getattr(_SHARD, "value", None)
    _SHARD.value = (n_global, offset, n_local)
    try:
        yield
    finally:
        _SHARD.value = previous


def _rows(n):
    """(rows to draw, slice of them to keep) for ``n`` per-sample draws."""
    shard = getattr(_SHARD, "value", None)
    if shard is None:
        return n, slice(None)
    n_global, offset, n_local = shard
    if n != n_local:
        raise RuntimeError(f"A per-sample draw for {n} rows inside a batch shard of "
                           f"{n_local} rows: views must be made per shard row.")
    return n_global, slice(offset, offset + n)


def _rand(shape, generator, device):
    """U[0, 1) values of ``shape`` (rows first), drawn per sample."""
    rows, keep = _rows(shape[0])
    return torch.rand((rows, *shape[1:]), generator=generator, device=device)[keep]


def _randn(shape, generator, device, dtype=None):
    """N(0, 1) values of ``shape`` (rows first), drawn per sample."""
    rows, keep = _rows(shape[0])
    return torch.randn((rows, *shape[1:]), generator=generator, device=device,
                       dtype=dtype)[keep]


def _randint(low, high, n, generator, device):
    """``n`` integers in [low, high), one per sample."""
    rows, keep = _rows(n)
    return torch.randint(low, high, (rows,), generator=generator, device=device)[keep]


def _uniform(n, low, high, generator, device):
    return low + (high - low) * _rand((n,), generator, device)


def _bernoulli(n, p, generator, device):
    return _rand((n,), generator, device) < p


def _beta(n, alpha, generator, device):
    """Beta(alpha, alpha) draws seeded from ``generator``.

    torch's Beta sampler has no ``generator`` argument; a numpy generator
    seeded from the torch one keeps the views reproducible.
    """
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator, device=device))
    rows, keep = _rows(n)
    draws = np.random.default_rng(seed).beta(alpha, alpha, size=rows)[keep]
    return torch.as_tensor(draws, dtype=torch.float32, device=device)
