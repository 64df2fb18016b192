"""Spherical k-means."""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot

from .._docs import fill_doc
from .._kernels.spherical import assign_and_accumulate, candidate_distances
from ._base import _IterativeClusterer, chunk_rows, compact_labels
from ._dask import finite_block, map_row_blocks, row_offsets, rows


def spherical_kmeans_plusplus(X, n_clusters, rng, n_local_trials=None):
    """k-means++ seeding on the unit sphere with the cosine distance.

    The first centre is a uniformly drawn row; each next one is drawn with
    probability proportional to the cosine distance ``1 - x . c`` to the
    nearest centre so far, keeping the best of ``n_local_trials`` candidates
    (the greedy variant scikit-learn uses for k-means++).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Unit rows.
    n_clusters : int
        Number of centres.
    rng : numpy.random.RandomState
        Random generator.
    n_local_trials : int, default=None
        Candidates per step; ``2 + int(log(n_clusters))`` when None.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        Unit rows of ``X`` (as a dense array).
    indices : ndarray of shape (n_clusters,)
        Their row indices.
    """
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    indices = np.empty(n_clusters, dtype=np.int64)
    indices[0] = rng.randint(n_samples)
    closest = _candidate_distances(X, indices[:1], np.full(n_samples, np.inf, X.dtype))[0]
    potential = closest.sum(dtype=np.float64)
    for c in range(1, n_clusters):
        if potential <= 0:
            # Every point sits on a centre already: fall back to uniform draws.
            candidates = rng.randint(n_samples, size=n_local_trials)
        else:
            draws = rng.uniform(size=n_local_trials) * potential
            candidates = np.searchsorted(np.cumsum(closest, dtype=np.float64), draws)
            np.clip(candidates, None, n_samples - 1, out=candidates)
        # (n_local_trials, n_samples): distance of every point to its nearest
        # centre if each candidate were added
        candidate_dist = _candidate_distances(X, candidates, closest)
        candidate_potential = candidate_dist.sum(axis=1, dtype=np.float64)
        best = int(np.argmin(candidate_potential))
        indices[c] = candidates[best]
        closest = candidate_dist[best]
        potential = candidate_potential[best]
    return np.asarray(_dense(X[indices]), dtype=X.dtype), indices


def _candidate_distances(X, candidates, closest):
    """``min(closest, max(1 - X @ X[candidates].T, 0)).T`` for dense or sparse X."""
    if sp.issparse(X):
        distances = np.maximum(1.0 - _similarities(X[candidates], X), 0.0)
        return np.minimum(closest, distances, out=distances)
    distances = np.empty((len(candidates), X.shape[0]), dtype=X.dtype)
    candidate_distances(X, np.ascontiguousarray(X[candidates]), closest, distances)
    return distances


def _dense(A):
    return A.toarray() if sp.issparse(A) else A


def _similarities(A, B):
    """``A @ B.T`` as a dense array, for dense or sparse operands."""
    return np.asarray(_dense(safe_sparse_dot(A, B.T, dense_output=True)))


def _unit_rows(sums):
    """Rows scaled to unit norm; all-zero rows stay zero (as sklearn's normalize)."""
    norms = np.sqrt(np.einsum("ij,ij->i", sums, sums))
    norms[norms == 0.0] = 1.0
    return sums / norms[:, None]


def farthest_rows(best, n):
    """Indices of the ``n`` rows least similar to their centres, ties to the first.

    The same rows, in the same order, as ``np.argsort(best, kind="stable")[:n]``,
    without sorting every row (a partition, then a sort of the ``n`` chosen).
    """
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if n >= best.size:
        return np.argsort(best, kind="stable")
    kth = np.partition(best, n - 1)[n - 1]
    below, ties = np.flatnonzero(best < kth), np.flatnonzero(best == kth)
    chosen = np.concatenate([below, ties[: n - below.size]])
    return chosen[np.lexsort((chosen, best[chosen]))]


