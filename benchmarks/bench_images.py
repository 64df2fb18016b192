"""Deep estimators on image sets of several sizes and kinds, 3 seeds each.

The development benchmark for quality on unseen images: every deep estimator
with its defaults (``n_clusters=10`` and the seed only, unless ``--set`` says
otherwise) on

- ``digits8``: scikit-learn's 1,797 real 8x8 digits;
- ``large28``: :func:`skdeepclust.datasets.make_large_digits` (28x28, jittered
  upsampled digits);
- ``hand28``: :func:`skdeepclust.datasets.make_handwritten_digits` (28x28 pen
  strokes of random width, slant, elastic distortion; closer to MNIST);
- ``letters28``: ten capital letters in 17 fonts with the distortions of
  ``hand28`` (``benchmarks/_letters.py``): grey 28x28 shapes that are not
  digits (not in the default ``--datasets``);
- ``colour32``: :func:`skdeepclust.datasets.make_colour_digits` (32x32 RGB
  digits over photographic backgrounds, MNIST-M-like);
- ``colour48``: the same at 48x48 with up to fully photographic backgrounds
  (``texture=1``), a second size and kind of colour image (not in the
  default ``--datasets``),

next to k-means and PAC on the raw pixels. Each fit writes a JSON record to
``results/images_runs/``; ``--report`` gathers all records into
``results/images.md``.

    python benchmarks/bench_images.py --datasets hand28 --methods dpac --seeds 0
    python benchmarks/bench_images.py --methods cc --set max_epochs=30 --tag e30
    python benchmarks/bench_images.py --methods cc --augment simclr --tag simclr
    python benchmarks/bench_images.py --report

Fit times are wall-clock seconds on the machine that ran them (the records
keep the machine's description); a fit over ``TIME_LIMIT_SECONDS`` is flagged.
"""

import argparse
import ast
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans

import skdeepclust as sdc
from skdeepclust.datasets import (
    load_digit_images,
    make_colour_digits,
    make_handwritten_digits,
    make_large_digits,
)
from skdeepclust.cluster._fuzzy_cmeans import squared_distances
from skdeepclust.deep._base import kmeans_centres
from skdeepclust.deep.augment import resolve_policy
from skdeepclust.deep.callbacks import ClusteringScore
from skdeepclust.metrics import clustering_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS / "images_runs"
TIME_LIMIT_SECONDS = 600

ESTIMATORS = {
    "dpac": sdc.DPACClusterer,
    "cc": sdc.CCClusterer,
    "c3": sdc.C3Clusterer,
    "cces": sdc.CCESClusterer,
    "pipcdr": sdc.PIPCDRClusterer,
    "bscic": sdc.BSCICClusterer,
}


#: Every set load_dataset knows, in the order the reports list them.
DATASETS = ("digits8", "large28", "hand28", "letters28", "colour32", "colour48")


def load_dataset(name, n_samples):
    """Images and labels of a benchmark set (data seed 1: not the tests' 0)."""
    if name == "digits8":
        return load_digit_images()
    if name == "large28":
        return make_large_digits(n_samples, random_state=1)
    if name == "hand28":
        return make_handwritten_digits(n_samples, random_state=1)
    if name == "letters28":
        from _letters import make_letters

        return make_letters(n_samples, random_state=1)
    if name == "colour32":
        return make_colour_digits(n_samples, random_state=1)
    if name == "colour48":
        return make_colour_digits(n_samples, image_size=48, texture=1.0, random_state=1)
    raise ValueError(f"unknown data set {name!r}")


