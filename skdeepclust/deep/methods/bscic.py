"""BSC-IC: BYOL-based self-supervised clustering with instance- and cluster-level discrimination."""

from dataclasses import dataclass
from numbers import Integral, Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .._base import (
    COMMON_ATTRIBUTES_DOC,
    COMMON_PARAMETERS_DOC,
    MAX_EPOCHS_DOC,
    BaseDeepClusterer,
)
from ..heads import mlp_head
from ..losses import (
    assignment_kl,
    cluster_correlation_loss,
    critic_loss,
    entropy_penalty,
    sample_one_hot_prior,
)
from .byol import BYOLMethod, OnlineNetwork, momentum_copy


def make_critic(n_clusters):
    """The instance-level discriminator: K-1024-512-1 (paper, Sec. 4.2)."""
    return nn.Sequential(
        nn.Linear(n_clusters, 1024), nn.LeakyReLU(0.2),
        nn.Linear(1024, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 1),
    )


class _BSCICNetwork(nn.Module):
    """Online network (backbone + projector to K), momentum target, critic."""

    def __init__(self, encoder, feature_dim, n_clusters):
        super().__init__()
        self.online = OnlineNetwork(encoder, mlp_head(feature_dim, feature_dim, n_clusters))
        self.target = momentum_copy(self.online)
        self.critic = make_critic(n_clusters)


@dataclass(frozen=True, kw_only=True)
class BSCICSettings:
    """BSC-IC's hyperparameters, named as :class:`BSCICClusterer`'s parameters.

    ``loss_weights`` and ``critic_betas`` are resolved and checked: three
    floats (a_mi, a_si, a_clu) and two floats.
    """

    max_epochs: int
    loss_weights: tuple
    off_diagonal_weight: float
    momentum: float
    gradient_penalty: float
    critic_lr: float | None
    critic_betas: tuple
    n_critic: int
    balance_weight: float


class BSCICMethod(BYOLMethod):
    """BSC-IC's recipe (Algorithm 1), with a WGAN-GP critic on the assignments.

    A training step computes every loss with the current critic (the
    generator term of Eq. 4 included) and keeps the detached assignments;
    the net then steps the online network, and :meth:`after_step` moves the
    target by EMA and gives the critic ``n_critic`` Adam steps of Eq. 5 on
    those assignments against fresh one-hot prior samples.
    """

    Settings = BSCICSettings
    frozen_prefixes = ("target.", "critic.")

    def stage_epochs(self):
        return [("bscic", self.settings.max_epochs)]

    def build_network(self, encoder, feature_dim):
        return _BSCICNetwork(encoder, feature_dim, self.n_clusters)

    def extra_optimizers(self, net):
        settings = self.settings
        lr = settings.critic_lr if settings.critic_lr is not None else net.lr
        return {"critic_optimizer": torch.optim.Adam(
            net.module_.critic.parameters(), lr=lr, betas=settings.critic_betas)}

    def step_bscic(self, net, x, indices):
        """Eq. 8: ``L_adv_G + a_mi L_mi + a_si L_si + a_clu L_clu``."""
        module = net.module_
        with net.autocast():
            views = self.two_views(net, x)
            _, logits = module.online(views)
            z = F.softmax(logits.float(), dim=1)
            with torch.no_grad():
                t = F.softmax(module.target(views)[1].float(), dim=1)
            # the global batch (both views in a data-parallel fit)
            z_a, z_b, t_a, t_b = net.gather(*z.chunk(2), *t.chunk(2))
            z = torch.cat([z_a, z_b])
            # generator term (Eq. 4) against the critic as it is before this
            # step's critic update; the critic's parameters collect no gradient
            critic = module.critic
            critic.requires_grad_(False)
            try:
                adversarial = -critic(z).mean()
            finally:
                critic.requires_grad_(True)
        # the critic trains on these after the online and target updates
        net.fit_state_["critic_assignments"] = z.detach()
        settings = self.settings
        a_mi, a_si, a_clu = settings.loss_weights
        mutual = assignment_kl(z_a, t_b) + assignment_kl(z_b, t_a)  # Eq. 1-2
        self_improvement = assignment_kl(z_a, z_b)  # Eq. 3
        correlation = cluster_correlation_loss(z_a, z_b, settings.off_diagonal_weight)
        loss = adversarial + a_mi * mutual + a_si * self_improvement + a_clu * correlation
        terms = {"adversarial": adversarial, "mutual": mutual,
                 "self_improvement": self_improvement,
                 "correlation": correlation}
        if settings.balance_weight:
            # beyond the paper: log K - H(mean assignment), per view
            balance = entropy_penalty(z_a) + entropy_penalty(z_b)
            loss = loss + settings.balance_weight * balance
            terms["balance"] = balance
        return {"loss": loss, **terms}

    def after_step(self, net):
        """Algorithm 1 after the online update: the target (EMA), then the critic."""
        super().after_step(net)
        return {"critic": self.update_critic(net)}

    def update_critic(self, net):
        """``n_critic`` critic steps (Eq. 5, 11) on the step's assignments.

        Each step draws fresh one-hot prior samples and interpolation
        weights. The losses and their backward run in float32 with autocast
        disabled, whatever the caller's context (see
        :func:`~skdeepclust.deep.losses.critic_loss`).

        Returns
        -------
        loss : Tensor of shape ()
            Mean critic loss of the steps, detached.
        """
        fake = net.fit_state_.pop("critic_assignments")
        critic, optimizer = net.module_.critic, net.critic_optimizer_
        generator = net.views_.generator
        losses = []
        # the backward (second order, through the penalty) too: float32
        with torch.autocast(fake.device.type, enabled=False):
            for _ in range(self.settings.n_critic):
                prior = sample_one_hot_prior(fake.shape[0], self.n_clusters, generator,
                                             fake.device)
                optimizer.zero_grad(set_to_none=True)
                loss = critic_loss(critic, prior, fake, generator,
                                   self.settings.gradient_penalty)
                loss.backward()
                optimizer.step()
                losses.append(loss.detach())
        return torch.stack(losses).mean()

    def inference_outputs(self, module, x):
        features, logits = module.online(x)
        return {"embedding": features, "proba": F.softmax(logits.float(), dim=1)}


