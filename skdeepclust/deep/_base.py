"""BaseDeepClusterer: the scikit-learn face of every deep clustering method."""

import copy
import textwrap
import types
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, _fit_context
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import ProgressBar

from .._docs import fill_doc
from ..cluster._base import check_n_clusters, compact_labels, warn_empty_clusters
from ..cluster._fuzzy_cmeans import memberships
from ..cluster._spherical_kmeans import SphericalKMeans
from ._input import (
    LazyRows,
    check_matches,
    infer_spec,
    is_row_source,
    to_network_layout,
)
from ._net import DeepClusteringNet, history_records
from ._parallel import (
    DataParallel,
    SingleProcess,
    accelerator_for,
    check_same_data,
    to_global_batch_norm,
    to_local_batch_norm,
)
from .augment import VIEW_POLICIES, ViewPolicy, Views, default_view_makers
from .backbones import BACKBONES, Standardize, build_backbone
from .callbacks import EpochLog, LearningRateSchedule

# Shared docstring pieces for the subclasses' Parameters sections.
COMMON_PARAMETERS_DOC = """
    n_clusters : int, default=8
        Number of clusters K (8 as in every estimator of this library and
        scikit-learn's KMeans).
    backbone : {"auto", "mlp", "convnet", "convnet2", "convnet2_wide", \
"resnet18", "resnet34"} or torch.nn.Module
        Feature extractor. "auto" is an MLP for tabular data and a small
        ConvNet for images (fast on a CPU): "convnet" (one convolution per
        stage, 32-256 channels) up to 16 pixels and "convnet2" (two
        convolutions per stage, 16-128 channels) above, except for
        PIPCDRClusterer, which keeps "convnet" (measured best for it on
        28x28 digits). "convnet2_wide" is "convnet2" at twice the width
        (32-256 channels), about 2.6 times the time per epoch: on 28x28
        handwritten digits it bought DPAC what twice the epochs buy, in
        1.4 times their time (``benchmarks/results/images_findings.md``,
        item 88). The ResNets
        (CIFAR stem for images of at most 64 pixels) are for GPU users. A
        module must map a batch to (B, F) features; give it a
        ``feature_dim`` attribute or F is probed.
    image_shape : tuple of int, default=None
        (H, W), (H, W, C) or (C, H, W): read 2-D input rows as flattened
        images (for instance inside a ``Pipeline``). Leave None for image
        arrays and for tabular data.
    batch_size : int
        Mini-batch size (clipped to the number of samples).
    lr : float
        Adam learning rate.
    weight_decay : float
        Adam weight decay.
    lr_anneal : float in [0, 1]
        Beyond the papers, which train at a constant rate: over this last
        fraction of the epochs the learning rate falls along a half cosine
        towards zero (0.5: constant for the first half, then annealed), so
        that the features the prediction rule reads settle instead of ending
        wherever the last steps left them. 0 keeps every rate constant; set
        0 when a learning-rate scheduler comes through ``callbacks``.
    augment : "auto", "simclr", "crop_affine", "affine", "strokes", \
            "colour_invariant", ViewPolicy or callable, default="auto"
        How views are made: batched per-sample random views on the device.
        "simclr": random resized crop (20-100 %), flip, colour jitter,
        grayscale, blur from 64 pixels (natural colour images).
        "crop_affine": SimCLR's crop and jitter with rotation (+-15 degrees)
        and shear (+-10 degrees) instead of the flip (grey images of shapes:
        handwriting, characters). "affine": rotation, shift, zoom, shear and
        pixel noise, no crop or flip (tiny images such as 8x8 digits).
        "strokes": a mild crop (50-100 %, no flip) with milder affine jitter
        and noise (measured weaker than the others). "colour_invariant":
        "crop_affine" with grayscale and the negative image each at p=0.5,
        for colour images whose class is a shape in arbitrary colours and
        polarity (street numbers, coloured digits; on such digits CC rose
        from 0.16 to 0.74 ACC with it). "auto" picks "affine" up
        to 16 pixels, and above "crop_affine" for grey and "simclr" for colour
        images (measured in ``benchmarks/results/views.md``). Tabular
        data always get feature noise and masking. A
        :class:`~skdeepclust.deep.augment.ViewPolicy` gives your own recipe;
        a callable ``f(x) -> Tensor`` gets a float batch on the device ((B, C,
        H, W) in [0, 1] for images, (B, D) rows for tabular data) and returns
        one random view of the same shape; it is used for every view.
    device : "auto", str or torch.device, default="auto"
        Where to train; "auto" picks CUDA when available. Mixed precision is
        used on CUDA.
    data_location : {"auto", "device", "host"}, default="auto"
        Where the training data live during ``fit``. "device": moved to the
        device once (fastest). "host": kept in host memory as given (a
        ``numpy.memmap`` stays on disk, pages read as batches need them) and
        each batch is gathered there and moved to the device (pinned,
        non-blocking on CUDA). "auto": "device" unless the data take more
        than half of the CUDA device's free memory. On the CPU both are the
        same memory; an (N, H, W) or (N, C, H, W) uint8 or float32 memmap is
        not copied (channels-last images are transposed into memory). A lazy
        array-like of rows (``h5py.Dataset``, ``zarr.Array``: ``shape``,
        ``dtype`` and row indexing) is read batch by batch and never whole,
        unless "device" asks to move it.
    distributed : "auto", False or accelerate.Accelerator, default="auto"
        Data-parallel training over the processes of a launcher. "auto":
        when ``torchrun`` or ``accelerate launch`` started several processes
        (``WORLD_SIZE`` > 1), every process runs the same ``fit`` on the
        same data, trains on its shard of each global batch of
        ``batch_size`` samples through Hugging Face Accelerate, and all end
        with the same model and labels (a fit gives the same result as one
        process with that batch size, up to float rounding). False: each
        process trains alone. An ``Accelerator``: use its processes and
        device. ``batch_size`` must be a multiple of the number of
        processes. See the README's "Scaling out".
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batches and views. With a fixed seed, fits on the CPU
        give identical labels (the global torch RNG is left untouched). In
        a data-parallel fit the main process's seed is used by all.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per epoch and a table of the
        losses (skorch's ProgressBar and PrintLog).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the underlying skorch net (e.g. a learning-rate
        scheduler or checkpointing)."""

