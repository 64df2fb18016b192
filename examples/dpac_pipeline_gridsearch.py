"""
DPACClusterer inside a Pipeline and a GridSearchCV scored by cluster accuracy
=============================================================================

A ``Pipeline`` passes 2-D arrays between steps, so the digits go in as
flattened rows and ``image_shape=(8, 8)`` tells DPAC to read them as images
again. ``GridSearchCV`` fits on some folds and scores ``predict`` on the held-out
fold with :data:`skdeepclust.metrics.cluster_accuracy_scorer` (Hungarian
matching of clusters to the labels).

Run: ``python examples/dpac_pipeline_gridsearch.py`` (about a minute on a
laptop CPU; pass ``--quick`` for a smoke run).
"""

import argparse
import time

from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdeepclust import DPACClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import CLUSTERING_SCORERS, cluster_accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    epochs = 3 if args.quick else 15

    images, y = load_digit_images()
    X = images.reshape(len(images), -1)  # what a Pipeline step sees

    pipeline = make_pipeline(
        MinMaxScaler(),
        DPACClusterer(n_clusters=10, image_shape=(8, 8), pretrain_epochs=epochs,
                      max_epochs=2 * epochs, batch_size=128, random_state=0),
    )
    search = GridSearchCV(
        pipeline,
        {"dpacclusterer__m": [1.03, 1.1]},
        scoring=CLUSTERING_SCORERS,  # ACC, NMI and ARI on each held-out fold
        refit="acc",
        cv=2,
    )
    start = time.perf_counter()
    search.fit(X, y)
    print(f"grid search: {time.perf_counter() - start:.0f} s")
    for params, acc, nmi in zip(search.cv_results_["params"],
                                search.cv_results_["mean_test_acc"],
                                search.cv_results_["mean_test_nmi"]):
        print(f"  {params}: held-out ACC {acc:.3f}, NMI {nmi:.3f}")
    print(f"best: {search.best_params_}")
    labels = search.predict(X)
    print(f"refitted pipeline, ACC on all digits: {cluster_accuracy(y, labels):.3f}")


if __name__ == "__main__":
    main()
