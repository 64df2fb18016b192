"""Numba kernel for spherical k-means (Dhillon & Modha 2001; Hornik et al. 2012).

Rows and centres lie on the unit sphere; a point goes to the centre of largest
cosine similarity and a centre is the normalised sum of its points. The caller
computes the similarity matrix ``X @ C.T`` with BLAS; this kernel does the
arg-max, the objective and the per-cluster sums in one pass.
"""

from numba import njit


@njit(cache=True)
def assign_and_accumulate(X, similarities, labels, best_similarity, sums, counts):
    """Assign each row to its most similar centre and sum the rows per cluster.

    Parameters
    ----------
    X : ndarray of shape (N, D)                 # IN
        Unit rows.
    similarities : ndarray of shape (N, K)      # IN
        ``X @ centres.T``.
    labels : ndarray of shape (N,), int64       # OUT
    best_similarity : ndarray of shape (N,)     # OUT
        Cosine similarity of each row to its centre.
    sums : ndarray of shape (K, D)              # OUT
        Sum of the rows of each cluster.
    counts : ndarray of shape (K,), int64       # OUT

    Returns
    -------
    n_changed : int
        Number of rows whose label differs from the value ``labels`` held on
        entry.
    """
    n_samples, n_features = X.shape
    n_clusters = similarities.shape[1]
    sums[:] = 0.0
    counts[:] = 0
    n_changed = 0
    for i in range(n_samples):
        best = 0
        best_sim = similarities[i, 0]
        for k in range(1, n_clusters):
            if similarities[i, k] > best_sim:
                best_sim = similarities[i, k]
                best = k
        if labels[i] != best:
            n_changed += 1
        labels[i] = best
        best_similarity[i] = best_sim
        counts[best] += 1
        row = sums[best]
        for d in range(n_features):
            row[d] += X[i, d]
    return n_changed
