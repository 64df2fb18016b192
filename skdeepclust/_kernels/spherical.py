"""Numba kernels for spherical k-means (Dhillon & Modha 2001; Hornik et al. 2012).

Rows and centres lie on the unit sphere; a point goes to the centre of largest
cosine similarity and a centre is the normalised sum of its points. The caller
computes the similarities of a chunk of rows, ``X_chunk @ C.T``, with BLAS;
:func:`assign_and_accumulate` does the arg-max, the objective and the
per-cluster sums of that chunk in one pass while the chunk is still in cache.
:func:`candidate_distances` is the inner pass of k-means++ seeding.

Both release the GIL (``nogil``), so that a caller may run chunks in threads.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def assign_and_accumulate(X, similarities, labels, best_similarity, sums, counts):
    """Assign each row to its most similar centre and add the rows per cluster.

    Parameters
    ----------
    X : ndarray of shape (n, D)                  # IN
        Unit rows (a chunk of the data).
    similarities : ndarray of shape (n, K)       # IN
        ``X @ centres.T``.
    labels : ndarray of shape (n,), int64        # OUT
    best_similarity : ndarray of shape (n,)      # OUT
        Cosine similarity of each row to its centre.
    sums : ndarray of shape (K, D), float64      # IN/OUT
        The rows of each cluster are added to it (not reset: the caller
        accumulates the chunks of one pass).
    counts : ndarray of shape (K,), int64        # IN/OUT
        Incremented likewise.

    Returns
    -------
    total_similarity : float
        ``sum_i max_k x_i . c_k`` over the chunk, in float64.
    """
    n_samples, n_features = X.shape
    n_clusters = similarities.shape[1]
    total = 0.0
    for i in range(n_samples):
        if n_clusters >= 16:
            best, best_sim = _argmax_four_chains(similarities[i])
        else:
            best = 0
            best_sim = similarities[i, 0]
            for k in range(1, n_clusters):
                # branch-free arg-max (first maximum wins, as in numpy's argmax)
                sim = similarities[i, k]
                better = sim > best_sim
                best_sim = sim if better else best_sim
                best = k if better else best
        labels[i] = best
        best_similarity[i] = best_sim
        total += best_sim
        counts[best] += 1
        # float64 sums: a chunk's rounding does not depend on how rows are
        # grouped into chunks or blocks (in-memory and Dask fits agree)
        row = sums[best]
        x = X[i]
        for d in range(n_features):
            row[d] += x[d]
    return total


@njit(cache=True, nogil=True, inline="always")
def _argmax_four_chains(row):
    """``(argmax, max)`` of a row of at least 4 values, the first maximum winning.

    Four running maxima over the entries ``k = 0, 1, 2, 3 (mod 4)`` are
    independent, so the processor overlaps their compare-and-select chains
    (one chain is bound by its latency); they merge with ties to the smaller
    index, which keeps numpy's first-maximum rule.
    """
    n = row.shape[0]
    b0, b1, b2, b3 = 0, 1, 2, 3
    v0, v1, v2, v3 = row[0], row[1], row[2], row[3]
    k = 4
    while k + 3 < n:
        s0, s1, s2, s3 = row[k], row[k + 1], row[k + 2], row[k + 3]
        g0, g1, g2, g3 = s0 > v0, s1 > v1, s2 > v2, s3 > v3
        v0 = s0 if g0 else v0
        b0 = k if g0 else b0
        v1 = s1 if g1 else v1
        b1 = k + 1 if g1 else b1
        v2 = s2 if g2 else v2
        b2 = k + 2 if g2 else b2
        v3 = s3 if g3 else v3
        b3 = k + 3 if g3 else b3
        k += 4
    if v1 > v0 or (v1 == v0 and b1 < b0):
        v0, b0 = v1, b1
    if v3 > v2 or (v3 == v2 and b3 < b2):
        v2, b2 = v3, b3
    if v2 > v0 or (v2 == v0 and b2 < b0):
        v0, b0 = v2, b2
    while k < n:  # the last n % 4 entries come after every chain's
        if row[k] > v0:
            v0, b0 = row[k], k
        k += 1
    return b0, v0


@njit(cache=True, nogil=True, fastmath=True)
def candidate_distances(X, candidates, closest, distances):
    """Cosine distances to k-means++ candidates, capped by the current nearest.

    One pass over the rows computes, for every candidate centre ``c``,
    ``min(closest_i, max(1 - x_i . c, 0))``: the distance of row ``i`` to its
    nearest centre if ``c`` were added. (``fastmath`` lets the dot products
    use SIMD; they are reassociated, so they differ from BLAS in the last
    bits.)

    Parameters
    ----------
    X : ndarray of shape (n, D)                  # IN
        Unit rows.
    candidates : ndarray of shape (T, D)         # IN
        Unit candidate centres.
    closest : ndarray of shape (n,)              # IN
        Distance of each row to its nearest chosen centre.
    distances : ndarray of shape (T, n)          # OUT

    Returns
    -------
    potentials : ndarray of shape (T,), float64
        Row sums of ``distances``: the k-means++ potential with each candidate.
    """
    n_samples, n_features = X.shape
    n_candidates = candidates.shape[0]
    potentials = np.zeros(n_candidates)
    for i in range(n_samples):
        x = X[i]
        for c in range(n_candidates):
            candidate = candidates[c]
            # a float32 accumulator for float32 rows (numba widens it for float64)
            dot = np.float32(0.0)
            for d in range(n_features):
                dot += x[d] * candidate[d]
            distance = 1.0 - dot
            if distance < 0.0:
                distance = 0.0
            if distance > closest[i]:
                distance = closest[i]
            distances[c, i] = distance
            potentials[c] += distance
    return potentials
