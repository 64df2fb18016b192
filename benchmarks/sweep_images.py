"""Many short fits of the image benchmark at once, on a GPU or on the CPU's cores.

Each job of a JSON list names a data set and method of ``bench_images.py``, a
backbone variant (``bb``), parameter overrides (``set``), a view policy with
changes (``view``, as ``bench_images.py --view``) and a seed; unless the job
says ``"budget": false``, the budget per method is the 40-epoch one of the
CPU runs (``BUDGET``) under the overrides. Jobs run in parallel worker
processes (one torch thread each); each finished fit appends one JSON line
to ``OUT/results.jsonl`` (ACC/NMI/ARI of the estimator's own prediction, ACC
of k-means on ``transform``, ACC after every epoch and, every ``every``
epochs (default 5), of k-means on the embedding). With ``"save_embedding": true``
a job also writes ``OUT/embeddings/<job>.npz`` (``transform`` of the images, the
true and the predicted labels) for ``prediction_rules.py``. ``"lr_tail": f``
anneals the learning rate by a half cosine to zero over the last fraction
``f`` of the epochs (1.0: cosine decay over the whole fit): the estimators'
``lr_anneal=f``, measured here before they had it.

    python benchmarks/sweep_images.py benchmarks/results/images_gpu/jobs1.json \
        --workers 14 --deadline 520 --out /tmp/out
    python benchmarks/sweep_images.py benchmarks/results/images_cpu/jobs1.json \
        --workers 2 --deadline 100000 --out benchmarks/results/images_cpu
    python benchmarks/sweep_images.py --report   # results/images_gpu.md
    python benchmarks/sweep_images.py --report --records images_cpu  # images_cpu.md

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
    "c2w32": dict(width=32, convs_per_stage=2),  # backbone="convnet2_wide"
}


def job_name(job):
    return "|".join([job["dataset"], job["method"], job.get("bb", "default"),
                     job.get("tag", ""), str(job.get("seed", 0))])


def embedding_curve(images, y, every):
    """A callback recording k-means-on-embedding ACC every ``every`` epochs."""
    from sklearn.cluster import KMeans
    from skorch.callbacks import Callback

    from skdeepclust.deep._input import infer_spec, to_network_layout
    from skdeepclust.metrics import cluster_accuracy

    class EmbeddingACC(Callback):
        def on_train_begin(self, net, **kwargs):
            self.data = to_network_layout(images, infer_spec(images, None))

        def on_epoch_end(self, net, **kwargs):
            if len(net.history) % every:
                return
            embedding = net.infer_all(self.data, net.to_float_, batch_size=1024)["embedding"]
            labels = KMeans(10, n_init=3, random_state=0).fit_predict(embedding)
            net.history.record("embedding_acc", float(cluster_accuracy(y, labels)))

        def on_train_end(self, net, **kwargs):
            self.__dict__.pop("data", None)

    return EmbeddingACC()


def run_job(job, out):
    import torch

    sys.path.insert(0, str(HERE))
    from bench_images import ESTIMATORS, fit_and_score, load_dataset, parse_view

    from skdeepclust.deep.backbones import SmallConvNet

    torch.set_num_threads(1)
    name = job_name(job)
    try:
        images, y = load_dataset(job["dataset"], 5000)
        params = dict(BUDGET[job["method"]]) if job.get("budget", True) else {}
        params.update(job.get("set", {}))
        if job.get("lr_tail"):
            # records 48-50 ran this schedule as a runner callback on top of
            # the constant-rate defaults of their time: the same as lr_anneal
            params["lr_anneal"] = job["lr_tail"]
        if job.get("view"):
            params["augment"] = parse_view(job["view"])
        if job.get("bb", "default") != "default":
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
        extra = [embedding_curve(images, y, job.get("every", 5))]
        scores = fit_and_score(model, images, y, seed, curves=True, callbacks=extra)
        scores["acc_curve"] = scores.pop("acc_per_epoch")
        scores["embedding_acc_curve"] = {h["epoch"]: h["embedding_acc"]
                                         for h in model.history_ if "embedding_acc" in h}
        if job.get("save_embedding"):
            # for comparing prediction rules offline on the same network
            folder = Path(out) / "embeddings"
            folder.mkdir(exist_ok=True)
            np.savez_compressed(folder / (name.replace("|", "_") + ".npz"),
                                embedding=model.transform(images), y=y,
                                labels=model.labels_)
        record = {"job": name, **{k: v for k, v in job.items() if k != "set"},
                  "set": {k: repr(v) for k, v in job.get("set", {}).items()},
                  **scores}
    except Exception:  # a failed job is a result too (e.g. a GPU-only bug)
        record = {"job": name, "error": traceback.format_exc().strip().splitlines()[-1]}
    with open(Path(out) / "results.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    return name, record.get("acc"), record.get("error", "")


_GPU_HEADER = (
    "# Image benchmark variants on one GPU\n\n"
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
    "meaning when they ran); today it is the total.\n")
_CPU_HEADER = (
    "# Image benchmark variants on the CPU\n\n"
    "Written by `python benchmarks/sweep_images.py --report --records images_cpu` "
    "from the records in `images_cpu/` (jobs in `images_cpu/jobs*.json`, run with "
    "`python benchmarks/sweep_images.py images_cpu/jobsN.json --workers 2 --out "
    "benchmarks/results/images_cpu`). The 2-core CPU of this project, two fits at a "
    "time with one torch thread each (a fit alone is faster than 'fit s' says: the "
    "two share the memory bandwidth, and the seconds include scoring every "
    "epoch); 5,000 images per set (digits8: 1,797); the variant names the "
    "parameters that differ from the defaults of the code at the time (see "
    "each job's `set` and `view`). ACC of the estimator's own prediction at the end "
    "and after epoch 30; 'k-means emb.': k-means on `transform` at the end; "
    "'k-means rule': ACC of `prediction_rule=\"kmeans\"` on the same network, "
    "recorded from `results11.jsonl` on by runs made with the head rule (the rule "
    "only post-processes: k-means with 10 restarts and the fit's seed). The "
    "records of `jobs1.json` were made by a session copy of this runner (the same "
    "fits and scores) before it took views and embedding curves: their 'k-means "
    "emb.' is the last point of the embedding curve (3 k-means restarts, not 10), "
    "and their '-cosine' variant added skorch's `LRScheduler(CosineAnnealingLR, "
    "T_max=40)` to the callbacks. 'tail0.5' variants (`results48-50`) ran at the "
    "constant-rate defaults of their time with the runner's `lr_tail` anneal of "
    "the second half, the estimators' `lr_anneal=0.5` of today; "
    "'host2-constant-lr' ones are today's CC and CCES at `lr_anneal=0`.\n")


def report(records="images_gpu"):
    """A table per data set: variants with the mean and each seed's ACC."""
    groups = {}
    # in the order they were made: results2 before results10
    paths = sorted((RESULTS / records).glob("results*.jsonl"),
                   key=lambda path: int(path.stem.removeprefix("results") or 0))
    for path in paths:
        for line in path.read_text().splitlines():
            r = json.loads(line)
            if "error" in r:
                continue
            key = (r["dataset"], r["method"], r.get("bb", "default"), r.get("tag", ""))
            groups.setdefault(key, {})[r.get("seed", 0)] = r
    cpu = records != "images_gpu"
    lines = [_CPU_HEADER if cpu else _GPU_HEADER]
    sys.path.insert(0, str(HERE))
    from bench_images import DATASETS

    for dataset in DATASETS:
        keys = sorted(k for k in groups if k[0] == dataset)
        if not keys:
            continue
        columns = ["method", "backbone", "variant", "seeds", "mean ACC", "ACC per seed"]
        columns += (["ACC after 30 epochs (mean)", "k-means emb. (mean)",
                     "k-means rule (per seed)", "epochs", "fit s (mean)"]
                    if cpu else ["k-means emb. (mean)"])
        columns += ["clusters found"]
        lines += [f"## {dataset}", "", "| " + " | ".join(columns) + " |",
                  "|" + "---|" * len(columns)]
        for key in keys:
            runs = [groups[key][s] for s in sorted(groups[key])]
            accs = [r["acc"] for r in runs]
            cells = [key[1], key[2], key[3] or "-", str(len(runs)), f"{np.mean(accs):.3f}",
                     " / ".join(f"{a:.3f}" for a in accs)]
            if cpu:
                at30 = [r["acc_curve"][29] for r in runs if len(r["acc_curve"]) >= 30]
                cells += [f"{np.mean(at30):.3f}" if len(at30) == len(runs) else "-",
                          f"{np.mean([r['embedding_acc'] for r in runs]):.3f}",
                          " / ".join(f"{r['kmeans_rule']['acc']:.3f}" if "kmeans_rule" in r
                                     else "-" for r in runs),
                          str(len(runs[0]["acc_curve"])),
                          f"{np.mean([r['seconds'] for r in runs]):.0f}"]
            else:
                cells += [f"{np.mean([r['embedding_acc'] for r in runs]):.3f}"]
            cells += [" / ".join(str(r["n_clusters_found"]) for r in runs)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    (RESULTS / f"{records}.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jobs", nargs="?", help="JSON list of jobs")
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--deadline", type=float, default=520,
                        help="seconds after which unfinished jobs are dropped")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--records", default="images_gpu",
                        help="folder of results/ that --report reads (images_gpu, images_cpu)")
    args = parser.parse_args()
    if args.report:
        report(args.records)
        return
    jobs = json.loads(Path(args.jobs).read_text())
    Path(args.out).mkdir(parents=True, exist_ok=True)  # the workers append there
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
