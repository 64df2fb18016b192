"""Spherical k-means."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.extmath import safe_sparse_dot

from .._kernels.spherical import assign_and_accumulate
from ._base import _IterativeClusterer, compact_labels


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
    closest = np.maximum(1.0 - _similarities(X, _rows(X, indices[:1])).ravel(), 0.0)
    potential = closest.sum()
    for c in range(1, n_clusters):
        if potential <= 0:
            # Every point sits on a centre already: fall back to uniform draws.
            candidates = rng.randint(n_samples, size=n_local_trials)
        else:
            draws = rng.uniform(size=n_local_trials) * potential
            candidates = np.searchsorted(np.cumsum(closest), draws)
            np.clip(candidates, None, n_samples - 1, out=candidates)
        # (n_local_trials, n_samples): distance of every point to each candidate
        candidate_dist = np.maximum(1.0 - _similarities(_rows(X, candidates), X), 0.0)
        np.minimum(closest, candidate_dist, out=candidate_dist)
        candidate_potential = candidate_dist.sum(axis=1)
        best = int(np.argmin(candidate_potential))
        indices[c] = candidates[best]
        closest = candidate_dist[best]
        potential = candidate_potential[best]
    return np.asarray(_dense(_rows(X, indices)), dtype=X.dtype), indices


def _rows(X, idx):
    return X[idx]


def _dense(A):
    return A.toarray() if sp.issparse(A) else A


def _similarities(A, B):
    """``A @ B.T`` as a dense array, for dense or sparse operands."""
    return np.asarray(_dense(safe_sparse_dot(A, B.T, dense_output=True)))


class SphericalKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, _IterativeClusterer
):
    """Spherical k-means: k-means with the cosine similarity on unit vectors.

    Rows are L2-normalised; each iteration assigns a row to the centre of
    largest cosine similarity and sets each centre to the normalised sum of its
    rows (Dhillon & Modha 2001), which increases ``sum_i x_i . c_{l(i)}``.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), \
            default="k-means++"
        k-means++ on the sphere (cosine distance), ``n_clusters`` distinct random
        rows, or given centres (normalised; used for every restart).
    n_init : int, default=10
        Number of restarts; the one with the lowest ``inertia_`` is kept.
    max_iter : int, default=300
        Maximum number of iterations per restart.
    tol : float, default=1e-4
        Stop when no label changes, or when the summed squared movement of the
        (unit) centres in one iteration is at most ``tol``.
    verbose : int, default=0
        Print the objective of each restart when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial centres.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
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
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has feature names.

    See Also
    --------
    sklearn.cluster.KMeans : Euclidean k-means.

    Notes
    -----
    Dense and CSR sparse input are accepted. An empty cluster is re-seeded with
    the row farthest (in cosine distance) from its centre. All-zero rows have no
    direction; they get similarity 0 to every centre.

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
    }

    _accept_sparse = True

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init=10,
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
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
        return {"X": normalize(X)}

    def _plusplus(self, X, rng, data):
        return spherical_kmeans_plusplus(X, self.n_clusters, rng)[0]

    def _given_centers(self, centers):
        return normalize(centers)

    def _assign(self, X, centers, labels):
        """Labels, similarity to the own centre and per-cluster row sums."""
        similarities = _similarities(X, centers)
        if sp.issparse(X):
            new_labels = similarities.argmax(axis=1)
            n_changed = int(np.count_nonzero(new_labels != labels))
            labels[:] = new_labels
            best = similarities[np.arange(X.shape[0]), labels]
            indicator = sp.csr_matrix(
                (np.ones(X.shape[0], dtype=X.dtype), (labels, np.arange(X.shape[0]))),
                shape=(self.n_clusters, X.shape[0]),
            )
            sums = np.asarray(_dense(indicator @ X))
            counts = np.bincount(labels, minlength=self.n_clusters)
            return n_changed, best, sums, counts
        best = np.empty(X.shape[0], dtype=X.dtype)
        sums = np.empty_like(centers)
        counts = np.empty(self.n_clusters, dtype=np.int64)
        n_changed = assign_and_accumulate(X, similarities, labels, best, sums, counts)
        return n_changed, best, sums, counts

    def _reseed_empty(self, X, labels, best, sums, counts):
        """Give each empty cluster the row farthest from its own centre."""
        empty = np.flatnonzero(counts == 0)
        if empty.size == 0:
            return
        far = np.argsort(best, kind="stable")[: empty.size]
        for k, i in zip(empty, far):
            row = np.asarray(_dense(X[i])).ravel()
            old = labels[i]
            sums[old] -= row
            counts[old] -= 1
            sums[k] = row
            counts[k] = 1
            labels[i] = k

    def _run_once(self, data, rng):
        X = data["X"]
        centers = self._initial_centers(X, rng, data)
        labels = np.full(X.shape[0], -1, dtype=np.int64)
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            n_changed, best, sums, counts = self._assign(X, centers, labels)
            if n_changed == 0:
                converged = True
                break
            self._reseed_empty(X, labels, best, sums, counts)
            new_centers = normalize(sums).astype(X.dtype, copy=False)
            shift = float(np.sum((new_centers - centers) ** 2))
            centers = new_centers
            if self.verbose > 1:
                print(f"  iteration {n_iter}: {n_changed} labels changed")
            if shift <= self.tol:
                converged = True
                break
        # Final labels consistent with the final centres.
        _, best, _, _ = self._assign(X, centers, labels)
        objective = float(np.sum(1.0 - best.astype(np.float64)))
        return {
            "centers": centers,
            "labels": labels.copy(),
            "objective": objective,
            "n_iter": n_iter,
            "converged": converged,
        }

    def _finish(self, data, best):
        kept, self.labels_ = compact_labels(best["labels"], self.n_clusters)
        self._warn_dropped(kept.size)
        self.n_clusters_ = int(kept.size)
        self.cluster_centers_ = best["centers"][kept]
        self.inertia_ = self.objective_
        self._n_features_out = self.n_clusters_

    def _similarities_to_centers(self, X):
        X = self._validate_inference_data(X)
        return _similarities(normalize(X), self.cluster_centers_.astype(X.dtype))

    def predict(self, X):
        """Cluster of largest cosine similarity for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data (need not be normalised).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels.
        """
        return self._similarities_to_centers(X).argmax(axis=1)

    def transform(self, X):
        """Cosine distances ``1 - cos(x, c_k)`` of samples to the centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters_)
            In [0, 2], in the dtype of ``X``.
        """
        return 1.0 - self._similarities_to_centers(X)

    def score(self, X, y=None):
        """Opposite of the summed cosine distance of ``X`` to its nearest centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        score : float
            ``-sum_i (1 - max_k cos(x_i, c_k))``; larger is better.
        """
        similarities = self._similarities_to_centers(X)
        return -float(np.sum(1.0 - similarities.max(axis=1)))
