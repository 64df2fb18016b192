"""DPACClusterer: stages, objectives, learning on toy data."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skdeepclust import DPACClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import cluster_accuracy

from .._helpers import Record


BLOB_SAMPLES = 300  # the conftest's blobs fixture


def test_losses_decrease_and_clusters_are_found(blobs):
    X, y = blobs
    model = DPACClusterer(n_clusters=4, pretrain_epochs=15, max_epochs=30, batch_size=64,
                          random_state=0).fit(X)
    pretrain = [h["contrastive"] for h in model.history_ if h["stage"] == "pretrain"]
    clustering = [h["clustering"] for h in model.history_ if h["stage"] == "cluster"]
    assert pretrain[-1] < pretrain[0]
    assert clustering[-1] < clustering[0]
    assert cluster_accuracy(y, model.labels_) > 0.95


def test_learns_digits_quickly():
    # ~25 s on one CPU thread; scikit-learn's KMeans gets 0.79 on these images.
    # The views this threshold was set with: at this budget the paper's
    # weak + strong pre-training and four operations are within seed noise
    # of them (one thread, seeds 0-2: 0.79/0.93/0.83 vs 0.83/0.86/0.84).
    images, y = load_digit_images()
    model = DPACClusterer(n_clusters=10, pretrain_epochs=10, max_epochs=20, batch_size=128,
                          pretrain_views="weak_weak", strong_ops=2,
                          random_state=0).fit(images)
    assert cluster_accuracy(y, model.labels_) > 0.8


@pytest.mark.parametrize("objective", ["opa", "jpac"])
def test_objectives_and_self_labeling_stage(blobs, objective):
    X, _ = blobs
    model = DPACClusterer(n_clusters=4, pretrain_epochs=1, max_epochs=3,
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
    model = DPACClusterer(n_clusters=4, pretrain_epochs=2, max_epochs=4, batch_size=64,
                          random_state=0).fit(X)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), model.n_clusters_)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(proba.argmax(1), model.labels_)


class _CountStrongViews(Callback):
    """Wraps the fit's strong view maker and counts its calls per stage."""

    def on_train_begin(self, net, **kwargs):
        maker = net.views_.strong_maker
        self.n_ops = getattr(maker, "n_ops", None)
        self.stages = []

        def counting(x, generator, **options):
            self.stages.append(net.method.stage(net.epoch))
            return maker(x, generator, **options)

        net.views_.strong_maker = counting


@pytest.mark.parametrize("pretrain_views, strong_calls", [("weak_strong", 2),
                                                           ("weak_weak", 0)])
def test_pretrain_views_and_strong_ops(pretrain_views, strong_calls):
    images, _ = load_digit_images()
    count = _CountStrongViews()
    DPACClusterer(n_clusters=10, pretrain_epochs=1, max_epochs=2, batch_size=64,
                  pretrain_views=pretrain_views, strong_ops=4, random_state=0,
                  callbacks=[count]).fit(images[:128])
    assert count.n_ops == 4  # the paper's four RandAugment operations
    assert count.stages.count("pretrain") == strong_calls
    assert count.stages.count("cluster") == 2
    count = _CountStrongViews()
    DPACClusterer(n_clusters=10, pretrain_epochs=1, max_epochs=1, batch_size=64,
                  random_state=0, callbacks=[count]).fit(images[:128])
    assert count.n_ops == 0  # the default (measured, see the docstring's Notes)
    assert count.stages.count("pretrain") == 0  # two weak views by default


class _CPUAutocast(Callback):
    """Trains under CPU bfloat16 autocast; keeps the dtypes that reach the losses."""

    def on_train_begin(self, net, **kwargs):
        net.autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)
        method = net.method
        aggregation, contrastive = method.aggregation, method.contrastive_loss
        self.dtypes, self.contrastive_dtypes = [], []

        def recording_aggregation(h0, p0):
            self.dtypes.append({"h0": h0.dtype, "p0": p0.dtype})
            return aggregation(h0, p0)

        def recording_contrastive(z1, z2, p):
            self.contrastive_dtypes.append({"z1": z1.dtype, "p": p.dtype})
            return contrastive(z1, z2, p)

        method.aggregation = recording_aggregation
        method.contrastive_loss = recording_contrastive


def test_opa_inputs_are_float32_under_autocast(blobs):
    X, _ = blobs
    autocast = _CPUAutocast()
    model = DPACClusterer(n_clusters=4, pretrain_epochs=0, max_epochs=1, batch_size=64,
                          random_state=0, callbacks=[autocast]).fit(X)
    assert autocast.dtypes and autocast.contrastive_dtypes
    for dtypes in autocast.dtypes:
        assert dtypes["h0"] == torch.float32
        assert dtypes["p0"] == torch.float32
    for dtypes in autocast.contrastive_dtypes:
        assert dtypes["p"] == torch.float32  # the contrastive weights: OPA's p0
        assert dtypes["z1"] == torch.bfloat16  # the rest did run under autocast
    assert np.isfinite(model.history_[-1]["clustering"])


def test_pretraining_has_its_own_batch_size(blobs):
    X, _ = blobs  # 300 samples; incomplete batches are dropped
    batches = Record(lambda net: (len(net.history[-1]["batches"]), net.batch_size))
    model = DPACClusterer(n_clusters=4, pretrain_epochs=2, max_epochs=4, batch_size=128,
                          pretrain_batch_size=32, random_state=0,
                          callbacks=[batches]).fit(X)
    assert batches.seen == [(9, 32)] * 2 + [(2, 128)] * 2
    assert [h["stage"] for h in model.history_] == ["pretrain"] * 2 + ["cluster"] * 2
    batches = Record(lambda net: (len(net.history[-1]["batches"]), net.batch_size))
    DPACClusterer(n_clusters=4, pretrain_epochs=1, max_epochs=2, batch_size=128,
                  pretrain_batch_size=None, random_state=0, callbacks=[batches]).fit(X)
    assert batches.seen == [(2, 128)] * 2  # None: both stages at batch_size


@pytest.mark.parametrize("weight", [0.0, 0.5, 2.0])
def test_clustering_weight_scales_the_clustering_term(blobs, weight):
    X, _ = blobs  # 300 samples: four full batches of 64, each weighs the same
    model = DPACClusterer(n_clusters=4, pretrain_epochs=0, max_epochs=1, batch_size=64,
                          clustering_weight=weight, random_state=0).fit(X)
    epoch = model.history_[-1]
    assert epoch["stage"] == "cluster" and epoch["clustering"] > 0
    assert epoch["train_loss"] == pytest.approx(
        epoch["contrastive"] + weight * epoch["clustering"], rel=1e-5)
