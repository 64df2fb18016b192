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


# ------------------------------------------------------------------ kernels


def test_assign_and_accumulate_matches_a_naive_loop():
    from skdeepclust._kernels.spherical import assign_and_accumulate

    rng = np.random.RandomState(0)
    X = rng.randn(40, 5).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    C = X[[0, 7, 20]]
    S = X @ C.T
    labels = np.empty(40, dtype=np.int64)
    best = np.empty(40, dtype=np.float32)
    # the kernel adds to the sums and counts it is given
    sums, counts = np.ones((3, 5)), np.ones(3, dtype=np.int64)
    total = assign_and_accumulate(X, S, labels, best, sums, counts)
    expected_labels = [int(np.argmax([x @ c for c in C])) for x in X]
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_allclose(best, [S[i, k] for i, k in enumerate(expected_labels)])
    for k in range(3):
        members = [X[i].astype(np.float64) for i in range(40) if expected_labels[i] == k]
        np.testing.assert_allclose(sums[k], 1.0 + np.sum(members, axis=0), rtol=1e-5)
        assert counts[k] == 1 + len(members)
    assert total == pytest.approx(sum(float(S[i, k]) for i, k in enumerate(expected_labels)),
                                  rel=1e-6)


def test_assign_breaks_ties_to_the_first_centre():
    from skdeepclust._kernels.spherical import assign_and_accumulate

    X = angles(45)
    S = np.array([[0.5, 0.5, 0.5]])
    labels, best = np.empty(1, dtype=np.int64), np.empty(1)
    assign_and_accumulate(X, S, labels, best, np.zeros((3, 2)), np.zeros(3, dtype=np.int64))
    assert labels[0] == np.argmax(S[0]) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_candidate_distances_match_the_formula(dtype):
    from skdeepclust._kernels.spherical import candidate_distances

    rng = np.random.RandomState(1)
    X = rng.randn(30, 4)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    X = X.astype(dtype)
    candidates = X[[3, 3, 11]]  # a repeated candidate gives a repeated row
    closest = rng.uniform(0, 2, size=30).astype(dtype)
    distances = np.empty((3, 30), dtype=dtype)
    potentials = candidate_distances(X, candidates, closest, distances)
    for c, cand in enumerate(candidates):
        for i, x in enumerate(X):
            expected = min(closest[i], max(1.0 - float(x @ cand), 0.0))
            assert distances[c, i] == pytest.approx(expected, abs=1e-6)
        assert potentials[c] == pytest.approx(distances[c].sum(dtype=np.float64), rel=1e-6)
    # a candidate's own row is at distance 0
    assert distances[0, 3] == pytest.approx(0.0, abs=1e-6)


def test_assignment_pass_over_several_chunks_equals_one_product():
    from skdeepclust.cluster._base import chunk_rows
    from skdeepclust.cluster._spherical_kmeans import assignment_pass

    rng = np.random.RandomState(0)
    n = 2 * chunk_rows(3, 4, 8) + 17  # three chunks, the last one ragged
    X = rng.randn(n, 3)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    C = X[:4]
    stats = assignment_pass(X, C)
    S = X @ C.T
    labels = S.argmax(axis=1)
    np.testing.assert_array_equal(stats["labels"], labels)
    np.testing.assert_allclose(stats["best"], S.max(axis=1))
    np.testing.assert_array_equal(stats["counts"], np.bincount(labels, minlength=4))
    np.testing.assert_allclose(stats["sums"], [X[labels == k].sum(0) for k in range(4)],
                               rtol=1e-12, atol=1e-12)
    assert stats["similarity"] == pytest.approx(S.max(axis=1).sum(), rel=1e-12)


# -------------------------------------------------- seeding sample and restarts


def test_init_size_draws_the_seeds_from_a_sample(directional_blobs):
    X, _ = directional_blobs
    skm = SphericalKMeans(n_clusters=3, init_size=5)
    rng = np.random.RandomState(0)
    sample = skm._init_sample(X.shape[0], rng)
    assert len(sample) == 5 and np.all(np.diff(sample) >= 0)
    # the seeds are rows of the sample (drawn with the same generator)
    centers = skm._plusplus(X / np.linalg.norm(X, axis=1, keepdims=True),
                            np.random.RandomState(0), {})
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    for center in centers:
        assert np.isclose(np.abs(Xn[sample] - center).sum(axis=1), 0).any()
    # "auto" takes 256 rows per cluster, None every row
    assert SphericalKMeans(3)._init_sample(90, rng) == slice(None)
    assert len(SphericalKMeans(3)._init_sample(1000, rng)) == 768
    assert SphericalKMeans(3, init_size=None)._init_sample(10**6, rng) == slice(None)
    # never fewer rows than clusters
    assert len(SphericalKMeans(3, init_size=1)._init_sample(90, rng)) == 3


@pytest.mark.parametrize("init, expected", [("k-means++", 1), ("random", 10)])
def test_n_init_auto_follows_scikit_learn(directional_blobs, init, expected, capsys):
    X, _ = directional_blobs
    SphericalKMeans(n_clusters=3, init=init, verbose=1, random_state=0).fit(X)
    assert capsys.readouterr().out.count("restart") == expected



def test_farthest_rows_are_the_stable_sort_prefix():
    from skdeepclust.cluster._spherical_kmeans import farthest_rows

    rng = np.random.RandomState(0)
    best = rng.choice([0.1, 0.2, 0.5, 0.9], size=200).astype(np.float32)  # many ties
    for n in (0, 1, 3, 17, 60, 199, 200, 250):
        np.testing.assert_array_equal(farthest_rows(best, n),
                                      np.argsort(best, kind="stable")[:n])
