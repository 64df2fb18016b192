"""Probability Aggregation Clustering (PAC)."""

from numbers import Real

import numpy as np
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import Interval, StrOptions

from .._docs import fill_doc
from .._kernels.pac import (
    METRIC_COSINE,
    METRIC_SQEUCLIDEAN,
    normalise_scores,
    pac_sweep_features,
    pac_sweep_precomputed,
)
from ._base import _IterativeClusterer, compact_labels

# Scale of the Gaussian noise added to the logits of the near-uniform initial
# memberships; the authors' code uses softmax(randn / 1000).
_INIT_NOISE = 1e-3

# The kernels keep the cluster aggregates (n, mu, c) exact up to rounding by
# rank-one updates; recomputing them with BLAS every few sweeps bounds the
# accumulated rounding (about sqrt(N * sweeps) ulps) at a small cost.
_REFRESH_EVERY = 10


@fill_doc
class PAC(_IterativeClusterer):
    """Probability Aggregation Clustering.

    A centre-less fuzzy clustering: every membership ``p_ik`` is aggregated from
    the memberships of all other samples, weighted by their distances (Eq. 8 of
    Yan, Lu & Yan 2024)::

        s_ik = sum_{j != i} p_jk d_ij,    p_ik = s_ik^(-1/(m-1)) / sum_r s_ir^(-1/(m-1))

    Rows are updated one after another (Gauss-Seidel), each using the newest
    memberships of the others, which minimises
    ``J = sum_ij sum_k p_ik^m p_jk d_ij``.

    Parameters
    ----------
    %(n_clusters)s
    m : float, default=1.03
        Weighting exponent, > 1. Values close to 1 give sharp memberships; the
        paper uses 1.03 for every data set.
    metric : {"sqeuclidean", "cosine", "precomputed"}, default="sqeuclidean"
        Distance ``d_ij``. "sqeuclidean" and "cosine" run in O(N K D) per sweep
        through the decomposition of the score into cluster aggregates (same
        iterates as the paper's O(N^2 K) algorithm); "precomputed" takes an
        (N, N) distance matrix in ``fit`` and an (n_new, N) matrix of distances
        to the training samples in ``predict``.
    init : "random" or array-like of shape (n_samples, n_clusters), default="random"
        Initial memberships. "random" draws near-uniform rows
        ``softmax(0.001 * z)`` with standard normal ``z``, as the authors do. An
        array gives the initial memberships of every sample (rows are
        normalised to sum to one); it is used for every restart.
    n_init : int, default=1
        Number of restarts from different random memberships; the one with the
        lowest objective is kept. PAC depends little on its start, so one is
        usually enough.
    max_iter : int, default=100
        Maximum number of sweeps over the data.
    tol : float, default=1e-4
        Stop when the mean over samples of ``sum_k |p_ik(new) - p_ik(old)|``
        in a sweep falls to ``tol`` or below.
    verbose : int, default=0
        Print the objective after each sweep (and restart) when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial memberships.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (arg-max membership), from 0 to
        ``n_clusters_ - 1``.
    memberships_ : ndarray of shape (n_samples, `n_clusters_`)
        Fitted memberships ``P`` of the training samples.
    objective_ : float
        ``J_m = sum_ij sum_k p_ik^m p_jk d_ij`` at the end of the best restart.
    n_iter_ : int
        Number of sweeps run by the best restart.
    n_clusters_ : int
        Number of clusters that hold at least one sample (normally
        ``n_clusters``); empty ones are dropped with a warning.
    %(fitted_features)s

    See Also
    --------
    FuzzyCMeans : Centre-based fuzzy clustering.
    skdeepclust.DPACClusterer : Deep clustering with online probability aggregation.

    Notes
    -----
    The computation runs in float64 whatever the input dtype: with the default
    ``m = 1.03`` the scores are raised to the power 33, which amplifies
    float32 rounding. For the Euclidean metric the data are centred first (the
    distances do not change) to keep the aggregate decomposition accurate on
    unscaled data such as 0-255 pixels. Memory is O(N D + N K); the
    precomputed path needs the O(N^2) matrix.

    The paper's ``predict`` for new samples is not spelled out; here a new
    sample gets the memberships Eq. 8 gives it against the fitted training
    memberships (all training samples count, none is excluded).

    Dask arrays: ``predict`` maps over the blocks of a ``dask.array`` of rows
    (lazily), but ``fit`` raises a ``TypeError``: a sweep is Gauss-Seidel,
    each row's update reading the aggregates that the previous row changed,
    so it cannot be split into blocks without changing the iterates (a
    Jacobi-style block variant is a different algorithm). Compute the array
    (``X.compute()``) or fit a subsample and ``predict`` the rest.

    References
    ----------
    Y. Yan, N. Lu and R. Yan, "Deep Probability Aggregation Clustering",
    ECCV 2024: PAC is its Sec. 3.3 (Eq. 8, Algorithm 1).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepclust import PAC
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1],
    ...               [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    >>> pac = PAC(n_clusters=2, random_state=0).fit(X)
    >>> pac.labels_[0] == pac.labels_[1] == pac.labels_[2]
    np.True_
    >>> pac.labels_[0] != pac.labels_[3]
    np.True_
    >>> pac.predict([[0.05, 0.05]])[0] == pac.labels_[0]
    np.True_
    """

    _parameter_constraints: dict = {
        **_IterativeClusterer._parameter_constraints,
        "m": [Interval(Real, 1, None, closed="neither")],
        "metric": [StrOptions({"sqeuclidean", "cosine", "precomputed"})],
        "init": [StrOptions({"random"}), "array-like"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        m=1.03,
        metric="sqeuclidean",
        init="random",
        n_init=1,
        max_iter=100,
        tol=1e-4,
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.m = m
        self.metric = metric
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags

    @property
    def _alpha(self):
        return 1.0 / (self.m - 1.0)

    # -- data preparation -------------------------------------------------

    def _features_for_metric(self, X):
        """Float64 rows as the kernels see them, and their squared norms."""
        X = np.asarray(X, dtype=np.float64)
        if self.metric == "cosine":
            X = normalize(X)
        else:
            X = X - self._offset
        X = np.ascontiguousarray(X)
        return X, np.einsum("ij,ij->i", X, X)

    def _prepare(self, X):
        if self.metric == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    "metric='precomputed' expects a square distance matrix, got "
                    f"shape {X.shape}."
                )
            if np.any(X < 0):
                raise ValueError("The precomputed distance matrix has negative entries.")
            return {"D": X}
        self._offset = (
            np.asarray(X, dtype=np.float64).mean(axis=0)
            if self.metric == "sqeuclidean"
            else 0.0
        )
        Xf, sq_norms = self._features_for_metric(X)
        return {"X": Xf, "sq": sq_norms}

    def _initial_memberships(self, n_samples, rng):
        shape = (n_samples, self.n_clusters)
        if isinstance(self.init, str):
            logits = _INIT_NOISE * rng.standard_normal(shape)
            P = np.exp(logits - logits.max(axis=1, keepdims=True))
        else:
            P = self._check_init_shape(self.init, shape, "an initial membership matrix")
            if np.any(P < 0) or np.any(P.sum(axis=1) <= 0):
                raise ValueError(
                    "init memberships must be non-negative with a positive sum per row."
                )
            P = P.copy()
        P /= P.sum(axis=1, keepdims=True)
        return np.ascontiguousarray(P)

    # -- scores and objective ---------------------------------------------

    def _scores_features(self, Xf, sq_norms, P_train_agg):
        """``s_ik = sum_j p_jk d(x_i, x_j)`` over all training samples j."""
        n_k, mu, c_k = P_train_agg
        if self.metric == "sqeuclidean":
            S = sq_norms[:, None] * n_k[None, :] - 2.0 * (Xf @ mu.T) + c_k[None, :]
        else:
            S = n_k[None, :] - Xf @ mu.T
        return S

    @staticmethod
    def _aggregates(Xf, sq_norms, P):
        return P.sum(axis=0), P.T @ Xf, P.T @ sq_norms

    def _objective(self, data, P):
        if "D" in data:
            D = data["D"]
            S = D @ P - np.diagonal(D)[:, None] * P
        else:
            S = self._scores_features(
                data["X"], data["sq"], self._aggregates(data["X"], data["sq"], P)
            )
            if self.metric == "cosine":
                # Remove the j = i term: d_ii = 1 - ||x_i||^2 is 1 for zero rows.
                S = S - P * (1.0 - data["sq"])[:, None]
        return float(np.sum(P**self.m * np.maximum(S, 0.0)))

    # -- fitting ------------------------------------------------------------

    def _run_once(self, data, rng):
        n_samples = data["D"].shape[0] if "D" in data else data["X"].shape[0]
        P = self._initial_memberships(n_samples, rng)
        alpha = self._alpha
        metric_code = METRIC_COSINE if self.metric == "cosine" else METRIC_SQEUCLIDEAN
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            if "D" in data:
                change = pac_sweep_precomputed(data["D"], alpha, P)
            else:
                if (n_iter - 1) % _REFRESH_EVERY == 0:
                    n_k, mu, c_k = self._aggregates(data["X"], data["sq"], P)
                    mu = np.ascontiguousarray(mu)
                change = pac_sweep_features(
                    data["X"], data["sq"], metric_code, alpha, P, mu, n_k, c_k
                )
            if self.verbose > 1:
                print(f"  sweep {n_iter}: mean membership change {change:.3e}")
            if change <= self.tol:
                converged = True
                break
        return {
            "P": P,
            "objective": self._objective(data, P),
            "n_iter": n_iter,
            "converged": converged,
        }

    def _finish(self, data, best):
        P = best["P"]
        kept, self.labels_ = compact_labels(P.argmax(axis=1), self.n_clusters)
        self._warn_dropped(kept.size)
        self._kept_clusters = kept
        self.n_clusters_ = int(kept.size)
        self.memberships_ = _restrict(P, kept)
        if "D" in data:
            self._train_memberships = P
        else:
            self._train_aggregates = self._aggregates(data["X"], data["sq"], P)

    # -- inference ----------------------------------------------------------

    def _full_memberships(self, X):
        """Scores and memberships of new samples over all n_clusters columns."""
        X = self._validate_inference_data(X)
        if self.metric == "precomputed":
            if np.any(X < 0):
                raise ValueError("The precomputed distance matrix has negative entries.")
            S = np.asarray(X, dtype=np.float64) @ self._train_memberships
        else:
            Xf, sq_norms = self._features_for_metric(X)
            S = self._scores_features(Xf, sq_norms, self._train_aggregates)
        S = np.ascontiguousarray(S)
        Q = np.empty_like(S)
        normalise_scores(S, self._alpha, Q)
        return S, Q

    def predict_proba(self, X):
        """Memberships of samples given the fitted training memberships.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data, or for ``metric="precomputed"`` the (n_samples,
            n_training_samples) distances to the training samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, `n_clusters_`)
            Rows sum to one. On the training data these are the fitted
            memberships (up to the convergence tolerance).
        """
        _, Q = self._full_memberships(X)
        return _restrict(Q, self._kept_clusters)

    def _labels(self, X):
        """Cluster of each sample: the arg-max of :meth:`predict_proba`."""
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X, y=None):
        """Opposite of the PAC objective of ``X`` against the training memberships.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, or distances to the training samples for ``metric="precomputed"``.
        %(y_ignored)s

        %(score_float)s
            ``-sum_i sum_k q_ik^m s_ik`` with ``q`` the memberships of ``X``;
            larger is better.
        """
        S, Q = self._full_memberships(X)
        return -float(np.sum(Q**self.m * np.maximum(S, 0.0)))


def _restrict(P, kept):
    """Columns ``kept`` of a membership matrix, rows renormalised to one."""
    if kept.size == P.shape[1]:
        return P
    sub = P[:, kept]
    total = sub.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return sub / total
