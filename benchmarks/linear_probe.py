"""How far an image set's clustering is from what its labels allow.

Three numbers per set, on ``bench_images.py``'s data (5,000 generated images,
data seed 1, or the 1,797 8x8 digits), split into 80 % training and 20 %
held-out images (stratified, split seed 0):

- ``supervised``: the same small ConvNet the estimators train ("convnet2"
  above 16 pixels, "convnet" below), trained on the labelled 80 % with
  cross-entropy and label-preserving views (the ``"affine"`` policy), then
  scored on the held-out 20 %: the set's ceiling for that network at a CPU budget;
- ``probe``: an estimator fitted without labels on all the images (its
  defaults and the seed), then a logistic regression and a 20-nearest-neighbour
  vote (cosine) on its ``transform`` features of the 80 %, scored on the
  held-out 20 % (the usual linear and kNN evaluations of self-supervised features);
  next to the estimator's own clustering ACC on the held-out 20 %;
- ``--saved FILES``: the same probes on embeddings that ``sweep_images.py``
  saved (``"save_embedding": true``), without fitting again;
- what this says: a clustering ACC far below the probe means the clustering
  rule or the features' geometry lose what the network learnt; a probe far
  below ``supervised`` means the representation does not separate the classes.

One torch thread per process. Appends one JSON line per run to ``OUT``
(default ``results/images_cpu/probes.jsonl``); ``--report`` writes
``results/images_cpu_probes.md``.

    python benchmarks/linear_probe.py supervised hand28 --seeds 0 1
    python benchmarks/linear_probe.py probe hand28 --method dpac --seeds 0
    python benchmarks/linear_probe.py --saved OUT/embeddings/*.npz
    python benchmarks/linear_probe.py --report
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "results" / "images_cpu" / "probes.jsonl"
REPORT = HERE / "results" / "images_cpu_probes.md"
TRAIN_FRACTION = 0.8


def split(y, seed=0):
    """Stratified 80 / 20 % split of the indices (4,000 / 1,000 of 5,000 images)."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    return train_test_split(index, train_size=TRAIN_FRACTION, stratify=y,
                            random_state=seed)


def to_tensor(images):
    """(N, H, W[, C]) uint8 or [0, 1] float images -> (N, C, H, W) float32 in [0, 1]."""
    import torch

    # 8x8 digits come as float32 in [0, 1]; dividing them by 255 too would leave
    # the views' pixel noise (0.1 on the [0, 1] scale) to drown the digits
    scale = 255.0 if np.asarray(images).dtype == np.uint8 else 1.0
    x = torch.as_tensor(images, dtype=torch.float32) / scale
    if x.ndim == 3:
        x = x[:, None]
    else:
        x = x.permute(0, 3, 1, 2)
    return x.contiguous()


