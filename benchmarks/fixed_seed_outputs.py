"""Fixed-seed outputs of every deep estimator, to compare code versions.

A refactor must not change what a seeded CPU fit computes. This script fits
each deep estimator for a few epochs on 240 of scikit-learn's 8x8 digits
with ``random_state=0`` and one torch thread, and saves ``predict_proba``,
``transform`` and the per-epoch training loss; ``--compare`` prints the
largest absolute difference of each array between two saved files (0.0
everywhere: the same computation to the bit)::

    python benchmarks/fixed_seed_outputs.py --save before.npz   # old code
    python benchmarks/fixed_seed_outputs.py --save after.npz    # new code
    python benchmarks/fixed_seed_outputs.py --compare before.npz after.npz

``prediction_rule`` is fixed to "head" for the estimators that have it, so
that a change of that default does not hide a change of the training.
"""

import argparse
import sys

import numpy as np

FITS = {
    "DPACClusterer": dict(max_epochs=3, pretrain_epochs=1),
    "CCClusterer": dict(max_epochs=2),
    "C3Clusterer": dict(max_epochs=3, pretrain_epochs=1),
    "CCESClusterer": dict(max_epochs=3, nn_warmup=1),
    "PIPCDRClusterer": dict(max_epochs=3, warmup_epochs=1),
    "BSCICClusterer": dict(max_epochs=2),
}


def save(path):
    import torch

    import skdeepclust
    from skdeepclust.datasets import load_digit_images

    torch.set_num_threads(1)
    images = load_digit_images()[0][:240]
    outputs = {}
    for name, params in FITS.items():
        estimator = getattr(skdeepclust, name)(n_clusters=10, random_state=0, **params)
        if "prediction_rule" in estimator.get_params():
            estimator.set_params(prediction_rule="head")
        estimator.fit(images)
        outputs[f"{name}_proba"] = estimator.predict_proba(images)
        outputs[f"{name}_transform"] = estimator.transform(images)
        outputs[f"{name}_loss"] = np.array([h["train_loss"] for h in estimator.history_])
        print(name, "clusters found:", estimator.n_clusters_, flush=True)
    np.savez(path, **outputs)


def compare(first, second):
    a, b = np.load(first), np.load(second)
    worst = 0.0
    for key in a.files:
        if key not in b.files or a[key].shape != b[key].shape:
            print(f"{key}: missing or of another shape")
            worst = np.inf
            continue
        difference = float(np.abs(a[key] - b[key]).max())
        worst = max(worst, difference)
        print(f"{key}: max |difference| {difference:.3g}")
    print("identical" if worst == 0.0 else f"largest difference {worst:.3g}")
    return worst == 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", metavar="FILE")
    group.add_argument("--compare", nargs=2, metavar=("FIRST", "SECOND"))
    args = parser.parse_args()
    if args.save:
        save(args.save)
    else:
        sys.exit(0 if compare(*args.compare) else 1)


if __name__ == "__main__":
    main()
