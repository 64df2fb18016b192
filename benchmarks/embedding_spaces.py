"""k-means in each space of a fitted BYOL-style network (PIPCDR, BSC-IC).

A BYOL network has an online and a target (EMA) branch, each a backbone
followed by a projector. Which of the four spaces a prediction rule clusters
in is a choice: PIPCDR's paper clusters the target projections, the other
estimators cluster backbone features. This script fits an estimator with its
defaults on one image set (``bench_images.py``'s data, 5,000 images, data seed
1), then runs spherical and Euclidean k-means (10 restarts, seeded with the
fit's seed as the estimator seeds its own rule) on the training images in each
space, and appends one JSON line per fit to ``OUT`` (default
``results/images_cpu/spaces.jsonl``). ``--report`` writes the table of all
records to ``results/images_cpu_spaces.md``.

    python benchmarks/embedding_spaces.py pipcdr hand28 --seeds 0 1 2
    python benchmarks/embedding_spaces.py --report

One torch thread per process (run two at a time on the 2-core CPU).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "results" / "images_cpu" / "spaces.jsonl"
REPORT = HERE / "results" / "images_cpu_spaces.md"
SPACES = ("online_features", "target_features", "online_projection", "target_projection")


def space_outputs(module, x):
    """The four branch outputs of ``x``: one pass through each network."""
    online_features, online_projection = module.online(x)
    target_features, target_projection = module.target(x)
    return {"online_features": online_features, "online_projection": online_projection,
            "target_features": target_features, "target_projection": target_projection}


def run(method_name, dataset, seed, out):
    import torch

    sys.path.insert(0, str(HERE))
    from _util import machine_description
    from bench_images import ESTIMATORS, load_dataset
    from prediction_rules import RULES

    from skdeepclust.metrics import cluster_accuracy

    torch.set_num_threads(1)
    images, y = load_dataset(dataset, 5000)
    model = ESTIMATORS[method_name](n_clusters=10, random_state=seed)
    start = time.perf_counter()
    model.fit(images)
    record = {"method": method_name, "dataset": dataset, "seed": seed,
              "seconds": round(time.perf_counter() - start, 1),
              "rule": getattr(model, "prediction_rule", None),
              "machine": machine_description(),
              "own": round(float(cluster_accuracy(y, model.labels_)), 4)}
    method = model.net_.method
    method.inference_outputs = space_outputs
    outputs = model._outputs(images)
    # the rules as the estimator runs them: 10 restarts seeded with the fit's seed
    for space in SPACES:
        embedding = outputs[space].astype(np.float64)
        record[space] = {}
        for key, rule in (("spherical", "spherical_kmeans"), ("kmeans", "kmeans")):
            prepare, make = RULES[rule]
            labels = make(10, method.seed).fit_predict(prepare(embedding))
            record[space][key] = round(float(cluster_accuracy(y, labels)), 4)
    print(json.dumps(record), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")


def report(records_path, report_path):
    records = [json.loads(line) for line in open(records_path)]
    records.sort(key=lambda r: (r["method"], r["dataset"], r["seed"]))
    header = ("| fit (method, data set, seed) | own rule | " + " | ".join(
        f"{space.replace('_', ' ')} (spherical / Euclidean)" for space in SPACES) + " |")
    lines = [
        "# k-means in each space of the BYOL networks (CPU)",
        "",
        "Written by `python benchmarks/embedding_spaces.py --report` from "
        "`images_cpu/spaces.jsonl` (fits by `python benchmarks/embedding_spaces.py "
        "METHOD SET --seeds ...`): each estimator's defaults at the time (`own rule`: "
        "the ACC of its own labels, and which rule that was), then spherical / "
        "Euclidean k-means (10 restarts, the fit's seed) on the training images "
        "in each branch of the same network. 5,000 images per 28x28 set (data seed "
        "1), 8x8 digits: 1,797; one torch thread per fit, two fits sharing the "
        "2-core CPU. Machines: "
        + "; ".join(sorted({r.get("machine", "not recorded") for r in records})) + ".",
        "",
        header,
        "|---" * (len(SPACES) + 2) + "|",
    ]
    for r in records:
        cells = [f"{r[s]['spherical']:.3f} / {r[s]['kmeans']:.3f}" for s in SPACES]
        lines.append(f"| {r['method']}, {r['dataset']}, {r['seed']} | {r['own']:.3f} "
                     f"({r['rule']}) | " + " | ".join(cells) + " |")
    report_path.write_text("\n".join(lines) + "\n")
    print(f"wrote {report_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", nargs="?", choices=["pipcdr", "bscic"])
    parser.add_argument("dataset", nargs="?", choices=["digits8", "large28", "hand28",
                                                       "colour32"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--out", type=Path, default=RECORDS)
    parser.add_argument("--report", action="store_true", help="write the table and stop")
    args = parser.parse_args()
    if args.report:
        report(args.out, REPORT)
        return
    if args.method is None or args.dataset is None:
        parser.error("give a method and a data set, or --report")
    for seed in args.seeds:
        run(args.method, args.dataset, seed, args.out)


if __name__ == "__main__":
    main()
