"""CCClusterer, C3Clusterer and CCESClusterer."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.frozen import FrozenEstimator

from skdeepclust import C3Clusterer, CCClusterer, CCESClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import cluster_accuracy

from .._helpers import InterruptAt, Record


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
    model = C3Clusterer(n_clusters=4, pretrain_epochs=5, max_epochs=20, batch_size=64,
                        lr=1e-3, finetune_lr=1e-3, lr_anneal=0.0, random_state=0,
                        callbacks=[lr])
    model.fit(X)
    positives = [h["positives_per_sample"] for h in model.history_ if h["stage"] == "c3"]
    assert len(positives) == 15
    assert positives[-1] > positives[0]
    assert lr.seen[:5] == [1e-3] * 5

    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    C3Clusterer(n_clusters=4, pretrain_epochs=2, max_epochs=4, batch_size=64,
                finetune_lr=1e-5, lr_anneal=0.0, random_state=0, callbacks=[lr]).fit(X)
    assert lr.seen == [1e-3, 1e-3, 1e-5, 1e-5]


def test_c3_anneal_scales_the_stage_rate(blobs):
    # the anneal (last half of 4 epochs: scales 1, 1, 1, cos(pi / 2) = 0.5)
    # multiplies whichever rate the stage trains at
    X, _ = blobs
    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    C3Clusterer(n_clusters=4, pretrain_epochs=2, max_epochs=4, batch_size=64, lr=1e-3,
                finetune_lr=1e-5, lr_anneal=0.5, random_state=0, callbacks=[lr]).fit(X)
    assert lr.seen == pytest.approx([1e-3, 1e-3, 1e-5, 0.5e-5])


def test_c3_second_stage_leaves_the_cluster_head_alone(blobs):
    X, _ = blobs
    heads = Record(lambda net: [p.detach().clone()
                                 for p in net.module_.cluster_head.parameters()])
    C3Clusterer(n_clusters=4, pretrain_epochs=1, max_epochs=4, batch_size=64,
                random_state=0, callbacks=[heads]).fit(X)
    for before, after in zip(heads.seen[1], heads.seen[-1]):
        assert np.array_equal(before.numpy(), after.numpy())


def test_c3_stage_uses_its_own_batch_size_and_history_runs_on(blobs):
    X, _ = blobs  # 240 samples; incomplete batches are dropped
    batches = Record(lambda net: (len(net.history[-1]["batches"]), net.batch_size))
    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    model = C3Clusterer(n_clusters=4, pretrain_epochs=2, max_epochs=5, batch_size=64,
                        finetune_batch_size=32, finetune_lr=1e-5, lr_anneal=0.0,
                        random_state=0, callbacks=[batches, lr]).fit(X)
    assert batches.seen == [(3, 64)] * 2 + [(7, 32)] * 3
    assert [h["epoch"] for h in model.history_] == [1, 2, 3, 4, 5]
    assert [h["stage"] for h in model.history_] == ["cc"] * 2 + ["c3"] * 3
    assert all(np.isfinite(h["c3"]) for h in model.history_[2:])
    assert lr.seen == [1e-3] * 2 + [1e-5] * 3
    assert model.predict(X).shape == (len(X),)


def test_c3_stage_batch_size_is_clipped_and_none_keeps_batch_size(blobs):
    X, _ = blobs
    batches = Record(lambda net: len(net.history[-1]["batches"]))
    C3Clusterer(n_clusters=4, pretrain_epochs=1, max_epochs=2, batch_size=64,
                finetune_batch_size=1000, random_state=0, callbacks=[batches]).fit(X)
    assert batches.seen == [3, 1]
    batches = Record(lambda net: len(net.history[-1]["batches"]))
    C3Clusterer(n_clusters=4, pretrain_epochs=1, max_epochs=2, batch_size=64,
                random_state=0, callbacks=[batches]).fit(X)
    assert batches.seen == [3, 3]


def test_c3_interrupt_in_the_first_stage_skips_the_second(blobs):
    X, _ = blobs
    model = C3Clusterer(n_clusters=4, pretrain_epochs=3, max_epochs=6, batch_size=64,
                        finetune_batch_size=32, random_state=0,
                        callbacks=[InterruptAt(2)]).fit(X)
    assert [h["stage"] for h in model.history_] == ["cc", "cc"]
    np.testing.assert_array_equal(model.predict(X), model.labels_)


@pytest.fixture(scope="module")
def fitted_cc(blobs):
    X, _ = blobs
    # the head rule: a copied network then predicts exactly the same labels
    return CCClusterer(n_clusters=4, max_epochs=3, batch_size=64, random_state=0,
                       prediction_rule="head").fit(X)


def test_c3_from_a_fitted_cc_trains_only_the_c3_stage_by_default(blobs, fitted_cc):
    X, _ = blobs
    # pretrain_epochs="auto": the CC stage is done (the paper's 1000 + N in two calls)
    c3 = C3Clusterer(n_clusters=4, init=fitted_cc, max_epochs=2, batch_size=64,
                     random_state=1).fit(X)
    assert [h["stage"] for h in c3.history_] == ["c3", "c3"]


def _state(model):
    state = model.net_.module_.state_dict()
    return {key: value.detach().cpu().clone() for key, value in state.items()}


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


def test_c3_from_a_fitted_cc_starts_from_its_network(blobs, fitted_cc):
    X, _ = blobs
    before = _state(fitted_cc)
    labels = fitted_cc.predict(X)
    # no training: the C3 model is the CC model
    c3 = C3Clusterer(n_clusters=4, init=fitted_cc, pretrain_epochs=0, max_epochs=0,
                     random_state=1, prediction_rule=fitted_cc.prediction_rule).fit(X)
    assert c3.history_ == []
    _assert_same_state(_state(c3), before)
    np.testing.assert_array_equal(c3.predict(X), labels)
    np.testing.assert_array_equal(c3.transform(X), fitted_cc.transform(X))
    np.testing.assert_array_equal(c3.predict_proba(X), fitted_cc.predict_proba(X))
    shared = {p.data_ptr() for p in fitted_cc.net_.module_.parameters()}
    assert not shared & {p.data_ptr() for p in c3.net_.module_.parameters()}

    # C3 epochs move the backbone but not the cluster head, which stays the CC's
    c3 = C3Clusterer(n_clusters=4, init=fitted_cc, pretrain_epochs=0, max_epochs=2,
                     batch_size=64, finetune_lr=1e-3, random_state=1).fit(X)
    assert [h["stage"] for h in c3.history_] == ["c3", "c3"]
    after = _state(c3)
    heads = [k for k in before if k.startswith("cluster_head.")]
    assert heads
    _assert_same_state({k: after[k] for k in heads}, {k: before[k] for k in heads})
    assert any(not torch.equal(after[k], before[k]) for k in after
               if k.startswith("encoder.backbone."))
    # the init estimator is left as it was
    _assert_same_state(_state(fitted_cc), before)
    np.testing.assert_array_equal(fitted_cc.predict(X), labels)


def test_c3_init_survives_clone_when_frozen(blobs, fitted_cc):
    X, _ = blobs
    c3 = C3Clusterer(n_clusters=4, init=fitted_cc, pretrain_epochs=0, max_epochs=0)
    cloned = clone(c3)
    # clone gives an unfitted copy of an estimator parameter...
    assert isinstance(cloned.init, CCClusterer) and cloned.init is not fitted_cc
    with pytest.raises(ValueError, match="not fitted.*FrozenEstimator"):
        cloned.fit(X)
    # ...unless it is frozen
    frozen = clone(C3Clusterer(n_clusters=4, init=FrozenEstimator(fitted_cc),
                               pretrain_epochs=0, max_epochs=0, prediction_rule="head"))
    np.testing.assert_array_equal(frozen.fit(X).predict(X), fitted_cc.predict(X))


def test_c3_init_is_validated(blobs, fitted_cc):
    X, _ = blobs
    tiny = dict(pretrain_epochs=0, max_epochs=1, batch_size=64)
    with pytest.raises(ValueError, match="not fitted"):
        C3Clusterer(n_clusters=4, init=CCClusterer(n_clusters=4), **tiny).fit(X)
    with pytest.raises(ValueError, match="'init' parameter"):
        C3Clusterer(n_clusters=4, init=KMeans(4), **tiny).fit(X)
    kmeans = FrozenEstimator(KMeans(4, n_init=1).fit(X))
    with pytest.raises(ValueError, match="must be a fitted CCClusterer.*KMeans"):
        C3Clusterer(n_clusters=4, init=kmeans, **tiny).fit(X)
    with pytest.raises(ValueError, match="init has n_clusters=4 .* n_clusters=3"):
        C3Clusterer(n_clusters=3, init=fitted_cc, **tiny).fit(X)
    with pytest.raises(ValueError, match="rows of 8 features, but X gives rows of 6"):
        C3Clusterer(n_clusters=4, init=fitted_cc, **tiny).fit(X[:, :6])
    backbone = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU())
    with pytest.raises(ValueError, match="does not match.*backbone"):
        C3Clusterer(n_clusters=4, init=fitted_cc, backbone=backbone, **tiny).fit(X)


def test_cces_support_set_is_capped_and_boxes_refresh():
    images, _ = load_digit_images()
    images = images[:200]
    support = Record(lambda net: tuple(net.fit_state_["support"].features.shape))
    boxes = Record(lambda net: (net.fit_state_["boxes"].clone()
                                if "boxes" in net.fit_state_ else None))
    CCESClusterer(n_clusters=10, max_epochs=4, batch_size=64, nn_warmup=1,
                  nearest_neighbors=True,
                  loc_interval=2, crop_warmup=2, random_state=0,
                  callbacks=[support, boxes]).fit(images)
    assert support.seen[-1] == (200, 128)
    whole = np.array([0.0, 0.0, 1.0, 1.0])
    # before the first refresh there are no boxes: plain random resized crops
    assert boxes.seen[0] is None and boxes.seen[1] is None
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


@pytest.mark.parametrize("nearest_neighbors, instance_nn, cluster_nn", [
    (True, True, True), ("instance", True, False), ("cluster", False, True),
    (False, False, False)])
def test_cces_neighbours_go_to_the_losses_the_ablation_names(
        blobs, monkeypatch, nearest_neighbors, instance_nn, cluster_nn):
    from skdeepclust.deep.losses import ClusterContrastiveLoss
    from skdeepclust.deep.methods import cces

    seen = []  # per step: (epoch, instance anchors are neighbours, cluster anchors are)
    epoch = Record(lambda net: None)
    terms, cluster_forward = cces.contrastive_terms, ClusterContrastiveLoss.forward

    def recording_terms(anchors, same_view, other_view, *args, **kwargs):
        if not seen or len(seen[-1]) == 3:
            seen.append([len(epoch.seen)])
            seen[-1].append(anchors is not same_view)
        return terms(anchors, same_view, other_view, *args, **kwargs)

    def recording_cluster(self, c_a, c_b, anchors_a=None, anchors_b=None):
        seen[-1].append(anchors_a is not None and anchors_a is not c_a)
        return cluster_forward(self, c_a, c_b, anchors_a, anchors_b)

    monkeypatch.setattr(cces, "contrastive_terms", recording_terms)
    monkeypatch.setattr(ClusterContrastiveLoss, "forward", recording_cluster)
    X, _ = blobs
    CCESClusterer(n_clusters=4, max_epochs=3, nn_warmup=1, batch_size=64,
                  nearest_neighbors=nearest_neighbors, random_state=0,
                  callbacks=[epoch]).fit(X)
    # no neighbours during the warm-up epoch, then the named losses get them
    assert {tuple(s[1:]) for s in seen if s[0] == 0} == {(False, False)}
    assert {tuple(s[1:]) for s in seen if s[0] >= 1} == {(instance_nn, cluster_nn)}


def test_cces_rejects_an_unknown_neighbour_setting(blobs):
    with pytest.raises(ValueError, match="nearest_neighbors"):
        CCESClusterer(n_clusters=4, nearest_neighbors="both").fit(blobs[0])
