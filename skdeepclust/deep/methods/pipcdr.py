"""PIPCDR: positive instances proximity and cluster dispersion regularisation."""

from numbers import Integral, Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .._base import (CENTRE_RULES, COMMON_ATTRIBUTES_DOC, COMMON_PARAMETERS_DOC,
                     MAX_EPOCHS_DOC, BaseDeepClusterer, stage_length, whitened_rule_note)
from ..callbacks import Recluster, centroid_proba, fit_centroids
from ..heads import mlp_head
from ..losses import ClusterDispersionLoss, PIPLoss
from ..support import fit_queue
from ._base import remaining_epochs
from .byol import BYOLMethod, OnlineNetwork, momentum_copy


class _PIPCDRNetwork(nn.Module):
    """Online and target networks, predictor, centroids of the target projections."""

    def __init__(self, encoder, feature_dim, n_clusters, projection_dim, hidden_dim):
        super().__init__()
        self.online = OnlineNetwork(
            encoder, mlp_head(feature_dim, hidden_dim, projection_dim))
        self.predictor = mlp_head(projection_dim, hidden_dim, projection_dim)
        self.target = momentum_copy(self.online)
        # the latest pseudo-label clustering, then the "projection" rule's
        self.register_buffer("centroids", torch.zeros(n_clusters, projection_dim))

    def target_outputs(self, x):
        """The target network's backbone features and normalised projection."""
        features, projection = self.target(x)
        return features, F.normalize(projection.float(), dim=1)

    def target_embedding(self, x):
        return self.target_outputs(x)[1]


class PIPCDRMethod(BYOLMethod):
    """PIPCDR's recipe (second M-step per batch, first M-step by callback)."""

    def __init__(self, n_clusters, settings, *, seed=0):
        super().__init__(n_clusters, settings, seed=seed)
        self.pip_loss = PIPLoss(settings.sigma)
        self.cdr_loss = ClusterDispersionLoss(settings.cdr_temperature)

    def stage_epochs(self):
        settings = self.settings
        warmup = settings.warmup_epochs
        return [("pip", warmup),
                ("pipcdr", remaining_epochs(settings.max_epochs, warmup_epochs=warmup))]

    def build_network(self, encoder, feature_dim):
        settings = self.settings
        return _PIPCDRNetwork(encoder, feature_dim, self.n_clusters,
                              settings.projection_dim,
                              settings.hidden_dim or 4 * feature_dim)

    def lr_factors(self):
        return {"predictor.": self.settings.predictor_lr_factor}

    def callbacks(self):
        return super().callbacks() + [
            ("recluster", Recluster(self.settings.warmup_epochs,
                                    self.settings.recluster_every, self.n_clusters,
                                    self.seed,
                                    whiten=self.settings.pseudo_labels == "whitened_kmeans"))]

    def _pip(self, net, o_a, o_b, t_a, t_b):
        """PIP (Eq. 4), both view orders; the predictor runs in float32."""
        predictor = net.module_.predictor
        return 0.5 * (self.pip_loss(o_a, t_b, predictor) + self.pip_loss(o_b, t_a, predictor))

    def step_pip(self, net, x, indices):
        pip = self._pip(net, *self.online_and_target(net, x))
        return {"loss": pip, "pip": pip}

    def step_pipcdr(self, net, x, indices):
        """Eq. 9: ``w L_pip + (1 - w) L_cdr``, both symmetric in the views."""
        # the global batch: PIP's neighbours and CDR's clusters span it
        o_a, o_b, t_a, t_b = self.online_and_target(net, x)
        pip = self._pip(net, o_a, o_b, t_a, t_b)
        pseudo_labels = net.fit_state_.get("pseudo_labels")
        if pseudo_labels is None:  # no clustering yet (the warm-up ended early)
            return {"loss": pip, "pip": pip}
        indices = net.gather(indices)
        labels = pseudo_labels[indices]
        queue = queue_labels = None
        queue_size, weight = self.settings.queue_size, self.settings.weight
        if queue_size:
            support = fit_queue(net, "queue", queue_size, t_a.shape[1], random_init=False)
            queue, queued_indices = support.filled()
            # labels of queued samples as the latest clustering sees them
            queue_labels = pseudo_labels[queued_indices]
            support.push(t_a, keys=indices)
        cdr = 0.5 * (self.cdr_loss(o_a, t_a, t_b, labels, queue, queue_labels)
                     + self.cdr_loss(o_b, t_b, t_a, labels, queue, queue_labels))
        return {"loss": weight * pip + (1.0 - weight) * cdr, "pip": pip,
                "cdr": cdr}

    def inference_outputs(self, module, x):
        features, projection = module.target_outputs(x)
        return {"embedding": features, "projection": projection,
                "proba": centroid_proba(projection, module.centroids,
                                        self.settings.cdr_temperature)}


