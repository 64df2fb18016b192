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
