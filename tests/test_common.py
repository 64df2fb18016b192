"""scikit-learn's estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepclust import FuzzyCMeans, PAC, SphericalKMeans

CLASSICAL = [
    PAC(n_clusters=3),
    PAC(n_clusters=3, metric="cosine"),
    FuzzyCMeans(n_clusters=3),
    SphericalKMeans(n_clusters=3, n_init=2),
]


@parametrize_with_checks(CLASSICAL)
def test_sklearn_compatible_classical(estimator, check):
    check(estimator)
