"""PIPCDRClusterer and BSCICClusterer."""

import contextlib
import copy
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skdeepclust import BSCICClusterer, PIPCDRClusterer, SphericalKMeans
from skdeepclust.deep._input import infer_spec
from skdeepclust.deep.callbacks import centroid_proba, fit_centroids
from skdeepclust.deep.losses import make_critic
from skdeepclust.deep.methods.bscic import BSCICMethod
from skdeepclust.metrics import cluster_accuracy

from .._helpers import Record


_BSCIC_SETTINGS = dict(max_epochs=1, loss_weights=(2.0, 1.0, 1.0),
                       off_diagonal_weight=1.0, momentum=0.99, gradient_penalty=10.0,
                       critic_lr=3e-4, critic_betas=(0.9, 0.999))


def bscic_method(n_clusters, n_critic=1, balance_weight=0.0):
    settings = SimpleNamespace(**_BSCIC_SETTINGS, n_critic=n_critic,
                               balance_weight=balance_weight)
    return BSCICMethod(n_clusters, settings)


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
    # the default rule: spherical k-means on the target network's backbone
    # features after whitening (the rule itself: test_framework)
    features = model.transform(X).astype(np.float64)
    module = model.net_.module_.eval()
    with torch.no_grad():
        target_features = module.target.encoder(model._to_float(torch.as_tensor(X[:5])))
    target_features = target_features.numpy()
    np.testing.assert_allclose(features[:5], target_features, rtol=1e-4, atol=1e-5)
    whitened = (features - model.whitening_mean_) @ model.whitening_components_
    expected = SphericalKMeans(4, n_init=30, random_state=model.net_.method.seed)
    np.testing.assert_allclose(model.cluster_centers_,
                               expected.fit(whitened).cluster_centers_, rtol=1e-5, atol=1e-7)
    unit = whitened / np.linalg.norm(whitened, axis=1, keepdims=True)
    np.testing.assert_array_equal(model.predict(X), (unit @ model.cluster_centers_.T).argmax(1))


def test_pipcdr_whitened_pseudo_labels_cluster_the_whitened_target_projections(blobs):
    from sklearn.decomposition import PCA

    class Capture(Callback):
        """The target projections, pseudo-labels and centroids as an epoch begins."""

        def on_epoch_begin(self, net, **kwargs):
            labels = net.fit_state_.get("pseudo_labels")
            if labels is not None:  # after Recluster, before any step of the epoch
                self.epoch = net.epoch
                self.labels = labels.cpu().numpy()
                self.centroids = net.module_.centroids.cpu().numpy().copy()
                self.projection = net.eval_pass(net.train_data_, net.module_.target_embedding,
                                                1024).float().cpu().numpy()

    X, _ = blobs
    capture = Capture()
    model = PIPCDRClusterer(n_clusters=4, max_epochs=3, warmup_epochs=1, batch_size=64,
                            random_state=0, pseudo_labels="whitened_kmeans",
                            callbacks=[capture]).fit(X)
    assert capture.epoch == 2
    projection, labels = capture.projection.astype(np.float64), capture.labels
    # reference: scikit-learn's PCA whitening of 3 * 4 directions (its scale and
    # signs differ, which spherical k-means does not see), then SphericalKMeans
    reference = PCA(12, whiten=True, svd_solver="full").fit_transform(projection)
    expected = SphericalKMeans(4, n_init=3, random_state=model.net_.method.seed + 2)
    np.testing.assert_array_equal(labels, expected.fit_predict(reference))
    # the centroids: the normalised mean of each cluster's unit projections
    unit = projection / np.linalg.norm(projection, axis=1, keepdims=True)
    for k in range(4):
        mean = unit[labels == k].mean(axis=0)
        np.testing.assert_allclose(capture.centroids[k], mean / np.linalg.norm(mean),
                                   rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pseudo_labels"):
        PIPCDRClusterer(pseudo_labels="kmeans").fit(X)


def test_pipcdr_projection_rule_is_the_nearest_centroid_of_the_target_projection(blobs):
    X, _ = blobs
    params = dict(n_clusters=4, max_epochs=4, warmup_epochs=1, batch_size=64, random_state=0)
    model = PIPCDRClusterer(prediction_rule="projection", **params).fit(X)
    projection = model.net_.infer_all(X, model._to_float, 128)["projection"]
    np.testing.assert_allclose(np.linalg.norm(projection, axis=1), 1.0, rtol=1e-5)
    assert model.cluster_centers_.shape == (4, model.projection_dim)
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0,
                               rtol=1e-5)
    nearest = (projection @ model.cluster_centers_.T).argmax(1)
    np.testing.assert_array_equal(nearest, model.predict(X))
    # predict_proba: the softmax over cosine similarities at cdr_temperature
    logits = projection[:10] @ model.cluster_centers_.T / model.cdr_temperature
    softmax = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(X[:10]),
                               softmax / softmax.sum(1, keepdims=True), rtol=1e-4)
    # the rule only post-processes: the default rule's fit trains the same network
    default = PIPCDRClusterer(**params).fit(X)
    np.testing.assert_array_equal(default.transform(X), model.transform(X))
    # (its centres live in the whitened features: 3 * n_clusters directions)
    assert default.whitening_components_.shape == (model.transform(X).shape[1], 12)
    assert default.cluster_centers_.shape == (4, 12)


