"""
Data-parallel training over several GPUs or CPU processes
=========================================================

The script is an ordinary fit. Started by a launcher with several processes,
every process runs it, and ``fit`` trains one model together
(``distributed="auto"``): each process holds the data, trains on its shard of
every global batch of ``batch_size`` samples, and all end with the same model
and the same ``labels_``. Only the main process prints and saves.

One machine with 4 GPUs::

    torchrun --nproc_per_node 4 examples/multi_gpu.py
    accelerate launch --num_processes 4 examples/multi_gpu.py      # the same

Two machines with 8 GPUs each (run on both, ``--node_rank`` 0 and 1)::

    torchrun --nnodes 2 --nproc_per_node 8 --node_rank 0 \\
        --master_addr HOST0 --master_port 29500 examples/multi_gpu.py

On a CPU (gloo, one thread per process), a short check::

    OMP_NUM_THREADS=1 torchrun --nproc_per_node 2 examples/multi_gpu.py --quick

Without a launcher it trains in one process, with the same result up to float
rounding: ``batch_size`` is the global batch whatever the number of processes.
"""

import argparse
import os
import pickle
import time

import torch

from skdeepclust import DPACClusterer
from skdeepclust.datasets import load_digit_images, make_large_digits
from skdeepclust.metrics import clustering_report


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="8x8 digits and a few epochs (CPU check)")
    parser.add_argument("--save", default="dpac_multi_gpu.pkl",
                        help="where the main process saves the fitted model")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        torch.set_num_threads(1)  # one thread per CPU process
    if args.quick:
        images, y = load_digit_images()
        model = DPACClusterer(n_clusters=10, pretrain_epochs=4, max_epochs=8,
                              batch_size=128, random_state=0)
    else:
        # MNIST-sized: 70,000 28x28 digits; the paper's recipe on GPUs
        images, y = make_large_digits(70000, random_state=0)
        model = DPACClusterer(n_clusters=10, backbone="resnet18", pretrain_epochs=100,
                              max_epochs=150, batch_size=256, lr=1e-4, random_state=0)
    start = time.perf_counter()
    model.fit(images)
    seconds = time.perf_counter() - start
    if int(os.environ.get("RANK", "0")) == 0:  # the main process
        processes = int(os.environ.get("WORLD_SIZE", "1"))
        rate = model.history_[-1]["samples_per_sec"]
        print(f"{processes} process(es): {seconds:.0f} s, last epoch "
              f"{rate:.0f} samples/s (all processes together)")
        print({k: round(v, 3) for k, v in clustering_report(y, model.labels_).items()})
        with open(args.save, "wb") as f:
            pickle.dump(model, f)
        print(f"saved {args.save}")


if __name__ == "__main__":
    main()
