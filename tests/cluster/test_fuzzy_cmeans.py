"""FuzzyCMeans against naive loops and a hand-computed case."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from skdeepclust import FuzzyCMeans
from skdeepclust.cluster._fuzzy_cmeans import fcm_objective
from skdeepclust.metrics import cluster_accuracy


def naive_memberships(X, C, m):
    n, K = X.shape[0], C.shape[0]
    U = np.zeros((n, K))
    for i in range(n):
        d = np.array([np.sqrt(np.sum((X[i] - C[k]) ** 2)) for k in range(K)])
        for k in range(K):
            U[i, k] = 1.0 / sum((d[k] / d[r]) ** (2.0 / (m - 1.0)) for r in range(K))
    return U


def naive_centers(X, U, m):
    K = U.shape[1]
    C = np.zeros((K, X.shape[1]))
    for k in range(K):
        w = U[:, k] ** m
        C[k] = (w[:, None] * X).sum(0) / w.sum()
    return C


def naive_objective(X, C, m):
    U = naive_memberships(X, C, m)
    return sum(
        U[i, k] ** m * np.sum((X[i] - C[k]) ** 2)
        for i in range(X.shape[0])
        for k in range(C.shape[0])
    )


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=60, centers=3, n_features=3, random_state=0)
    return X, y


@pytest.mark.parametrize("m", [2.0, 1.5, 3.0])
def test_matches_naive_alternation(blobs, m):
    X, _ = blobs
    C0 = X[[0, 1, 2]] + 0.1
    n_iter = 5
    C = C0
    for _ in range(n_iter):
        C = naive_centers(X, naive_memberships(X, C, m), m)
    fcm = FuzzyCMeans(n_clusters=3, m=m, init=C0, max_iter=n_iter, tol=0.0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fcm.fit(X)
    np.testing.assert_allclose(fcm.cluster_centers_, C, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fcm.predict_proba(X), naive_memberships(X, C, m), atol=1e-12)
    assert fcm.objective_ == pytest.approx(naive_objective(X, C, m), rel=1e-10)
    assert fcm.n_iter_ == n_iter


def test_hand_computed_four_points():
    # Points 0, 2, 10, 12 on a line, centres 1 and 11, m = 2:
    # squared distances (1, 121), (1, 81), (81, 1), (121, 1) give
    # memberships (121, 1)/122, (81, 1)/82, (1, 81)/82, (1, 121)/122.
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    fcm = FuzzyCMeans(n_clusters=2, init=[[1.0], [11.0]], max_iter=1, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        fcm.fit(X)
    w = np.array([(121 / 122) ** 2, (81 / 82) ** 2, (1 / 82) ** 2, (1 / 122) ** 2])
    c0 = (w * X[:, 0]).sum() / w.sum()
    c1 = (w[::-1] * X[:, 0]).sum() / w.sum()
    np.testing.assert_allclose(fcm.cluster_centers_.ravel(), [c0, c1], rtol=1e-12)
    # By symmetry the centres are mirror images around 6.
    assert c0 + c1 == pytest.approx(12.0)
    U = FuzzyCMeans(n_clusters=2, init=[[1.0], [11.0]], max_iter=1, tol=0.0)
    U.cluster_centers_ = np.array([[1.0], [11.0]])
    U.labels_ = np.zeros(4, dtype=int)
    U.n_features_in_ = 1
    np.testing.assert_allclose(
        U.predict_proba(X),
        [[121 / 122, 1 / 122], [81 / 82, 1 / 82], [1 / 82, 81 / 82], [1 / 122, 121 / 122]],
        rtol=1e-12,
    )


def test_recovers_blobs_and_memberships_sum_to_one(blobs):
    X, y = blobs
    fcm = FuzzyCMeans(n_clusters=3, random_state=0).fit(X)
    assert cluster_accuracy(y, fcm.labels_) == 1.0
    U = fcm.predict_proba(X)
    np.testing.assert_allclose(U.sum(1), 1.0)
    np.testing.assert_array_equal(U.argmax(1), fcm.predict(X))
    np.testing.assert_array_equal(fcm.predict(X), fcm.labels_)


def test_predict_does_not_change_fitted_state(blobs):
    X, _ = blobs
    fcm = FuzzyCMeans(n_clusters=3, random_state=0).fit(X)
    before = {k: np.copy(v) for k, v in vars(fcm).items() if k.endswith("_")}
    fcm.predict(X[:7] * 3)
    fcm.predict_proba(X[:5] + 1)
    fcm.transform(X)
    fcm.score(X)
    after = {k: v for k, v in vars(fcm).items() if k.endswith("_")}
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])


def test_transform_gives_distances_and_keeps_float32(blobs):
    X, _ = blobs
    fcm = FuzzyCMeans(n_clusters=3, random_state=0).fit(X.astype(np.float32))
    assert fcm.cluster_centers_.dtype == np.float32
    T = fcm.transform(X.astype(np.float32))
    assert T.dtype == np.float32
    expected = np.linalg.norm(X[:, None, :] - fcm.cluster_centers_[None].astype(float), axis=2)
    np.testing.assert_allclose(T, expected, rtol=1e-4, atol=1e-4)


def test_objective_decreases_with_iterations(blobs):
    X, _ = blobs
    C0 = X[[0, 1, 2]]
    objectives = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for t in range(1, 8):
            objectives.append(
                FuzzyCMeans(n_clusters=3, init=C0, max_iter=t, tol=0.0).fit(X).objective_
            )
    assert np.all(np.diff(objectives) <= 1e-9)
    assert fcm_objective(X, C0, 2.0) >= objectives[0]


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_same_seed_same_centres(blobs, init):
    X, _ = blobs
    a = FuzzyCMeans(n_clusters=3, init=init, n_init=2, random_state=4).fit(X)
    b = FuzzyCMeans(n_clusters=3, init=init, n_init=2, random_state=4).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_point_on_a_centre_gets_full_membership():
    X = np.array([[0.0], [1.0], [5.0]])
    fcm = FuzzyCMeans(n_clusters=2, init=[[0.0], [5.0]], max_iter=1, tol=0.0)
    fcm.cluster_centers_ = np.array([[0.0], [5.0]])
    fcm.labels_ = np.zeros(3, dtype=int)
    fcm.n_features_in_ = 1
    U = fcm.predict_proba(X)
    np.testing.assert_array_equal(U[0], [1.0, 0.0])
    np.testing.assert_array_equal(U[2], [0.0, 1.0])
    assert np.all(np.isfinite(U))


def test_fcm_pass_over_several_chunks_matches_the_naive_formulas():
    from skdeepclust.cluster._base import chunk_rows
    from skdeepclust.cluster._fuzzy_cmeans import fcm_pass

    rng = np.random.RandomState(0)
    n = chunk_rows(2, 3, 8) + 50  # two chunks
    X = rng.randn(n, 2)
    C = np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]])
    labels = np.empty(n, dtype=np.int64)
    weighted, weights, objective = fcm_pass(X, np.einsum("ij,ij->i", X, X), C, 2.0, labels)
    # the naive formulas on a subset of rows, then the totals by numpy
    U = naive_memberships(X[:40], C, 2.0)
    D = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    U_all = 1.0 / ((D[:, :, None] / D[:, None, :]) ** 1.0).sum(-1)
    np.testing.assert_allclose(U_all[:40], U, rtol=1e-10)
    W = U_all**2
    np.testing.assert_allclose(weights, W.sum(0), rtol=1e-10)
    np.testing.assert_allclose(weighted, W.T @ X, rtol=1e-10)
    assert objective == pytest.approx(float((W * D).sum()), rel=1e-10)
    np.testing.assert_array_equal(labels, U_all.argmax(1))
