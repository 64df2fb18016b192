"""What a deep clustering method tells the framework."""

import torch
import torch.nn.functional as F


def remaining_epochs(max_epochs, **stages):
    """``max_epochs`` minus the named stages' epochs, which must fit in it.

    ``max_epochs`` is the whole fit for every deep estimator; stage lengths
    such as ``pretrain_epochs`` are parts of it.

    Raises
    ------
    ValueError
        If the named stages add up to more than ``max_epochs``.
    """
    used = sum(stages.values())
    if used > max_epochs:
        parts = " + ".join(f"{name}={epochs}" for name, epochs in stages.items())
        raise ValueError(
            f"{parts} is more than max_epochs={max_epochs}: max_epochs is the "
            "total number of epochs fit trains, the stages are parts of it.")
    return max_epochs - used


class ClusteringMethod:
    """A training recipe: network, a step per stage, inference rule.

    The estimator builds one from its parameters in ``fit``; the skorch bridge
    calls it. Subclasses are thin: they assemble backbones, heads, views and
    losses from the shared modules.

    Parameters
    ----------
    n_clusters : int
    settings : types.SimpleNamespace
        The method's hyperparameters by attribute: the estimator's parameters
        (documented in its docstring, validated by its constraints) with the
        values the estimator derives at fit time on top (``max_epochs``
        resolved, stage lengths, per-input choices).
    seed : int, default=0
        Seeds the method's own randomness (e.g. PIPCDR's k-means restarts);
        the estimator derives it from ``random_state``.
    """

    #: Parameter-name prefixes left out of the main optimiser.
    frozen_prefixes = ()

    def __init__(self, n_clusters, settings, *, seed=0):
        self.n_clusters = n_clusters
        self.settings = settings
        self.seed = seed
        self.stages = [(name, int(epochs)) for name, epochs in self.stage_epochs()
                       if epochs > 0]

    @property
    def total_epochs(self):
        return sum(epochs for _, epochs in self.stages)

    def stage(self, epoch):
        """Name of the stage that epoch ``epoch`` (from 0) belongs to."""
        end = 0
        for name, epochs in self.stages:
            end += epochs
            if epoch < end:
                return name
        return self.stages[-1][0] if self.stages else "done"

    # -- hooks --------------------------------------------------------------

    def stage_epochs(self):
        """Names and lengths (epochs) of the training stages, in order.

        Stages of zero epochs are skipped; use :func:`remaining_epochs` for a
        stage that takes the rest of ``max_epochs``.
        """
        return [("train", self.settings.max_epochs)]

    def build_network(self, encoder, feature_dim):
        """The network (``net.module_``) on top of ``encoder`` (B, ...) -> (B, F)."""
        raise NotImplementedError

    def training_step(self, net, x, indices):
        """One training step: forward passes and losses of the current stage.

        Dispatches to ``step_<stage>(net, x, indices)``, which a method
        defines for each of its stages. A step runs its forward passes inside
        ``net.autocast()`` (mixed precision on CUDA) and its losses in
        float32 outside it.

        Parameters
        ----------
        net : DeepClusteringNet
            The bridge: ``net.module_``, ``net.views_``, ``net.fit_state_``
            (per-fit state such as support sets or pseudo-labels), ``net.epoch``.
        x : Tensor
            The float batch, before views.
        indices : Tensor of shape (B,)
            The batch's rows in the training set (on the device).

        Returns
        -------
        terms : dict of Tensor
            ``"loss"`` (differentiated) and the named loss terms that the
            history records as epoch means.
        """
        return getattr(self, "step_" + self.stage(net.epoch))(net, x, indices)

    def after_step(self, net):
        """Work after the optimiser's step (EMA targets, a critic's own step).

        Returns
        -------
        terms : dict of Tensor
            Further terms for the history (e.g. a critic's loss).
        """
        return {}

    @staticmethod
    def two_views(net, x, **kwargs):
        """Two weak views of ``x``, concatenated (one forward pass for both)."""
        return torch.cat([net.views_.weak(x, **kwargs), net.views_.weak(x, **kwargs)])

    def inference_outputs(self, module, x):
        """Dict with ``"embedding"`` (B, F) and ``"proba"`` (B, K) for ``x``."""
        features = module.encoder(x)
        return {
            "embedding": features,
            "proba": F.softmax(module.cluster_head(features).float(), dim=1),
        }

    def extra_optimizers(self, net):
        """Further optimisers, by attribute name (without the trailing ``_``)."""
        return {}

    def callbacks(self):
        """skorch callbacks the method needs (EMA, pseudo-label refresh...)."""
        return []

    def lr_factors(self):
        """Learning-rate multipliers by parameter-name prefix, e.g. ``{"predictor.": 10}``."""
        return {}

    def stage_learning_rates(self):
        """Learning rate of each stage that does not use the estimator's ``lr``."""
        return {}

    def stage_batch_sizes(self):
        """Batch size of each stage that does not use the estimator's ``batch_size``.

        The estimator trains each run of consecutive stages that share a
        batch size with its own ``partial_fit`` call (the epochs and the
        history continue across the calls).
        """
        return {}
