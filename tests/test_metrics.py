"""Cluster accuracy and scorers."""

import itertools

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeepclust import PAC, FuzzyCMeans, SphericalKMeans
from skdeepclust.metrics import (
    CLUSTERING_SCORERS,
    cluster_accuracy,
    cluster_accuracy_scorer,
    clustering_report,
)


def brute_force_accuracy(y_true, y_pred):
    """Best accuracy over every injective map of clusters to classes."""
    classes = list(np.unique(y_true))
    clusters = list(np.unique(y_pred))
    padded = classes + [None] * max(0, len(clusters) - len(classes))
    best = 0
    for perm in itertools.permutations(padded, len(clusters)):
        mapping = dict(zip(clusters, perm))
        best = max(best, sum(mapping[p] == t for t, p in zip(y_true, y_pred)))
    return best / len(y_true)


def test_hand_checked_case():
    # Clusters 1 -> class 0, 0 -> class 1 (two of three right), 2 -> class 2.
    y_true = [0, 0, 1, 1, 2, 2]
    y_pred = [1, 1, 0, 0, 0, 2]
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(5 / 6)


def test_invariant_to_renaming():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    assert cluster_accuracy(y, np.array([7, 7, 3, 3, 5, 5, 5])) == 1.0
    assert cluster_accuracy(["a", "a", "b"], [1, 1, 0]) == 1.0


@pytest.mark.parametrize("n_classes,n_clusters", [(3, 3), (3, 5), (5, 3), (2, 4)])
def test_matches_brute_force(n_classes, n_clusters):
    rng = np.random.RandomState(n_classes * 10 + n_clusters)
    for _ in range(5):
        y_true = rng.randint(n_classes, size=25)
        y_pred = rng.randint(n_clusters, size=25)
        assert cluster_accuracy(y_true, y_pred) == pytest.approx(
            brute_force_accuracy(y_true, y_pred)
        )


def test_length_mismatch_and_empty():
    with pytest.raises(ValueError, match="different lengths"):
        cluster_accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="at least one"):
        cluster_accuracy([], [])


def test_report():
    report = clustering_report([0, 0, 1, 1], [0, 1, 0, 1])
    assert report["acc"] == 0.5
    assert report["ari"] < 0.0 + 1e-12
    assert report["nmi"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "estimator,grid",
    [
        (PAC(random_state=0), {"pac__m": [1.03, 1.5]}),
        (FuzzyCMeans(random_state=0), {"fuzzycmeans__m": [1.1, 2.0]}),
        (SphericalKMeans(random_state=0), {"sphericalkmeans__n_init": [1, 3]}),
    ],
)
def test_grid_search_with_cluster_accuracy(estimator, grid):
    centers = 6.0 * np.eye(4)[:3] + 3.0
    X, y = make_blobs(n_samples=90, centers=centers, cluster_std=0.7, random_state=0)
    estimator.set_params(n_clusters=3)
    pipe = make_pipeline(StandardScaler(), estimator)
    search = GridSearchCV(pipe, grid, scoring=cluster_accuracy_scorer, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.9
    assert cluster_accuracy(y, search.predict(X)) > 0.9


def test_scorer_dict_in_grid_search():
    X, y = make_blobs(n_samples=60, centers=3, random_state=1)
    search = GridSearchCV(
        PAC(n_clusters=3, random_state=0),
        {"m": [1.03, 1.05]},
        scoring=CLUSTERING_SCORERS,
        refit="acc",
        cv=2,
    )
    search.fit(X, y)
    for name in ("acc", "nmi", "ari"):
        assert np.all(np.isfinite(search.cv_results_[f"mean_test_{name}"]))
    assert search.cv_results_["mean_test_acc"].max() > 0.9
