"""Many short fits of the image benchmark at once, for a machine with a GPU.

Each job of a JSON list names a data set and method of ``bench_images.py``, a
backbone variant, parameter overrides and a seed; the budget per method is
the 40-epoch one of the CPU runs (``BUDGET``). Jobs run in parallel worker
processes (one torch thread each, sharing the GPU); each finished fit appends
one JSON line to ``OUT/results.jsonl`` (ACC/NMI/ARI of the estimator's own
prediction, ACC of k-means on ``transform``, ACC after every epoch).

    python benchmarks/sweep_images.py benchmarks/results/images_gpu/jobs1.json \
        --workers 14 --deadline 520 --out /tmp/out
    python benchmarks/sweep_images.py --report   # results/images_gpu.md

The records in ``results/images_gpu/`` were made this way on one H100 (CUDA,
bf16 autocast), 14-16 fits at a time: their times are not CPU times, and
mixed precision makes them differ from CPU fits of the same seed; they serve
to compare variants with each other at equal epochs.

The job files were written when DPAC's and C3's ``max_epochs`` counted the
second stage only (before 2026-11-24): their ``{"pretrain_epochs": 20,
"max_epochs": 20}`` meant 20 + 20 epochs, ``max_epochs=40`` today.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BUDGET = {
    "cc": {"max_epochs": 40},
    "dpac": {"pretrain_epochs": 20, "max_epochs": 40},
    "c3": {"pretrain_epochs": 30, "max_epochs": 40},
    "cces": {"max_epochs": 40, "nn_warmup": 10, "crop_warmup": 10},
    "pipcdr": {"max_epochs": 40, "warmup_epochs": 10},
    "bscic": {"max_epochs": 40},
}
#: Backbone variants: SmallConvNet keyword arguments ("default": backbone="auto"
#: as it was when the sweep ran, i.e. c1w32 for every size).
BACKBONES = {
    "c1w32": dict(width=32, convs_per_stage=1),  # backbone="convnet"
    "c2w16": dict(width=16, convs_per_stage=2),  # backbone="convnet2"
    "c2w24": dict(width=24, convs_per_stage=2),
}


def job_name(job):
    return "|".join([job["dataset"], job["method"], job["bb"], job.get("tag", ""),
                     str(job.get("seed", 0))])


def run_job(job, out):
    import torch

    sys.path.insert(0, str(HERE))
    from bench_images import ESTIMATORS, fit_and_score, load_dataset

    from skdeepclust.deep.backbones import SmallConvNet

    torch.set_num_threads(1)
    name = job_name(job)
    try:
        images, y = load_dataset(job["dataset"], 5000)
        params = dict(BUDGET[job["method"]])
        params.update(job.get("set", {}))
        if job["bb"] != "default":
            channels = images.shape[-1] if images.ndim == 4 else 1
            params["backbone"] = SmallConvNet(channels, images.shape[1],
                                              **BACKBONES[job["bb"]])
        if job.get("sgd"):
            # the paper's optimiser for PIPCDR: SGD with momentum instead of Adam
            sgd = torch.optim.SGD
            torch.optim.Adam = lambda params, lr=None, weight_decay=0.0, **kw: sgd(
                params, momentum=0.9, weight_decay=weight_decay)
        seed = job.get("seed", 0)
        model = ESTIMATORS[job["method"]](n_clusters=10, random_state=seed, **params)
        scores = fit_and_score(model, images, y, seed, curves=True)
        scores["acc_curve"] = scores.pop("acc_per_epoch")
        record = {"job": name, **{k: v for k, v in job.items() if k != "set"},
                  "set": {k: repr(v) for k, v in job.get("set", {}).items()},
                  **scores}
    except Exception:  # a failed job is a result too (e.g. a GPU-only bug)
        record = {"job": name, "error": traceback.format_exc().strip().splitlines()[-1]}
    with open(Path(out) / "results.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    return name, record.get("acc"), record.get("error", "")


def report():
    """A table per data set: variants with the mean and each seed's ACC."""
    groups = {}
    for path in sorted((RESULTS / "images_gpu").glob("results*.jsonl")):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            if "error" in r:
                continue
            key = (r["dataset"], r["method"], r["bb"], r.get("tag", ""))
            groups.setdefault(key, {})[r.get("seed", 0)] = r
    lines = ["# Image benchmark variants on one GPU", "",
             "Written by `python benchmarks/sweep_images.py --report` from the records in "
             "`images_gpu/` (jobs in `images_gpu/jobs*.json`, run with "
             "`python benchmarks/sweep_images.py images_gpu/jobsN.json`). One H100, bf16 "
             "autocast, 12-16 fits sharing it; 5,000 images per set (digits8: 1,797); "
             "each method at the 40-epoch CPU budget unless the tag says otherwise "
             "(DPAC 20 + 20, C3 30 + 10, CCES and PIPCDR warm-ups 10). Backbones: c1w32 "
             "= `convnet`, c2w16 = `convnet2`, c2w24 = two convolutions per stage from "
             "24 channels, default = `auto` at the time (c1w32). ACC of the estimator's "
             "own prediction; 'k-means emb.': k-means on `transform`. DPAC and C3 "
             "tags and job files give `max_epochs` as the second stage only (its "
             "meaning when they ran); today it is the total.", ""]
    for dataset in ("digits8", "large28", "hand28"):
        keys = sorted(k for k in groups if k[0] == dataset)
        if not keys:
            continue
        lines += [f"## {dataset}", "",
                  "| method | backbone | variant | seeds | mean ACC | ACC per seed | "
                  "k-means emb. (mean) | clusters found |",
                  "|---|---|---|---|---|---|---|---|"]
        for key in keys:
            runs = [groups[key][s] for s in sorted(groups[key])]
            accs = [r["acc"] for r in runs]
            lines.append(
                f"| {key[1]} | {key[2]} | {key[3] or '-'} | {len(runs)} | "
                f"{np.mean(accs):.3f} | {' / '.join(f'{a:.3f}' for a in accs)} | "
                f"{np.mean([r['embedding_acc'] for r in runs]):.3f} | "
                f"{' / '.join(str(r['n_clusters_found']) for r in runs)} |")
        lines.append("")
    (RESULTS / "images_gpu.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jobs", nargs="?", help="JSON list of jobs")
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--deadline", type=float, default=520,
                        help="seconds after which unfinished jobs are dropped")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        report()
        return
    jobs = json.loads(Path(args.jobs).read_text())
    deadline = time.time() + args.deadline
    multiprocessing.set_start_method("spawn")
    pool = multiprocessing.Pool(args.workers, maxtasksperchild=1)
    pending = [pool.apply_async(run_job, (job, args.out)) for job in jobs]
    while time.time() < deadline and not all(p.ready() for p in pending):
        time.sleep(2)
    for p in pending:
        if p.ready():
            print(p.get(), flush=True)
    pool.terminate()
    print(f"{sum(p.ready() for p in pending)} of {len(pending)} jobs done")


if __name__ == "__main__":
    main()
