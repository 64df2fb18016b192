"""PAC against a naive loop over Eq. 8 of the paper, plus hand-checked cases."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning

from skdeepclust import PAC
from skdeepclust.metrics import cluster_accuracy


def naive_distances(X, metric):
    """d_ij by a double loop."""
    n = X.shape[0]
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if metric == "sqeuclidean":
                D[i, j] = np.sum((X[i] - X[j]) ** 2)
            else:
                ni, nj = np.linalg.norm(X[i]), np.linalg.norm(X[j])
                D[i, j] = 1.0 - X[i] @ X[j] / (ni * nj)
    return D


def naive_sweep(D, P, m):
    """One Gauss-Seidel sweep of Eq. 8, written as in the paper's Algorithm 1."""
    P = P.copy()
    n, K = P.shape
    alpha = 1.0 / (m - 1.0)
    for i in range(n):
        s = np.zeros(K)
        for k in range(K):
            for j in range(n):
                if j != i:
                    s[k] += P[j, k] * D[i, j]
        powered = s ** (-alpha)
        P[i] = powered / powered.sum()
    return P


def naive_objective(D, P, m):
    n, K = P.shape
    total = 0.0
    for i in range(n):
        for j in range(n):
            for k in range(K):
                total += P[i, k] ** m * P[j, k] * D[i, j]
    return total


def near_uniform(n, K, seed):
    rng = np.random.RandomState(seed)
    P = np.full((n, K), 1.0 / K) + 0.02 * rng.rand(n, K)
    return P / P.sum(1, keepdims=True)


@pytest.fixture
def small_blobs():
    # Three blobs in distinct directions: clusters for both metrics.
    centers = 10.0 * np.eye(4)[:3]
    X, _ = make_blobs(n_samples=30, centers=centers, cluster_std=1.5, random_state=3)
    return X


