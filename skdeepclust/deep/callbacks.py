"""skorch callbacks of the deep clustering framework.

``EpochLog`` (always on) writes per-epoch loss terms, the stage and the
throughput into the history; ``LearningRateSchedule`` (always on) switches
the learning rate between training stages and anneals it over the last
epochs; ``ClusteringScore`` scores the clustering of a labelled
set after every epoch, for monitoring and for the accuracy-per-epoch plots of
the benchmarks. ``ema_update`` is the momentum-target update the BYOL-style
methods run in their ``after_step``; ``Recluster`` gives PIPCDR its
pseudo-labels and centroids from spherical k-means.
"""

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from ..cluster import SphericalKMeans
from ._input import infer_spec, to_network_layout


class EpochLog(Callback):
    """Per-epoch means of the loss terms, the stage and the throughput.

    The terms arrive in skorch's step dict (every tensor of a training step's
    result but ``loss``); their running sums stay on the device during the
    epoch (one float64 accumulator per term, added to in place: no
    synchronisation per batch, and no small tensor per batch left between
    the step's large temporaries to fragment the heap) and are divided at its
    end. Writes ``stage``, ``samples_per_sec`` and each term into the net's
    history.
    """

    def on_epoch_begin(self, net, **kwargs):
        self._sums = {}
        self._counts = {}
        self._samples = 0
        self._start = time.perf_counter()

    def on_batch_end(self, net, batch=None, training=False, **step):
        if not training:
            return
        for name, value in step.items():
            if name != "loss" and torch.is_tensor(value):
                if name not in self._sums:
                    self._sums[name] = torch.zeros((), dtype=torch.float64,
                                                   device=value.device)
                    self._counts[name] = 0
                self._sums[name] += value.detach().double().mean()
                self._counts[name] += 1
        indices = batch[0] if isinstance(batch, (tuple, list)) else batch
        self._samples += len(indices)

    def on_epoch_end(self, net, **kwargs):
        seconds = time.perf_counter() - self._start
        net.history.record("stage", net.method.stage(net.epoch))
        net.history.record("samples_per_sec", self._samples / max(seconds, 1e-9))
        for name, total in self._sums.items():
            net.history.record(name, float(total) / self._counts[name])
        # no device tensors stay behind in a pickled net
        self._sums, self._counts = {}, {}


def anneal_scale(epoch, total_epochs, fraction):
    """The learning-rate multiplier of epoch ``epoch`` (from 0) of ``total_epochs``.

    1 until the last ``fraction`` of the epochs, then a half cosine
    ``(1 + cos(pi * (epoch - start) / (total_epochs - start))) / 2`` with
    ``start = (1 - fraction) * total_epochs``: 1 at ``start``, above 0 in the
    last epoch, and 0 from ``total_epochs`` on (an epoch past the end, as when
    ``net_.partial_fit`` continues a fit, does not wind the cosine back up).
    ``fraction=0`` keeps 1 throughout.
    """
    start = (1.0 - fraction) * total_epochs
    if fraction <= 0 or epoch < start:
        return 1.0
    progress = min((epoch - start) / (total_epochs - start), 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class LearningRateSchedule(Callback):
    """Set each epoch's learning rate: the stage's rate, annealed at the end.

    A stage named in the method's ``stage_learning_rates()`` trains at that
    rate, the others at the net's ``lr`` (C3 fine-tunes at 1e-5 after CC at
    the estimator's rate, for example); over the last ``lr_anneal`` fraction
    of all epochs the rate is scaled by :func:`anneal_scale`. Parameter
    groups keep their ``lr_factor`` (BYOL's faster predictor). The rate is
    only written when a stage rate or the anneal applies, so that a
    scheduler among the user's callbacks keeps control otherwise.
    """

    def on_epoch_begin(self, net, **kwargs):
        method = net.method
        rates = method.stage_learning_rates()
        scale = anneal_scale(net.epoch, method.total_epochs, method.settings.lr_anneal)
        if not rates and scale == 1.0:
            return
        lr = rates.get(method.stage(net.epoch), net.lr)
        for group in net.optimizer_.param_groups:
            group["lr"] = lr * scale * group.get("lr_factor", 1.0)


@torch.no_grad()
def ema_update(online, target, momentum):
    """``target <- momentum * target + (1 - momentum) * online``, in place.

    Parameters only: the target keeps its own BatchNorm statistics, which its
    training-mode forward passes update, as in BYOL's and ProPos's reference
    code. Copying the online network's statistics instead would normalise
    the lagging target weights with another network's statistics whenever the
    target runs in evaluation mode (PIPCDR's pseudo-labels and predictions).
    """
    online_params = list(online.parameters())
    target_params = list(target.parameters())
    torch._foreach_mul_(target_params, momentum)
    torch._foreach_add_(target_params, online_params, alpha=1.0 - momentum)


class ClusteringScore(Callback):
    """Score the clustering of a labelled set after each epoch.

    Runs the method's prediction rule on ``X`` (un-augmented) at the end of
    every epoch and records ``scoring(y, labels)`` in the history under
    ``name``, so that it appears in ``history_`` and in the verbose log.

    Parameters
    ----------
    X : array-like
        Samples in any layout the estimators accept.
    y : array-like of shape (n_samples,)
        Reference classes.
    scoring : callable, default=None
        ``f(y_true, y_pred) -> float``; :func:`skdeepclust.metrics.cluster_accuracy`
        when None.
    name : str, default="acc"
        History key.
    image_shape : tuple, default=None
        As the estimator's parameter, for flattened images.
    every : int, default=1
        Score every ``every`` epochs.

    Examples
    --------
    >>> from skdeepclust import DPACClusterer
    >>> from skdeepclust.datasets import load_digit_images
    >>> from skdeepclust.deep.callbacks import ClusteringScore
    >>> images, y = load_digit_images()
    >>> model = DPACClusterer(pretrain_epochs=1, max_epochs=2, random_state=0,
    ...                       callbacks=[ClusteringScore(images[:200], y[:200])])
    >>> model = model.fit(images[:200])
    >>> [0.0 <= h["acc"] <= 1.0 for h in model.history_]
    [True, True]
    """

    def __init__(self, X, y, scoring=None, name="acc", image_shape=None, every=1):
        self.X = X
        self.y = y
        self.scoring = scoring
        self.name = name
        self.image_shape = image_shape
        self.every = every

    def on_train_begin(self, net, **kwargs):
        X = np.asarray(self.X)
        self._data = to_network_layout(X, infer_spec(X, self.image_shape))

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) % self.every:
            return
        from ..metrics import cluster_accuracy

        scoring = self.scoring or cluster_accuracy
        outputs = net.infer_all(self._data, net.to_float_, batch_size=1024)
        net.history.record(self.name, float(scoring(self.y, outputs["proba"].argmax(1))))

    def on_train_end(self, net, **kwargs):
        self.__dict__.pop("_data", None)