COMMON_ATTRIBUTES_DOC = """
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample, by the method's prediction rule on the
        un-augmented data (equal to ``predict(X)``).
    n_clusters_ : int
        Clusters that hold at least one training sample; empty ones are dropped
        and labels run from 0 to ``n_clusters_ - 1``.
    history_ : list of dict
        One dict per epoch: ``epoch``, ``stage``, ``train_loss`` and each loss
        term, ``dur`` (seconds) and ``samples_per_sec``.
    net_ : DeepClusteringNet
        The trained skorch net (``net_.module_`` is the torch network).
    n_features_in_ : int
        ``X.shape[1]`` of the training data.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has feature names."""


def prediction_rule_doc(default):
    """The ``prediction_rule`` entry of a docstring's Parameters, with ``default``.

    The first line is not indented: the docstring writes it on a line of its
    own after four spaces.
    """
    return f"""prediction_rule : {{"head", "kmeans", "spherical_kmeans", \
"whitened_kmeans"}}, default="{default}"
        How the fitted model labels samples. "head": the arg-max of the
        cluster head, the paper's rule. "kmeans": k-means (10 restarts, the
        fit's seed) on the training set's embedding (``transform``) after
        training; each sample goes to its nearest centre
        (``cluster_centers_``) and ``predict_proba`` gives the inverse squared
        distances to the centres, normalised (fuzzy c-means memberships, m=2).
        "spherical_kmeans": the same with
        :class:`~skdeepclust.SphericalKMeans` on the embedding's directions
        (cosine similarity, unit centres), the geometry the contrastive
        losses train; the memberships use the distances between the unit
        rows and the centres. "whitened_kmeans": spherical k-means (30
        restarts) after PCA whitening of the training embedding: its ``3 *
        n_clusters`` principal directions of largest variance (at most the
        embedding's width), each scaled to unit variance
        (``whitening_mean_``, ``whitening_components_``), so that the few
        directions of largest variance do not decide the clusters alone.
        The head still trains either way."""


