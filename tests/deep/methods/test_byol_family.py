"""PIPCDRClusterer and BSCICClusterer."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs

from skdeepclust import BSCICClusterer, PIPCDRClusterer
from skdeepclust.deep._input import infer_spec
from skdeepclust.metrics import cluster_accuracy

from .._helpers import Record


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=240, centers=4, n_features=8, cluster_std=1.5,
                      random_state=0)
    return X.astype(np.float32), y


def test_pipcdr_clusters_blobs_and_predicts_nearest_centroid(blobs):
    X, y = blobs
    labels = Record(lambda net: net.fit_state_.get("pseudo_labels"))
    model = PIPCDRClusterer(n_clusters=4, max_epochs=25, warmup_epochs=5, batch_size=64,
                            random_state=0, callbacks=[labels]).fit(X)
    assert cluster_accuracy(y, model.labels_) > 0.95
    assert [h["stage"] for h in model.history_] == ["pip"] * 5 + ["pipcdr"] * 20
    # pseudo-labels from spherical k-means exist from the first CDR epoch on
    assert all(seen is None for seen in labels.seen[:5])
    assert labels.seen[5].shape == (len(X),)
    assert set(labels.seen[-1].tolist()) <= set(range(4))
    # the prediction rule: nearest unit centroid of the target embedding
    embedding = model.transform(X)
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0,
                               rtol=1e-5)
    nearest = (embedding @ model.cluster_centers_.T).argmax(1)
    np.testing.assert_array_equal(nearest, model.predict(X))


def test_pipcdr_queue_and_predictor_learning_rate(blobs):
    X, _ = blobs
    queue = Record(lambda net: int((net.fit_state_["queue"].keys >= 0).sum())
                    if "queue" in net.fit_state_ else 0)
    model = PIPCDRClusterer(n_clusters=4, max_epochs=4, warmup_epochs=1, queue_size=100,
                            batch_size=64, lr=1e-3, random_state=0,
                            callbacks=[queue]).fit(X)
    assert queue.seen[0] == 0 and queue.seen[-1] == 100
    groups = model.net_.optimizer_.param_groups
    lrs = sorted(group["lr"] for group in groups)
    assert lrs == pytest.approx([1e-3, 1e-2])
    predictor = {id(p) for p in model.net_.module_.predictor.parameters()}
    fast = next(g for g in groups if g["lr"] == pytest.approx(1e-2))
    assert {id(p) for p in fast["params"]} == predictor
    # the target network is outside the optimiser
    optimised = {id(p) for g in groups for p in g["params"]}
    assert not optimised & {id(p) for p in model.net_.module_.target.parameters()}


def test_bscic_clusters_blobs_with_its_own_critic_optimiser(blobs):
    X, y = blobs
    critic = Record(lambda net: [p.detach().clone()
                                  for p in net.module_.critic.parameters()])
    model = BSCICClusterer(n_clusters=4, max_epochs=25, batch_size=64, random_state=0,
                           callbacks=[critic]).fit(X)
    assert cluster_accuracy(y, model.labels_) > 0.95
    net = model.net_
    main = {id(p) for g in net.optimizer_.param_groups for p in g["params"]}
    critic_params = {id(p) for p in net.module_.critic.parameters()}
    assert not main & critic_params
    assert {id(p) for g in net.critic_optimizer_.param_groups
            for p in g["params"]} == critic_params
    assert not main & {id(p) for p in net.module_.target.parameters()}
    # the critic trains
    assert not torch.equal(critic.seen[0][0], critic.seen[-1][0])
    assert np.isfinite(model.history_[-1]["critic"])
    np.testing.assert_allclose(model.predict_proba(X).sum(1), 1.0, rtol=1e-5)


def test_bscic_loss_weights_follow_the_image_kind():
    grey = infer_spec(np.zeros((4, 8, 8), dtype=np.float32))
    colour = infer_spec(np.zeros((4, 8, 8, 3), dtype=np.float32))
    model = BSCICClusterer()
    assert model._resolved_weights(grey) == (2.0, 1.0, 1.0)
    assert model._resolved_weights(colour) == (4.0, 2.0, 1.0)
    assert BSCICClusterer(loss_weights=(1, 0, 3))._resolved_weights(grey) == (1.0, 0.0, 3.0)
    with pytest.raises(ValueError, match="loss_weights"):
        BSCICClusterer(loss_weights=(1, 2))._resolved_weights(grey)