class Recluster(Callback):
    """Pseudo-labels from spherical k-means on the target embeddings.

    At the start of the clustering stage and every ``every`` epochs after
    it, the un-augmented training set goes through the target network and
    :class:`skdeepclust.SphericalKMeans` clusters the normalised embeddings;
    the labels go to ``net.fit_state_["pseudo_labels"]`` (PIPCDR's first
    M-step) and the centroids into the network, where they serve as the
    prediction rule until the final clustering.

    Parameters
    ----------
    start : int
        Epoch of the first clustering (the end of the warm-up).
    every : int
        Epochs between two clusterings (r in the paper).
    n_clusters : int
    seed : int
        Seeds the k-means restarts.
    batch_size : int, default=1024
    whiten : bool, default=False
        Cluster the embeddings' unit rows after whitening their ``3 *
        n_clusters`` principal directions (the "whitened_kmeans" prediction
        rule's space) instead of the unit rows themselves; the centroids are
        then the normalised means of each cluster's unit rows.
    """

    def __init__(self, start, every, n_clusters, seed, batch_size=1024, whiten=False):
        self.start = start
        self.every = every
        self.n_clusters = n_clusters
        self.seed = seed
        self.batch_size = batch_size
        self.whiten = whiten

    def on_epoch_begin(self, net, **kwargs):
        epoch = net.epoch
        if epoch < self.start or (epoch - self.start) % self.every:
            return
        embedding = net.eval_pass(net.train_data_, net.module_.target_embedding,
                                  self.batch_size).float()
        embedding = embedding.cpu().numpy()
        if self.whiten:
            labels = whitened_labels(embedding, self.n_clusters, n_init=3,
                                     seed=self.seed + epoch)
            set_centroids(net.module_, cluster_directions(embedding, labels))
        else:
            labels, _ = fit_centroids(net.module_, embedding, self.n_clusters,
                                      n_init=3, seed=self.seed + epoch)
        net.fit_state_["pseudo_labels"] = torch.as_tensor(labels, device=net.device)


def whitened_labels(embedding, n_clusters, n_init, seed):
    """Spherical k-means labels of ``embedding`` in the "whitened_kmeans" rule's space."""
    from ._base import WHITENED_COMPONENTS_PER_CLUSTER, rule_features, whitening

    features = rule_features(embedding, "whitened_kmeans", whitening(
        embedding, WHITENED_COMPONENTS_PER_CLUSTER * n_clusters))
    return SphericalKMeans(n_clusters, n_init=n_init, random_state=seed).fit_predict(features)


def cluster_directions(embedding, labels):
    """The normalised mean of each cluster's unit rows (clusters 0..max label)."""
    unit = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-12)
    sums = np.zeros((labels.max() + 1, unit.shape[1]))
    np.add.at(sums, labels, unit)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def fit_centroids(module, embedding, n_clusters, n_init, seed):
    """Spherical k-means on ``embedding``; its centroids become the network's.

    The centroids are PIPCDR's prediction rule: the latest ones during
    training (:class:`Recluster`), those of the final clustering after it.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters_found, dim)
    """
    model = SphericalKMeans(n_clusters, n_init=n_init, random_state=seed)
    labels = model.fit_predict(embedding)
    set_centroids(module, model.cluster_centers_)
    return labels, model.cluster_centers_


def centroid_proba(embedding, centroids, temperature):
    """Softmax over cosine similarities to the centroids / ``temperature``.

    ``embedding`` (B, D) and ``centroids`` (K, D) hold unit rows; all-zero
    centroid slots (clusters the clustering did not find, or no clustering
    yet) never win, and with no centroid at all every cluster gets 1/K.
    """
    similarities = embedding @ centroids.T / temperature
    unused = centroids.abs().sum(dim=1) == 0
    if bool(unused.all()):
        return torch.full_like(similarities, 1.0 / similarities.shape[1])
    return F.softmax(similarities.masked_fill(unused, float("-inf")), dim=1)


def set_centroids(module, centers):
    """Write unit centroids into the network's buffer (unused slots stay zero)."""
    centroids = torch.zeros_like(module.centroids)
    centroids[: len(centers)] = torch.as_tensor(centers, dtype=centroids.dtype)
    module.centroids.copy_(centroids)
