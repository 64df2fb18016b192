"""Dask arrays of rows: the same fits as in memory, block by block."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from skdeepclust import PAC, FuzzyCMeans, SphericalKMeans

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    # a local scheduler in the test process, deterministic block order
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=1200, centers=5, n_features=6, cluster_std=2.0,
                      random_state=0)
    return X, y


# blocks of 250 rows: not aligned with anything the in-memory fit does
CHUNKS = (250, 6)


@pytest.mark.parametrize("Estimator, params", [
    (SphericalKMeans, {}),
    (SphericalKMeans, {"init": "random", "n_init": 3}),
    (SphericalKMeans, {"init_size": 200, "n_init": 2}),
    (SphericalKMeans, {"max_iter": 2, "tol": 0.0}),
    (FuzzyCMeans, {}),
    (FuzzyCMeans, {"init": "random", "n_init": 3}),
    (FuzzyCMeans, {"init_size": 200, "m": 1.5}),
])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dask_fit_equals_in_memory(blobs, Estimator, params):
    X, _ = blobs
    memory = Estimator(5, random_state=0, **params).fit(X)
    lazy = Estimator(5, random_state=0, **params).fit(da.from_array(X, chunks=CHUNKS))
    np.testing.assert_array_equal(lazy.labels_, memory.labels_)
    np.testing.assert_allclose(lazy.cluster_centers_, memory.cluster_centers_, atol=1e-10)
    assert lazy.n_iter_ == memory.n_iter_
    assert lazy.objective_ == pytest.approx(memory.objective_, rel=1e-10)
    assert lazy.n_features_in_ == 6


def test_float32_dask_fit_gives_the_same_partition(blobs):
    X, _ = blobs
    X = X.astype(np.float32)
    for Estimator in (SphericalKMeans, FuzzyCMeans):
        memory = Estimator(5, random_state=0).fit(X)
        lazy = Estimator(5, random_state=0).fit(da.from_array(X, chunks=CHUNKS))
        assert lazy.cluster_centers_.dtype == np.float32
        assert adjusted_rand_score(memory.labels_, lazy.labels_) == 1.0


def test_empty_cluster_reseeding_is_the_same_on_dask():
    # the third initial centre points away from every row (see the in-memory test)
    rad = np.deg2rad([0, 2, 4, 45, 47, 88, 90])
    X = np.stack([np.cos(rad), np.sin(rad)], axis=1)
    init = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    memory = SphericalKMeans(3, init=init).fit(X)
    lazy = SphericalKMeans(3, init=init).fit(da.from_array(X, chunks=(3, 2)))
    np.testing.assert_array_equal(lazy.labels_, memory.labels_)
    np.testing.assert_array_equal(memory.labels_, [0, 0, 0, 2, 2, 1, 1])


@pytest.mark.parametrize("estimator", [SphericalKMeans(5, random_state=0),
                                       FuzzyCMeans(5, random_state=0),
                                       PAC(5, random_state=0)])
def test_predict_maps_over_the_blocks_lazily(blobs, estimator):
    X, _ = blobs
    estimator.fit(X)
    labels = estimator.predict(da.from_array(X, chunks=(300, 3)))
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), estimator.predict(X))


def test_pac_fit_on_dask_says_what_to_do(blobs):
    X, _ = blobs
    with pytest.raises(TypeError, match=r"PAC does not fit Dask arrays.*compute"):
        PAC(5).fit(da.from_array(X, chunks=CHUNKS))


def test_bad_dask_input_is_rejected(blobs):
    X, _ = blobs
    bad = X.copy()
    bad[700, 2] = np.nan
    for Estimator in (SphericalKMeans, FuzzyCMeans):
        with pytest.raises(ValueError, match="NaN"):
            Estimator(5).fit(da.from_array(bad, chunks=CHUNKS))
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=5"):
        SphericalKMeans(5).fit(da.from_array(X[:3]))
    with pytest.raises(ValueError, match="2-D"):
        SphericalKMeans(5).fit(da.from_array(X[:, 0]))
    with pytest.raises(ValueError, match="unknown row-block sizes"):
        unknown = da.from_array(X, chunks=CHUNKS)
        SphericalKMeans(5).fit(unknown[unknown[:, 0] > -np.inf])
    model = SphericalKMeans(5, random_state=0).fit(X)
    with pytest.raises(ValueError, match="6 features as input"):
        model.predict(da.from_array(X[:, :4]))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(da.from_array(bad, chunks=CHUNKS)).compute()
