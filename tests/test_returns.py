"""What predict / predict_proba / transform / score return, as the README table says."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

import skdeepclust as sdc

DEEP = dict(batch_size=32, random_state=0)
MLP_FEATURES = 512  # the MLP backbone's output width for tabular data

# estimator, has predict_proba, transform width ("K", an int), has score
TABLE = [
    (sdc.PAC(n_clusters=3, random_state=0), True, None, True),
    (sdc.FuzzyCMeans(n_clusters=3, random_state=0), True, "K", True),
    (sdc.SphericalKMeans(n_clusters=3, random_state=0), False, "K", True),
    (sdc.DPACClusterer(n_clusters=3, pretrain_epochs=1, max_epochs=2, **DEEP), True,
         MLP_FEATURES, False),
    (sdc.CCClusterer(n_clusters=3, max_epochs=1, **DEEP), True, MLP_FEATURES, False),
    (sdc.CCClusterer(n_clusters=3, max_epochs=1, prediction_rule="head", **DEEP), True,
         MLP_FEATURES, False),
    (sdc.C3Clusterer(n_clusters=3, pretrain_epochs=1, max_epochs=2, **DEEP), True,
         MLP_FEATURES, False),
    (sdc.CCESClusterer(n_clusters=3, max_epochs=1, **DEEP), True, MLP_FEATURES, False),
    (sdc.PIPCDRClusterer(n_clusters=3, max_epochs=2, warmup_epochs=1, projection_dim=16,
                         **DEEP), True, MLP_FEATURES, False),
    (sdc.PIPCDRClusterer(n_clusters=3, max_epochs=2, warmup_epochs=1, projection_dim=16,
                         prediction_rule="projection", **DEEP), True, MLP_FEATURES, False),
    (sdc.BSCICClusterer(n_clusters=3, max_epochs=1, **DEEP), True, MLP_FEATURES, False),
]


@pytest.fixture(scope="module")
def data():
    X, _ = make_blobs(n_samples=96, centers=3, n_features=6, random_state=0)
    return X.astype(np.float32)


# one-epoch deep fits may leave a cluster empty (and warn): the test reads n_clusters_
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator, has_proba, transform_width, has_score", TABLE,
                         ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "")
def test_returns_match_the_readme_table(data, estimator, has_proba, transform_width,
                                        has_score):
    model = estimator.fit(data)
    labels = model.predict(data)
    assert labels.shape == (len(data),)
    k = model.n_clusters_ if hasattr(model, "n_clusters_") else model.n_clusters
    assert hasattr(model, "predict_proba") == has_proba
    if has_proba:
        proba = model.predict_proba(data)
        assert proba.shape == (len(data), k)
        np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(proba.argmax(1), labels)
    assert hasattr(model, "transform") == (transform_width is not None)
    if transform_width is not None:
        width = k if transform_width == "K" else transform_width
        assert model.transform(data).shape == (len(data), width)
    assert hasattr(model, "score") == has_score
    if has_score:
        assert np.isfinite(model.score(data))


def test_one_default_number_of_clusters():
    defaults = {type(e).__name__: type(e)().n_clusters for e, *_ in TABLE}
    assert set(defaults.values()) == {8}, defaults
