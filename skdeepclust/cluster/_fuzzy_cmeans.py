"""Fuzzy c-means."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.cluster import kmeans_plusplus
from sklearn.utils._param_validation import Interval, StrOptions

from .._docs import fill_doc
from .._kernels.fcm import fcm_memberships
from ._base import _IterativeClusterer, chunk_rows, compact_labels
from ._dask import finite_block, map_row_blocks, rows


def squared_distances(X, centers, x_sq_norms=None):
    """Squared Euclidean distances between rows and centres, clipped at zero.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
    x_sq_norms : ndarray of shape (n_samples,), optional
        Precomputed ``||x_i||^2``.

    Returns
    -------
    sq_dist : ndarray of shape (n_samples, n_clusters)
    """
    if x_sq_norms is None:
        x_sq_norms = np.einsum("ij,ij->i", X, X)
    sq_dist = X @ centers.T
    sq_dist *= -2.0
    sq_dist += x_sq_norms[:, None]
    sq_dist += np.einsum("ij,ij->i", centers, centers)[None, :]
    np.maximum(sq_dist, 0.0, out=sq_dist)
    return sq_dist


def memberships(X, centers, m):
    """FCM memberships of rows to centres (for ``predict_proba``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
    m : float

    Returns
    -------
    U : ndarray of shape (n_samples, n_clusters)
        Memberships; rows sum to one.
    """
    shape = (X.shape[0], centers.shape[0])
    W = X @ centers.T  # the products, overwritten by U ** m row by row
    U = np.empty(shape, dtype=X.dtype)
    fcm_memberships(W, np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", centers, centers),
                    float(m), U, W, np.empty(shape[1]))
    return U


def fcm_pass(X, x_sq_norms, centers, m, labels=None):
    """One FCM alternation's sums over X, chunk by chunk.

    Per chunk: the products ``X_chunk @ C.T`` (BLAS), the memberships and
    their m-th powers ``W`` in place (:func:`fcm_memberships`), then
    ``W.T @ X_chunk`` (BLAS) added to the float64 centre numerators; the
    (n_samples, n_clusters) memberships are never formed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    x_sq_norms : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
        In the dtype of ``X``.
    m : float
    labels : ndarray of shape (n_samples,), optional
        Filled with each row's cluster of largest membership when given.

    Returns
    -------
    weighted_sums : ndarray of shape (n_clusters, n_features), float64
        ``sum_i u_ik^m x_i``.
    weight_sums : ndarray of shape (n_clusters,), float64
        ``sum_i u_ik^m``.
    objective : float
        ``J_m`` of the memberships for ``centers``.
    """
    n_samples = X.shape[0]
    n_clusters, n_features = centers.shape
    c_sq_norms = np.einsum("ij,ij->i", centers, centers)
    weighted_sums = np.zeros((n_clusters, n_features))
    weight_sums = np.zeros(n_clusters)
    chunk_weights = np.empty(n_clusters)
    no_memberships = np.empty((0, n_clusters), dtype=X.dtype)
    objective = 0.0
    step = chunk_rows(n_features, n_clusters, X.dtype.itemsize)
    buffer = np.empty((min(step, n_samples), n_clusters), dtype=X.dtype)
    for start in range(0, n_samples, step):
        stop = min(start + step, n_samples)
        chunk, W = X[start:stop], buffer[: stop - start]
        np.matmul(chunk, centers.T, out=W)  # the products, overwritten by W
        objective += fcm_memberships(W, x_sq_norms[start:stop], c_sq_norms, float(m),
                                     no_memberships, W, chunk_weights)
        weight_sums += chunk_weights
        weighted_sums += W.T @ chunk
        if labels is not None:
            labels[start:stop] = W.argmax(axis=1)  # u^m and u share the arg-max
    return weighted_sums, weight_sums, float(objective)


def _block_pass(block, centers, m, with_labels):
    """:func:`fcm_pass` on one block of a Dask array (checked as it is read)."""
    block = finite_block(block)
    labels = np.empty(block.shape[0], dtype=np.int64) if with_labels else None
    sums = fcm_pass(block, np.einsum("ij,ij->i", block, block), centers, m, labels)
    return (*sums, labels)


def _block_moments(block):
    """Sum of squared norms, column sums and rows of a block (checked)."""
    block = finite_block(block)
    return (float(np.einsum("ij,ij->", block, block, dtype=np.float64)),
            block.sum(axis=0, dtype=np.float64), block.shape[0])


def fcm_objective(X, centers, m):
    """``J_m`` of the optimal memberships for the given centres.

    A function of the centres alone, so that implementations that stop at
    different points of the alternation can be compared fairly.

    Parameters
    ----------
    X, centers, m
        As in :func:`memberships`.

    Returns
    -------
    objective : float
        ``sum_ik u_ik^m ||x_i - c_k||^2`` with ``u`` the FCM memberships.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    return fcm_pass(X, np.einsum("ij,ij->i", X, X), np.asarray(centers, dtype=np.float64),
                    m)[2]


@fill_doc
class FuzzyCMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _IterativeClusterer):
    """Fuzzy c-means clustering.

    Alternates the membership update
    ``u_ik = 1 / sum_r (||x_i - c_k|| / ||x_i - c_r||)^(2 / (m - 1))`` and the
    centre update ``c_k = sum_i u_ik^m x_i / sum_i u_ik^m`` (Bezdek et al. 1984),
    which decreases ``J_m = sum_ik u_ik^m ||x_i - c_k||^2``.

    Parameters
    ----------
    %(n_clusters)s
    m : float, default=2.0
        Fuzzifier, > 1. Close to 1 gives nearly hard memberships; large values
        make them uniform (and in high dimension can make centres coincide).
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), \
            default="k-means++"
        Initial centres: k-means++ seeding, ``n_clusters`` distinct random
        samples, or given centres (used for every restart).
    n_init : int, default=1
        Number of restarts; the one with the lowest objective is kept.
    init_size : int, "auto" or None, default="auto"
        Rows drawn at random (with replacement, per restart) among which
        "k-means++" picks its seeds; the alternations use every row. "auto":
        ``256 * n_clusters``; None: all rows.
    max_iter : int, default=300
        Maximum number of alternations.
    tol : float, default=1e-4
        Relative tolerance: stop when the summed squared movement of the centres
        in one alternation is at most ``tol`` times the mean feature variance.
        ``tol=0`` runs exactly ``max_iter`` alternations.
    %(verbose_seed)s

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (`n_clusters_`, n_features)
        Centres, in the dtype of the training data.
    labels_ : ndarray of shape (n_samples,)
        Cluster of largest membership for each training sample.
    objective_ : float
        ``J_m`` of the final centres with their optimal memberships.
    n_iter_ : int
        Number of alternations of the best restart.
    n_clusters_ : int
        Number of clusters that are the largest membership of at least one
        training sample; centres of the others are dropped with a warning.
    %(fitted_features)s

    See Also
    --------
    PAC : Centre-less fuzzy clustering.
    sklearn.cluster.KMeans : Hard-assignment counterpart.

    Notes
    -----
    Each alternation runs over chunks of about 2 MB of rows: two BLAS
    products per chunk (distances and centre numerators, O(N K D) in all) and
    one numba pass over the chunk's memberships, so the (N, K) membership
    matrix is never formed; the numerators are summed in float64. float32
    data stay float32. A Dask array of rows is fitted block by block with the
    same functions (``pip install skdeepclust[dask]``).
    The result after ``t`` alternations from centres ``C0`` equals
    scikit-fuzzy's ``cmeans`` after ``t + 1`` iterations from memberships whose
    centres are ``C0``.

    References
    ----------
    J. C. Bezdek, R. Ehrlich and W. Full, "FCM: The fuzzy c-means clustering
    algorithm", Computers & Geosciences 10 (1984).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepclust import FuzzyCMeans
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0],
    ...               [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> fcm = FuzzyCMeans(n_clusters=2, random_state=0).fit(X)
    >>> np.sort(fcm.cluster_centers_[:, 0]).round(1)
    array([ 1., 10.])
    >>> fcm.predict_proba([[1.0, 2.0]]).max().round(2)
    np.float64(1.0)
    """

    _parameter_constraints: dict = {
        **_IterativeClusterer._parameter_constraints,
        "m": [Interval(Real, 1, None, closed="neither")],
        "init": [StrOptions({"k-means++", "random"}), "array-like"],
        "init_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}),
                      None],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        m=2.0,
        init="k-means++",
        n_init=1,
        init_size="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.m = m
        self.init = init
        self.n_init = n_init
        self.init_size = init_size
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _prepare(self, X):
        sq_norms = np.einsum("ij,ij->i", X, X)
        # mean feature variance = (mean ||x||^2 - ||mean x||^2) / D, from the
        # norms the iterations need anyway
        mean = X.mean(axis=0, dtype=np.float64)
        variance = max(float(sq_norms.mean(dtype=np.float64) - mean @ mean), 0.0)
        return {"X": X, "sq": sq_norms, "tol": float(self.tol * variance / X.shape[1])}

    def _prepare_dask(self, X):
        # one pass for the tolerance's scale (and the check for NaN)
        parts = map_row_blocks(_block_moments, X)
        n_samples = sum(part[2] for part in parts)
        mean = sum(part[1] for part in parts) / n_samples
        mean_sq_norm = sum(part[0] for part in parts) / n_samples
        variance = max(float(mean_sq_norm - mean @ mean), 0.0)
        return {"X": X, "dask": True, "tol": float(self.tol * variance / X.shape[1])}

    def _plusplus(self, X, rng, data):
        sample = self._init_sample(X.shape[0], rng)
        if data.get("dask"):
            X = finite_block(rows(X, sample))
            sq_norms = np.einsum("ij,ij->i", X, X)
        else:
            X, sq_norms = X[sample], data["sq"][sample]
        centers, _ = kmeans_plusplus(
            X,
            self.n_clusters,
            x_squared_norms=sq_norms,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        return centers

    def _pass(self, data, centers, with_labels=False):
        """Centre numerators, weights, objective (and labels) over the data."""
        if not data.get("dask"):
            labels = np.empty(data["X"].shape[0], dtype=np.int64) if with_labels else None
            return (*fcm_pass(data["X"], data["sq"], centers, self.m, labels), labels)
        parts = map_row_blocks(_block_pass, data["X"], centers, self.m, with_labels)
        return (sum(part[0] for part in parts), sum(part[1] for part in parts),
                float(sum(part[2] for part in parts)),
                np.concatenate([part[3] for part in parts]) if with_labels else None)

    def _run_once(self, data, rng):
        centers = self._initial_centers(data["X"], rng, data)
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            weighted, weight, objective, _ = self._pass(data, centers)
            # A cluster whose memberships are all exactly zero keeps its centre.
            empty = weight <= 0
            weight[empty] = 1.0
            new_centers = (weighted / weight[:, None]).astype(centers.dtype)
            new_centers[empty] = centers[empty]
            shift = float(np.sum((new_centers - centers) ** 2))
            centers = new_centers
            if self.verbose > 1:
                print(f"  iteration {n_iter}: J_m {objective:.6g}, centre shift {shift:.3e}")
            if shift <= data["tol"]:
                converged = True
                break
        _, _, objective, labels = self._pass(data, centers, with_labels=True)
        return {
            "centers": centers,
            "labels": labels,
            "objective": objective,
            "n_iter": n_iter,
            "converged": converged,
        }

    def _finish(self, data, best):
        kept, self.labels_ = compact_labels(best["labels"], self.n_clusters)
        self._warn_dropped(kept.size)
        self.n_clusters_ = int(kept.size)
        self.cluster_centers_ = best["centers"][kept]
        self._n_features_out = self.n_clusters_

    def predict_proba(self, X):
        """Fuzzy memberships of samples to the fitted centres.

        %(new_rows)s

        Returns
        -------
        memberships : ndarray of shape (n_samples, `n_clusters_`)
            Rows sum to one.
        """
        X = self._validate_inference_data(X)
        return memberships(X, self.cluster_centers_.astype(X.dtype), self.m)

    def _labels(self, X):
        """Cluster of largest membership (the nearest centre) for each sample."""
        X = self._validate_inference_data(X)
        return squared_distances(X, self.cluster_centers_.astype(X.dtype)).argmin(axis=1)

    def transform(self, X):
        """Euclidean distances of samples to the fitted centres.

        %(new_rows)s

        Returns
        -------
        distances : ndarray of shape (n_samples, `n_clusters_`)
            In the dtype of ``X`` (float32 stays float32).
        """
        X = self._validate_inference_data(X)
        return np.sqrt(squared_distances(X, self.cluster_centers_.astype(X.dtype)))

    def score(self, X, y=None):
        """Opposite of ``J_m`` of ``X`` against the fitted centres.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        %(y_ignored)s

        %(score_float)s
            ``-sum_ik u_ik^m ||x_i - c_k||^2``; larger is better.
        """
        X = self._validate_inference_data(X)
        return -fcm_objective(X, self.cluster_centers_, self.m)
