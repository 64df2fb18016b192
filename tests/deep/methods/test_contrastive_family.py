"""CCClusterer, C3Clusterer and CCESClusterer."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skdeepclust import C3Clusterer, CCClusterer, CCESClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import cluster_accuracy

from .._helpers import Record


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=240, centers=4, n_features=8, cluster_std=1.5,
                      random_state=0)
    return X.astype(np.float32), y


def test_cc_finds_blobs_and_its_losses_fall(blobs):
    X, y = blobs
    model = CCClusterer(n_clusters=4, max_epochs=30, batch_size=64, random_state=0).fit(X)
    assert cluster_accuracy(y, model.labels_) > 0.95
    first, last = model.history_[0], model.history_[-1]
    assert last["instance"] < first["instance"]
    assert last["cluster"] < first["cluster"]


def test_cc_learns_digits():
    images, y = load_digit_images()
    model = CCClusterer(n_clusters=10, max_epochs=15, batch_size=64,
                        random_state=0).fit(images)
    assert cluster_accuracy(y, model.labels_) > 0.6


def test_c3_positive_count_grows_and_learning_rate_switches(blobs):
    X, _ = blobs
    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    model = C3Clusterer(n_clusters=4, pretrain_epochs=5, max_epochs=15, batch_size=64,
                        lr=1e-3, finetune_lr=1e-3, random_state=0, callbacks=[lr])
    model.fit(X)
    positives = [h["positives_per_sample"] for h in model.history_ if h["stage"] == "c3"]
    assert len(positives) == 15
    assert positives[-1] > positives[0]
    assert lr.seen[:5] == [1e-3] * 5

    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    C3Clusterer(n_clusters=4, pretrain_epochs=2, max_epochs=2, batch_size=64,
                finetune_lr=1e-5, random_state=0, callbacks=[lr]).fit(X)
    assert lr.seen == [1e-3, 1e-3, 1e-5, 1e-5]


def test_c3_second_stage_leaves_the_cluster_head_alone(blobs):
    X, _ = blobs
    heads = Record(lambda net: [p.detach().clone()
                                 for p in net.module_.cluster_head.parameters()])
    C3Clusterer(n_clusters=4, pretrain_epochs=1, max_epochs=3, batch_size=64,
                random_state=0, callbacks=[heads]).fit(X)
    for before, after in zip(heads.seen[1], heads.seen[-1]):
        assert np.array_equal(before.numpy(), after.numpy())


def test_cces_support_set_is_capped_and_boxes_refresh():
    images, _ = load_digit_images()
    images = images[:200]
    support = Record(lambda net: tuple(net.fit_state_["support"].features.shape))
    boxes = Record(lambda net: net.fit_state_["boxes"].clone())
    CCESClusterer(n_clusters=10, max_epochs=4, batch_size=64, nn_warmup=1,
                  loc_interval=2, crop_warmup=2, random_state=0,
                  callbacks=[support, boxes]).fit(images)
    assert support.seen[-1] == (200, 128)
    whole = np.array([0.0, 0.0, 1.0, 1.0])
    assert np.all(boxes.seen[0].numpy() == whole)  # before the first refresh
    refreshed = boxes.seen[-1].numpy()
    assert refreshed.shape == (200, 4)
    assert np.any(np.abs(refreshed - whole).sum(1) > 0)  # some boxes shrank
    assert np.all(refreshed[:, :2] < refreshed[:, 2:])


@pytest.mark.parametrize("nearest_neighbors", [True, False])
@pytest.mark.parametrize("crop", ["contrastive", "random"])
def test_cces_ablation_settings_train(blobs, nearest_neighbors, crop):
    X, y = blobs
    model = CCESClusterer(n_clusters=4, max_epochs=20, nn_warmup=5, batch_size=64,
                          nearest_neighbors=nearest_neighbors, crop=crop,
                          random_state=0).fit(X)
    assert cluster_accuracy(y, model.labels_) > 0.9