_GRAY_WEIGHTS = (2.0, 1.0, 1.0)
_COLOUR_WEIGHTS = (4.0, 2.0, 1.0)


class BSCICClusterer(BaseDeepClusterer):
    __doc__ = f"""BSC-IC: BYOL-based clustering, instance- and cluster-level discrimination.

    A BYOL network whose projector ends in a softmax over the K clusters
    produces cluster assignments Z from two views (Chen et al., 2023):

    - mutual improvement (Eq. 1-2): ``KL(Z_online^a, Z_target^b) +
      KL(Z_online^b, Z_target^a)``, the target being the momentum network;
    - self improvement (Eq. 3): ``KL(Z_online^a, Z_online^b)``;
    - instance-level discrimination (Eq. 4-5): a WGAN-GP critic (K-1024-512-1,
      gradient penalty 10, its own Adam optimiser) tells the assignments from
      one-hot samples of Cat(K, 1/K); the generator term ``-E[D(z)]`` sharpens
      the assignments and keeps all clusters in use;
    - cluster-level discrimination (Eq. 6-7): the cosine similarity C of the
      two views' assignment columns should be the identity.

    Predictions are the arg-max of the online assignment.

    Parameters
    ----------{COMMON_PARAMETERS_DOC}{MAX_EPOCHS_DOC}
    loss_weights : "auto" or tuple of 3 floats, default="auto"
        (a_mi, a_si, a_clu): "auto" gives the paper's (2, 1, 1) for grey images
        and tabular data and (4, 2, 1) for colour images (Table 2).
    off_diagonal_weight : float, default=1.0
        lambda_clu of Eq. 7.
    momentum : float, default=0.99
        EMA coefficient of the target network (paper: 0.99).
    gradient_penalty : float, default=10.0
        WGAN-GP coefficient.
    critic_lr : float or None, default=3e-4
        Adam learning rate of the critic (paper: 3e-4); ``lr`` when None.
    critic_betas : tuple of 2 floats, default=(0.9, 0.999)
        Adam ``betas`` of the critic's optimiser, each in [0, 1). The paper
        does not give them (see Notes).
    n_critic : int, default=1
        Critic steps per training batch (paper: 1, Algorithm 1). Each takes
        the batch's detached assignments against fresh one-hot prior samples.
    balance_weight : float, default=0.0
        Weight of a cluster-balance term beyond the paper: ``log K - H(mean
        assignment)`` of each view, as in CC (0 turns it off, the paper's
        objective). See Notes.

    Attributes
    ----------{COMMON_ATTRIBUTES_DOC}

    See Also
    --------
    PIPCDRClusterer : The other BYOL-based method.
    CCClusterer : The contrastive baseline, which needs large batches.

    Notes
    -----
    Settings. The paper trains ResNet-18 with Adam lr 3e-4 for the network
    and the critic, batch 64 (no negatives are needed), EMA 0.99:
    ``BSCICClusterer(backbone="resnet18", lr=3e-4)`` on a GPU. The CPU
    defaults are the small ConvNet or MLP, ``max_epochs="auto"``, batch 64
    and lr 1e-3 for the network; the critic keeps 3e-4 (``critic_lr``).

    Update order (Algorithm 1). Each batch computes all losses with the
    current critic, then updates the online network (Eq. 9), the target by
    EMA (Eq. 10) and last the critic (Eq. 11), ``n_critic`` times on the
    step's detached assignments with fresh prior samples. The critic's loss
    and backward run in float32 with autocast disabled: half precision
    rounds the input-gradient norm of the penalty's double backward too
    coarsely. ``history_``'s ``critic`` is the epoch mean of its loss.

    Critic optimiser. The paper gives "Adam with a learning rate of 0.0003"
    for both networks, one critic update per generator update, and no
    betas; the defaults follow that (Adam's betas (0.9, 0.999)). WGAN-GP
    (Gulrajani et al., 2017) used ``n_critic=5``, lr 1e-4 and betas (0, 0.9):
    ``n_critic`` and ``critic_betas`` allow that recipe.

    Cluster balance (beyond the paper). With the paper's objective the
    assignments can merge into few clusters, while k-means on the backbone
    features finds many more: on 5,000 generated 28x28 digits
    (``make_handwritten_digits``, 40 epochs, seed 0) two clusters were
    left (ACC 0.158, k-means on the features 0.782; four with
    ``n_critic=5``, 0.243); on ``make_large_digits`` all ten stayed (0.811;
    pixels 0.585). ``balance_weight=1`` adds ``log K - H(mean
    assignment)`` per view, CC's entropy term, and kept all ten (0.682). On
    8x8 digits, where the paper's objective keeps its clusters (0.815, 200
    epochs, seed 0, ``benchmarks/results/images_cpu.md``), it lowered ACC
    (0.737 against 0.795 in an earlier version), so it stays off by
    default.

    Decisions where the paper is vague or garbled: the online network has no
    predictor (the paper's online network is an encoder followed by the
    softmax); the critic sees the assignments of both views; the cluster-level
    loss is the cross-view form ``sum_i (1 - C_ii)^2 + lambda sum_(i != j) C_ij^2``
    (the only reading of the garbled Eq. 7 whose diagonal term is not
    constant); KL terms take the online assignment first, as printed.

    References
    ----------
    X. Chen, J. Zhou, Y. Chen, S. Han, Y. Wang, T. Du, C. Yang and B. Liu,
    "Self-Supervised Clustering Models Based on BYOL Network Structure"
    (BSC-IC), Electronics 12(23), 4723, 2023. doi:10.3390/electronics12234723

    I. Gulrajani, F. Ahmed, M. Arjovsky, V. Dumoulin and A. Courville,
    "Improved Training of Wasserstein GANs", NeurIPS 2017.

    Examples
    --------
    >>> from skdeepclust import BSCICClusterer
    >>> from skdeepclust.datasets import load_digit_images
    >>> images, y = load_digit_images()
    >>> model = BSCICClusterer(n_clusters=10, max_epochs=2, random_state=0)
    >>> model.fit_predict(images[:300]).shape
    (300,)
    """

    _method_class = BSCICMethod
    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "loss_weights": [StrOptions({"auto"}), tuple, list],
        "off_diagonal_weight": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "critic_lr": [None, Interval(Real, 0, None, closed="neither")],
        "critic_betas": [tuple, list],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "balance_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        backbone="auto",
        image_shape=None,
        max_epochs="auto",
        batch_size=64,
        lr=1e-3,
        weight_decay=0.0,
        loss_weights="auto",
        off_diagonal_weight=1.0,
        momentum=0.99,
        gradient_penalty=10.0,
        critic_lr=3e-4,
        critic_betas=(0.9, 0.999),
        n_critic=1,
        balance_weight=0.0,
        augment="auto",
        device="auto",
        data_location="auto",
        distributed="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.n_clusters = n_clusters
        self.backbone = backbone
        self.image_shape = image_shape
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.loss_weights = loss_weights
        self.off_diagonal_weight = off_diagonal_weight
        self.momentum = momentum
        self.gradient_penalty = gradient_penalty
        self.critic_lr = critic_lr
        self.critic_betas = critic_betas
        self.n_critic = n_critic
        self.balance_weight = balance_weight
        self.augment = augment
        self.device = device
        self.data_location = data_location
        self.distributed = distributed
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def _derived_settings(self, spec, max_epochs):
        if isinstance(self.loss_weights, str):
            colour = spec.kind == "image" and spec.image_shape[0] == 3
            weights = _COLOUR_WEIGHTS if colour else _GRAY_WEIGHTS
        else:
            weights = _numbers(self.loss_weights, 3, lambda w: w >= 0, (
                "loss_weights should be 'auto' or three non-negative numbers "
                f"(a_mi, a_si, a_clu), got {self.loss_weights!r}."))
        betas = _numbers(self.critic_betas, 2, lambda b: 0 <= b < 1, (
            "critic_betas should be two numbers in [0, 1) (Adam's beta1, beta2), "
            f"got {self.critic_betas!r}."))
        return {"loss_weights": weights, "critic_betas": betas}


def _numbers(values, length, valid, message):
    """``values`` as a tuple of ``length`` valid floats, or a ValueError with ``message``."""
    values = tuple(values)
    if len(values) != length or not all(
            isinstance(v, Real) and not isinstance(v, bool) and valid(v) for v in values):
        raise ValueError(message)
    return tuple(float(v) for v in values)
