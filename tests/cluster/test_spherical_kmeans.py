"""SphericalKMeans against a naive loop and hand-computed cases."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from skdeepclust import SphericalKMeans
from skdeepclust.cluster._spherical_kmeans import spherical_kmeans_plusplus
from skdeepclust.metrics import cluster_accuracy


def naive_spherical_kmeans(X, C0, n_iter):
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = C0 / np.linalg.norm(C0, axis=1, keepdims=True)
    for _ in range(n_iter):
        labels = np.array([np.argmax([x @ c for c in C]) for x in X])
        new = np.zeros_like(C)
        for i, k in enumerate(labels):
            new[k] += X[i]
        C = np.array([v / np.linalg.norm(v) for v in new])
    labels = np.array([np.argmax([x @ c for c in C]) for x in X])
    return labels, C


def angles(*degrees):
    rad = np.deg2rad(degrees)
    return np.stack([np.cos(rad), np.sin(rad)], axis=1)


@pytest.fixture
def directional_blobs():
    centers = 5.0 * np.eye(5)[:3]
    X, y = make_blobs(n_samples=90, centers=centers, n_features=5, cluster_std=1.0,
                      random_state=1)
    return X, y


def test_matches_naive_loop(directional_blobs):
    X, _ = directional_blobs
    C0 = X[[0, 1, 2]]
    for n_iter in (1, 2, 4):
        labels, C = naive_spherical_kmeans(X, C0, n_iter)
        skm = SphericalKMeans(n_clusters=3, init=C0, max_iter=n_iter, tol=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            skm.fit(X)
        np.testing.assert_allclose(skm.cluster_centers_, C, atol=1e-12)
        np.testing.assert_array_equal(skm.labels_, labels)


def test_hand_computed_four_directions():
    # Rows at 0, 10, 80 and 90 degrees (with different lengths); centres start
    # at 0 and 90 degrees, so clusters are {0, 10} and {80, 90} with centres at
    # 5 and 85 degrees, and each row is 5 degrees from its centre.
    X = angles(0, 10, 80, 90) * np.array([[1.0], [3.0], [0.5], [2.0]])
    skm = SphericalKMeans(n_clusters=2, init=angles(0, 90), n_init=1).fit(X)
    np.testing.assert_array_equal(skm.labels_, [0, 0, 1, 1])
    np.testing.assert_allclose(skm.cluster_centers_, angles(5, 85), atol=1e-12)
    assert skm.inertia_ == pytest.approx(4 * (1 - np.cos(np.deg2rad(5))), rel=1e-10)
    np.testing.assert_allclose(skm.transform(angles(5)), [[0.0, 1 - np.cos(np.deg2rad(80))]],
                               atol=1e-12)


def test_recovers_directions_and_is_scale_invariant(directional_blobs):
    X, y = directional_blobs
    skm = SphericalKMeans(n_clusters=3, random_state=0).fit(X)
    assert cluster_accuracy(y, skm.labels_) == 1.0
    np.testing.assert_allclose(np.linalg.norm(skm.cluster_centers_, axis=1), 1.0)
    scale = np.random.RandomState(0).uniform(0.1, 10, size=(X.shape[0], 1))
    np.testing.assert_array_equal(skm.predict(X * scale), skm.labels_)


def test_sparse_input_gives_the_dense_result(directional_blobs):
    X, _ = directional_blobs
    X = np.abs(X)
    X[X < 1.0] = 0.0
    dense = SphericalKMeans(n_clusters=3, random_state=0).fit(X)
    sparse = SphericalKMeans(n_clusters=3, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(dense.labels_, sparse.labels_)
    np.testing.assert_allclose(dense.cluster_centers_, sparse.cluster_centers_, atol=1e-12)
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_empty_cluster_is_reseeded():
    # The third initial centre points away from every row: it captures no one at
    # the first assignment and must be re-seeded with the worst-fitted row.
    X = angles(0, 2, 4, 45, 47, 88, 90)
    init = np.vstack([angles(0, 90), [[0.0, -1.0]]])
    skm = SphericalKMeans(n_clusters=3, init=init).fit(X)
    assert skm.n_clusters_ == 3
    assert np.all(np.bincount(skm.labels_) > 0)
    np.testing.assert_array_equal(skm.labels_, [0, 0, 0, 2, 2, 1, 1])


def test_kmeans_plusplus_seeds_are_distinct_rows(directional_blobs):
    X, y = directional_blobs
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    centers, idx = spherical_kmeans_plusplus(Xn, 3, np.random.RandomState(0))
    np.testing.assert_array_equal(centers, Xn[idx])
    # With three well separated directions the seeds land in three classes.
    assert len(set(y[idx])) == 3


def test_more_restarts_never_worse():
    X, _ = make_blobs(n_samples=300, centers=8, n_features=6, random_state=0)
    one = SphericalKMeans(n_clusters=8, n_init=1, random_state=0).fit(X)
    many = SphericalKMeans(n_clusters=8, n_init=5, random_state=0).fit(X)
    assert many.inertia_ <= one.inertia_ + 1e-9


def test_float32_preserved(directional_blobs):
    X, _ = directional_blobs
    skm = SphericalKMeans(n_clusters=3, random_state=0).fit(X.astype(np.float32))
    assert skm.cluster_centers_.dtype == np.float32
    assert skm.transform(X.astype(np.float32)).dtype == np.float32