def _block_pass(block, centers, n_far, with_labels):
    """:func:`assignment_pass` on one block of raw rows of a Dask array.

    Returns the block's sums, counts and similarity, its ``n_far`` rows
    least similar to their centres (for re-seeding empty clusters) and,
    when asked, its labels.
    """
    unit = normalize(finite_block(block))
    stats = assignment_pass(unit, centers)
    far = farthest_rows(stats["best"], n_far)
    part = {"sums": stats["sums"], "counts": stats["counts"],
            "similarity": stats["similarity"], "far_best": stats["best"][far],
            "far_index": far, "far_rows": unit[far], "far_labels": stats["labels"][far]}
    if with_labels:
        part["labels"] = stats["labels"]
    return part


def assignment_pass(X, centers, labels=None, best=None):
    """One assignment step over unit rows, chunk by chunk.

    Each chunk's similarities come from one BLAS product and go through the
    arg-max and the per-cluster sums while the chunk is in cache; the
    ``(n_samples, n_clusters)`` similarity matrix is never formed. The sums
    are float64, so that how rows are grouped into chunks (or Dask blocks)
    changes them only at float64 rounding.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Unit rows.
    centers : ndarray of shape (n_clusters, n_features)
        Unit centres, in the dtype of ``X``.
    labels, best : ndarray of shape (n_samples,), optional
        Buffers for the labels (int64) and each row's similarity to its centre
        (dtype of ``X``); allocated when None.

    Returns
    -------
    stats : dict
        ``labels``, ``best``, ``sums`` (float64, (n_clusters, n_features): the
        rows of each cluster added up), ``counts`` and ``similarity`` (the
        float64 sum of ``best``).
    """
    n_samples = X.shape[0]
    n_clusters, n_features = centers.shape
    labels = np.empty(n_samples, dtype=np.int64) if labels is None else labels
    best = np.empty(n_samples, dtype=X.dtype) if best is None else best
    sums = np.zeros((n_clusters, n_features))
    counts = np.zeros(n_clusters, dtype=np.int64)
    similarity = 0.0
    step = chunk_rows(n_features, n_clusters, X.dtype.itemsize)
    buffer = np.empty((min(step, n_samples), n_clusters), dtype=X.dtype)
    for start in range(0, n_samples, step):
        stop = min(start + step, n_samples)
        chunk = X[start:stop]
        if sp.issparse(chunk):
            sims = _similarities(chunk, centers)
            chunk_labels = sims.argmax(axis=1)
            labels[start:stop] = chunk_labels
            best[start:stop] = sims[np.arange(stop - start), chunk_labels]
            similarity += float(best[start:stop].sum(dtype=np.float64))
            counts += np.bincount(chunk_labels, minlength=n_clusters)
            indicator = sp.csr_matrix(
                (np.ones(stop - start), (chunk_labels, np.arange(stop - start))),
                shape=(n_clusters, stop - start))
            sums += _dense(indicator @ chunk.astype(np.float64))
            continue
        sims = buffer[: stop - start]
        np.dot(chunk, centers.T, out=sims)
        similarity += assign_and_accumulate(chunk, sims, labels[start:stop],
                                            best[start:stop], sums, counts)
    return {"labels": labels, "best": best, "sums": sums, "counts": counts,
            "similarity": similarity}


