"""What a deep clustering method tells the framework."""

import torch.nn.functional as F


class ClusteringMethod:
    """A training recipe: network, per-step outputs, losses, inference rule.

    The estimator builds one from its parameters in ``fit``; the skorch bridge
    calls it. Subclasses are thin: they assemble backbones, heads, views and
    losses from the shared modules.

    Parameters
    ----------
    n_clusters : int
    stages : list of (str, int)
        Names and lengths (epochs) of the training stages, in order.
    """

    #: Parameter-name prefixes left out of the main optimiser.
    frozen_prefixes = ()

    def __init__(self, n_clusters, stages):
        self.n_clusters = n_clusters
        self.stages = [(name, int(epochs)) for name, epochs in stages if epochs > 0]

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

    def build_network(self, encoder, feature_dim):
        """The network (``net.module_``) on top of ``encoder`` (B, ...) -> (B, F)."""
        raise NotImplementedError

    def build_criterion(self):
        """Module whose ``forward(outputs, epoch)`` returns a dict with ``"loss"``."""
        raise NotImplementedError

    def training_outputs(self, net, x, indices):
        """Forward passes of one step on the float batch ``x``; a dict.

        ``indices`` (on the device) are the batch's rows in the training set,
        for methods that keep per-sample state in ``net.fit_state_``.
        """
        raise NotImplementedError

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
