"""scikit-learn's estimator checks over every public estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import skdeepclust as sdc

# A fixed seed: some checks (the sparse-input ones) do not seed the estimator,
# whose initialisation would then follow the global NumPy state, i.e. the
# order the tests ran in (a rare empty cluster, and its warning, came and went).
CLASSICAL = [
    sdc.PAC(n_clusters=3, random_state=0),
    sdc.PAC(n_clusters=3, metric="cosine", random_state=0),
    sdc.FuzzyCMeans(n_clusters=3, random_state=0),
    sdc.SphericalKMeans(n_clusters=3, n_init=2, random_state=0),
]

# Tiny budgets: the checks fit each estimator dozens of times on 2-D toy data.
DEEP = [
    sdc.DPACClusterer(n_clusters=3, pretrain_epochs=2, max_epochs=5, batch_size=16),
    sdc.CCClusterer(n_clusters=3, max_epochs=5, batch_size=16),
    sdc.C3Clusterer(n_clusters=3, pretrain_epochs=4, max_epochs=5, batch_size=16),
    sdc.CCESClusterer(n_clusters=3, max_epochs=5, nn_warmup=2, batch_size=16,
                      nearest_neighbors=True),
    sdc.PIPCDRClusterer(n_clusters=3, max_epochs=4, warmup_epochs=1, batch_size=16),
    sdc.BSCICClusterer(n_clusters=3, max_epochs=5, batch_size=16),
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


def test_every_public_estimator_is_checked():
    # a new estimator added to all_estimators() but not to these lists fails here
    checked = {type(estimator) for estimator in CLASSICAL + DEEP}
    assert checked == {cls for _, cls in sdc.all_estimators()}
    assert [name for name, _ in sdc.all_estimators("deep")] == [
        "DPACClusterer", "CCClusterer", "C3Clusterer", "CCESClusterer",
        "PIPCDRClusterer", "BSCICClusterer"]
    assert {name for name, _ in sdc.all_estimators()} <= set(sdc.__all__)
    with pytest.raises(ValueError, match="kind must be"):
        sdc.all_estimators("fuzzy")


def test_shared_docstring_pieces_are_filled_in():
    # a docstring naming a %(piece)s of skdeepclust/_docs.py without @fill_doc
    # would show the placeholder in the documentation
    import inspect

    import skdeepclust.datasets

    documented = [cls for _, cls in sdc.all_estimators()]
    documented += [getattr(cls, name) for cls in documented for name in dir(cls)
                   if not name.startswith("_") and callable(getattr(cls, name))]
    documented += [getattr(skdeepclust.datasets, name)
                   for name in skdeepclust.datasets.__all__]
    for obj in documented:
        assert "%(" not in (inspect.getdoc(obj) or ""), obj
