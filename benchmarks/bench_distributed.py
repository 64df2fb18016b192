"""Data-parallel training throughput: 1 process against N CPU processes.

Runs the same short fits (CC and DPAC on 28x28 generated digits) without a
launcher and under ``torchrun --nproc_per_node N`` (gloo, one torch thread
per process), and writes the training samples per second of the last epoch
(all processes together) to ``results/distributed.md``.

    python benchmarks/bench_distributed.py [--processes 2] [--n-samples 4096]

On a machine with 2 cores, 2 processes have one core each where one process
has two for its BLAS and convolutions: the ratio says what the exchanges cost
more than what more hardware would give.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FITS = {
    "cc": ("CCClusterer", {"max_epochs": 3}),
    "dpac": ("DPACClusterer", {"pretrain_epochs": 1, "max_epochs": 3}),
}


def worker(out, n_samples, batch_size, threads):
    import torch

    import skdeepclust
    from skdeepclust.datasets import make_handwritten_digits

    torch.set_num_threads(threads)
    images, _ = make_handwritten_digits(n_samples, random_state=1)
    records = {}
    for name, (estimator, params) in FITS.items():
        model = getattr(skdeepclust, estimator)(n_clusters=10, batch_size=batch_size,
                                                random_state=0, **params)
        start = time.perf_counter()
        model.fit(images)
        records[name] = {"samples_per_sec": model.history_[-1]["samples_per_sec"],
                         "seconds": time.perf_counter() - start}
    if int(os.environ.get("RANK", "0")) == 0:
        Path(out).write_text(json.dumps(records))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(processes, n_samples, batch_size, out):
    threads = max(1, (os.cpu_count() or 1) // processes)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    launcher = [] if processes == 1 else [
        "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
        "--master_addr", "127.0.0.1", "--master_port", str(_free_port())]
    subprocess.run([sys.executable, *launcher, __file__, "--worker", str(out),
                    "--n-samples", str(n_samples), "--batch-size", str(batch_size),
                    "--threads", str(threads)], env=env, check=True)
    return json.loads(Path(out).read_text()), threads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--n-samples", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.n_samples, args.batch_size, args.threads)
        return
    results = {}
    for processes in (1, args.processes):
        out = RESULTS / f".distributed_{processes}.json"
        results[processes] = run(processes, args.n_samples, args.batch_size, out)
        out.unlink()
    rows = []
    for name in FITS:
        one = results[1][0][name]["samples_per_sec"]
        many = results[args.processes][0][name]["samples_per_sec"]
        rows.append(f"| {name} | {one:.0f} ({results[1][1]} threads) | {many:.0f} "
                    f"({args.processes} x {results[args.processes][1]} thread) | "
                    f"{many / one:.2f} |")
    lines = ["# Data-parallel training on the CPU", "",
             f"Written by `python benchmarks/bench_distributed.py --processes "
             f"{args.processes} --n-samples {args.n_samples}` on {os.cpu_count()} CPU "
             f"cores: {args.n_samples} 28x28 images (`make_handwritten_digits`), batch "
             f"{args.batch_size} (the global batch), samples per second of the last "
             "epoch, all processes together.", "",
             "| fit | 1 process | processes | ratio |", "|---|---|---|---|", *rows, ""]
    (RESULTS / "distributed.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
