"""
Cluster scikit-learn's handwritten digits and compare with k-means
==================================================================

Run with ``make demo`` (which sets up the environment) or
``python examples/demo_digits.py``. Prints ACC / NMI / ARI and the fit time of
each method on the 1,797 real 8x8 digit images: the classical estimators on the
raw pixels, and DPAC (deep clustering, a few minutes on a CPU) on the images.
Saves pictures of a few images from each cluster found by PAC and by DPAC to
``demo_output/``.

Options: ``--quick`` (fewer restarts and epochs, for a smoke run),
``--output DIR``.
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402

import torch  # noqa: E402

from skdeepclust import PAC, DPACClusterer, FuzzyCMeans, SphericalKMeans  # noqa: E402
from skdeepclust.datasets import load_digit_images  # noqa: E402
from skdeepclust.metrics import clustering_report  # noqa: E402


def save_cluster_grid(images, labels, path, title, per_cluster=10):
    """A row of example images for each cluster."""
    clusters = np.unique(labels)
    fig, axes = plt.subplots(
        len(clusters), per_cluster, figsize=(per_cluster * 0.8, len(clusters) * 0.85)
    )
    axes = np.atleast_2d(axes)
    rng = np.random.RandomState(0)
    for row, k in enumerate(clusters):
        members = np.flatnonzero(labels == k)
        chosen = rng.choice(members, size=min(per_cluster, members.size), replace=False)
        for col in range(per_cluster):
            ax = axes[row, col]
            ax.axis("off")
            if col < chosen.size:
                ax.imshow(images[chosen[col]], cmap="gray_r")
        axes[row, 0].set_title(f"cluster {k} ({members.size})", fontsize=7, loc="left")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--output", default="demo_output", help="folder for the PNG")
    args = parser.parse_args()
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    images, y = load_digit_images()
    X = images.reshape(len(images), -1)
    n_init = 2 if args.quick else 10
    epochs = {"pretrain_epochs": 5, "max_epochs": 10} if args.quick else {}
    methods = {
        "PAC (m=1.03)": PAC(n_clusters=10, random_state=0),
        "FuzzyCMeans (m=1.1)": FuzzyCMeans(n_clusters=10, m=1.1, n_init=n_init, random_state=0),
        "SphericalKMeans": SphericalKMeans(n_clusters=10, n_init=n_init, random_state=0),
        "sklearn KMeans": KMeans(n_clusters=10, n_init=n_init, random_state=0),
        "DPACClusterer": DPACClusterer(n_clusters=10, random_state=0, **epochs),
    }
    torch.set_num_threads(min(2, torch.get_num_threads()))
    print(f"sklearn digits: {X.shape[0]} images of 8x8 pixels, 10 classes")
    print("(DPAC trains a small ConvNet on the images: a few minutes on a CPU)\n")
    print(f"{'method':<24}{'ACC':>7}{'NMI':>7}{'ARI':>7}{'time (s)':>10}")
    results = {}
    for name, estimator in methods.items():
        start = time.perf_counter()
        # the deep estimator reads the (N, 8, 8) images, the others pixel rows
        labels = estimator.fit_predict(images if name == "DPACClusterer" else X)
        seconds = time.perf_counter() - start
        scores = clustering_report(y, labels)
        results[name] = labels
        print(f"{name:<24}{scores['acc']:>7.3f}{scores['nmi']:>7.3f}"
              f"{scores['ari']:>7.3f}{seconds:>10.2f}")
    print("\n(times include numba compilation on the first run of each kernel)")

    print()
    for name, file_name in [("PAC (m=1.03)", "pac_clusters.png"),
                            ("DPACClusterer", "dpac_clusters.png")]:
        path = output / file_name
        save_cluster_grid(images, results[name], path,
                          f"{name} on sklearn digits: 10 images per cluster")
        print(f"saved {path}")


if __name__ == "__main__":
    main()
