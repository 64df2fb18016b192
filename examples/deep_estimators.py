"""
Every deep estimator in one line, on scikit-learn's digits
==========================================================

Each estimator is a drop-in scikit-learn clusterer: ``fit_predict`` on an image
array of shape (N, H, W), (N, H, W, C) or (N, C, H, W), or on a feature matrix
(N, D). The CPU settings below finish in about 1-5 minutes each on a 2-core
machine (``--quick`` runs a few epochs only). The paper settings for GPU users
are in the comments; the ResNets need a GPU to be practical.

Run: ``python examples/deep_estimators.py [--quick] [--only dpac,cc]``.
"""

import argparse
import time

import skdeepclust as sdc
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import clustering_report

CPU = {
    # Paper (GPU): DPACClusterer(backbone="resnet34", pretrain_epochs=1000,
    #              max_epochs=1200, batch_size=240, lr=1e-4, pretrain_views="weak_strong",
    #              strong_ops=4, clustering_weight=1, prediction_rule="head")
    "dpac": lambda: sdc.DPACClusterer(n_clusters=10, random_state=0),
    # Paper (GPU): CCClusterer(backbone="resnet34", max_epochs=1000, lr=3e-4)
    "cc": lambda: sdc.CCClusterer(n_clusters=10, max_epochs=150, batch_size=64, random_state=0),
    # Paper (GPU): C3Clusterer(backbone="resnet34", pretrain_epochs=1000, max_epochs=1020,
    #              batch_size=128, lr=3e-4, finetune_lr=1e-5)
    "c3": lambda: sdc.C3Clusterer(n_clusters=10, pretrain_epochs=100, max_epochs=150,
                                  batch_size=64, random_state=0),
    # Paper (GPU): CCESClusterer(backbone="resnet18", nearest_neighbors=True,
    #              max_epochs=1200, lr=1e-4,
    #              nn_warmup=0) on 224-pixel images
    "cces": lambda: sdc.CCESClusterer(n_clusters=10, max_epochs=300, batch_size=64,
                                      random_state=0),
    # Paper (GPU): PIPCDRClusterer(backbone="resnet18", max_epochs=1000, warmup_epochs=50,
    #              batch_size=256, projection_dim=256, hidden_dim=4096,
    #              weight=0.91, prediction_rule="projection")
    "pipcdr": lambda: sdc.PIPCDRClusterer(n_clusters=10, max_epochs=100, batch_size=64,
                                          random_state=0),
    # Paper (GPU): BSCICClusterer(backbone="resnet18", batch_size=64, lr=3e-4)
    "bscic": lambda: sdc.BSCICClusterer(n_clusters=10, max_epochs=200, random_state=0),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 epochs per stage")
    parser.add_argument("--only", default=",".join(CPU), help="comma-separated subset")
    args = parser.parse_args()
    images, y = load_digit_images()
    print(f"{'estimator':<10}{'ACC':>7}{'NMI':>7}{'ARI':>7}{'time (s)':>10}")
    for name in args.only.split(","):
        model = CPU[name]()
        if args.quick:
            # 3 epochs per stage; max_epochs is the total, stages included
            params = model.get_params()
            quick = {k: min(v, 3) for k, v in params.items()
                     if k.endswith("epochs") and k != "max_epochs" or k == "nn_warmup"}
            stages = sum(v for k, v in quick.items() if k in ("pretrain_epochs",
                                                              "self_labeling_epochs"))
            quick["max_epochs"] = min(params["max_epochs"], stages + 3)
            model.set_params(**quick)
        start = time.perf_counter()
        labels = model.fit_predict(images)
        seconds = time.perf_counter() - start
        scores = clustering_report(y, labels)
        print(f"{name:<10}{scores['acc']:>7.3f}{scores['nmi']:>7.3f}{scores['ari']:>7.3f}"
              f"{seconds:>10.1f}")


if __name__ == "__main__":
    main()