def _stat(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _machine():
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, "
            + (torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"))


def run_pixels(dataset, images, y, seeds):
    """k-means and PAC on raw pixels (scaled to [0, 1])."""
    X = images.reshape(len(images), -1).astype(np.float64)
    X /= max(X.max(), 1.0)
    for name, make in [("kmeans_pixels", lambda s: KMeans(10, n_init=10, random_state=s)),
                       ("pac_pixels", lambda s: sdc.PAC(10, random_state=s))]:
        for seed in seeds:
            start = time.perf_counter()
            labels = make(seed).fit_predict(X)
            seconds = time.perf_counter() - start
            write_record({"dataset": dataset, "method": name, "tag": "", "seed": seed,
                          "params": {}, "seconds": seconds,
                          **clustering_report(y, labels), "embedding_acc": None})


def fit_and_score(model, images, y, seed, curves, callbacks=()):
    """Fit ``model``; its scores, k-means on its embedding and the fit time.

    With ``curves`` the ACC after every epoch is recorded too; ``callbacks``
    join the fit.
    """
    extra = [ClusteringScore(images, y, name="acc")] if curves else []
    extra += list(callbacks)
    if extra:
        model.set_params(callbacks=extra)
    start = time.perf_counter()
    model.fit(images)
    seconds = time.perf_counter() - start
    embedding = model.transform(images)
    km = KMeans(10, n_init=10, random_state=seed).fit_predict(embedding)
    scores = {"epochs": len(model.history_), "seconds": seconds,
              **clustering_report(y, model.labels_),
              "embedding_acc": clustering_report(y, km)["acc"],
              "n_clusters_found": int(model.n_clusters_)}
    if getattr(model, "prediction_rule", None) == "head":
        # the other rule's labels from the same network: prediction_rule only
        # post-processes (the nearest of the rule's centres)
        centres = kmeans_centres(embedding, model.n_clusters, model.net_.method.seed)
        nearest = squared_distances(embedding.astype(np.float64),
                                    centres.astype(np.float64)).argmin(axis=1)
        scores["kmeans_rule"] = clustering_report(y, nearest)
    if curves:
        scores["acc_per_epoch"] = [h["acc"] for h in model.history_]
    return scores


def run_deep(dataset, images, y, method, seed, overrides, tag, curves):
    model = ESTIMATORS[method](n_clusters=10, random_state=seed)
    model.set_params(**overrides)
    record = {"dataset": dataset, "method": method, "tag": tag, "seed": seed,
              "params": {k: (v.name if k == "augment" and hasattr(v, "name") else repr(v))
                         for k, v in overrides.items()},
              **fit_and_score(model, images, y, seed, curves)}
    seconds = record["seconds"]
    write_record(record)
    flag = "  OVER THE TIME LIMIT" if seconds > TIME_LIMIT_SECONDS else ""
    print(f"{dataset} {method}{'/' + tag if tag else ''} seed {seed}: ACC {record['acc']:.3f}"
          f" NMI {record['nmi']:.3f} (k-means on embedding {record['embedding_acc']:.3f},"
          f" {record['n_clusters_found']} clusters) {len(model.history_)} epochs in "
          f"{seconds:.0f} s{flag}", flush=True)
    return record


def write_record(record):
    RUNS.mkdir(parents=True, exist_ok=True)
    record["machine"] = _machine()
    tag = f"__{record['tag']}" if record["tag"] else ""
    path = RUNS / f"{record['dataset']}__{record['method']}{tag}__s{record['seed']}.json"
    path.write_text(json.dumps(record, indent=1))


def report(command):
    """Gather every run record into results/images.md."""
    records = [json.loads(p.read_text()) for p in sorted(RUNS.glob("*.json"))]
    groups = {}
    for r in records:
        groups.setdefault((r["dataset"], r["method"], r["tag"]), []).append(r)
    datasets = [d for d in DATASETS
                if any(k[0] == d for k in groups)]
    lines = ["# Deep estimators on images of several sizes and kinds", "",
             f"Written by `python benchmarks/bench_images.py --report`; runs made with "
             f"`{command}`-style commands (each record in `images_runs/` keeps its "
             "parameters and machine). ACC/NMI/ARI: mean +- std over seeds of the "
             "estimator's own prediction; 'k-means emb.': ACC of k-means on "
             "`transform` output. Fit seconds are wall-clock on the machine of the "
             "record. Records made before 2026-11-24 give DPAC's and C3's "
             "`max_epochs` as the second stage only (today: the total).", ""]
    for dataset in datasets:
        rows = []
        keys = sorted((k for k in groups if k[0] == dataset),
                      key=lambda k: (not k[1].endswith("pixels"), k[1], k[2]))
        for key in keys:
            runs = sorted(groups[key], key=lambda r: r["seed"])
            label = key[1] + (f" [{key[2]}]" if key[2] else "")
            emb = [r["embedding_acc"] for r in runs if r["embedding_acc"] is not None]
            rows.append([label, len(runs), _stat([r["acc"] for r in runs]),
                         f"{min(r['acc'] for r in runs):.3f}",
                         _stat([r["nmi"] for r in runs]), _stat([r["ari"] for r in runs]),
                         _stat(emb) if emb else "-",
                         f"{np.mean([r['seconds'] for r in runs]):.0f}",
                         runs[0].get("epochs", "-"),
                         ", ".join(f"{k}={v}" for k, v in runs[0]["params"].items())])
        lines += [f"## {dataset}", "", table(
            ["method", "seeds", "ACC", "min ACC", "NMI", "ARI", "k-means emb. ACC",
             "fit s", "epochs", "overrides"], rows), ""]
    (RESULTS / "images.md").write_text("\n".join(lines))
    print("\n".join(lines))


def parse_view(text):
    """``"simclr:flip_p=0.0,crop_scale=(0.4,1.0)"`` -> a changed ViewPolicy."""
    name, _, fields = text.partition(":")
    changes = {}
    for item in filter(None, _split_top_level(fields)):
        key, value = item.split("=", 1)
        changes[key] = ast.literal_eval(value)
    return replace(resolve_policy(name), name=text, **changes)


def _split_top_level(text):
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits8,large28,hand28,colour32")
    parser.add_argument("--methods", default=",".join(ESTIMATORS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--n-samples", type=int, default=5000,
                        help="images per generated set (digits8 has 1,797)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="estimator parameter override (Python literal)")
    parser.add_argument("--augment", default=None, help="shorthand for --set augment=...")
    parser.add_argument("--view", default=None, metavar="NAME:FIELD=VALUE,...",
                        help="a named view policy with changed fields, e.g. "
                             "simclr:flip_p=0.0,crop_scale=(0.4,1.0)")
    parser.add_argument("--tag", default="", help="suffix naming a variant's records")
    parser.add_argument("--pixels", action="store_true", help="k-means/PAC on pixels only")
    parser.add_argument("--curves", action="store_true", help="record ACC per epoch")
    parser.add_argument("--report", action="store_true", help="only write images.md")
    args = parser.parse_args()
    if args.report:
        report("python benchmarks/bench_images.py")
        return
    overrides = {}
    for item in args.set:
        name, value = item.split("=", 1)
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value
    if args.augment:
        overrides["augment"] = args.augment
    if args.view:
        overrides["augment"] = parse_view(args.view)
    seeds = [int(s) for s in args.seeds.split(",")]
    for dataset in args.datasets.split(","):
        images, y = load_dataset(dataset, args.n_samples)
        if args.pixels:
            run_pixels(dataset, images, y, seeds)
            continue
        for method in args.methods.split(","):
            for seed in seeds:
                run_deep(dataset, images, y, method, seed, overrides, args.tag,
                         args.curves)


if __name__ == "__main__":
    main()