@fill_doc
class SphericalKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, _IterativeClusterer
):
    """Spherical k-means: k-means with the cosine similarity on unit vectors.

    Rows are L2-normalised; each iteration assigns a row to the centre of
    largest cosine similarity and sets each centre to the normalised sum of its
    rows (Dhillon & Modha 2001), which increases ``sum_i x_i . c_{l(i)}``.

    Parameters
    ----------
    %(n_clusters)s
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), \
            default="k-means++"
        k-means++ on the sphere (cosine distance), ``n_clusters`` distinct random
        rows, or given centres (normalised; used for every restart).
    n_init : int or "auto", default="auto"
        Number of restarts; the one with the lowest objective is kept. "auto"
        is scikit-learn's rule: 1 for "k-means++" (and a given array), 10 for
        "random".
    init_size : int, "auto" or None, default="auto"
        Rows drawn at random (with replacement, per restart) among which
        "k-means++" picks its seeds; the iterations always use every row.
        "auto": ``256 * n_clusters`` (faiss's sample size per centroid); None:
        all rows. Seeding costs ``O(init_size * n_clusters * log(n_clusters))``
        dot products, which on large data outweighs several iterations.
    max_iter : int, default=300
        Maximum number of iterations per restart.
    tol : float, default=1e-4
        Stop when no label changes, or when the summed squared movement of the
        (unit) centres in one iteration is at most ``tol``.
    %(verbose_seed)s

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (`n_clusters_`, n_features)
        Unit-norm centres.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    inertia_ : float
        Sum of the cosine distances ``1 - x_i . c_{l(i)}`` of the (normalised)
        training rows to their centres: the objective that is minimised.
    objective_ : float
        Same as ``inertia_``.
    n_iter_ : int
        Number of iterations of the best restart.
    n_clusters_ : int
        Number of non-empty clusters (``n_clusters`` unless the data have fewer
        distinct directions).
    %(fitted_features)s

    See Also
    --------
    sklearn.cluster.KMeans : Euclidean k-means.

    Notes
    -----
    Each assignment step runs over chunks of about 2 MB of rows: one BLAS
    product gives a chunk's similarities, and a numba kernel takes the
    arg-max and adds the rows to their cluster's sum (in float64) while the
    chunk is in cache, so the ``(n_samples, n_clusters)`` similarity matrix
    is never written. Restarts are compared by the objective of their last
    assignment step (the final centres can only lower it); the best
    restart's labels and ``inertia_`` are then computed with its final
    centres. The BLAS product uses the threads BLAS is given (e.g. with
    ``threadpoolctl``); ``benchmarks/bench_classical.py`` compares the fit
    with faiss and scikit-learn.

    Dense, CSR sparse and Dask input are accepted. A ``dask.array`` of rows
    (``pip install skdeepclust[dask]``) is fitted block by block with the
    same chunk functions under the active Dask scheduler: each pass adds up
    the blocks' per-cluster sums, k-means++ reads only its sampled rows, so
    memory holds one block per worker and the labels; the result equals the
    in-memory fit's up to float summation order. ``predict`` of a Dask array
    is a lazy Dask array. An empty cluster is re-seeded with the row farthest
    (in cosine distance) from its centre. All-zero rows have no direction;
    they get similarity 0 to every centre.

    References
    ----------
    I. S. Dhillon and D. S. Modha, "Concept decompositions for large sparse
    text data using clustering", Machine Learning 42 (2001).
    K. Hornik, I. Feinerer, M. Kober and C. Buchta, "Spherical k-Means
    Clustering", Journal of Statistical Software 50 (2012).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepclust import SphericalKMeans
    >>> X = np.array([[1.0, 0.1], [2.0, 0.0], [3.0, 0.2],
    ...               [0.1, 1.0], [0.0, 5.0], [0.2, 2.0]])
    >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
    >>> skm.labels_[0] == skm.labels_[1] == skm.labels_[2]
    np.True_
    >>> bool(np.allclose(np.linalg.norm(skm.cluster_centers_, axis=1), 1.0))
    True
    """

    _parameter_constraints: dict = {
        **_IterativeClusterer._parameter_constraints,
        "init": [StrOptions({"k-means++", "random"}), "array-like"],
        "n_init": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "init_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}),
                      None],
    }

    _accept_sparse = True

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        init_size="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.init_size = init_size
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _prepare(self, X):
        X = normalize(X)
        return {"X": X, "labels": np.empty(X.shape[0], dtype=np.int64),
                "best": np.empty(X.shape[0], dtype=X.dtype)}

    def _prepare_dask(self, X):
        # rows are normalised block by block, as they are read
        return {"X": X, "dask": True, "offsets": row_offsets(X)}

    def _plusplus(self, X, rng, data):
        sample = rows(X, self._init_sample(X.shape[0], rng))
        if data.get("dask"):
            sample = normalize(finite_block(sample))
        return spherical_kmeans_plusplus(sample, self.n_clusters, rng)[0]

    def _given_centers(self, centers):
        return normalize(centers)

    def _assign(self, data, centers, with_labels=False):
        """One assignment pass over the data (in memory, or block by block)."""
        if not data.get("dask"):
            return assignment_pass(data["X"], centers, data["labels"], data["best"])
        parts = map_row_blocks(_block_pass, data["X"], centers, self.n_clusters,
                               with_labels)
        stats = {"sums": sum(part["sums"] for part in parts),
                 "counts": sum(part["counts"] for part in parts),
                 "similarity": float(sum(part["similarity"] for part in parts))}
        # each block's rows farthest from their centres, in global row order
        for key in ("far_best", "far_rows", "far_labels"):
            stats[key] = np.concatenate([part[key] for part in parts])
        stats["far_index"] = np.concatenate(
            [part["far_index"] + offset for part, offset in zip(parts, data["offsets"])])
        if with_labels:
            stats["labels"] = np.concatenate([part["labels"] for part in parts])
        return stats

    def _reseed_empty(self, data, stats):
        """Give each empty cluster the row farthest from its own centre.

        Farthest: lowest similarity to its centre, ties to the first row;
        each such row leaves its cluster for the empty one.
        """
        counts, sums = stats["counts"], stats["sums"]
        empty = np.flatnonzero(counts == 0)
        if empty.size == 0:
            return
        if data.get("dask"):
            order = np.lexsort((stats["far_index"], stats["far_best"]))[: empty.size]
            far_rows = stats["far_rows"][order]
            old_labels = stats["far_labels"][order]
        else:
            far = farthest_rows(stats["best"], empty.size)
            far_rows = _dense(data["X"][far])
            old_labels = stats["labels"][far].copy()
            stats["labels"][far] = empty[: far.size]
        for k, row, old in zip(empty, np.asarray(far_rows, dtype=np.float64), old_labels):
            sums[old] -= row
            counts[old] -= 1
            sums[k] = row
            counts[k] = 1

    def _run_once(self, data, rng):
        centers = _unit_rows(self._initial_centers(data["X"], rng, data))
        n_samples = data["X"].shape[0]
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            stats = self._assign(data, centers)
            # the restarts are compared by this objective: that of the last
            # assignment step (the final centres only lower it), which spares
            # every restart but the best a further pass over the data
            objective = n_samples - stats["similarity"]
            self._reseed_empty(data, stats)
            new_centers = _unit_rows(stats["sums"]).astype(centers.dtype)
            shift = float(np.sum((new_centers - centers) ** 2))
            centers = new_centers
            if self.verbose > 1:
                print(f"  iteration {n_iter}: objective {objective:.6g}, "
                      f"centre shift {shift:.3e}")
            if shift <= self.tol:
                converged = True
                break
        return {"centers": centers, "objective": objective, "n_iter": n_iter,
                "converged": converged}

    def _finish(self, data, best):
        # labels and objective consistent with the final centres
        stats = self._assign(data, best["centers"], with_labels=True)
        self.objective_ = float(data["X"].shape[0] - stats["similarity"])
        kept, self.labels_ = compact_labels(stats["labels"], self.n_clusters)
        self._warn_dropped(kept.size)
        self.n_clusters_ = int(kept.size)
        self.cluster_centers_ = best["centers"][kept]
        self.inertia_ = self.objective_
        self._n_features_out = self.n_clusters_

    def _similarities_to_centers(self, X):
        X = self._validate_inference_data(X)
        return _similarities(normalize(X), self.cluster_centers_.astype(X.dtype))

    def _labels(self, X):
        """Cluster of largest cosine similarity for each sample."""
        return self._similarities_to_centers(X).argmax(axis=1)

    def transform(self, X):
        """Cosine distances ``1 - cos(x, c_k)`` of samples to the centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.

        Returns
        -------
        distances : ndarray of shape (n_samples, `n_clusters_`)
            In [0, 2], in the dtype of ``X``.
        """
        return 1.0 - self._similarities_to_centers(X)

    def score(self, X, y=None):
        """Opposite of the summed cosine distance of ``X`` to its nearest centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        %(y_ignored)s

        %(score_float)s
            ``-sum_i (1 - max_k cos(x_i, c_k))``; larger is better.
        """
        similarities = self._similarities_to_centers(X)
        return -float(np.sum(1.0 - similarities.max(axis=1)))