def whitened_rule_note(before, numbers):
    """The Notes paragraph on the default rule, with one estimator's measurements.

    ``before``: the rule it replaced; ``numbers``: "set a -> b" items, ACC on
    the same networks under the two rules. The first line is not indented:
    the docstring writes it after four spaces.
    """
    text = (
        "Prediction rule (beyond the paper). The default labels samples by "
        "spherical k-means on the whitened features "
        '(``prediction_rule="whitened_kmeans"``): their ``3 * n_clusters`` '
        "principal directions of largest variance, each scaled to unit variance. "
        "A few directions of large variance (pen width, slant, a font's weight) "
        "dominate the distances between the features, while the classes lie in "
        "many more: a linear probe on any of the six deep estimators' features "
        "separates 0.95 of ``make_handwritten_digits`` and 0.99 of ten printed "
        "capitals in 17 fonts (the letters of ``benchmarks/_letters.py``), where "
        "k-means on them found 0.67-0.89 and 0.74-0.88. On the same networks of "
        "this estimator (a fourth test host, 5,000 images, defaults, seeds 0-2, "
        "``make_large_digits`` 0-1; ``benchmarks/results/images_cpu_whitened.md``), "
        f"{before} -> the whitened rule: {numbers}. Training is the same under "
        "every rule.")
    return textwrap.fill(text, width=76, subsequent_indent="    ",
                         break_on_hyphens=False, break_long_words=False)


#: The rules that fit centres on the embedding (``transform``) after training.
CENTRE_RULES = {"kmeans", "spherical_kmeans", "whitened_kmeans"}
#: The rules that cluster unit rows with :class:`~skdeepclust.SphericalKMeans`.
SPHERICAL_RULES = {"spherical_kmeans", "whitened_kmeans"}
#: ``prediction_rule="whitened_kmeans"`` keeps this many principal directions
#: per cluster.
WHITENED_COMPONENTS_PER_CLUSTER = 3
#: k-means restarts of each rule. The whitened space has more local optima
#: than the unit rows: over 5 k-means seeds on saved networks, 10 restarts
#: sometimes ended 0.05-0.1 ACC below the best, 30 agreed within 0.01
#: (``benchmarks/results/images_findings.md``, round 17).
RULE_RESTARTS = {"kmeans": 10, "spherical_kmeans": 10, "whitened_kmeans": 30}
#: The values of ``prediction_rule``: the cluster head, or centres fitted on the embedding.
PREDICTION_RULES = {"head"} | CENTRE_RULES


KMEANS_CENTERS_DOC = """
    cluster_centers_ : ndarray of shape (n_clusters, n_features_out)
        The k-means centres in the embedding, with ``prediction_rule="kmeans"``
        or ``"spherical_kmeans"`` (unit rows then); with ``"whitened_kmeans"``
        unit rows of the whitened space, of shape (n_clusters,
        n_components); absent with "head".
    whitening_mean_ : ndarray of shape (n_features_out,)
        The training embedding's mean, with ``prediction_rule="whitened_kmeans"``.
    whitening_components_ : ndarray of shape (n_features_out, n_components)
        Its principal directions, each divided by the square root of its
        variance: ``(transform(X) - whitening_mean_) @ whitening_components_``
        is the whitened embedding, with ``prediction_rule="whitened_kmeans"``."""


#: Rows per chunk of the k-means rule's memberships.
_MEMBERSHIP_ROWS = 8192


