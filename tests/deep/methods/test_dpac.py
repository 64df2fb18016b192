"""DPACClusterer: stages, objectives, learning on toy data."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skdeepclust import DPACClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import cluster_accuracy


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=300, centers=4, n_features=8, cluster_std=1.5,
                      random_state=0)
    return X.astype(np.float32), y


def test_losses_decrease_and_clusters_are_found(blobs):
    X, y = blobs
    model = DPACClusterer(n_clusters=4, pretrain_epochs=15, max_epochs=15, batch_size=64,
                          random_state=0).fit(X)
    pretrain = [h["contrastive"] for h in model.history_ if h["stage"] == "pretrain"]
    clustering = [h["clustering"] for h in model.history_ if h["stage"] == "cluster"]
    assert pretrain[-1] < pretrain[0]
    assert clustering[-1] < clustering[0]
    assert cluster_accuracy(y, model.labels_) > 0.95


def test_learns_digits_quickly():
    # ~10 s on one CPU thread; scikit-learn's KMeans gets 0.79 on these images
    images, y = load_digit_images()
    model = DPACClusterer(n_clusters=10, pretrain_epochs=10, max_epochs=10, batch_size=128,
                          random_state=0).fit(images)
    assert cluster_accuracy(y, model.labels_) > 0.8


@pytest.mark.parametrize("objective", ["opa", "jpac"])
def test_objectives_and_self_labeling_stage(blobs, objective):
    X, _ = blobs
    model = DPACClusterer(n_clusters=4, pretrain_epochs=1, max_epochs=1,
                          self_labeling_epochs=1, objective=objective, batch_size=64,
                          random_state=0).fit(X)
    assert [h["stage"] for h in model.history_] == ["pretrain", "cluster", "self_labeling"]
    assert 0.0 <= model.history_[-1]["confident_fraction"] <= 1.0
    assert np.isfinite(model.history_[1]["clustering"])


def test_large_m_warns(blobs):
    X, _ = blobs
    with pytest.warns(UserWarning, match="above 1.2"):
        DPACClusterer(n_clusters=4, m=1.5, pretrain_epochs=0, max_epochs=1,
                      random_state=0).fit(X)


def test_predict_proba_is_consistent(blobs):
    X, _ = blobs
    model = DPACClusterer(n_clusters=4, pretrain_epochs=2, max_epochs=2, batch_size=64,
                          random_state=0).fit(X)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), model.n_clusters_)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(proba.argmax(1), model.labels_)
