"""skorch callbacks of the deep clustering framework.

``EpochLog`` (always on) writes per-epoch loss terms, the stage and the
throughput into the history; ``StageLearningRate`` (always on) switches the
learning rate between training stages; ``ClusteringScore`` scores the clustering of a labelled
set after every epoch, for monitoring and for the accuracy-per-epoch plots of
the benchmarks. ``ema_update`` is the momentum-target update the BYOL-style
methods run in their ``after_step``.
"""

import time

import numpy as np
import torch
from skorch.callbacks import Callback

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


class StageLearningRate(Callback):
    """Set the optimiser's learning rate when a training stage begins.

    Stages named in the method's ``stage_learning_rates()`` get that rate;
    the others get the net's ``lr`` (C3 fine-tunes at 1e-5 after CC at the
    estimator's rate, for example).
    """

    def on_epoch_begin(self, net, **kwargs):
        rates = net.method.stage_learning_rates()
        if not rates:
            return
        lr = rates.get(net.method.stage(net.epoch), net.lr)
        for group in net.optimizer_.param_groups:
            group["lr"] = lr * group.get("lr_factor", 1.0)


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