#: The Notes paragraph on the default prediction rule, with this estimator's numbers.
_WHITENED_RULE_NOTE = whitened_rule_note(
    'spherical k-means on the target backbone features',
    '8x8 digits 0.962 -> 0.966, ``make_large_digits`` 0.970 -> 0.972, '
    '``make_handwritten_digits`` 0.773 -> 0.899 (lowest seed 0.879), the letters 0.869 ->'
    ' 0.958. ``pseudo_labels="whitened_kmeans"`` (CDR\'s pseudo-labels from the whitened '
    'projections) gave 0.866 (one seed 0.781) and 0.974 there, so the pseudo-labels stay '
    "the paper's")


class PIPCDRClusterer(BaseDeepClusterer):
    __doc__ = f"""PIPCDR: positive instances proximity, cluster dispersion regulariser.

    A BYOL network (online backbone + projector + predictor, momentum target)
    is trained with two losses (Kumar & Lee):

    - PIP (Eq. 4): the online projection of one view moves a fraction
      ``sigma`` toward its nearest other sample of the batch before the
      predictor regresses the target projection of the other view (BYOL's
      loss at ``sigma = 0``);
    - CDR (Eq. 7): a supervised-contrastive loss on the pseudo-labels of
      spherical k-means on the target projections of the whole data set,
      recomputed every ``recluster_every`` epochs after ``warmup_epochs``.

    The loss is ``weight * L_pip + (1 - weight) * L_cdr``; ``prediction_rule``
    labels the samples after training.

    Parameters
    ----------{COMMON_PARAMETERS_DOC}{MAX_EPOCHS_DOC}
        The warm-up is part of it (paper: 1,000 epochs).
    warmup_epochs : int or "auto", default="auto"
        Epochs of PIP alone before CDR starts; "auto" is a quarter of
        ``max_epochs`` (paper: after the 50-epoch learning-rate warm-up).
    sigma : float, default=0.001
        PIP's pull toward the nearest neighbour.
    cdr_temperature : float, default=0.1
        Temperature of the CDR loss (tau of Eq. 7) and of the "projection"
        rule's ``predict_proba``.
    weight : float, default=0.96
        w of Eq. 9, PIP's share of the loss (paper: 0.91; see Notes).
    momentum : float, default=0.95
        EMA coefficient of the target network (paper: 0.996 over 1,000 epochs).
    recluster_every : int, default=1
        r: epochs between two clusterings (paper: 1-16 equally good).
    queue_size : int, default=0
        Memory queue of past target embeddings that join the batch in CDR
        (0: none); helps small batches with many clusters.
    projection_dim : int, default=128
        Projector and predictor output (paper: 256).
    hidden_dim : int, default=None
        Projector and predictor hidden width; None: 4x the features (paper: 4096).
    predictor_lr_factor : float, default=10.0
        The predictor learns this many times faster (as in the paper).
    pseudo_labels : {{"spherical_kmeans", "whitened_kmeans"}}, \
default="spherical_kmeans"
        The clustering of the target projections that gives CDR its
        pseudo-labels: spherical k-means on them (the paper), or spherical
        k-means after whitening their ``3 * n_clusters`` principal
        directions (the "whitened_kmeans" rule's space; beyond the paper).
    prediction_rule : {{"whitened_kmeans", "spherical_kmeans", "kmeans", \
"projection"}}, default="whitened_kmeans"
        "whitened_kmeans" (beyond the paper): spherical k-means (10 restarts,
        the fit's seed) on the training set's target backbone features
        (``transform``) after PCA whitening of their ``3 * n_clusters``
        principal directions of largest variance (``whitening_mean_``,
        ``whitening_components_``), ``predict_proba`` fuzzy c-means
        memberships (m=2); "spherical_kmeans": the same without the
        whitening; "kmeans": Euclidean k-means on the features;
        "projection": the paper's rule, the
        nearest centroid of spherical k-means on the target projections
        (CDR's space), ``predict_proba`` a softmax at ``cdr_temperature``.

    Attributes
    ----------{COMMON_ATTRIBUTES_DOC}
    cluster_centers_ : ndarray of shape (n_clusters, n_features_out)
        The rule's centres ("projection": (`n_clusters_`, projection_dim);
        "whitened_kmeans": unit rows of the whitened space, (n_clusters,
        n_components)).
    whitening_mean_ : ndarray of shape (n_features_out,)
        The training features' mean, with ``prediction_rule="whitened_kmeans"``.
    whitening_components_ : ndarray of shape (n_features_out, n_components)
        Their principal directions, each divided by the square root of its
        variance, with ``prediction_rule="whitened_kmeans"``.

    See Also
    --------
    skdeepclust.SphericalKMeans : Gives the pseudo-labels and the centroids.
    BSCICClusterer : The other BYOL-based method.

    Notes
    -----
    Settings. CPU defaults: small ConvNet or MLP, ``max_epochs="auto"`` (a
    quarter of warm-up), batch 64, EMA 0.95, Adam lr 1e-3, ``weight=0.96``.
    Paper (GPU): ``backbone="resnet18"`` or 34, 1,000 epochs, EMA 0.996, SGD
    with lr 0.05 x batch/256, cosine decay and 50 warm-up epochs, predictor
    lr x10, hidden 4096, projection 256, ``weight=0.91`` (an SGD schedule can
    come through ``callbacks``, with ``lr_anneal=0``). The rate stays
    constant: annealing the second half lowered ``make_handwritten_digits``
    seeds 0-1 from 0.749 / 0.786 to 0.672 / 0.766, its features still
    rising at the end.

    CDR's share. CDR pulls each sample toward its cluster in the latest
    pseudo-labels. Over tens of epochs the first clusterings come from a
    young BYOL representation, and at the paper's 0.91 CDR fixed their
    mistakes into it: on ``make_handwritten_digits`` one seed's ACC stayed
    at 0.50-0.53 from the first clustering to the end. With CDR's share
    more than halved (``weight=0.96``) the seeds agree (5,000 images, 40
    epochs, two fits sharing the 2-core CPU, about 300 s a fit; seeds 0-2;
    ``benchmarks/results/images_findings.md``, item 67):

    =====================================  =====================  =====================
    data set (pixel k-means)               ``weight=0.96``        ``weight=0.91``
    =====================================  =====================  =====================
    8x8 digits, 200 epochs                 0.960 / 0.956 / 0.964  0.965 / 0.955 / 0.950
    ``make_large_digits`` (0.585)          0.940 / 0.963 / 0.972  0.938 / 0.971 / 0.964
    ``make_handwritten_digits`` (0.359)    0.873 / 0.869 / 0.871  0.678 / 0.878 / 0.775
    =====================================  =====================  =====================

    {_WHITENED_RULE_NOTE}

    Spherical k-means on the features (the default before the whitened
    rule) against the paper's rule on the same networks (``weight=0.91``,
    ``images_cpu_spaces.md``): 8x8 digits 0.949 / 0.923,
    ``make_large_digits`` 0.967 / 0.958, ``make_handwritten_digits`` 0.804 /
    0.718. More on the method's page.

    References
    ----------
    A. Kumar and D.-G. Lee, "Enhancing Clustering Representations with
    Positive Proximity and Cluster Dispersion Learning" (PIPCDR), preprint
    (the paper names no venue).

    Examples
    --------
    >>> from skdeepclust import PIPCDRClusterer
    >>> from skdeepclust.datasets import load_digit_images
    >>> images, y = load_digit_images()
    >>> model = PIPCDRClusterer(n_clusters=10, max_epochs=2, warmup_epochs=1,
    ...                         random_state=0).fit(images[:300])
    >>> model.cluster_centers_.shape, model.whitening_components_.shape
    ((10, 30), (128, 30))
    """

    _auto_image_backbone = "convnet"  # measured on 28x28 digits: see the method page

    _method_class = PIPCDRMethod
    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "warmup_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "sigma": [Interval(Real, 0, 1, closed="both")],
        "cdr_temperature": [Interval(Real, 0, None, closed="neither")],
        "weight": [Interval(Real, 0, 1, closed="both")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "recluster_every": [Interval(Integral, 1, None, closed="left")],
        "queue_size": [Interval(Integral, 0, None, closed="left")],
        "projection_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_dim": [None, Interval(Integral, 1, None, closed="left")],
        "predictor_lr_factor": [Interval(Real, 0, None, closed="neither")],
        "pseudo_labels": [StrOptions({"spherical_kmeans", "whitened_kmeans"})],
        "prediction_rule": [StrOptions(CENTRE_RULES | {"projection"})],
    }

    def __init__(
        self, n_clusters=8, *, backbone="auto", image_shape=None, max_epochs="auto",
        warmup_epochs="auto", batch_size=64, lr=1e-3, weight_decay=0.0, lr_anneal=0.0, sigma=0.001,
        cdr_temperature=0.1, weight=0.96, momentum=0.95, recluster_every=1, queue_size=0,
        projection_dim=128, hidden_dim=None, predictor_lr_factor=10.0,
        pseudo_labels="spherical_kmeans", prediction_rule="whitened_kmeans", augment="auto",
        device="auto",
        data_location="auto", distributed="auto", random_state=None, verbose=0, callbacks=None,
    ):
        super().__init__(
            n_clusters, backbone=backbone, image_shape=image_shape, max_epochs=max_epochs,
            batch_size=batch_size, lr=lr, weight_decay=weight_decay, lr_anneal=lr_anneal,
            augment=augment,
            device=device, data_location=data_location, distributed=distributed,
            random_state=random_state, verbose=verbose, callbacks=callbacks)
        self.warmup_epochs = warmup_epochs
        self.sigma = sigma
        self.cdr_temperature = cdr_temperature
        self.weight = weight
        self.momentum = momentum
        self.recluster_every = recluster_every
        self.queue_size = queue_size
        self.projection_dim = projection_dim
        self.hidden_dim = hidden_dim
        self.predictor_lr_factor = predictor_lr_factor
        self.pseudo_labels = pseudo_labels
        self.prediction_rule = prediction_rule

    def _derived_settings(self, spec, max_epochs):
        return {"warmup_epochs": stage_length(self.warmup_epochs, max_epochs, 0.25)}

    def _finalize(self, net, outputs):
        """The rule's centres: k-means on the features, or on the projections."""
        if self._predicts_by_centres():
            return super()._finalize(net, outputs)
        self._clear_rule_attributes()
        _, self.cluster_centers_ = fit_centroids(net.module_, outputs["projection"],
                                                 self.n_clusters, 10, net.method.seed)
        outputs["proba"] = centroid_proba(torch.from_numpy(outputs["projection"]),
                                          net.module_.centroids.cpu(),
                                          self.cdr_temperature).numpy()
        return outputs