@pytest.mark.parametrize("metric", ["sqeuclidean", "cosine", "precomputed"])
@pytest.mark.parametrize("m", [1.2, 1.05])
def test_matches_naive_sweeps(small_blobs, metric, m):
    X = small_blobs
    D = naive_distances(X, "cosine" if metric == "cosine" else "sqeuclidean")
    P0 = near_uniform(X.shape[0], 3, seed=1)
    n_sweeps = 6
    P_ref = P0
    for _ in range(n_sweeps):
        P_ref = naive_sweep(D, P_ref, m)
    pac = PAC(n_clusters=3, m=m, metric=metric, init=P0, max_iter=n_sweeps, tol=0.0)
    # tol=0 stops early only once a sweep changes nothing at all (saturated
    # memberships), after which further naive sweeps change nothing either.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pac.fit(D if metric == "precomputed" else X)
    assert pac.n_clusters_ == 3
    np.testing.assert_allclose(pac.memberships_, P_ref, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(pac.labels_, P_ref.argmax(1))
    assert pac.objective_ == pytest.approx(naive_objective(D, P_ref, m), rel=1e-9)


@pytest.mark.parametrize("metric", ["sqeuclidean", "cosine", "precomputed"])
def test_fitted_memberships_are_a_fixed_point(small_blobs, metric):
    X = small_blobs
    D = naive_distances(X, "cosine" if metric == "cosine" else "sqeuclidean")
    pac = PAC(n_clusters=3, m=1.2, metric=metric, tol=1e-13, max_iter=2000, random_state=0)
    pac.fit(D if metric == "precomputed" else X)
    P = pac.memberships_
    np.testing.assert_allclose(naive_sweep(D, P, 1.2), P, atol=1e-9)
    # predict_proba on the training data gives the fitted memberships back
    np.testing.assert_allclose(
        pac.predict_proba(D if metric == "precomputed" else X), P, atol=1e-9
    )


def test_hand_checked_first_rows():
    # 1-D points 0, 1, 10, 11; m = 2 so that p_ik is proportional to 1 / s_ik.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    P0 = np.array([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    pac = PAC(n_clusters=2, m=2.0, init=P0, max_iter=1, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        pac.fit(X)
    # Row 0: d = (1, 100, 121) to rows 1..3.
    # s_00 = 0.9*1 + 0.1*100 + 0.5*121 = 71.4; s_01 = 0.1*1 + 0.9*100 + 0.5*121 = 150.6
    p0 = np.array([150.6, 71.4]) / 222.0
    np.testing.assert_allclose(pac.memberships_[0], p0, rtol=1e-12)
    # Row 1 already sees the new row 0 (Gauss-Seidel): d = (1, 81, 100).
    s10 = p0[0] * 1 + 0.1 * 81 + 0.5 * 100
    s11 = p0[1] * 1 + 0.9 * 81 + 0.5 * 100
    np.testing.assert_allclose(
        pac.memberships_[1], np.array([s11, s10]) / (s10 + s11), rtol=1e-12
    )


def test_stable_on_pixel_scale_data_with_small_m():
    X, y = load_digits(return_X_y=True)
    X = X[:400] * 16.0  # 0-255 pixel range
    pac = PAC(n_clusters=10, m=1.01, max_iter=30, random_state=0)
    with np.errstate(all="raise"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pac.fit(X)
    assert np.all(np.isfinite(pac.memberships_))
    np.testing.assert_allclose(pac.memberships_.sum(1), 1.0)
    assert cluster_accuracy(y[:400], pac.labels_) > 0.6


def test_recovers_blobs_and_predicts_new_points():
    X, y = make_blobs(n_samples=200, centers=4, cluster_std=0.5, random_state=0)
    pac = PAC(n_clusters=4, random_state=0).fit(X)
    assert cluster_accuracy(y, pac.labels_) == 1.0
    X_new, y_new = make_blobs(n_samples=50, centers=4, cluster_std=0.5, random_state=0)
    assert cluster_accuracy(y_new, pac.predict(X_new)) == 1.0
    proba = pac.predict_proba(X_new)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(proba.argmax(1), pac.predict(X_new))


def test_precomputed_predict_takes_distances_to_training_samples(small_blobs):
    X = small_blobs
    D = naive_distances(X, "sqeuclidean")
    pac_d = PAC(n_clusters=3, metric="precomputed", random_state=0).fit(D)
    pac_x = PAC(n_clusters=3, random_state=0).fit(X)
    np.testing.assert_allclose(pac_d.memberships_, pac_x.memberships_, atol=1e-8)
    X_new = X[:5] + 0.1
    D_new = ((X_new[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(pac_d.predict_proba(D_new), pac_x.predict_proba(X_new), atol=1e-8)
    with pytest.raises(ValueError, match="features"):
        pac_d.predict(D_new[:, :10])


def test_more_restarts_never_worse():
    X, _ = make_blobs(n_samples=120, centers=5, random_state=2)
    one = PAC(n_clusters=5, n_init=1, random_state=0).fit(X)
    three = PAC(n_clusters=5, n_init=3, random_state=0).fit(X)
    assert three.objective_ <= one.objective_ + 1e-9


def test_same_seed_same_result_and_float32(small_blobs):
    a = PAC(n_clusters=3, random_state=5).fit(small_blobs)
    b = PAC(n_clusters=3, random_state=5).fit(small_blobs)
    np.testing.assert_array_equal(a.memberships_, b.memberships_)
    c = PAC(n_clusters=3, random_state=5).fit(small_blobs.astype(np.float32))
    np.testing.assert_array_equal(a.labels_, c.labels_)


def test_score_is_negative_objective_on_training_data(small_blobs):
    pac = PAC(n_clusters=3, m=1.2, tol=1e-12, max_iter=1000, random_state=0).fit(small_blobs)
    assert pac.score(small_blobs) == pytest.approx(-pac.objective_, rel=1e-6)


def test_convergence_warning_when_max_iter_reached(small_blobs):
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        PAC(n_clusters=3, max_iter=1, random_state=0).fit(small_blobs)


def test_duplicate_points_do_not_produce_nan():
    X = np.repeat(np.array([[0.0, 0.0], [3.0, 3.0]]), 10, axis=0)
    pac = PAC(n_clusters=2, random_state=0).fit(X)
    assert np.all(np.isfinite(pac.memberships_))
    assert len(set(pac.labels_[:10])) == 1 and len(set(pac.labels_[10:])) == 1


def test_non_square_precomputed_rejected():
    with pytest.raises(ValueError, match="square"):
        PAC(n_clusters=2, metric="precomputed").fit(np.ones((5, 4)))


def test_negative_precomputed_rejected():
    D = np.ones((4, 4))
    D[0, 1] = -1
    with pytest.raises(ValueError, match="negative"):
        PAC(n_clusters=2, metric="precomputed").fit(D)


def test_init_shape_checked(small_blobs):
    with pytest.raises(ValueError, match="init should be"):
        PAC(n_clusters=3, init=np.ones((4, 3))).fit(small_blobs)
