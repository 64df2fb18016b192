"""Shared machinery of the classical (numba) clustering estimators.

The estimators keep the scikit-learn ``cluster/_kmeans.py`` shape: ``__init__``
only stores arguments, ``fit`` validates, runs ``n_init`` restarts of a Python
loop whose body is one numba kernel call, keeps the restart with the best
objective and sets the fitted attributes at the end.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docs import fill_doc
from ._dask import check_dask_rows, finite_block, is_dask_array, rows


def check_n_clusters(n_clusters, n_samples):
    """Raise a ``ValueError`` when there are fewer samples than clusters."""
    if n_samples < n_clusters:
        raise ValueError(
            f"n_samples={n_samples} should be >= n_clusters={n_clusters}: "
            "a clustering needs at least one sample per cluster."
        )


def chunk_rows(n_features, n_clusters, itemsize):
    """Rows per chunk of an assignment pass: the chunk and its (rows, n_clusters)
    products take about 2 MB, so they stay in cache between the BLAS product
    and the numba kernel that reads them."""
    return int(np.clip(2**21 // (itemsize * (n_features + n_clusters)), 256, 8192))


def compact_labels(raw_labels, n_clusters):
    """Clusters that hold at least one sample, and the labels renumbered 0..k-1.

    Parameters
    ----------
    raw_labels : ndarray of shape (n_samples,)
        Labels in ``range(n_clusters)``.
    n_clusters : int
        Number of clusters the model was asked for.

    Returns
    -------
    kept : ndarray of shape (k,)
        Sorted indices of the non-empty clusters.
    labels : ndarray of shape (n_samples,), int64
        ``raw_labels`` renumbered so that ``kept[labels] == raw_labels``.
    """
    counts = np.bincount(raw_labels, minlength=n_clusters)
    kept = np.flatnonzero(counts)
    new_index = np.full(n_clusters, -1, dtype=np.int64)
    new_index[kept] = np.arange(kept.size)
    return kept, new_index[raw_labels]


def warn_empty_clusters(estimator, n_kept, hint=""):
    """ConvergenceWarning when fewer than ``estimator.n_clusters`` clusters hold samples.

    Parameters
    ----------
    estimator : estimator with an ``n_clusters`` parameter
    n_kept : int
        Clusters that hold at least one training sample.
    hint : str, default=""
        What the user can try, appended to the message.
    """
    if n_kept < estimator.n_clusters:
        warnings.warn(
            f"{type(estimator).__name__}: only {n_kept} of the "
            f"n_clusters={estimator.n_clusters} clusters hold a sample after fitting; "
            f"the empty ones were dropped and labels run from 0 to {n_kept - 1}."
            + (f" {hint}" if hint else ""),
            ConvergenceWarning,
        )


@fill_doc
class _IterativeClusterer(ClusterMixin, BaseEstimator):
    """Base of the estimators whose fit is ``n_init`` restarts of a loop.

    Subclasses implement ``_prepare(X)`` (the data the kernels use),
    ``_run_once(data, rng)`` (one restart, returning a dict with at least
    ``objective``, ``n_iter``, ``converged``) and ``_finish(data, best)`` (sets the
    fitted attributes).
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    _accept_sparse = False

    def _validate_fit_data(self, X):
        X = validate_data(
            self,
            X,
            accept_sparse="csr" if self._accept_sparse else False,
            dtype=[np.float64, np.float32],
            order="C",
            copy=False,
        )
        check_n_clusters(self.n_clusters, X.shape[0])
        return X

    def _validate_inference_data(self, X):
        """``X`` for predict, transform or score: fitted model, same features."""
        self._check_fitted()
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse="csr" if self._accept_sparse else False,
            dtype=[np.float64, np.float32],
            order="C",
        )

    def _initial_centers(self, X, rng, data):
        """Starting centres of one restart: seeding by ``init``, or the given array.

        "k-means++" calls the subclass's ``_plusplus(X, rng, data)``; "random"
        draws distinct rows; an array is checked, then passed through
        ``_given_centers``.
        """
        if isinstance(self.init, str):
            if self.init == "k-means++":
                centers = self._plusplus(X, rng, data)
            else:
                index = rng.choice(X.shape[0], self.n_clusters, replace=False)
                centers = rows(X, index)
                centers = centers.toarray() if sp.issparse(centers) else centers
            return np.array(centers, dtype=X.dtype)
        centers = self._check_init_shape(
            self.init, (self.n_clusters, X.shape[1]), "an array of initial centres"
        )
        return self._given_centers(centers).astype(X.dtype)

    def _given_centers(self, centers):
        return centers

    def _prepare_dask(self, X):
        """The data of a fit on a Dask array (``_prepare``'s counterpart)."""
        raise TypeError(
            f"{type(self).__name__} does not fit Dask arrays; pass an in-memory array "
            "(X.compute()).")

    def predict(self, X):
        """Cluster of each sample under the fitted model.

        The nearest centre: the largest fuzzy membership for FuzzyCMeans,
        the largest cosine similarity for SphericalKMeans, the arg-max of
        :meth:`predict_proba` for PAC.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            New data, in a form ``fit`` accepts (sparse rows for
            SphericalKMeans; for PAC with ``metric="precomputed"``, distances
            to the training samples).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels; for a Dask array of rows, a lazy Dask array
            mapped over its blocks.
        """
        if not is_dask_array(X):
            return self._labels(X)
        self._check_fitted()
        X = check_dask_rows(self, X, reset=False)
        return X.map_blocks(lambda block: self._labels(finite_block(block)),
                            drop_axis=1, dtype=np.int64)

    def _check_init_shape(self, init, expected_shape, what):
        init = np.asarray(init, dtype=np.float64)
        if init.shape != expected_shape:
            raise ValueError(
                f"init should be {what} of shape {expected_shape}, got an array of "
                f"shape {init.shape}."
            )
        if not np.all(np.isfinite(init)):
            raise ValueError("init contains NaN or infinity.")
        return init

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        %(y_ignored)s

        %(fitted_self)s
        """
        if is_dask_array(X):
            data = self._prepare_dask(check_dask_rows(self, X, reset=True))
        else:
            data = self._prepare(self._validate_fit_data(X))
        rng = check_random_state(self.random_state)
        n_init = self._effective_n_init()
        best = None
        for run in range(n_init):
            result = self._run_once(data, rng)
            if self.verbose:
                print(
                    f"{type(self).__name__}: restart {run + 1}/{n_init}, "
                    f"objective {result['objective']:.6g} after "
                    f"{result['n_iter']} iterations"
                )
            if best is None or result["objective"] < best["objective"]:
                best = result
        if not best["converged"]:
            warnings.warn(
                f"{type(self).__name__} did not converge within max_iter="
                f"{self.max_iter} iterations (tol={self.tol}); increase max_iter "
                "or tol.",
                ConvergenceWarning,
            )
        self.n_iter_ = best["n_iter"]
        self.objective_ = float(best["objective"])
        self._finish(data, best)
        return self

    def _effective_n_init(self):
        # a given init makes every restart identical
        if not isinstance(self.init, str):
            return 1
        if self.n_init == "auto":  # scikit-learn's rule
            return 1 if self.init == "k-means++" else 10
        return self.n_init

    def _init_sample(self, n_samples, rng):
        """Rows that k-means++ seeding draws from: all, or ``init_size`` random ones.

        ``init_size="auto"`` takes ``256 * n_clusters`` rows (faiss's rule for
        its training sample), None all rows. Draws from ``rng`` only when it
        subsamples.
        """
        size = self.init_size
        if size == "auto":
            size = 256 * self.n_clusters
        if size is None or size >= n_samples:
            return slice(None)
        size = max(size, self.n_clusters)
        return np.sort(rng.randint(0, n_samples, size=size))

    def _warn_dropped(self, n_kept):
        warn_empty_clusters(self, n_kept)

    def _check_fitted(self):
        check_is_fitted(self, "labels_")
