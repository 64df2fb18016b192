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
def fcm_memberships(products, x_sq_norms, c_sq_norms, m, U, W, weight_sums):
    """Memberships, their m-th powers and the objective, in one pass.

    The squared distances are formed on the fly from the BLAS product
    ``X @ C.T`` as ``||x_i||^2 - 2 x_i . c_k + ||c_k||^2`` (clipped at zero), so
    that the (N, K) distance matrix is never written out. Each row of
    ``products`` is read before anything is written, so ``W`` may be
    ``products`` itself; the loop of a fit passes an empty ``U`` and only the
    final call asks for the memberships (less memory traffic per iteration).

    Parameters
    ----------
    products : ndarray of shape (N, K)    # IN
        ``X @ centers.T``.
    x_sq_norms : ndarray of shape (N,)    # IN
    c_sq_norms : ndarray of shape (K,)    # IN
    m : float                             # IN
        Fuzzifier, > 1.
    U : ndarray of shape (N, K) or (0, K) # OUT
        Memberships, rows sum to one; not written when it has no rows.
    W : ndarray of shape (N, K)           # OUT (may alias ``products``)
        ``U ** m``, the weights of the centre update.
    weight_sums : ndarray of shape (K,)   # OUT
        Column sums of ``W``.

    Returns
    -------
    objective : float
        ``J_m = sum_ik u_ik^m d_ik`` with the new memberships.
    """
    n_samples, n_clusters = products.shape
    store_u = U.shape[0] == n_samples
    exponent = 1.0 / (m - 1.0)
    # u^m = u * u^(m-1) and u_k^(m-1) = (d_min / d_k) / total^(m-1) because
    # u_k = (d_min / d_k)^(1/(m-1)) / total: one pow per row instead of one per
    # entry. Near-integer exponents (m = 2, 1.5, 1.1, 1.05: 1, 2, 10, 20) use
    # repeated multiplication, a fraction of the cost of pow.
    int_exponent = int(round(exponent))
    use_int = abs(exponent - int_exponent) <= 1e-9 * exponent and int_exponent <= 64
    linear = use_int and int_exponent == 1
    dist = np.empty(n_clusters)
    closeness = np.empty(n_clusters)
    ratio = np.empty(n_clusters)
    for k in range(n_clusters):
        weight_sums[k] = 0.0
    objective = 0.0
    for i in range(n_samples):
        d_min = np.inf
        for k in range(n_clusters):
            d = x_sq_norms[i] - 2.0 * products[i, k] + c_sq_norms[k]
            d = d if d > 0.0 else 0.0
            dist[k] = d
            if d < d_min:
                d_min = d
        if d_min <= 0.0:
            # The point sits on one or more centres: it belongs to them alone.
            n_zero = 0
            for k in range(n_clusters):
                if dist[k] <= 0.0:
                    n_zero += 1
            for k in range(n_clusters):
                u = 1.0 / n_zero if dist[k] <= 0.0 else 0.0
                w = u**m
                if store_u:
                    U[i, k] = u
                W[i, k] = w
                weight_sums[k] += w
            continue
        total = 0.0
        for k in range(n_clusters):
            base = d_min / dist[k]  # in (0, 1]: no power can overflow
            closeness[k] = base
            if linear:
                r = base
            elif use_int:
                r = base**int_exponent
            else:
                r = base**exponent
            ratio[k] = r
            total += r
        inv_total = 1.0 / total
        row_factor = inv_total if linear else total ** (1.0 - m)
        for k in range(n_clusters):
            u = ratio[k] * inv_total
            w = u * closeness[k] * row_factor
            if store_u:
                U[i, k] = u
            W[i, k] = w
            weight_sums[k] += w
            objective += w * dist[k]
    return objective
