"""C3: cross-instance guided contrastive clustering, which starts from CC."""

from numbers import Integral, Real

from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from .._base import (COMMON_ATTRIBUTES_DOC, COMMON_PARAMETERS_DOC, KMEANS_CENTERS_DOC,
                     MAX_EPOCHS_DOC, BaseDeepClusterer, prediction_rule_doc, stage_length,
                     whitened_rule_note)
from .._warm_start import check_init_matches, copy_fitted_network, fitted_init
from ..losses import C3Loss
from ._base import remaining_epochs
from .cc import _CC_PARAMETER_CONSTRAINTS, CCClusterer, CCMethod


class C3Method(CCMethod):
    """CC for ``pretrain_epochs``, then C3's loss for the rest of ``max_epochs``.

    The C3 stage trains the backbone and instance head at ``finetune_lr``
    and ``finetune_batch_size`` when they are given.
    """

    def __init__(self, n_clusters, settings, *, seed=0):
        super().__init__(n_clusters, settings, seed=seed)
        self.c3_loss = C3Loss(settings.zeta, settings.gamma)

    def stage_epochs(self):
        settings = self.settings
        return [("cc", settings.pretrain_epochs),
                ("c3", remaining_epochs(settings.max_epochs,
                                        pretrain_epochs=settings.pretrain_epochs))]

    def stage_learning_rates(self):
        lr = self.settings.finetune_lr
        return {"c3": lr} if lr is not None else {}

    def stage_batch_sizes(self):
        size = self.settings.finetune_batch_size
        return {"c3": size} if size is not None else {}

    def step_c3(self, net, x, indices):
        # C3 trains the backbone and the instance head only
        module = net.module_
        with net.autocast():
            z_a, z_b = module.instance_head(module.encoder(self.two_views(net, x))).chunk(2)
        z_a, z_b = net.gather(z_a, z_b)
        loss, positives = self.c3_loss(z_a, z_b, return_positives=True)
        return {"loss": loss, "c3": loss, "positives_per_sample": positives}


#: The Notes paragraph on the default prediction rule, with this estimator's numbers.
_WHITENED_RULE_NOTE = whitened_rule_note(
    'spherical k-means',
    '8x8 digits 0.972 -> 0.971, ``make_large_digits`` 0.969 -> 0.970, '
    '``make_handwritten_digits`` 0.891 -> 0.906 (lowest seed 0.897), the letters 0.791 ->'
    ' 0.895; with ``augment="colour_invariant"`` on ``make_colour_digits`` 0.660 -> 0.767'
    ' (seed 0)')


