"""Numba kernels for Probability Aggregation Clustering (PAC).

Each kernel performs one Gauss-Seidel sweep of Eq. 8 of Yan, Lu & Yan,
"Deep Probability Aggregation Clustering" (ECCV 2024)::

    s_ik = sum_{j != i} p_jk d_ij,     p_ik = s_ik^(-alpha) / sum_r s_ir^(-alpha),

with ``alpha = 1 / (m - 1)``. Rows are updated in order and each row sees the
newest values of every other row, exactly as in the paper's Algorithm 1.

For the squared Euclidean distance the score decomposes as::

    s_ik = ||x_i||^2 n'_k - 2 x_i . mu'_k + c'_k

with ``n_k = sum_j p_jk``, ``mu_k = sum_j p_jk x_j``, ``c_k = sum_j p_jk ||x_j||^2``
and the primes meaning "without row i". For the cosine distance on unit rows,
``d_ij = 1 - x_i . x_j`` and ``s_ik = n'_k - x_i . mu'_k``. Keeping (n, mu, c)
up to date after each row update gives the same iterates as the O(N^2 K)
algorithm in O(N K D) per sweep.

The kernels do one sweep into buffers the caller owns; the Python estimator owns
the loop, the tolerance and the warnings (scikit-learn's ``_k_means_lloyd``
convention). No kernel draws random numbers.
"""

import numpy as np
from numba import njit

# Reassociation lets LLVM vectorise the dot-product reductions; results differ
# from strict left-to-right summation only by rounding (~1e-16 relative).
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}

METRIC_SQEUCLIDEAN = 0
METRIC_COSINE = 1


@njit(cache=True)
def normalise_scores_row(scores, alpha, out):
    """Write ``s_k^-alpha / sum_r s_r^-alpha`` into ``out`` without overflow.

    The ratio form ``(s_min / s_k)^alpha / sum_r (s_min / s_r)^alpha`` keeps
    every power in [0, 1]: with alpha = 100 (m = 1.01) the plain powers of
    pixel-scale distances would overflow. Scores at or below zero (duplicate
    points, rounding) are floored at a tiny positive value, which puts all the
    mass on the clusters that reach the floor.

    Parameters
    ----------
    scores : ndarray of shape (K,)        # IN
    alpha : float                         # IN
    out : ndarray of shape (K,)           # OUT
    """
    n_clusters = scores.shape[0]
    s_max = 0.0
    for k in range(n_clusters):
        if scores[k] > s_max:
            s_max = scores[k]
    floor = s_max * 1e-300
    if floor < 1e-300:
        floor = 1e-300
    s_min = np.inf
    for k in range(n_clusters):
        s = scores[k] if scores[k] > floor else floor
        if s < s_min:
            s_min = s
    total = 0.0
    for k in range(n_clusters):
        s = scores[k] if scores[k] > floor else floor
        ratio = (s_min / s) ** alpha
        out[k] = ratio
        total += ratio
    for k in range(n_clusters):
        out[k] /= total


@njit(cache=True)
def normalise_scores(scores, alpha, out):
    """Row-wise :func:`normalise_scores_row` over a (n, K) score matrix.

    Parameters
    ----------
    scores : ndarray of shape (n, K)      # IN
    alpha : float                         # IN
    out : ndarray of shape (n, K)         # OUT
    """
    for i in range(scores.shape[0]):
        normalise_scores_row(scores[i], alpha, out[i])


@njit(cache=True)
def _row_scores(metric, sq_i, dots, p_i, n, c, scores):
    # Aggregates include row i; its own contribution is removed term by term
    # (for cosine this matters for all-zero rows, whose self-distance is 1).
    for k in range(scores.shape[0]):
        p = p_i[k]
        if metric == METRIC_SQEUCLIDEAN:
            scores[k] = (sq_i * (n[k] - p) - 2.0 * (dots[k] - p * sq_i)
                         + (c[k] - p * sq_i))
        else:
            scores[k] = (n[k] - p) - (dots[k] - p * sq_i)


