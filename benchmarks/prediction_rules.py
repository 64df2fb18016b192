"""Prediction rules compared on saved embeddings of fitted deep estimators.

``prediction_rule="kmeans"`` and ``"spherical_kmeans"`` run k-means with 10
restarts on ``transform(X)`` after training; they only post-process, so one
network answers for every rule. ``sweep_images.py`` saves that embedding with
``"save_embedding": true`` (one network per file). For each file this script
prints the ACC of the estimator's own labels and of each rule run as the
estimator runs it (k-means seeded as the fit seeds it, from the
``random_state`` in the file name), and with ``--seeds N`` also the spread
over k-means seeds 0..N-1.
The rules:

- ``kmeans``: Euclidean k-means (scikit-learn's ``KMeans``), 10 restarts;
- ``spherical_kmeans``: :class:`skdeepclust.SphericalKMeans`, 10 restarts;
- ``unit_kmeans``: Euclidean k-means on the L2-normalised rows;
- ``standardised_kmeans``: Euclidean k-means on standardised features;
- ``spectral``: spectral clustering of the 10-nearest-neighbour graph of the
  L2-normalised rows (scikit-learn's ``SpectralClustering``);
- ``ward``: Ward linkage of the L2-normalised rows (quadratic memory: for a
  few thousand rows);
- ``whitened_kmeans``: ``prediction_rule="whitened_kmeans"``, spherical
  k-means on the embedding's ``3 * k`` principal directions of largest
  variance, each scaled to unit variance, 30 restarts; ``whitened_2k`` and
  ``whitened_4k`` keep ``2 * k`` and ``4 * k`` directions instead, and
  ``whitened_10restarts`` restarts 10 times;
- ``whitened_smoothed``: the whitened rule on rows first averaged half and
  half with the mean of their 10 nearest rows (cosine, the row included),
  a low-pass filter on the neighbour graph;
- ``whitened_overcluster``: spherical k-means with ``2 * k`` clusters in the
  whitened space (10 restarts), then Ward linkage of those centres down to
  ``k``;
- ``whitened_gmm``: a Gaussian mixture with diagonal covariances (5
  restarts) on the whitened rows before normalising.

With ``--confusion`` each file's confusion matrix of the estimator's own
labels is printed (rows: classes; columns: the clusters matched to them).

With ``--markdown FILE`` the per-file table is written there too.

    python benchmarks/prediction_rules.py /tmp/out/embeddings/*.npz \
        --markdown benchmarks/results/images_cpu_rules.md
"""

import argparse
import re
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.metrics.cluster import contingency_matrix
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler, normalize

import skdeepclust as sdc
from skdeepclust.deep._base import (
    RULE_RESTARTS,
    WHITENED_COMPONENTS_PER_CLUSTER,
    rule_features,
    whitening,
)
from skdeepclust.deep._base import fit_seed as deep_fit_seed
from skdeepclust.metrics import cluster_accuracy


def _euclidean(k, seed):
    return KMeans(k, n_init=10, random_state=seed)


def _spherical(k, seed):
    return sdc.SphericalKMeans(k, n_init=10, random_state=seed)


def _spherical_whitened(k, seed):
    return sdc.SphericalKMeans(k, n_init=RULE_RESTARTS["whitened_kmeans"], random_state=seed)


def _spectral(k, seed):
    return SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=10,
                              assign_labels="cluster_qr", random_state=seed)


def _ward(k, seed):
    return AgglomerativeClustering(k, linkage="ward")


class _Smoothed:
    """Spherical k-means on rows averaged with their nearest neighbours."""

    def __init__(self, k, seed, neighbours=10):
        self.k, self.seed, self.neighbours = k, seed, neighbours

    def fit_predict(self, features):
        nearest = np.empty((len(features), self.neighbours), dtype=np.int64)
        for start in range(0, len(features), 4096):
            similarity = features[start:start + 4096] @ features.T
            nearest[start:start + 4096] = np.argpartition(
                -similarity, self.neighbours - 1, axis=1)[:, :self.neighbours]
        smoothed = normalize(0.5 * features + 0.5 * features[nearest].mean(axis=1))
        return _spherical_whitened(self.k, self.seed).fit_predict(smoothed)


class _Overcluster:
    """Spherical k-means with 2 k clusters, merged to k by Ward linkage of centres."""

    def __init__(self, k, seed):
        self.k, self.seed = k, seed

    def fit_predict(self, features):
        fine = sdc.SphericalKMeans(2 * self.k, n_init=10, random_state=self.seed)
        fine.fit(features)
        merged = AgglomerativeClustering(self.k, linkage="ward").fit_predict(
            fine.cluster_centers_)
        return merged[fine.labels_]


def _gmm(k, seed):
    return GaussianMixture(k, covariance_type="diag", n_init=5, random_state=seed)


def _whitened_unnormalised(embedding, k):
    mean, components = whitening(embedding, WHITENED_COMPONENTS_PER_CLUSTER * k)
    return (embedding - mean) @ components


def _whitened(per_cluster):
    def prepare(embedding, k):
        return rule_features(embedding, "whitened_kmeans", whitening(embedding, per_cluster * k))
    return prepare