class C3Clusterer(BaseDeepClusterer):
    __doc__ = f"""C3: cross-instance guided contrastive clustering.

    Stage 1 trains Contrastive Clustering (:class:`CCClusterer`) for
    ``pretrain_epochs``, from random weights or from a fitted CC given as
    ``init``. Stage 2 fine-tunes the backbone and instance head for the
    rest of ``max_epochs`` with C3's loss (Sadeghi, Hojjati & Armanfard, BMVC 2023,
    Eq. 1-2): every pair of embeddings at least ``zeta`` similar counts as a
    positive, so clusters pull together, and the denominator weighs pairs by
    ``w_ij = softmax_j(gamma * (1 - |z_i . z_j|))`` (Eq. 7), stressing pairs
    near cluster borders. Predictions: spherical k-means on the whitened
    backbone features after training (``prediction_rule="whitened_kmeans"``,
    beyond the paper, see Notes), or the paper's arg-max of the cluster head
    (``"head"``).

    Parameters
    ----------{COMMON_PARAMETERS_DOC}
    pretrain_epochs : int or "auto", default="auto"
        Epochs of the CC stage, the first part of ``max_epochs``; "auto" is
        three quarters of it, or 0 with ``init`` (paper: 1,000). With
        ``init`` they continue from its weights; 0 skips the stage.{MAX_EPOCHS_DOC}
        The C3 stage gets ``max_epochs - pretrain_epochs`` (paper:
        1,000 + 20).
    finetune_lr : float, default=1e-4
        Adam learning rate of the C3 stage (``lr`` is the CC stage's); the
        paper uses 1e-5 after 1,000 CC epochs.
    finetune_batch_size : int, default=None
        Mini-batch size of the C3 stage (clipped to the number of samples);
        None uses ``batch_size``. The paper trains CC with batches of 256 and
        C3 with batches of 128.
    init : CCClusterer or FrozenEstimator, default=None
        A fitted :class:`CCClusterer` to start from instead of random
        weights: its whole network (input standardisation, backbone, instance
        head and cluster head) is copied, and ``init`` itself is left
        unchanged. It must have the same ``n_clusters``, have been fitted on
        input of the same kind and shape, and use the same backbone
        architecture as this estimator. :func:`sklearn.base.clone` (used by
        ``GridSearchCV`` or ``cross_validate``) replaces an estimator
        parameter by an unfitted copy: pass
        ``init=sklearn.frozen.FrozenEstimator(cc)`` to keep it fitted there.
    zeta : float, default=0.6
        Similarity from which a pair is positive (paper: 0.6; 0.95 for 200
        clusters).
    gamma : float, default=0.1
        Sharpness of the pair weights; 0 gives uniform weights (the authors'
        code), large values concentrate the weight on border pairs.
    instance_temperature : float, default=0.5
        CC stage.
    cluster_temperature : float, default=1.0
        CC stage.
    {prediction_rule_doc("whitened_kmeans")}

    Attributes
    ----------{COMMON_ATTRIBUTES_DOC}{KMEANS_CENTERS_DOC}

    See Also
    --------
    CCClusterer : The first stage alone.

    Notes
    -----
    Settings. Defaults for small data on a CPU: ``max_epochs="auto"``, three
    quarters CC epochs then C3 epochs, batch 64, lr 1e-3 then 1e-4. Paper (GPU, CIFAR-scale):
    ``backbone="resnet34"``, 1,000 CC epochs at lr 3e-4 and batch 256, then
    20 C3 epochs at lr 1e-5 and batch 128, that is ``pretrain_epochs=1000,
    max_epochs=1020, batch_size=256, lr=3e-4, finetune_batch_size=128,
    finetune_lr=1e-5``. The same recipe in two calls, keeping the CC model::

        cc = CCClusterer(backbone="resnet34", max_epochs=1000, lr=3e-4).fit(X)
        c3 = C3Clusterer(backbone="resnet34", init=cc, pretrain_epochs=0,
                         max_epochs=20, finetune_batch_size=128,
                         finetune_lr=1e-5).fit(X)

    The rates stay constant (``lr_anneal=0``): CC's anneal of the second
    half measured neutral here, ``make_handwritten_digits`` 0.887 (0.890 /
    0.891 / 0.881, seeds 0-2, second test host) against 0.891 (0.900 /
    0.893 / 0.879).

    Measured with the defaults on the CPU, two fits sharing it
    (``benchmarks/results/images_cpu.md`` and ``images_cpu_rules.md``;
    Euclidean k-means in brackets): 5,000 generated 28x28 digits, 30 + 10
    epochs ("auto"), 400-570 s a fit: ``make_handwritten_digits`` 0.890
    (0.907 / 0.896 / 0.867, seeds 0-2; Euclidean 0.871, head 0.847; seeds
    3-4: 0.856, 0.870), ``make_large_digits`` 0.962 (0.960 / 0.965, seeds
    0-1; Euclidean 0.964), k-means on the pixels 0.359 and 0.585; 8x8 digits
    0.967 (seeds 0-2, 150 + 50 epochs; Euclidean 0.969, head 0.959). The
    cluster head does not train in the C3 stage (as in the paper), so it
    lags the refined features; k-means on them labels them (spherical
    k-means then; ``"head"`` is the paper's rule).

    {_WHITENED_RULE_NOTE}

    The documentation's page of this method gives the training stages and the
    decisions taken where the paper is vague.

    References
    ----------
    M. Sadeghi, H. Hojjati and N. Armanfard, "C3: Cross-instance guided
    Contrastive Clustering", BMVC 2023.

    Y. Li, P. Hu, Z. Liu, D. Peng, J. T. Zhou and X. Peng, "Contrastive
    Clustering", AAAI 2021 (the first stage).

    Examples
    --------
    >>> from skdeepclust import C3Clusterer, CCClusterer
    >>> from skdeepclust.datasets import load_digit_images
    >>> images, y = load_digit_images()
    >>> model = C3Clusterer(n_clusters=10, pretrain_epochs=1, max_epochs=2,
    ...                     random_state=0).fit(images[:300])
    >>> [h["stage"] for h in model.history_]
    ['cc', 'c3']

    Starting from a fitted CC:

    >>> cc = CCClusterer(n_clusters=10, max_epochs=1, random_state=0).fit(images[:300])
    >>> model = C3Clusterer(n_clusters=10, init=cc, pretrain_epochs=0, max_epochs=1,
    ...                     random_state=0).fit(images[:300])
    >>> [h["stage"] for h in model.history_]
    ['c3']
    """

    _method_class = C3Method
    _parameter_constraints: dict = {
        **_CC_PARAMETER_CONSTRAINTS,
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left"),
                            StrOptions({"auto"})],
        "finetune_lr": [Interval(Real, 0, None, closed="neither")],
        "finetune_batch_size": [None, Interval(Integral, 2, None, closed="left")],
        "init": [None, CCClusterer, FrozenEstimator],
        "zeta": [Interval(Real, -1, 1, closed="both")],
        "gamma": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self, n_clusters=8, *, backbone="auto", image_shape=None, pretrain_epochs="auto",
        max_epochs="auto", batch_size=64, lr=1e-3, finetune_lr=1e-4,
        finetune_batch_size=None, weight_decay=0.0, lr_anneal=0.0, init=None, zeta=0.6, gamma=0.1,
        instance_temperature=0.5, cluster_temperature=1.0, prediction_rule="whitened_kmeans",
        augment="auto", device="auto", data_location="auto", distributed="auto",
        random_state=None, verbose=0, callbacks=None,
    ):
        super().__init__(
            n_clusters, backbone=backbone, image_shape=image_shape, max_epochs=max_epochs,
            batch_size=batch_size, lr=lr, weight_decay=weight_decay, lr_anneal=lr_anneal,
            augment=augment,
            device=device, data_location=data_location, distributed=distributed,
            random_state=random_state, verbose=verbose, callbacks=callbacks)
        self.pretrain_epochs = pretrain_epochs
        self.finetune_lr = finetune_lr
        self.finetune_batch_size = finetune_batch_size
        self.init = init
        self.zeta = zeta
        self.gamma = gamma
        self.instance_temperature = instance_temperature
        self.cluster_temperature = cluster_temperature
        self.prediction_rule = prediction_rule

    def _derived_settings(self, spec, max_epochs):
        # "auto": the paper's proportions, or only the C3 stage after a fitted CC
        fraction = 0.0 if self.init is not None else 0.75
        if self.init is not None:
            check_init_matches(fitted_init(self.init, CCClusterer), self, spec)
        return {"pretrain_epochs": stage_length(self.pretrain_epochs, max_epochs, fraction)}

    def _warm_start(self, net, spec):
        if self.init is not None:
            copy_fitted_network(net, fitted_init(self.init, CCClusterer), self.backbone)