def test_fit_centroids_writes_unit_centres_and_leaves_unused_slots_zero():
    rng = np.random.RandomState(0)
    directions = np.eye(3, 5)
    embedding = np.repeat(directions, 20, axis=0) + 0.05 * rng.randn(60, 5)
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True)
    module = SimpleNamespace(centroids=torch.ones(4, 5))  # a slot more than found
    labels, centers = fit_centroids(module, embedding, 3, n_init=2, seed=0)
    assert centers.shape == (3, 5)
    np.testing.assert_allclose(module.centroids[:3].numpy(), centers, rtol=1e-6)
    assert torch.all(module.centroids[3] == 0)
    np.testing.assert_array_equal(labels, (embedding @ centers.T).argmax(1))
    assert cluster_accuracy(np.repeat(np.arange(3), 20), labels) == 1.0


def test_centroid_proba_is_a_softmax_over_the_found_centroids():
    embedding = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    centroids = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # third slot unused
    got = centroid_proba(embedding, centroids, 0.5)
    for row, e in zip(got.tolist(), embedding.tolist()):
        scores = [math.exp((e[0] * c[0] + e[1] * c[1]) / 0.5) for c in centroids[:2].tolist()]
        assert row == pytest.approx([s / sum(scores) for s in scores] + [0.0], rel=1e-6)
    # no clustering yet: every cluster equally likely
    torch.testing.assert_close(centroid_proba(embedding, torch.zeros(3, 2), 0.5),
                               torch.full((2, 3), 1 / 3))


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
    def weights(spec, **params):
        return BSCICClusterer(**params)._make_method(spec, seed=0,
                                                     n_samples=4).settings.loss_weights

    assert weights(grey) == (2.0, 1.0, 1.0)
    assert weights(colour) == (4.0, 2.0, 1.0)
    assert weights(grey, loss_weights=(1, 0, 3)) == (1.0, 0.0, 3.0)
    with pytest.raises(ValueError, match="loss_weights"):
        weights(grey, loss_weights=(1, 2))


class _CriticProbe(Callback):
    """Watches one BSC-IC fit: the order of the updates within each batch.

    The method's ``after_step`` (EMA, critic update) runs inside the net's
    training step, so ``on_batch_end`` sees the state after the whole step,
    and the step's loss terms in its keyword arguments.
    """

    def __init__(self):
        self.batches = []

    def on_train_begin(self, net, **kwargs):
        net.optimizer_.register_step_post_hook(self._after_online_step)
        net.critic_optimizer_.register_step_pre_hook(self._before_critic_step)
        net.critic_optimizer_.register_step_post_hook(self._after_critic_step)
        self.net = net

    def on_batch_begin(self, net, training=False, **kwargs):
        self.critic_before = copy.deepcopy(net.module_.critic)
        self.record = {"events": []}
        self.batches.append(self.record)

    def on_grad_computed(self, net, **kwargs):
        # the step's losses and gradients exist; no parameter has moved yet
        z = net.fit_state_["critic_assignments"].clone()
        self.record["z"] = z
        self.record["critic_untouched_at_backward"] = _same(net.module_.critic,
                                                            self.critic_before)
        with torch.no_grad():
            self.record["generator_with_snapshot"] = -self.critic_before(z).mean()

    def _after_online_step(self, optimizer, args, kwargs):
        self.record["events"].append("online")
        self.record["critic_untouched_by_online_step"] = _same(self.net.module_.critic,
                                                               self.critic_before)
        self.target_after_online = copy.deepcopy(self.net.module_.target)

    def _before_critic_step(self, optimizer, args, kwargs):
        if "critic" not in self.record["events"]:
            target = self.net.module_.target
            self.record["target_moved_before_critic"] = not _same(
                target, self.target_after_online)

    def _after_critic_step(self, optimizer, args, kwargs):
        self.record["events"].append("critic")
        self.record["critic_moved_by_critic_step"] = not _same(self.net.module_.critic,
                                                               self.critic_before)

    def on_batch_end(self, net, training=False, **kwargs):
        self.record["generator"] = kwargs["adversarial"].clone()
        with torch.no_grad():
            self.record["generator_with_updated_critic"] = -net.module_.critic(
                self.record["z"]).mean()

    def on_train_end(self, net, **kwargs):
        del self.net  # no hooks or nets kept in the fitted model's callbacks