@njit(cache=True, fastmath=_FASTMATH)
def pac_sweep_features(X, sq_norms, metric, alpha, P, mu, n, c):
    """One Gauss-Seidel sweep of PAC on a feature matrix in O(N K D).

    Parameters
    ----------
    X : ndarray of shape (N, D), float64, C-contiguous      # IN
        Centred data (squared Euclidean) or unit rows (cosine).
    sq_norms : ndarray of shape (N,)                        # IN
        ``||x_i||^2``.
    metric : int                                            # IN
        ``METRIC_SQEUCLIDEAN`` or ``METRIC_COSINE``.
    alpha : float                                           # IN
        ``1 / (m - 1)``.
    P : ndarray of shape (N, K)                             # IN/OUT
        Memberships, updated row by row.
    mu : ndarray of shape (K, D)                            # IN/OUT
        ``P.T @ X``, kept consistent with ``P``.
    n : ndarray of shape (K,)                               # IN/OUT
        ``P.sum(0)``.
    c : ndarray of shape (K,)                               # IN/OUT
        ``P.T @ sq_norms``.

    Returns
    -------
    change : float
        Mean over rows of ``sum_k |p_ik(new) - p_ik(old)|``.
    """
    n_samples, n_features = X.shape
    n_clusters = P.shape[1]
    scores = np.empty(n_clusters)
    p_new = np.empty(n_clusters)
    delta = np.empty(n_clusters)
    dots = np.empty(n_clusters)
    change = 0.0
    if n_samples == 0:
        return change
    for k in range(n_clusters):
        acc = 0.0
        for d in range(n_features):
            acc += X[0, d] * mu[k, d]
        dots[k] = acc
    for i in range(n_samples):
        sq_i = sq_norms[i]
        _row_scores(metric, sq_i, dots, P[i], n, c, scores)
        normalise_scores_row(scores, alpha, p_new)
        for k in range(n_clusters):
            delta[k] = p_new[k] - P[i, k]
            change += abs(delta[k])
            P[i, k] = p_new[k]
            n[k] += delta[k]
            c[k] += delta[k] * sq_i
        # One pass over mu both applies row i's rank-one update and computes
        # the dot products row i + 1 needs; clusters go in pairs so that each
        # load of x_i and x_{i+1} serves two rows of mu.
        x_cur = X[i]
        x_next = X[i + 1] if i + 1 < n_samples else X[i]
        k = 0
        while k + 1 < n_clusters:
            mu_a = mu[k]
            mu_b = mu[k + 1]
            d_a = delta[k]
            d_b = delta[k + 1]
            acc_a = 0.0
            acc_b = 0.0
            for d in range(n_features):
                x = x_cur[d]
                y = x_next[d]
                m_a = mu_a[d] + d_a * x
                m_b = mu_b[d] + d_b * x
                mu_a[d] = m_a
                mu_b[d] = m_b
                acc_a += y * m_a
                acc_b += y * m_b
            dots[k] = acc_a
            dots[k + 1] = acc_b
            k += 2
        if k < n_clusters:
            mu_a = mu[k]
            d_a = delta[k]
            acc_a = 0.0
            for d in range(n_features):
                m_a = mu_a[d] + d_a * x_cur[d]
                mu_a[d] = m_a
                acc_a += x_next[d] * m_a
            dots[k] = acc_a
    return change / n_samples


@njit(cache=True)
def pac_sweep_precomputed(D, alpha, P):
    """One Gauss-Seidel sweep of PAC on a precomputed distance matrix, O(N^2 K).

    Parameters
    ----------
    D : ndarray of shape (N, N)           # IN
        Distances; the diagonal is ignored (Eq. 8 sums over j != i).
    alpha : float                         # IN
    P : ndarray of shape (N, K)           # IN/OUT

    Returns
    -------
    change : float
        Mean over rows of ``sum_k |p_ik(new) - p_ik(old)|``.
    """
    n_samples = D.shape[0]
    n_clusters = P.shape[1]
    scores = np.empty(n_clusters)
    p_new = np.empty(n_clusters)
    change = 0.0
    for i in range(n_samples):
        for k in range(n_clusters):
            scores[k] = 0.0
        for j in range(n_samples):
            if j == i:
                continue
            d_ij = D[i, j]
            for k in range(n_clusters):
                scores[k] += P[j, k] * d_ij
        normalise_scores_row(scores, alpha, p_new)
        for k in range(n_clusters):
            change += abs(p_new[k] - P[i, k])
            P[i, k] = p_new[k]
    if n_samples == 0:
        return change
    return change / n_samples