def kmeans_centres(embedding, n_clusters, seed, spherical=False, n_init=10):
    """The centres of the k-means prediction rules: ``n_init`` restarts on ``embedding``.

    ``spherical``: :class:`~skdeepclust.SphericalKMeans` (unit centres) instead
    of Euclidean k-means. A collapsed embedding (fewer distinct points than
    clusters) is not warned about here: the estimator's warning names the
    clusters found.
    """
    kmeans = (SphericalKMeans(n_clusters, n_init=n_init, random_state=seed) if spherical
              else KMeans(n_clusters, n_init=n_init, random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return kmeans.fit(embedding).cluster_centers_


def whitening(embedding, n_components):
    """The mean and the whitening map of ``embedding``'s top principal directions.

    Returns ``(mean, components)``: ``(embedding - mean) @ components`` has
    the ``n_components`` directions of largest variance as its columns, each
    of unit variance. Directions without variance (a collapsed embedding) are
    left out, but one direction is always kept. The covariance is summed over
    chunks of rows in float64, so no float64 copy of a large embedding is made.
    """
    n_samples, n_features = embedding.shape
    total = np.zeros(n_features)
    products = np.zeros((n_features, n_features))
    for start in range(0, n_samples, _MEMBERSHIP_ROWS):
        rows = embedding[start:start + _MEMBERSHIP_ROWS].astype(np.float64)
        total += rows.sum(axis=0)
        products += rows.T @ rows
    mean = total / n_samples
    covariance = products / n_samples - np.outer(mean, mean)
    variances, directions = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(variances)[::-1][:max(1, min(n_components, n_features))]
    variances, directions = variances[order], directions[:, order]
    # relative to the largest: float64 round-off leaves ~1e-16 where none is
    kept = variances > max(variances[0], 0.0) * 1e-10
    kept[0] = True
    scale = np.sqrt(np.where(variances[kept] > 0, variances[kept], 1.0))
    return mean, directions[:, kept] / scale


def rule_features(embedding, rule, whitening_map=None):
    """What the k-means rule ``rule`` measures distances on.

    The embedding for "kmeans", its unit rows for "spherical_kmeans", and the
    unit rows of the whitened embedding (``whitening_map``: the ``(mean,
    components)`` of :func:`whitening`) for "whitened_kmeans".
    """
    embedding = embedding.astype(np.float64)
    if rule == "whitened_kmeans":
        mean, components = whitening_map
        embedding = (embedding - mean) @ components
    return normalize(embedding) if rule in SPHERICAL_RULES else embedding


def fit_seed(random_state):
    """The seed a deep fit draws from ``random_state``: its weights, views and k-means."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


#: ``max_epochs="auto"`` trains about this many sample-pixels (epochs times the
#: number of samples times the pixels of an image, H x W, or the features of a
#: tabular row): 200,000 images of 28x28, within :data:`AUTO_EPOCHS_RANGE`
#: epochs. The cost of a step of the small ConvNets grows with H x W, so the
#: budget is a number of CPU minutes more than a number of epochs.
AUTO_EPOCH_PIXELS = 200_000 * 28 * 28
AUTO_EPOCHS_RANGE = (10, 200)

MAX_EPOCHS_DOC = """
    max_epochs : int or "auto", default="auto"
        All the epochs ``fit`` trains, every stage included. "auto": as many
        as train 200,000 images of 28x28 pixels, ``round(200000 * 784 /
        (n_samples * H * W))`` epochs between 10 and 200 (H * W: the
        features of tabular rows); for instance 40 for 5,000 images of 28x28,
        31 for 5,000 of 32x32, 200 for scikit-learn's 1,797 8x8 digits, 10
        from 20,000 28x28 images: a budget of minutes on a CPU (5-10 for
        5,000 28x28 images with the small ConvNets). A GPU run of the paper's
        recipe passes its epochs (see Notes)."""


def auto_epochs(n_samples, spec):
    """The epochs of ``max_epochs="auto"`` for ``n_samples`` samples read as ``spec``."""
    if spec.image_shape is not None:
        pixels = spec.image_shape[1] * spec.image_shape[2]
    else:
        pixels = spec.n_inputs
    low, high = AUTO_EPOCHS_RANGE
    epochs = round(AUTO_EPOCH_PIXELS / max(n_samples * pixels, 1))
    return int(min(max(epochs, low), high))


def stage_length(value, max_epochs, fraction):
    """A stage-length parameter: ``value``, or ``fraction`` of ``max_epochs`` for "auto"."""
    if isinstance(value, str) and value == "auto":
        return int(round(fraction * max_epochs))
    return value


def check_numbers(values, length, valid, message):
    """``values`` as a tuple of ``length`` floats that pass ``valid``.

    For tuple parameters (loss weights, Adam betas), whose length and range
    the parameter constraints cannot express.

    Raises
    ------
    ValueError
        With ``message``, if ``values`` has another length or holds a value
        that is not a real number (booleans included) or fails ``valid``.
    """
    values = tuple(values)
    if len(values) != length or not all(
            isinstance(v, Real) and not isinstance(v, bool) and valid(v) for v in values):
        raise ValueError(message)
    return tuple(float(v) for v in values)


class _Encoder(torch.nn.Module):
    """Standardisation followed by the backbone: raw-scale batch -> (B, F)."""

    def __init__(self, standardize, backbone):
        super().__init__()
        self.standardize = standardize
        self.backbone = backbone
        self.feature_dim = backbone.feature_dim

    def forward(self, x):
        return self.backbone(self.standardize(x))

    @property
    def has_feature_map(self):
        return callable(getattr(self.backbone, "feature_map", None))

    def feature_map(self, x):
        """The backbone's last convolutional maps (ConvNet and ResNet backbones)."""
        return self.backbone.feature_map(self.standardize(x))


class _ToFloat:
    """Raw batch -> float32 batch as the views and networks read it.

    uint8 images are divided by 255; float images are mapped linearly with
    the training data's minimum and maximum to [0, 1]; tabular rows are only
    cast.
    """

    def __init__(self, offset, scale):
        self.offset = offset
        self.scale = scale

    def __call__(self, batch):
        batch = batch.float()
        if self.scale != 1.0 or self.offset != 0.0:
            batch = (batch - self.offset) * self.scale
        return batch


def _batch_size_runs(method, batch_size, n_samples):
    """[batch size, epochs] of each run of consecutive stages sharing a batch size."""
    sizes = method.stage_batch_sizes()
    runs = []
    for name, epochs in method.stages:
        size = min(sizes.get(name) or batch_size, n_samples)
        if runs and runs[-1][0] == size:
            runs[-1][1] += epochs
        else:
            runs.append([size, epochs])
    return runs or [[batch_size, 0]]


def _as_tensor(data):
    """The training array as a tensor that shares its memory (no copy).

    A read-only ``numpy.memmap`` is fine: training only reads it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(data)


@fill_doc
class BaseDeepClusterer(ClusterMixin, TransformerMixin, BaseEstimator):
    """Base class of the deep clustering estimators.

    A plain scikit-learn estimator that builds and trains a skorch net
    (``self.net_``) inside ``fit``. Subclasses set their parameters in
    ``__init__`` and name the
    :class:`~skdeepclust.deep.methods._base.ClusteringMethod` they train in
    ``_method_class``; ``_make_method`` builds it from the parameters.

    Data flow: validate -> read as tabular rows or images -> one tensor on the
    device -> per step: index a batch, make the views on the device in one
    call, method losses, optimiser step, callbacks -> after training, the
    method's prediction rule on the un-augmented data gives ``labels_``.
    """

    #: What backbone="auto" means for images above 16 pixels.
    _auto_image_backbone = "convnet2"

    def __init__(self, n_clusters, *, backbone, image_shape, max_epochs, batch_size, lr,
                 weight_decay, lr_anneal, augment, device, data_location, distributed, random_state,
                 verbose, callbacks):
        # the parameters every deep estimator has (documented in
        # COMMON_PARAMETERS_DOC); a subclass's explicit signature gives the
        # defaults, as scikit-learn reads the parameters from it
        self.n_clusters = n_clusters
        self.backbone = backbone
        self.image_shape = image_shape
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_anneal = lr_anneal
        self.augment = augment
        self.device = device
        self.data_location = data_location
        self.distributed = distributed
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "backbone": [StrOptions(set(BACKBONES)), torch.nn.Module],
        "image_shape": [None, tuple, list],
        "max_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_anneal": [Interval(Real, 0, 1, closed="both")],
        "augment": [StrOptions({"auto"} | set(VIEW_POLICIES)), ViewPolicy, callable],
        "device": [StrOptions({"auto"}), str, torch.device],
        "data_location": [StrOptions({"auto", "device", "host"})],
        "distributed": [StrOptions({"auto"}), "boolean",
                        HasMethods(["wait_for_everyone", "gather"])],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [None, list],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform returns the float32 embedding whatever the input dtype
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # -- hooks for subclasses ------------------------------------------------------

    #: The :class:`~skdeepclust.deep.methods._base.ClusteringMethod` subclass
    #: that the estimator trains.
    _method_class = None

    def _make_method(self, spec, seed, n_samples):
        """The method to train, its settings read from the estimator's parameters.

        The settings are the estimator's parameters (``get_params()``) with
        :meth:`_derived_settings` on top; ``max_epochs`` is resolved first
        ("auto" from ``n_samples`` and the size of a sample).
        """
        max_epochs = (auto_epochs(n_samples, spec) if self.max_epochs == "auto"
                      else self.max_epochs)
        derived = {"max_epochs": max_epochs, **self._derived_settings(spec, max_epochs)}
        settings = types.SimpleNamespace(**{**self.get_params(deep=False), **derived})
        return self._method_class(self.n_clusters, settings, seed=seed)

    def _derived_settings(self, spec, max_epochs):
        """Settings that depend on the input or need checks beyond the constraints.

        Called at the start of ``fit`` with the input's layout and the
        resolved ``max_epochs`` (stage lengths "auto" are fractions of it);
        returns a dict of settings fields that override the parameters of the
        same name (or that no parameter has).
        """
        return {}

    def _finalize(self, net, outputs):
        """The training set's inference outputs after training, by the prediction rule.

        With ``prediction_rule="kmeans"``, ``"spherical_kmeans"`` or
        ``"whitened_kmeans"`` (whitening fitted first), k-means on the
        embedding fixes ``cluster_centers_``, which label every sample from
        then on. PIPCDR's "projection" rule overrides this with its own centroids.
        """
        rule = self._prediction_rule()
        self._clear_rule_attributes()
        if rule in CENTRE_RULES:
            embedding = outputs["embedding"]
            if rule == "whitened_kmeans":
                self.whitening_mean_, self.whitening_components_ = whitening(
                    embedding, WHITENED_COMPONENTS_PER_CLUSTER * self.n_clusters)
                # chunk by chunk: no float64 copy of the whole embedding
                embedding = np.concatenate(
                    [self._rule_features(embedding[start:start + _MEMBERSHIP_ROWS])
                     for start in range(0, len(embedding), _MEMBERSHIP_ROWS)])
            self.cluster_centers_ = kmeans_centres(
                embedding, self.n_clusters, net.method.seed,
                spherical=rule in SPHERICAL_RULES, n_init=RULE_RESTARTS[rule])
        return self._by_prediction_rule(outputs)

    def _clear_rule_attributes(self):
        """Forget the centres and whitening of an earlier fit's rule."""
        for name in ("cluster_centers_", "whitening_mean_", "whitening_components_"):
            self.__dict__.pop(name, None)

    def _prediction_rule(self):
        return getattr(self, "prediction_rule", "head")

    def _predicts_by_centres(self):
        return self._prediction_rule() in CENTRE_RULES

    def _rule_features(self, embedding):
        """``embedding`` rows in the space of the fitted k-means rule."""
        rule = self._prediction_rule()
        whitening_map = ((self.whitening_mean_, self.whitening_components_)
                         if rule == "whitened_kmeans" else None)
        return rule_features(embedding, rule, whitening_map)

    def _by_prediction_rule(self, outputs):
        """``outputs`` with ``"proba"`` from the k-means centres if the rule says so."""
        if self._predicts_by_centres():
            embedding, proba = outputs["embedding"], outputs["proba"]
            centres = self.cluster_centers_.astype(np.float64)
            # float64 memberships chunk by chunk, over the head's (n_samples,
            # n_clusters) float32 buffer: for the whole set at once the float64
            # copy of the embedding and the temporaries grew the resident memory
            # with the data (58 MB on 240,000 samples)
            for start in range(0, len(embedding), _MEMBERSHIP_ROWS):
                rows = slice(start, start + _MEMBERSHIP_ROWS)
                proba[rows] = memberships(self._rule_features(embedding[rows]), centres, 2.0)
        return outputs

    def _warm_start(self, net, spec):
        """Load starting weights into ``net.module_`` before training (optional).

        Called once the net is initialised (C3 starts from a fitted CC).
        """

    # -- input -----------------------------------------------------------------------

    def _validate_input(self, X, reset):
        if is_row_source(X):
            return self._validate_row_source(X, reset)
        X = validate_data(
            self,
            X,
            reset=reset,
            allow_nd=True,
            dtype=[np.float32, np.float64, np.uint8],
            ensure_min_samples=2 if reset else 1,
        )
        if reset:
            spec = infer_spec(X, self.image_shape)
        else:
            spec = self._input_spec
            check_matches(spec, X)
        return to_network_layout(X, spec), spec

    def _validate_row_source(self, X, reset):
        """What ``validate_data`` checks, for a lazy array-like (nothing is read)."""
        shape = tuple(int(size) for size in X.shape)
        layout = types.SimpleNamespace(shape=shape, ndim=len(shape))
        n_samples = shape[0]
        if n_samples < (2 if reset else 1):
            raise ValueError(f"Found array with {n_samples} sample(s) (shape="
                             f"{tuple(X.shape)}) while a minimum of "
                             f"{2 if reset else 1} is required.")
        if reset:
            self.n_features_in_ = shape[1]
            spec = infer_spec(layout, self.image_shape)
        else:
            check_is_fitted(self, "net_")
            spec = self._input_spec
            check_matches(spec, layout)
        return LazyRows(X, spec), spec

    def _data_on_device(self, data, device):
        """Whether the training data move to the device (``data_location``)."""
        if isinstance(data, LazyRows):
            # read lazily unless asked: moving it means reading it all
            return self.data_location == "device"
        if self.data_location != "auto":
            return self.data_location == "device"
        if not device.startswith("cuda"):
            return True
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return data.nbytes <= 0.5 * free

    def _resolve_device(self, accelerator=None):
        if accelerator is not None and (self.device == "auto"
                                        or str(self.device) in ("cuda", "cuda:0")):
            # one device per process: the one Accelerate placed the process on
            return str(torch.device(accelerator.device))
        if isinstance(self.device, str) and self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r} was requested but CUDA is not "
                             "available; use device='auto' or 'cpu'.")
        return str(device)

    def _input_statistics(self, data, spec):
        """Offset/scale to float and the mean/std the network standardises with."""
        # chunks of about 4 MB in float64: a float64 copy of 60,000 CIFAR
        # images would take 1.5 GB, and a memmap or lazy source stays unread
        rows = max(1, 2**19 // max(1, int(np.prod(data.shape[1:]))))
        if data.dtype == np.uint8:
            offset, scale = 0.0, 1.0 / 255.0
        elif spec.kind == "image":
            low, high = np.inf, -np.inf
            for start in range(0, len(data), rows):
                chunk = data[start:start + rows]
                low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
            offset, scale = low, 1.0 / (high - low) if high > low else 1.0
        else:
            offset, scale = 0.0, 1.0
        # per-channel (images) or per-feature sums in float64, a chunk at a time
        axes = (0, 2, 3) if spec.kind == "image" else (0,)
        total = total_sq = 0.0
        for start in range(0, len(data), rows):
            chunk = (data[start:start + rows].astype(np.float64) - offset) * scale
            total = total + chunk.sum(axis=axes)
            total_sq = total_sq + (chunk * chunk).sum(axis=axes)
        count = data.size / np.size(total)
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0))
        return offset, scale, mean, std

    def _view_makers(self, spec, mean, std):
        if callable(self.augment):
            user = self.augment

            def view(x, generator):
                return user(x)

            return view, view
        return default_view_makers(
            spec,
            scale=torch.as_tensor(std, dtype=torch.float32),
            fill=torch.as_tensor(mean, dtype=torch.float32),
            policy=self.augment,
            # RandAugment operations of the strong view: only DPAC's steps draw
            # strong views (its strong_ops); the others build one and never use it
            n_ops=getattr(self, "strong_ops", 2),
        )

    # -- fit -------------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network and cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Tabular rows (N, D), images (N, H, W), (N, H, W, C) or
            (N, C, H, W) (uint8 or float), or flattened images with
            ``image_shape``.
        %(y_ignored)s

        %(fitted_self)s
        """
        data, spec = self._validate_input(X, reset=True)
        n_samples = data.shape[0]
        check_n_clusters(self.n_clusters, n_samples)
        accelerator = accelerator_for(self.distributed, self.device)
        parallel = (DataParallel(accelerator)
                    if accelerator is not None and accelerator.num_processes > 1
                    else SingleProcess())
        device = self._resolve_device(accelerator)
        check_same_data(parallel, data)
        seed = fit_seed(self.random_state)
        # one seed for all processes: the same initial weights, batches and views
        seed = parallel.broadcast_object(seed)
        offset, scale, mean, std = self._input_statistics(data, spec)
        to_float = _ToFloat(offset, scale)
        batch_size = min(self.batch_size, n_samples)
        verbose = self.verbose if parallel.is_main else 0

        cuda_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            backbone = self.backbone
            if isinstance(backbone, torch.nn.Module):
                backbone = copy.deepcopy(backbone)
            encoder = _Encoder(
                Standardize(mean, std, image=spec.kind == "image"),
                build_backbone(backbone, spec, self._auto_image_backbone),
            )
            # the seed also reaches methods that run their own seeded steps
            # (PIPCDR's k-means restarts)
            method = self._make_method(spec, seed, n_samples)
            runs = _batch_size_runs(method, batch_size, n_samples)
            for run_batch_size, _ in runs:
                if run_batch_size % parallel.world_size:
                    raise ValueError(
                        f"A batch of {run_batch_size} samples does not split over the "
                        f"{parallel.world_size} processes of this data-parallel fit: "
                        "choose batch_size (and finetune_batch_size) as a multiple "
                        "of the number of processes.")
            module = method.build_network(encoder, encoder.feature_dim)
            if parallel.world_size > 1:
                # BatchNorm over the global batch, as one process would compute it
                to_global_batch_norm(module)
            weak, strong = self._view_makers(spec, mean, std)
            callbacks = [("epoch_log", EpochLog()), ("lr_schedule", LearningRateSchedule())]
            callbacks += list(method.callbacks())
            if verbose:
                callbacks.append(("progress_bar", ProgressBar(
                    batches_per_epoch=max(n_samples // batch_size, 1)
                    if len(runs) == 1 else "auto")))
            callbacks += list(self.callbacks or [])
            net = DeepClusteringNet(
                module,
                method=method,
                amp=True,
                optimizer=torch.optim.Adam,
                lr=self.lr,
                optimizer__weight_decay=self.weight_decay,
                max_epochs=method.total_epochs,
                batch_size=batch_size,
                train_split=None,
                iterator_train__shuffle=True,
                iterator_train__drop_last=True,
                iterator_train__generator=torch.Generator().manual_seed(seed),
                callbacks=callbacks,
                device=device,
                verbose=int(verbose > 0),
            )
            net.initialize()
            self._warm_start(net, spec)
            if parallel.world_size > 1:
                # the main process's weights everywhere (a user's module may
                # have been built differently in each process)
                for tensor in net.module_.state_dict().values():
                    torch.distributed.broadcast(tensor, src=0)
            generator = torch.Generator(device=device).manual_seed(seed)
            net.views_ = Views(weak, strong, generator)
            on_device = self._data_on_device(data, device)
            if isinstance(data, LazyRows):
                # a lazy source is gathered batch by batch (or read whole to move it)
                train_data = _as_tensor(data[:]) if on_device else data
            else:
                train_data = _as_tensor(data)
            net.set_training_data(train_data, to_float, on_device=on_device,
                                  parallel=parallel)
            try:
                # one partial_fit per run of stages sharing a batch size: the
                # iterator is built per call; epochs and history continue
                done = 0
                for run_batch_size, epochs in runs:
                    net.batch_size = run_batch_size
                    net.partial_fit(np.arange(n_samples), epochs=epochs)
                    done += epochs
                    if len(net.history) < done:  # interrupted (KeyboardInterrupt)
                        break
            finally:
                net.release_training_data()

        self._input_spec = spec
        self._to_float = to_float
        self.net_ = net
        try:
            # every process infers its share of the rows and gets all labels
            outputs = self._finalize(net, self._inference(data))
        finally:
            net.end_parallel()
            if parallel.world_size > 1:
                to_local_batch_norm(net.module_)
        raw_labels = outputs["proba"].argmax(axis=1)
        kept, self.labels_ = compact_labels(raw_labels, self.n_clusters)
        self._kept_clusters = kept
        self.n_clusters_ = int(kept.size)
        # the main process's history (durations differ between processes)
        self.history_ = parallel.broadcast_object(history_records(net))
        if parallel.is_main:
            # a collapsed fit (e.g. too high a learning rate) must not pass silently
            warn_empty_clusters(
                self, self.n_clusters_,
                hint="The network collapsed onto fewer clusters: train longer, lower "
                     "lr, or check the views (augment=).")
        return self

    # -- inference ---------------------------------------------------------------------

    def _inference(self, data):
        return self.net_.infer_all(data, self._to_float, batch_size=max(4 * self.batch_size, 512))

    def _outputs(self, X):
        check_is_fitted(self, "net_")
        data, _ = self._validate_input(X, reset=False)
        return self._inference(data)

    def predict_proba(self, X):
        """Cluster probabilities of samples.

        %(new_samples)s

        Returns
        -------
        proba : ndarray of shape (n_samples, `n_clusters_`)
            Rows sum to one (clusters dropped as empty are left out and the
            rest renormalised).
        """
        outputs = self._by_prediction_rule(self._outputs(X))
        proba = outputs["proba"][:, self._kept_clusters].astype(np.float64)
        total = proba.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return proba / total

    def predict(self, X):
        """Cluster of each sample (the method's prediction rule).

        %(new_samples)s

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels from 0 to ``n_clusters_ - 1``.
        """
        return self.predict_proba(X).argmax(axis=1)

    def transform(self, X):
        """Embedding of samples: the space the method clusters in.

        The backbone features (where the k-means rules cluster and the
        cluster head reads); for PIPCDR those of its target network.

        %(new_samples)s

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_features_out), float32
        """
        return self._outputs(X)["embedding"]