def _same(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("n_critic", [1, 3])
def test_bscic_follows_algorithm_1_update_order(blobs, n_critic, monkeypatch):
    import skdeepclust.deep.losses.bscic as bscic  # critic_steps calls critic_loss

    X, _ = blobs
    calls = []
    original = bscic.critic_loss

    def recording_critic_loss(critic, real, fake, generator, penalty):
        calls.append((real.clone(), fake.clone()))
        return original(critic, real, fake, generator, penalty)

    monkeypatch.setattr(bscic, "critic_loss", recording_critic_loss)
    probe = _CriticProbe()
    n_batches = 2 * (64 // 16)
    model = BSCICClusterer(n_clusters=3, max_epochs=2, batch_size=16, n_critic=n_critic,
                           random_state=0, callbacks=[probe]).fit(X[:64])
    assert len(probe.batches) == n_batches
    for record in probe.batches:
        # losses with the current critic -> online -> target (EMA) -> critic
        assert record["events"] == ["online"] + ["critic"] * n_critic
        assert record["critic_untouched_at_backward"]
        assert record["critic_untouched_by_online_step"]
        assert record["target_moved_before_critic"]
        assert record["critic_moved_by_critic_step"]
        # the online network's generator term used the pre-update critic
        generator = record["generator"]
        torch.testing.assert_close(generator, record["generator_with_snapshot"])
        assert not torch.equal(generator, record["generator_with_updated_critic"])
    # exactly n_critic critic steps per batch, one online step per batch
    critic_state = model.net_.critic_optimizer_.state
    for param in model.net_.module_.critic.parameters():
        assert int(critic_state[param]["step"]) == n_critic * n_batches
    for group in model.net_.optimizer_.param_groups:
        for param in group["params"]:
            assert int(model.net_.optimizer_.state[param]["step"]) == n_batches
    # each critic step: the step's detached assignments (both views), fresh priors
    assert len(calls) == n_critic * n_batches
    for b, record in enumerate(probe.batches):
        steps = calls[b * n_critic:(b + 1) * n_critic]
        for real, fake in steps:
            assert fake.shape == (32, 3) and not fake.requires_grad
            torch.testing.assert_close(fake, record["z"], rtol=0, atol=0)
            assert torch.all(real.sum(1) == 1) and torch.all((real == 0) | (real == 1))
        for (real_i, _), (real_j, _) in zip(steps, steps[1:]):
            assert not torch.equal(real_i, real_j)
    assert np.isfinite([h["critic"] for h in model.history_]).all()


def test_bscic_critic_optimiser_settings(blobs):
    X, _ = blobs
    model = BSCICClusterer(n_clusters=3, max_epochs=1, batch_size=32,
                           random_state=0).fit(X[:64])
    (group,) = model.net_.critic_optimizer_.param_groups
    assert group["lr"] == pytest.approx(3e-4)  # the paper's, not lr's 1e-3
    assert tuple(group["betas"]) == (0.9, 0.999)
    model = BSCICClusterer(n_clusters=3, max_epochs=1, batch_size=32, critic_lr=1e-4,
                           critic_betas=[0.0, 0.9], random_state=0).fit(X[:64])
    (group,) = model.net_.critic_optimizer_.param_groups
    assert group["lr"] == pytest.approx(1e-4)
    assert tuple(group["betas"]) == (0.0, 0.9)
    model = BSCICClusterer(n_clusters=3, max_epochs=1, batch_size=32, lr=2e-3,
                           critic_lr=None, random_state=0).fit(X[:64])
    assert model.net_.critic_optimizer_.param_groups[0]["lr"] == pytest.approx(2e-3)


@pytest.mark.parametrize("params, match", [
    ({"n_critic": 0}, "n_critic"),
    ({"n_critic": 1.5}, "n_critic"),
    ({"critic_lr": 0.0}, "critic_lr"),
    ({"critic_betas": "adam"}, "critic_betas"),
    ({"critic_betas": (0.5,)}, "critic_betas"),
    ({"critic_betas": (0.5, 1.0)}, "critic_betas"),
    ({"critic_betas": (-0.1, 0.9)}, "critic_betas"),
    ({"critic_betas": (0.5, "0.9")}, "critic_betas"),
])
def test_bscic_rejects_bad_critic_parameters(blobs, params, match):
    X, _ = blobs
    with pytest.raises(ValueError, match=match):
        BSCICClusterer(n_clusters=3, max_epochs=1, batch_size=16, **params).fit(X[:32])


def test_bscic_critic_update_runs_in_float32_inside_autocast():
    # the whole critic step (forward, penalty, second-order backward, Adam)
    # gives the same critic inside a bfloat16 autocast context as outside
    method = bscic_method(3, n_critic=2)
    z = torch.softmax(torch.randn(16, 3, generator=torch.Generator().manual_seed(0)), 1)

    def stepped_critic(autocast):
        torch.manual_seed(0)
        critic = make_critic(3)
        net = SimpleNamespace(
            module_=SimpleNamespace(critic=critic),
            critic_optimizer_=torch.optim.Adam(critic.parameters(), lr=3e-4),
            views_=SimpleNamespace(generator=torch.Generator().manual_seed(1)),
            fit_state_={"critic_assignments": z},
        )
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = method.update_critic(net)
        assert "critic_assignments" not in net.fit_state_
        return loss, critic

    loss_ref, critic_ref = stepped_critic(False)
    loss, critic = stepped_critic(True)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, loss_ref, rtol=0, atol=0)
    for p, q in zip(critic.parameters(), critic_ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def naive_balance(z):
    """log K - H(mean assignment), by the formula."""
    z = np.asarray(z, dtype=np.float64)
    mean = [sum(row[k] for row in z) / len(z) for k in range(z.shape[1])]
    return math.log(z.shape[1]) + sum(p * math.log(p) for p in mean if p > 0)


def test_bscic_balance_term_is_the_weighted_entropy_penalty():
    from skdeepclust.deep.methods.bscic import _BSCICNetwork

    torch.manual_seed(0)
    network = _BSCICNetwork(torch.nn.Identity(), 4, 3)
    x = torch.randn(6, 4)
    # identity views, so that both views' assignments are the online softmax
    net = SimpleNamespace(module_=network, views_=SimpleNamespace(weak=lambda x: x),
                          fit_state_={}, autocast=contextlib.nullcontext,
                          gather=lambda *tensors: tensors)
    steps = {}
    for weight in (0.0, 0.5):
        method = bscic_method(3, balance_weight=weight)
        steps[weight] = method.step_bscic(net, x, torch.arange(6))
    assert "balance" not in steps[0.0]
    z = torch.softmax(network.online(x)[1], dim=1).detach().numpy()
    expected = 2 * naive_balance(z)
    assert steps[0.5]["balance"].item() == pytest.approx(expected, rel=1e-5)
    assert (steps[0.5]["loss"] - steps[0.0]["loss"]).item() == pytest.approx(
        0.5 * expected, rel=1e-4)
    # a collapsed batch pays log K per view, a balanced one nothing
    assert naive_balance(np.eye(3)[[0, 0, 0, 0]]) == pytest.approx(math.log(3))
    assert naive_balance(np.eye(3)) == pytest.approx(0.0, abs=1e-12)


def test_bscic_balance_weight_reaches_the_history(blobs):
    X, _ = blobs
    paper = BSCICClusterer(n_clusters=4, max_epochs=1, random_state=0).fit(X)
    assert "balance" not in paper.history_[0]
    balanced = BSCICClusterer(n_clusters=4, max_epochs=1, balance_weight=1.0,
                              random_state=0).fit(X)
    assert 0 <= balanced.history_[0]["balance"] <= 2 * math.log(4)
    with pytest.raises(ValueError, match="balance_weight"):
        BSCICClusterer(n_clusters=4, balance_weight=-1.0).fit(X)
