"""Bad input gets a clear error from every classical estimator."""

import numpy as np
import pytest
import scipy.sparse as sp

from skdeepclust import PAC, FuzzyCMeans, SphericalKMeans

ESTIMATORS = [PAC, FuzzyCMeans, SphericalKMeans]
X_OK = np.random.RandomState(0).rand(20, 3)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "X,match",
    [
        (np.where(np.eye(20, 3) > 0, np.nan, X_OK), "NaN"),
        (np.where(np.eye(20, 3) > 0, np.inf, X_OK), "infinity"),
        (np.empty((0, 3)), "0 sample"),
        (np.empty((5, 0)), "0 feature"),
        (X_OK.reshape(20, 3, 1), "dim 3"),
        (X_OK[:, 0], "Expected 2D array"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), "could not convert|dtype"),
    ],
    ids=["nan", "inf", "empty", "no-features", "3d", "1d", "strings"],
)
def test_bad_arrays(Estimator, X, match):
    with pytest.raises(ValueError, match=match):
        Estimator(n_clusters=2).fit(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_one_sample_and_too_many_clusters(Estimator):
    with pytest.raises(ValueError, match="n_samples=1 should be >= n_clusters=2"):
        Estimator(n_clusters=2).fit(X_OK[:1])
    with pytest.raises(ValueError, match="n_samples=20 should be >= n_clusters=21"):
        Estimator(n_clusters=21).fit(X_OK)


@pytest.mark.parametrize("Estimator", [PAC, FuzzyCMeans])
@pytest.mark.parametrize("m", [1.0, 0.5, -2])
def test_fuzzifier_must_exceed_one(Estimator, m):
    with pytest.raises(ValueError, match="'m' parameter"):
        Estimator(n_clusters=2, m=m).fit(X_OK)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params", [{"n_clusters": 0}, {"max_iter": 0}, {"tol": -1.0}, {"n_init": 0}]
)
def test_bad_parameters(Estimator, params):
    with pytest.raises(ValueError, match="parameter"):
        Estimator(**{"n_clusters": 2, **params}).fit(X_OK)


@pytest.mark.parametrize("Estimator", [PAC, FuzzyCMeans])
def test_sparse_input_rejected_clearly(Estimator):
    with pytest.raises(TypeError, match="Sparse data was passed"):
        Estimator(n_clusters=2).fit(sp.csr_matrix(X_OK))


def test_sparse_input_accepted_by_spherical_kmeans():
    labels = SphericalKMeans(n_clusters=2, random_state=0).fit_predict(sp.csr_matrix(X_OK))
    assert labels.shape == (20,)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Estimator):
    est = Estimator(n_clusters=2, random_state=0).fit(X_OK)
    with pytest.raises(ValueError, match="3 features"):
        est.predict(np.ones((4, 2)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_labels_are_consecutive_integers(Estimator):
    labels = Estimator(n_clusters=4, random_state=0).fit(X_OK).labels_
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(np.unique(labels), np.arange(labels.max() + 1))
