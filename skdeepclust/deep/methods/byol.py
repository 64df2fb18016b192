"""Pieces shared by the BYOL-based methods (PIPCDR, BSC-IC).

An online network (backbone + projector) is trained; a target network of the
same architecture follows it by an exponential moving average after every
optimiser step (:func:`~skdeepclust.deep.callbacks.ema_update`, in the method's
``after_step``) and receives no gradient.
"""

import copy

import torch
from torch import nn

from ..callbacks import ema_update
from ._base import ClusteringMethod


class OnlineNetwork(nn.Module):
    """Backbone followed by a projector: (B, ...) -> features (B, F), projection."""

    def __init__(self, encoder, projector):
        super().__init__()
        self.encoder = encoder
        self.projector = projector

    def forward(self, x):
        features = self.encoder(x)
        return features, self.projector(features)


def momentum_copy(online):
    """A frozen copy of ``online`` to be the EMA target network."""
    target = copy.deepcopy(online)
    for param in target.parameters():
        param.requires_grad_(False)
    return target


class BYOLMethod(ClusteringMethod):
    """Base of the BYOL-style recipes: EMA target, frozen from the optimiser.

    The network must expose ``online`` and ``target`` sub-modules; the
    settings must have ``momentum``, the EMA coefficient of the target.
    """

    frozen_prefixes = ("target.",)

    def after_step(self, net):
        """The target follows the online network (EMA), once per step."""
        ema_update(net.module_.online, net.module_.target, self.settings.momentum)
        return {}

    def online_and_target(self, net, x):
        """Projections of two weak views by the online and the target network.

        The target runs without gradient. Returns ``(o_a, o_b, t_a, t_b)``,
        each of the global batch (all processes' rows in a data-parallel fit).
        """
        module = net.module_
        with net.autocast():
            views = self.two_views(net, x)
            _, online = module.online(views)
            with torch.no_grad():
                _, target = module.target(views)
        return net.gather(*online.chunk(2), *target.chunk(2))
