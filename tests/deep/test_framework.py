"""The deep framework (BaseDeepClusterer + skorch bridge), through DPACClusterer."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs

import skdeepclust as sdc
from skdeepclust import CCClusterer, DPACClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.deep import TrainingDiverged
from skdeepclust.deep._input import infer_spec
from skdeepclust.deep.callbacks import anneal_scale

from ._helpers import InterruptAt, Record

TINY = dict(pretrain_epochs=1, max_epochs=2, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def digits():
    images, y = load_digit_images()
    return images[:128], y[:128]


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=96, centers=3, n_features=5, random_state=0)
    return X.astype(np.float32), y


def test_image_layouts_are_read_the_same_way(digits):
    images, _ = digits
    rgb = np.repeat(images[..., None], 3, axis=-1)  # (N, H, W, 3)
    layouts = {
        "channels_last": rgb,
        "channels_first": np.moveaxis(rgb, -1, 1),
        "flat": rgb.reshape(len(rgb), -1),
    }
    labels = {}
    for name, X in layouts.items():
        model = DPACClusterer(n_clusters=4, image_shape=(8, 8, 3) if name == "flat" else None,
                              **TINY)
        labels[name] = model.fit_predict(X)
    np.testing.assert_array_equal(labels["channels_last"], labels["channels_first"])
    np.testing.assert_array_equal(labels["channels_last"], labels["flat"])
    grey = DPACClusterer(n_clusters=4, **TINY).fit_predict(images)
    grey_flat = DPACClusterer(n_clusters=4, image_shape=(8, 8), **TINY).fit_predict(
        images.reshape(len(images), -1))
    np.testing.assert_array_equal(grey, grey_flat)


@pytest.mark.parametrize(
    "shape,expected",
    [((10, 5), ("tabular", None)), ((10, 8, 8), ("image", (1, 8, 8))),
     ((10, 32, 32, 3), ("image", (3, 32, 32))), ((10, 3, 32, 32), ("image", (3, 32, 32))),
     ((10, 1, 28, 28), ("image", (1, 28, 28)))],
)
def test_input_spec(shape, expected):
    spec = infer_spec(np.zeros(shape, dtype=np.float32))
    assert (spec.kind, spec.image_shape) == expected


@pytest.mark.parametrize(
    "X,kwargs,match",
    [
        (np.zeros((10, 2, 3, 4, 5)), {}, "dimension"),
        (np.zeros((10, 5, 7, 9)), {}, "channel axis"),
        (np.zeros((10, 64)), {"image_shape": (8, 9)}, "holds 72 values"),
        (np.zeros((10, 8, 8)), {"image_shape": (4, 16)}, "does not match"),
        (np.zeros((10, 5)), {"backbone": "convnet"}, "needs images"),
        (np.zeros((5, 3)), {"n_clusters": 6}, "n_samples=5 should be >= n_clusters=6"),
        (np.zeros((1, 3)), {"n_clusters": 1}, "1 sample"),
        (np.full((10, 3), np.nan), {}, "NaN"),
    ],
)
def test_bad_input(X, kwargs, match):
    params = {**TINY, "n_clusters": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        DPACClusterer(**params).fit(X)


def test_sparse_and_wrong_shape_at_predict(digits):
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="Sparse"):
        DPACClusterer(n_clusters=2, **TINY).fit(sp.csr_matrix(np.eye(10)))
    images, _ = digits
    model = DPACClusterer(n_clusters=3, **TINY).fit(images)
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.zeros((4, 8, 9), dtype=np.float32))


def test_same_seed_same_labels_and_global_rng_untouched(blobs):
    X, _ = blobs
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = DPACClusterer(n_clusters=3, **TINY).fit(X)
    assert torch.equal(torch.rand(3), expected_next)
    b = DPACClusterer(n_clusters=3, **TINY).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = DPACClusterer(n_clusters=3, **{**TINY, "random_state": 1}).fit(X)
    assert not np.array_equal(a.transform(X), c.transform(X))


def test_pickle_round_trip(blobs):
    X, _ = blobs
    model = DPACClusterer(n_clusters=3, **TINY).fit(X)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    assert not hasattr(loaded.net_, "train_data_")


class _NaNAfterFirstStep(torch.nn.Module):
    feature_dim = 16

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(5, 16)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        out = self.linear(x)
        return out * float("nan") if self.training and self.calls > 3 else out


def test_divergence_stops_with_a_clear_error(blobs):
    X, _ = blobs
    model = DPACClusterer(n_clusters=3, backbone=_NaNAfterFirstStep(),
                          **{**TINY, "pretrain_epochs": 3, "max_epochs": 4})
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch \d+"):
        model.fit(X)


def test_keyboard_interrupt_leaves_a_usable_model(blobs):
    X, _ = blobs
    model = DPACClusterer(n_clusters=3, callbacks=[InterruptAt(2)],
                          **{**TINY, "pretrain_epochs": 5, "max_epochs": 10})
    model.fit(X)
    assert len(model.history_) == 2
    assert model.labels_.shape == (len(X),)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_history_records_stages_terms_and_throughput(blobs):
    X, _ = blobs
    # the paper's unweighted sum (Eq. 12), so that the recorded terms add up to the loss
    model = DPACClusterer(n_clusters=3, clustering_weight=1.0,
                          **{**TINY, "pretrain_epochs": 2, "max_epochs": 4})
    model.fit(X)
    assert [h["stage"] for h in model.history_] == ["pretrain"] * 2 + ["cluster"] * 2
    assert all(h["samples_per_sec"] > 0 and h["dur"] > 0 for h in model.history_)
    assert "clustering" in model.history_[-1] and "contrastive" in model.history_[-1]
    assert model.history_[-1]["train_loss"] == pytest.approx(
        model.history_[-1]["contrastive"] + model.history_[-1]["clustering"], rel=1e-5)


def test_verbose_shows_progress_and_log(blobs, capsys):
    X, _ = blobs
    DPACClusterer(n_clusters=3, verbose=1, **TINY).fit(X)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out
    assert "contrastive" in captured.out


def test_custom_augment_callable_is_used(blobs):
    X, _ = blobs
    calls = []

    def augment(x):
        calls.append(tuple(x.shape))
        return x + 0.01 * torch.randn_like(x)

    # both stages at TINY's batch of 32 (DPAC pre-trains at 64 by default)
    DPACClusterer(n_clusters=3, augment=augment, pretrain_batch_size=None, **TINY).fit(X)
    assert calls and all(shape == (32, 5) for shape in calls)


def test_custom_backbone_module_is_copied(blobs):
    X, _ = blobs
    backbone = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU())
    before = [p.detach().clone() for p in backbone.parameters()]
    model = DPACClusterer(n_clusters=3, backbone=backbone, **TINY).fit(X)
    assert model.transform(X).shape == (len(X), 8)
    for p, q in zip(before, backbone.parameters()):
        assert torch.equal(p, q)


def test_resnet18_builds_and_runs_one_step():
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(8, 16, 16, 3), dtype=np.uint8)
    model = DPACClusterer(n_clusters=2, backbone="resnet18", pretrain_epochs=1,
                          max_epochs=1, batch_size=8, random_state=0).fit(images)
    assert model.transform(images).shape == (8, 512)
    assert np.isfinite(model.history_[0]["train_loss"])


@pytest.mark.gpu
def test_fit_on_cuda_and_load_on_cpu(blobs, tmp_path):
    X, _ = blobs
    model = DPACClusterer(n_clusters=3, device="cuda", **TINY).fit(X)
    assert next(model.net_.module_.parameters()).is_cuda
    state = pickle.dumps(model)
    loaded = pickle.loads(state)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


class _InputBlindBackbone(torch.nn.Module):
    """Features that ignore the input: every sample lands in the same cluster."""

    feature_dim = 4

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Parameter(torch.randn(1, 4))

    def forward(self, x):
        return 0.0 * x.flatten(1)[:, :1] + self.features


def test_collapsed_fit_warns_with_the_number_of_clusters_found(blobs):
    from sklearn.exceptions import ConvergenceWarning

    X, _ = blobs
    with pytest.warns(ConvergenceWarning, match=r"only 1 of the n_clusters=3 clusters"):
        model = DPACClusterer(n_clusters=3, backbone=_InputBlindBackbone(), **TINY).fit(X)
    assert model.n_clusters_ == 1 and set(model.labels_) == {0}


def test_fit_that_finds_every_cluster_does_not_warn(blobs):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, _ = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = DPACClusterer(n_clusters=3, **{**TINY, "pretrain_epochs": 5,
                                               "max_epochs": 10}).fit(X)
    assert model.n_clusters_ == 3


def test_step_terms_reach_the_history_and_reserved_names_are_refused(blobs, monkeypatch):
    from skdeepclust.deep.methods.dpac import DPACMethod

    X, _ = blobs
    step = DPACMethod.step_pretrain

    def with_extra_term(self, net, x, indices):
        terms = step(self, net, x, indices)
        return {**terms, "twice": 2 * terms["loss"]}

    monkeypatch.setattr(DPACMethod, "step_pretrain", with_extra_term)
    model = DPACClusterer(n_clusters=3, **{**TINY, "max_epochs": 1}).fit(X)
    record = model.history_[0]
    assert record["twice"] == pytest.approx(2 * record["contrastive"], rel=1e-5)

    def with_reserved_term(self, net, x, indices):
        return {**step(self, net, x, indices), "batch": torch.zeros(())}

    monkeypatch.setattr(DPACMethod, "step_pretrain", with_reserved_term)
    with pytest.raises(ValueError, match="reserved"):
        DPACClusterer(n_clusters=3, **TINY).fit(X)


@pytest.mark.parametrize("estimator, params, first_stage", [
    (DPACClusterer, {"pretrain_epochs": 3, "max_epochs": 2}, "pretrain_epochs"),
    (DPACClusterer, {"pretrain_epochs": 1, "self_labeling_epochs": 2, "max_epochs": 2},
     "pretrain_epochs"),
    ("C3Clusterer", {"pretrain_epochs": 3, "max_epochs": 2}, "pretrain_epochs"),
    ("PIPCDRClusterer", {"warmup_epochs": 3, "max_epochs": 2}, "warmup_epochs"),
])
def test_stage_epochs_are_parts_of_max_epochs(blobs, estimator, params, first_stage):
    import skdeepclust

    X, _ = blobs
    estimator = getattr(skdeepclust, estimator) if isinstance(estimator, str) else estimator
    with pytest.raises(ValueError, match="more than max_epochs=2.*total number of epochs"):
        estimator(n_clusters=3, batch_size=32, **params).fit(X)
    # a fit trains exactly max_epochs epochs, stages included
    fits = {**params, "max_epochs": 5}
    model = estimator(n_clusters=3, batch_size=32, random_state=0, **fits).fit(X)
    assert len(model.history_) == 5
    stages = [h["stage"] for h in model.history_]
    assert stages[:params[first_stage]] == [stages[0]] * params[first_stage]
    assert stages.count(stages[0]) == params[first_stage]


@pytest.mark.parametrize("name", ["DPACClusterer", "CCClusterer", "C3Clusterer",
                                  "CCESClusterer", "PIPCDRClusterer", "BSCICClusterer"])
def test_method_settings_are_the_parameters_of_the_same_names(name):
    import skdeepclust

    estimator_class = getattr(skdeepclust, name)
    spec = infer_spec(np.zeros((4, 28, 28), dtype=np.float32))
    defaults = estimator_class(n_clusters=3)._make_method(spec, seed=7, n_samples=5000)
    assert defaults.seed == 7 and defaults.n_clusters == 3
    # max_epochs="auto": 200,000 images of 28x28 pixels
    assert defaults.settings.max_epochs == 40
    settings = vars(defaults.settings)
    derived = {"max_epochs": 40, **estimator_class()._derived_settings(spec, 40)}
    params = estimator_class(n_clusters=3).get_params()
    # every parameter, with the derived values on top, and nothing else
    assert set(settings) == set(params) | set(derived)
    for key, value in settings.items():
        assert value == (derived[key] if key in derived else params[key]), key
    # a changed parameter reaches the setting of the same name
    # (ints doubled, floats moved toward 1: valid for every such parameter)
    changed = {key: 2 * value if isinstance(value, int) else (value + 1.0) / 2
               for key, value in params.items()
               if key not in derived and key not in ("max_epochs", "n_clusters")
               and type(value) in (int, float) and value > 0}
    assert changed
    estimator = estimator_class(n_clusters=3, max_epochs=10_000, **changed)
    settings = estimator._make_method(spec, seed=0, n_samples=5000).settings
    assert {key: getattr(settings, key) for key in changed} == changed


@pytest.mark.parametrize("n_samples, sample_shape, epochs", [
    (100, (28, 28), 200), (5000, (28, 28), 40), (20000, (28, 28), 10),
    (1_000_000, (28, 28), 10), (5000, (32, 32, 3), 31), (5000, (3, 32, 32), 31),
    (1797, (8, 8), 200), (10000, (8, 8), 200), (1797, (64,), 200),
    (5000, (784,), 40)])
def test_auto_max_epochs_trains_200000_images_of_28x28(n_samples, sample_shape, epochs):
    from skdeepclust.deep._base import auto_epochs

    spec = infer_spec(np.zeros((4, *sample_shape), dtype=np.float32))
    # a loop over the rule's definition: epochs x samples x pixels ~ 200,000 x 784
    pixels = int(np.prod(sample_shape)) // (3 if 3 in sample_shape else 1)
    assert epochs == min(max(round(200_000 * 784 / (n_samples * pixels)), 10), 200)
    assert auto_epochs(n_samples, spec) == epochs
    method = CCClusterer(n_clusters=3)._make_method(spec, seed=0, n_samples=n_samples)
    assert method.total_epochs == epochs
    # an explicit number is kept
    method = CCClusterer(n_clusters=3, max_epochs=7)._make_method(spec, 0, n_samples)
    assert method.total_epochs == 7


@pytest.mark.parametrize("name, stage, fraction", [
    ("DPACClusterer", "pretrain_epochs", 0.25), ("C3Clusterer", "pretrain_epochs", 0.75),
    ("PIPCDRClusterer", "warmup_epochs", 0.25), ("CCESClusterer", "nn_warmup", 0.25)])
def test_auto_stage_lengths_are_fractions_of_max_epochs(name, stage, fraction):
    import skdeepclust

    estimator_class = getattr(skdeepclust, name)
    spec = infer_spec(np.zeros((4, 8, 8), dtype=np.float32))
    for max_epochs in (40, 60):
        method = estimator_class(n_clusters=3, max_epochs=max_epochs)._make_method(
            spec, seed=0, n_samples=100)
        assert getattr(method.settings, stage) == round(fraction * max_epochs)
        assert method.total_epochs == max_epochs
    method = estimator_class(n_clusters=3, max_epochs=40, **{stage: 3})._make_method(
        spec, seed=0, n_samples=100)
    assert getattr(method.settings, stage) == 3


def test_kmeans_prediction_rule_labels_by_the_nearest_centre(blobs, monkeypatch):
    from sklearn.cluster import KMeans

    X, y = blobs
    model = CCClusterer(n_clusters=3, max_epochs=2, batch_size=32, random_state=0,
                        prediction_rule="kmeans").fit(X)
    embedding = model.transform(X)
    # the rule is k-means (10 restarts, the fit's seed) on the training embedding
    expected = KMeans(3, n_init=10, random_state=model.net_.method.seed).fit(embedding)
    np.testing.assert_allclose(model.cluster_centers_, expected.cluster_centers_, rtol=1e-5)
    distances = ((embedding[:, None, :].astype(np.float64)
                  - model.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(model.labels_, distances.argmin(1))
    np.testing.assert_array_equal(model.predict(X[:10]), distances[:10].argmin(1))
    # predict_proba: inverse squared distances, normalised (FCM memberships, m=2)
    inverse = 1.0 / distances[:10]
    np.testing.assert_allclose(model.predict_proba(X[:10]),
                               inverse / inverse.sum(1, keepdims=True), rtol=1e-6)
    # memberships go chunk by chunk: a ragged last chunk changes nothing
    import skdeepclust.deep._base as deep_base

    monkeypatch.setattr(deep_base, "_MEMBERSHIP_ROWS", 7)
    inverse = 1.0 / distances
    np.testing.assert_allclose(model.predict_proba(X), inverse / inverse.sum(1, keepdims=True),
                               rtol=1e-6)
    # the same network as the head rule: the rule only post-processes
    head = CCClusterer(n_clusters=3, max_epochs=2, batch_size=32, random_state=0,
                       prediction_rule="head").fit(X)
    np.testing.assert_array_equal(head.transform(X), embedding)
    assert not hasattr(head, "cluster_centers_")
    head_labels = head.net_.infer_all(X, head._to_float, 64)["proba"].argmax(1)
    np.testing.assert_array_equal(np.unique(head.labels_, return_inverse=True)[1],
                                  np.unique(head_labels, return_inverse=True)[1])
    # a refit with the head rule drops the centres of the earlier fit
    model.set_params(prediction_rule="head").fit(X)
    assert not hasattr(model, "cluster_centers_")
    with pytest.raises(ValueError, match="prediction_rule"):
        CCClusterer(prediction_rule="nearest").fit(X)


def _check_spherical_rule(model, X, rows, n_init=10):
    """The rule is SphericalKMeans (``n_init`` restarts, the fit's seed) on ``rows``.

    ``rows``: the training embedding in the rule's space. Each sample goes to
    the centre of largest (naive) cosine similarity, and ``predict_proba`` is
    the FCM memberships (m=2) from the squared distances of the unit rows to
    the unit centres, 2 - 2 cos.
    """
    expected = sdc.SphericalKMeans(3, n_init=n_init, random_state=model.net_.method.seed)
    np.testing.assert_allclose(model.cluster_centers_,
                               expected.fit(rows).cluster_centers_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0)
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    cosine = unit @ model.cluster_centers_.T
    np.testing.assert_array_equal(model.labels_, cosine.argmax(1))
    np.testing.assert_array_equal(model.predict(X[:10]), cosine[:10].argmax(1))
    inverse = 1.0 / (2.0 - 2.0 * cosine[:10])
    np.testing.assert_allclose(model.predict_proba(X[:10]),
                               inverse / inverse.sum(1, keepdims=True), rtol=1e-6)


def test_spherical_kmeans_prediction_rule_labels_by_the_largest_cosine(blobs):
    X, y = blobs
    model = CCClusterer(n_clusters=3, max_epochs=2, batch_size=32, random_state=0,
                        prediction_rule="spherical_kmeans").fit(X)
    embedding = model.transform(X).astype(np.float64)
    _check_spherical_rule(model, X, embedding)
    # the same network as the Euclidean rule's: the rule only post-processes
    euclidean = CCClusterer(n_clusters=3, max_epochs=2, batch_size=32, random_state=0,
                            prediction_rule="kmeans").fit(X)
    np.testing.assert_array_equal(euclidean.transform(X), model.transform(X))
    assert not np.allclose(np.linalg.norm(euclidean.cluster_centers_, axis=1), 1.0)


def _naive_covariance(rows):
    """The population covariance of ``rows``, a sum of outer products in a loop."""
    mean = sum(rows) / len(rows)
    return sum(np.outer(r - mean, r - mean) for r in rows) / len(rows)


def test_whitening_scales_the_top_principal_directions_to_unit_variance():
    from skdeepclust.deep._base import whitening

    rng = np.random.default_rng(0)
    # hand-checked: independent axes with standard deviations 3, 2, 1, 0.5 and a
    # mean of (5, ..., 5): the top two directions are the first two axes, divided
    # by their standard deviations
    axes = rng.standard_normal((20000, 4)) * [3.0, 2.0, 1.0, 0.5] + 5.0
    mean, components = whitening(axes.astype(np.float32), 2)
    np.testing.assert_allclose(mean, 5.0, atol=0.05)
    np.testing.assert_allclose(np.abs(components), [[1 / 3, 0], [0, 1 / 2], [0, 0], [0, 0]],
                               atol=0.01)
    # against the naive covariance of correlated rows: the whitened rows have
    # the identity covariance and span its top principal directions
    rows = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 5))
    mean, components = whitening(rows, 3)
    covariance = _naive_covariance(list(rows))
    np.testing.assert_allclose(mean, rows.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(_naive_covariance(list((rows - mean) @ components)),
                               np.eye(3), atol=1e-8)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    top = eigenvectors[:, np.argsort(eigenvalues)[::-1][:3]]
    np.testing.assert_allclose(np.abs(top.T @ (components / np.linalg.norm(components, axis=0))),
                               np.eye(3), atol=1e-8)
    # more directions than the rows have: all of them; a collapsed embedding
    # keeps one direction, finite
    assert whitening(rows, 50)[1].shape == (5, 5)
    mean, components = whitening(np.ones((10, 4), dtype=np.float32), 3)
    assert components.shape == (4, 1) and np.isfinite(components).all()


def test_whitening_sums_the_covariance_chunk_by_chunk(monkeypatch):
    import skdeepclust.deep._base as deep_base

    rows = np.random.default_rng(1).standard_normal((50, 6)).astype(np.float32)
    mean, components = deep_base.whitening(rows, 4)
    monkeypatch.setattr(deep_base, "_MEMBERSHIP_ROWS", 7)  # a ragged last chunk
    chunked_mean, chunked = deep_base.whitening(rows, 4)
    np.testing.assert_allclose(chunked_mean, mean, rtol=1e-10)
    np.testing.assert_allclose(np.abs(chunked), np.abs(components), rtol=1e-6, atol=1e-10)


def test_whitened_kmeans_prediction_rule_is_spherical_kmeans_on_the_whitened_embedding(blobs):
    X, _ = blobs
    model = CCClusterer(n_clusters=3, max_epochs=2, batch_size=32, random_state=0,
                        prediction_rule="whitened_kmeans").fit(X)
    embedding = model.transform(X).astype(np.float64)
    # the whitening: the training embedding's mean, 3 * n_clusters = 9 of its
    # principal directions, each of unit variance after the map
    np.testing.assert_allclose(model.whitening_mean_, embedding.mean(axis=0), rtol=1e-6,
                               atol=1e-9)
    assert model.whitening_components_.shape == (embedding.shape[1], 9)
    whitened = (embedding - model.whitening_mean_) @ model.whitening_components_
    np.testing.assert_allclose(_naive_covariance(list(whitened)), np.eye(9), atol=1e-6)
    # spherical k-means (30 restarts) on those rows, as the spherical rule on
    # the embedding's
    _check_spherical_rule(model, X, whitened, n_init=30)
    # the rule only post-processes; a refit with another rule drops the whitening
    model.set_params(prediction_rule="spherical_kmeans").fit(X)
    np.testing.assert_array_equal(model.transform(X), embedding.astype(np.float32))
    assert not hasattr(model, "whitening_components_")
    assert not hasattr(model, "whitening_mean_")


def _half_cosine_reference(total_epochs, fraction):
    """The anneal of ``lr_anneal``, written out: constant, then half a cosine period."""
    start = (1 - fraction) * total_epochs
    scales = []
    for epoch in range(total_epochs):
        if fraction == 0 or epoch < start:
            scales.append(1.0)
        else:
            progress = (epoch - start) / (total_epochs - start)
            scales.append((1 + np.cos(np.pi * progress)) / 2)
    return scales


@pytest.mark.parametrize("total_epochs, fraction", [(8, 0.5), (40, 0.5), (10, 1.0),
                                                     (7, 0.3), (5, 0.0)])
def test_anneal_scale_follows_a_half_cosine(total_epochs, fraction):
    scales = [anneal_scale(epoch, total_epochs, fraction) for epoch in range(total_epochs)]
    assert scales == pytest.approx(_half_cosine_reference(total_epochs, fraction))
    assert all(0 < s <= 1 for s in scales)
    # by hand: 8 epochs, last half annealed -> 1, 1, 1, 1, 1, (1 + cos(pi/4)) / 2, 0.5, ...
    eighth = [anneal_scale(epoch, 8, 0.5) for epoch in range(8)]
    assert eighth[:5] == [1.0] * 5
    assert eighth[6] == pytest.approx(0.5)
    assert eighth[5] == pytest.approx((1 + np.sqrt(0.5)) / 2)
    # past the end the rate stays at the floor instead of rising with the cosine
    assert [anneal_scale(epoch, 8, 0.5) for epoch in (8, 9, 12)] == [0.0, 0.0, 0.0]


def test_lr_anneal_lowers_the_rate_over_the_last_epochs(blobs):
    X, _ = blobs
    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    CCClusterer(n_clusters=3, max_epochs=4, batch_size=32, lr=1e-3, lr_anneal=0.5,
                random_state=0, callbacks=[lr]).fit(X)
    assert lr.seen == pytest.approx([1e-3, 1e-3, 1e-3, 0.5e-3])
    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    CCClusterer(n_clusters=3, max_epochs=4, batch_size=32, lr=1e-3, lr_anneal=0.0,
                random_state=0, callbacks=[lr]).fit(X)
    assert lr.seen == [1e-3] * 4


def test_lr_anneal_keeps_the_predictor_faster(blobs):
    # PIPCDR's predictor group learns lr_factor (10) times faster throughout
    X, _ = blobs
    rates = Record(lambda net: sorted(g["lr"] for g in net.optimizer_.param_groups))
    sdc.PIPCDRClusterer(n_clusters=3, max_epochs=4, warmup_epochs=1, batch_size=32, lr=1e-3,
                        lr_anneal=0.5, random_state=0, callbacks=[rates]).fit(X)
    assert [high for _, high in rates.seen] == pytest.approx([1e-2, 1e-2, 1e-2, 0.5e-2])
    assert all(high == pytest.approx(10 * low) for low, high in rates.seen)


def test_a_users_scheduler_keeps_control_without_the_anneal(blobs):
    from skorch.callbacks import LRScheduler
    from torch.optim.lr_scheduler import StepLR

    X, _ = blobs
    lr = Record(lambda net: net.optimizer_.param_groups[0]["lr"])
    halve = LRScheduler(policy=StepLR, step_size=1, gamma=0.5)
    CCClusterer(n_clusters=3, max_epochs=3, batch_size=32, lr=1e-3, lr_anneal=0.0,
                random_state=0, callbacks=[halve, lr]).fit(X)
    # StepLR steps at each epoch's end, before Record reads; nothing resets it
    assert lr.seen == pytest.approx([0.5e-3, 0.25e-3, 0.125e-3])