RULES = {
    "kmeans": (lambda e: e, _euclidean),
    "spherical_kmeans": (lambda e: e, _spherical),
    "unit_kmeans": (normalize, _euclidean),
    "standardised_kmeans": (lambda e: StandardScaler().fit_transform(e), _euclidean),
    "spectral": (normalize, _spectral),
    "ward": (normalize, _ward),
    "whitened_kmeans": (_whitened(WHITENED_COMPONENTS_PER_CLUSTER), _spherical_whitened),
    "whitened_2k": (_whitened(2), _spherical_whitened),
    "whitened_4k": (_whitened(4), _spherical_whitened),
    "whitened_10restarts": (_whitened(WHITENED_COMPONENTS_PER_CLUSTER), _spherical),
    "whitened_smoothed": (_whitened(WHITENED_COMPONENTS_PER_CLUSTER), _Smoothed),
    "whitened_overcluster": (_whitened(WHITENED_COMPONENTS_PER_CLUSTER), _Overcluster),
    "whitened_gmm": (_whitened_unnormalised, _gmm),
}
#: The rules whose preparation needs the number of clusters: the whitened ones
#: keep a number of directions per cluster.
NEEDS_K = {name for name in RULES if name.startswith("whitened")}


def fit_seed(path):
    """The seed the estimator gives its k-means rule.

    The fit's ``random_state`` is the last field of a ``sweep_images.py`` job
    name; the estimator draws its own seed from it, as ``fit`` does.
    """
    match = re.search(r"_(\d+)$", Path(path).stem)
    random_state = int(match.group(1)) if match else 0
    return deep_fit_seed(random_state)


def confusion(y, labels):
    """Counts of (class, cluster), the clusters ordered by the best one-to-one match.

    The matching is :func:`~skdeepclust.metrics.cluster_accuracy`'s; clusters
    left unmatched come last.
    """
    counts = contingency_matrix(y, labels)
    _, clusters = linear_sum_assignment(counts, maximize=True)
    rest = [c for c in range(counts.shape[1]) if c not in set(clusters)]
    return counts[:, list(clusters) + rest]


def compare(path, rules, seeds):
    """ACC of the estimator's labels and of each rule at the fit's seed."""
    data = np.load(path)
    embedding, y = data["embedding"].astype(np.float64), data["y"]
    k = len(np.unique(y))
    row = {"own": cluster_accuracy(y, data["labels"])}
    spread = {}
    for name in rules:
        prepare, make = RULES[name]
        features = prepare(embedding, k) if name in NEEDS_K else prepare(embedding)
        row[name] = cluster_accuracy(y, make(k, fit_seed(path)).fit_predict(features))
        if seeds:
            spread[name] = [cluster_accuracy(y, make(k, seed).fit_predict(features))
                            for seed in range(seeds)]
    return row, spread


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    parser.add_argument("--seeds", type=int, default=0,
                        help="also run each rule with k-means seeds 0..N-1")
    parser.add_argument("--confusion", action="store_true",
                        help="print each fit's confusion matrix of its own labels")
    parser.add_argument("--markdown", help="write the table to this file")
    parser.add_argument("--preamble", default="",
                        help="text (Markdown) the file starts with, before the tables")
    args = parser.parse_args()
    columns = ["own"] + args.rules
    lines = ["| fit (data set, method, seed) | " + " | ".join(columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    groups, confusions = {}, []
    for path in sorted(args.files, key=lambda p: Path(p).stem):
        row, spread = compare(path, args.rules, args.seeds)
        name = Path(path).stem.replace("_default_defaults-emb", "").replace("_default_", "_")
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
        print(lines[-1], flush=True)
        groups.setdefault(re.sub(r"_\d+$", "", name), []).append(row)
        if args.confusion:
            data = np.load(path)
            matrix = confusion(data["y"], data["labels"])
            rows = [" ".join(f"{c:4d}" for c in row) for row in matrix]
            confusions += [f"{name} (rows: classes 0-{len(matrix) - 1}; columns: the "
                           "matched clusters)", "", "```", *rows, "```", ""]
            print("\n".join(confusions[-len(matrix) - 5:-2]))
        for rule, accs in spread.items():
            print(f"    {rule}: k-means seeds 0-{args.seeds - 1}: "
                  + " ".join(f"{a:.3f}" for a in accs))
    summary = ["| fits (data set, method, job tag) | seeds | " + " | ".join(columns) + " |",
               "|---" * (len(columns) + 2) + "|"]
    for name, rows in groups.items():
        cells = [" / ".join(f"{r[c]:.3f}" for r in rows)
                 + (f" (**{np.mean([r[c] for r in rows]):.3f}**)" if len(rows) > 1 else "")
                 for c in columns]
        summary.append(f"| {name} | {len(rows)} | " + " | ".join(cells) + " |")
    print("\n".join(summary))
    if args.markdown:
        text = [args.preamble.rstrip(), "",
                "## Per set and method (seeds in file order)", "", *summary,
                "", "## Per fit", "", *lines, ""]
        if confusions:
            text += ["## Confusion of the estimator's own labels", "", *confusions]
        Path(args.markdown).write_text("\n".join(text))


if __name__ == "__main__":
    main()
