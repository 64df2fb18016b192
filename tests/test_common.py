"""scikit-learn's estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepclust import (
    PAC,
    BSCICClusterer,
    C3Clusterer,
    CCClusterer,
    CCESClusterer,
    DPACClusterer,
    FuzzyCMeans,
    PIPCDRClusterer,
    SphericalKMeans,
)

CLASSICAL = [
    PAC(n_clusters=3),
    PAC(n_clusters=3, metric="cosine"),
    FuzzyCMeans(n_clusters=3),
    SphericalKMeans(n_clusters=3, n_init=2),
]

# Tiny budgets: the checks fit each estimator dozens of times on 2-D toy data.
DEEP = [
    DPACClusterer(n_clusters=3, pretrain_epochs=2, max_epochs=5, batch_size=16),
    CCClusterer(n_clusters=3, max_epochs=5, batch_size=16),
    C3Clusterer(n_clusters=3, pretrain_epochs=4, max_epochs=5, batch_size=16),
    CCESClusterer(n_clusters=3, max_epochs=5, nn_warmup=2, batch_size=16,
                  nearest_neighbors=True),
    PIPCDRClusterer(n_clusters=3, max_epochs=4, warmup_epochs=1, batch_size=16),
    BSCICClusterer(n_clusters=3, max_epochs=5, batch_size=16),
]


@parametrize_with_checks(CLASSICAL)
def test_sklearn_compatible_classical(estimator, check):
    check(estimator)


@parametrize_with_checks(DEEP)
def test_sklearn_compatible_deep(estimator, check):
    check(estimator)


def test_classical_estimators_do_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, skdeepclust\n"
            "skdeepclust.PAC, skdeepclust.SphericalKMeans, skdeepclust.FuzzyCMeans\n"
            "import skdeepclust.metrics, skdeepclust.datasets\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "from skdeepclust import DPACClusterer\n"
            "assert 'torch' in sys.modules and DPACClusterer.__name__ == 'DPACClusterer'\n"
            "assert 'CCClusterer' in dir(skdeepclust)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
