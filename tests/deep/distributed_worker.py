"""Worker of the data-parallel tests: the same short fits in every process.

Run by ``tests/deep/test_distributed.py`` under ``torchrun --nproc_per_node 2``
(gloo, one CPU thread per process), and once without a launcher for the
single-process reference. Each fit's parameters after training, its history
and its labels go to ``OUT/<case>__rank<r>.pt``.

    python -m torch.distributed.run --nproc_per_node 2 tests/deep/distributed_worker.py OUT
    python tests/deep/distributed_worker.py OUT            # one process
"""

import os
import sys
from pathlib import Path

#: name -> (estimator, parameters): one epoch of one global batch, i.e. one
#: optimiser step from the initial weights, in each stage of each method (with
#: the per-epoch work that precedes it: ContrastiveCrop boxes, neighbours from
#: the support set, PIPCDR's pseudo-labels and queue, BSC-IC's critic steps)
STEP_CASES = {
    "cc": ("CCClusterer", {}),
    "c3": ("C3Clusterer", {"pretrain_epochs": 0}),
    "dpac_pretrain": ("DPACClusterer", {"pretrain_epochs": 1}),
    "dpac_cluster": ("DPACClusterer", {"pretrain_epochs": 0}),
    "dpac_self_labeling": ("DPACClusterer", {"pretrain_epochs": 0,
                                             "self_labeling_epochs": 1,
                                             "confidence_threshold": 0.3}),
    "cces": ("CCESClusterer", {"nearest_neighbors": True, "nn_warmup": 0,
                               "crop_warmup": 0, "loc_interval": 1}),
    "pipcdr_pip": ("PIPCDRClusterer", {"warmup_epochs": 1}),
    "pipcdr": ("PIPCDRClusterer", {"warmup_epochs": 0, "queue_size": 32}),
    "bscic": ("BSCICClusterer", {"n_critic": 2, "balance_weight": 0.5}),
}
STEP_SAMPLES = 32  # = the batch: one optimiser step per epoch


def step_fits(out):
    import torch
    from skorch.callbacks import Callback

    import skdeepclust
    from skdeepclust.datasets import load_digit_images

    class RecordGradients(Callback):
        """The gradients the optimiser steps with, per step."""

        def initialize(self):
            self.steps = []
            return self

        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.steps.append({name: p.grad.detach().clone()
                               for name, p in named_parameters if p.grad is not None})

    images, _ = load_digit_images()
    images = images[:STEP_SAMPLES]
    rank = int(os.environ.get("RANK", "0"))
    for name, (estimator, params) in STEP_CASES.items():
        gradients = RecordGradients()
        model = getattr(skdeepclust, estimator)(
            n_clusters=4, max_epochs=1, batch_size=STEP_SAMPLES, random_state=0,
            callbacks=[gradients], **params)
        model.fit(images)
        torch.save({"state": {k: v.clone() for k, v in model.net_.module_.state_dict().items()},
                    "gradients": gradients.steps, "history": model.history_,
                    "labels": model.labels_},
                   Path(out) / f"{name}__rank{rank}.pt")


def digits_fit(out):
    """A short CC fit of all 1,797 digits, for labels and accuracy."""
    import numpy as np

    from skdeepclust import CCClusterer
    from skdeepclust.datasets import load_digit_images

    images, y = load_digit_images()
    rank = int(os.environ.get("RANK", "0"))
    model = CCClusterer(n_clusters=10, max_epochs=15, batch_size=64, random_state=0)
    model.fit(images)
    np.save(Path(out) / f"digits__rank{rank}.npy", model.labels_)


def main():
    import torch

    torch.set_num_threads(1)
    out = sys.argv[1]
    step_fits(out)
    digits_fit(out)


if __name__ == "__main__":
    main()