def supervised(images, y, train, test, seed, epochs=30, batch_size=128):
    """Test accuracy of the estimators' small ConvNet trained with the labels."""
    import torch
    from torch import nn

    from skdeepclust.deep.augment import ImageViews
    from skdeepclust.deep.backbones import SmallConvNet

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x = to_tensor(images)
    mean = x[train].mean(dim=(0, 2, 3), keepdim=True)
    std = x[train].std(dim=(0, 2, 3), keepdim=True)
    size = min(x.shape[2:])
    backbone = (SmallConvNet(x.shape[1], size) if size <= 16 else
                SmallConvNet(x.shape[1], size, width=16, convs_per_stage=2))
    net = nn.Sequential(backbone, nn.Linear(backbone.feature_dim, int(y.max()) + 1))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    views = ImageViews("affine")
    targets = torch.as_tensor(y, dtype=torch.long)
    train_t = torch.as_tensor(train)
    for _ in range(epochs):
        net.train()
        order = train_t[torch.randperm(len(train_t), generator=generator)]
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = (views(x[rows], generator) - mean) / std
            loss = nn.functional.cross_entropy(net(batch), targets[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
    net.eval()
    with torch.no_grad():
        predicted = net((x[test] - mean) / std).argmax(dim=1).numpy()
    return {"test_acc": float(np.mean(predicted == y[test])), "epochs": epochs}


def probe_scores(features, labels, y, train, test):
    """Clustering ACC and the linear and kNN probes of one fit's features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler, normalize

    from skdeepclust.metrics import cluster_accuracy

    features = np.asarray(features, dtype=np.float64)
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    linear.fit(features[train], y[train])
    unit = normalize(features)
    knn = KNeighborsClassifier(20).fit(unit[train], y[train])
    return {"cluster_acc": float(cluster_accuracy(y, labels)),
            "cluster_acc_test": float(cluster_accuracy(y[test], labels[test])),
            "linear_test_acc": float(linear.score(features[test], y[test])),
            "knn_test_acc": float(knn.score(unit[test], y[test]))}


def probe(images, y, train, test, method, seed, params):
    """Fit ``method`` without labels; linear and kNN probes on its features."""
    from bench_images import ESTIMATORS

    model = ESTIMATORS[method](n_clusters=10, random_state=seed, **params)
    start = time.perf_counter()
    model.fit(images)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 1),
            **probe_scores(model.transform(images), model.labels_, y, train, test)}


def probe_saved(path, out):
    """The probes of an embedding saved by ``sweep_images.py`` (``save_embedding``).

    The file name ``<dataset>_<method>_<tag>_<seed>.npz`` gives the record's
    fields; the split is the one ``run`` uses.
    """
    sys.path.insert(0, str(HERE))
    from _util import machine_description

    saved = np.load(path)
    y = np.asarray(saved["y"])
    dataset, method, *tag, seed = Path(path).stem.split("_")
    train, test = split(y)
    record = {"kind": "probe", "dataset": dataset, "seed": int(seed), "method": method,
              "params": {"saved": "_".join(tag)}, "machine": machine_description(),
              **probe_scores(saved["embedding"], np.asarray(saved["labels"]), y, train,
                             test)}
    with out.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def run(kind, dataset, seed, method, params, out):
    import torch

    sys.path.insert(0, str(HERE))
    from _util import machine_description
    from bench_images import load_dataset

    torch.set_num_threads(1)
    images, y = load_dataset(dataset, 5000)
    y = np.asarray(y)
    train, test = split(y)
    record = {"kind": kind, "dataset": dataset, "seed": seed,
              "method": method if kind == "probe" else None,
              "params": {k: repr(v) for k, v in params.items()},
              "machine": machine_description()}
    start = time.perf_counter()
    if kind == "supervised":
        record.update(supervised(images, y, train, test, seed))
    else:
        record.update(probe(images, y, train, test, method, seed, params))
    record["total_seconds"] = round(time.perf_counter() - start, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def report(paths):
    sys.path.insert(0, str(HERE))
    from _util import table

    records = [json.loads(line) for path in paths for line in path.read_text().splitlines()
               if line.strip()]
    groups = {}
    for r in records:
        key = (r["dataset"], r["kind"], r["method"] or "-",
               ", ".join(f"{k}={v}" for k, v in r["params"].items()),
               r["machine"].split(",")[0])
        groups.setdefault(key, []).append(r)

    def cell(runs, name):
        values = [r[name] for r in sorted(runs, key=lambda r: r["seed"]) if name in r]
        if not values:
            return "-"
        return " / ".join(f"{v:.3f}" for v in values) + f" ({np.mean(values):.3f})"

    rows = [[*key[:3], key[3] or "defaults", key[4], len(runs), cell(runs, "test_acc"),
             cell(runs, "cluster_acc_test"), cell(runs, "linear_test_acc"),
             cell(runs, "knn_test_acc")]
            for key, runs in sorted(groups.items())]
    text = "\n".join([
        "# Clustering against the labels' ceiling", "",
        "Written by `python benchmarks/linear_probe.py --report` from "
        "`images_cpu/probes.jsonl`. `bench_images.py`'s sets (5,000 generated images, "
        "data seed 1; 1,797 for 8x8 digits), 80 % for training and 20 % held out "
        "(stratified); every number is on the held-out 20 %, per seed "
        "(mean). `supervised`: the estimators' small ConvNet trained with the "
        "labels and the `affine` views, 30 epochs. `probe`: the estimator fitted "
        "without labels on all the images, then its clustering ACC, a logistic regression "
        "and a 20-NN vote (cosine) on its `transform` features; `saved=...`: the same "
        "probes on an embedding `sweep_images.py` saved (the jobs in "
        "`images_cpu/jobs99-105.json`), its cluster ACC that of the labels the fit "
        "saved (the prediction rule of the job).", "",
        table(["set", "kind", "method", "params", "host", "seeds", "supervised acc",
               "cluster ACC", "linear probe", "kNN probe"], rows), ""])
    REPORT.write_text(text)
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", nargs="?", choices=("supervised", "probe"))
    parser.add_argument("dataset", nargs="?")
    parser.add_argument("--method", default="dpac")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="estimator parameter override (Python literal)")
    parser.add_argument("--out", type=Path, default=RECORDS)
    parser.add_argument("--saved", type=Path, nargs="+", default=[],
                        help="probe embeddings saved by sweep_images.py instead of fitting")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        report([args.out])
        return
    if args.saved:
        for path in args.saved:
            probe_saved(path, args.out)
        return
    import ast

    params = {}
    for item in args.set:
        name, value = item.split("=", 1)
        params[name] = ast.literal_eval(value)
    for seed in args.seeds:
        run(args.kind, args.dataset, seed, args.method, params, args.out)


if __name__ == "__main__":
    main()
