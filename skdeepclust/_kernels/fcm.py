"""Numba kernel for fuzzy c-means (Bezdek, Ehrlich & Full, 1984).

The membership update for squared distances ``d_ik = ||x_i - c_k||^2`` is::

    u_ik = 1 / sum_r (d_ik / d_ir)^(1 / (m - 1))

The kernel evaluates it in the ratio form ``(d_min / d_ik)^e / sum_r (d_min / d_ir)^e``
so that no power overflows, and writes ``u^m`` for the centre update
(``c_k = sum_i u_ik^m x_i / sum_i u_ik^m``, a BLAS product done by the caller).
"""

import numpy as np
from numba import njit


@njit(cache=True)
def fcm_memberships(sq_dist, m, U, W):
    """Memberships, their m-th powers and the objective for given distances.

    Parameters
    ----------
    sq_dist : ndarray of shape (N, K)     # IN
        Squared Euclidean distances to the centres; negatives from rounding
        are treated as zero.
    m : float                             # IN
        Fuzzifier, > 1.
    U : ndarray of shape (N, K)           # OUT
        Memberships, rows sum to one.
    W : ndarray of shape (N, K)           # OUT
        ``U ** m``.

    Returns
    -------
    objective : float
        ``J_m = sum_ik u_ik^m d_ik`` with the new memberships.
    """
    n_samples, n_clusters = sq_dist.shape
    exponent = 1.0 / (m - 1.0)
    # m = 2 (the default) gives exponent 1 and m = 3 gives 1/2: skip pow there.
    plain = exponent == 1.0
    square = m == 2.0
    objective = 0.0
    for i in range(n_samples):
        d_min = np.inf
        for k in range(n_clusters):
            d = sq_dist[i, k]
            if d < d_min:
                d_min = d
        if d_min <= 0.0:
            # The point sits on one or more centres: it belongs to them alone.
            n_zero = 0
            for k in range(n_clusters):
                if sq_dist[i, k] <= 0.0:
                    n_zero += 1
            for k in range(n_clusters):
                u = 1.0 / n_zero if sq_dist[i, k] <= 0.0 else 0.0
                U[i, k] = u
                W[i, k] = u * u if square else u ** m
            continue
        total = 0.0
        for k in range(n_clusters):
            ratio = d_min / sq_dist[i, k]
            if not plain:
                ratio = ratio ** exponent
            U[i, k] = ratio
            total += ratio
        for k in range(n_clusters):
            u = U[i, k] / total
            U[i, k] = u
            w = u * u if square else u ** m
            W[i, k] = w
            objective += w * sq_dist[i, k]
    return objective
