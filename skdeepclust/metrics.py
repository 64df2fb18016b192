"""Clustering scores that compare predicted clusters with reference classes.

``cluster_accuracy`` is the usual deep-clustering ACC: the fraction of samples
whose cluster is mapped to their class by the best one-to-one matching of
clusters to classes (Hungarian algorithm). The ``*_scorer`` objects plug into
``GridSearchCV(scoring=...)`` and ``cross_val_score``: they call the
estimator's ``predict`` on the held-out fold and compare with its labels.
"""

from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_rand_score,
    make_scorer,
    normalized_mutual_info_score,
)
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils import column_or_1d

__all__ = [
    "cluster_accuracy",
    "cluster_accuracy_scorer",
    "nmi_scorer",
    "ari_scorer",
    "CLUSTERING_SCORERS",
    "clustering_report",
]


def cluster_accuracy(y_true, y_pred):
    """Clustering accuracy under the best one-to-one cluster-to-class mapping.

    Builds the contingency table of clusters against classes and finds the
    matching of clusters to classes that covers the most samples
    (``scipy.optimize.linear_sum_assignment``). When there are more clusters
    than classes the unmatched clusters count as errors, and likewise for
    unmatched classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Reference classes (any hashable labels).
    y_pred : array-like of shape (n_samples,)
        Cluster labels (any hashable labels).

    Returns
    -------
    accuracy : float
        In [0, 1]; 1 means the clusters equal the classes up to renaming.

    Examples
    --------
    >>> from skdeepclust.metrics import cluster_accuracy
    >>> cluster_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 2])
    0.8333333333333334
    """
    y_true = column_or_1d(y_true, warn=True)
    y_pred = column_or_1d(y_pred, warn=True)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true and y_pred have different lengths: {y_true.shape[0]} and "
            f"{y_pred.shape[0]}."
        )
    if y_true.shape[0] == 0:
        raise ValueError("cluster_accuracy needs at least one sample.")
    # (n_classes, n_clusters)
    table = contingency_matrix(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / y_true.shape[0])


def clustering_report(y_true, y_pred):
    """ACC, NMI and ARI of a clustering as a dict.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Reference classes.
    y_pred : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    scores : dict
        ``{"acc": ..., "nmi": ..., "ari": ...}``.

    Examples
    --------
    >>> from skdeepclust.metrics import clustering_report
    >>> clustering_report([0, 0, 1, 1], [1, 1, 0, 0])
    {'acc': 1.0, 'nmi': 1.0, 'ari': 1.0}
    """
    return {
        "acc": cluster_accuracy(y_true, y_pred),
        "nmi": float(normalized_mutual_info_score(y_true, y_pred)),
        "ari": float(adjusted_rand_score(y_true, y_pred)),
    }


cluster_accuracy_scorer = make_scorer(cluster_accuracy)
nmi_scorer = make_scorer(normalized_mutual_info_score)
ari_scorer = make_scorer(adjusted_rand_score)

#: Scorers by name, e.g. ``GridSearchCV(..., scoring=CLUSTERING_SCORERS, refit="acc")``.
CLUSTERING_SCORERS = {
    "acc": cluster_accuracy_scorer,
    "nmi": nmi_scorer,
    "ari": ari_scorer,
}
