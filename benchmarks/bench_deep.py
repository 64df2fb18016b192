"""Quality and speed of the deep estimators on scikit-learn's digits.

Runs the anchors and this library in the same process, prints the tables and
writes ``benchmarks/results/deep.md`` and PNG plots (accuracy per epoch).

    python benchmarks/bench_deep.py                   # all methods, 3 seeds
    python benchmarks/bench_deep.py --methods dpac    # a subset
    python benchmarks/bench_deep.py --quick           # a smoke run (few epochs)

Sections
--------
1. Quality: ACC / NMI / ARI of each deep estimator on the 1,797 real 8x8
   digit images (3 seeds, default CPU settings unless stated), both by the
   estimator's own prediction rule and by k-means on its embedding, against
   scikit-learn's KMeans and PAC on the raw pixels. A fit must finish within
   10 minutes on this 2-core CPU. Accuracy per epoch is plotted.
2. Throughput: samples per second of ``fit`` (the skorch bridge) against a
   plain torch loop running the same network, loss and views.
3. Views: seconds per batch of this library's batched views against
   torchvision ``transforms.v2`` (one parameter set per call, so per-sample
   randomness needs a Python loop over images) and kornia (per-sample
   parameters, batched) when installed.
"""

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans

import skdeepclust as sdc
from skdeepclust.datasets import load_digit_images
from skdeepclust.deep._base import _Encoder, _ToFloat
from skdeepclust.deep.augment import ImageViews, Views
from skdeepclust.deep.backbones import Standardize, build_backbone
from skdeepclust.deep.callbacks import ClusteringScore
from skdeepclust.metrics import clustering_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import median_time, section_printer, table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TIME_LIMIT_SECONDS = 600


# Each entry: (label, factory(seed, quick) -> unfitted estimator). Budgets are
# the CPU settings measured to fit within the time limit on digits; "quick"
# runs a few epochs only.
def _dpac(seed, quick):
    epochs = dict(pretrain_epochs=5, max_epochs=10) if quick else {}
    return sdc.DPACClusterer(n_clusters=10, random_state=seed, **epochs)


def _cc(seed, quick):
    # batch 64: four times the steps of batch 256 per epoch; on digits the
    # cluster head then stops merging classes (ACC 0.78-0.86 at batch 256 and
    # 100 epochs, 0.96-0.97 at batch 64 and 150 epochs, seeds 0-2)
    return sdc.CCClusterer(n_clusters=10, max_epochs=5 if quick else 150, batch_size=64,
                           random_state=seed)


def _c3(seed, quick):
    # the same total budget as _cc: 100 CC epochs + 50 C3 epochs
    epochs = dict(pretrain_epochs=3, max_epochs=5) if quick else dict(
        pretrain_epochs=100, max_epochs=150)
    return sdc.C3Clusterer(n_clusters=10, batch_size=64, random_state=seed, **epochs)


def _cces(nearest_neighbors=True, crop="contrastive"):
    def make(seed, quick):
        return sdc.CCESClusterer(n_clusters=10, max_epochs=6 if quick else 300,
                                 nn_warmup=2 if quick else 50, batch_size=64,
                                 nearest_neighbors=nearest_neighbors, crop=crop,
                                 random_state=seed)
    return make


def _pipcdr(seed, quick):
    epochs = dict(max_epochs=4, warmup_epochs=2) if quick else dict(
        max_epochs=100, warmup_epochs=20)
    return sdc.PIPCDRClusterer(n_clusters=10, batch_size=64, random_state=seed, **epochs)


def _bscic(batch_size):
    def make(seed, quick):
        return sdc.BSCICClusterer(n_clusters=10, max_epochs=4 if quick else 200,
                                  batch_size=batch_size, random_state=seed)
    return make


METHODS = {
    "dpac": ("DPACClusterer", _dpac),
    "cc": ("CCClusterer", _cc),
    "c3": ("C3Clusterer", _c3),
    "cces": ("CCESClusterer", _cces()),
    "cces_random_crop": ("CCESClusterer, random crop", _cces(crop="random")),
    "cces_no_nn": ("CCESClusterer, no neighbours", _cces(nearest_neighbors=False)),
    "cces_random_crop_no_nn": ("CCESClusterer, random crop, no neighbours",
                               _cces(nearest_neighbors=False, crop="random")),
    "pipcdr": ("PIPCDRClusterer", _pipcdr),
    "bscic": ("BSCICClusterer", _bscic(64)),
    "bscic_b256": ("BSCICClusterer, batch 256", _bscic(256)),
}


def _budget(model):
    params = model.get_params()
    total = params["max_epochs"]
    first = params.get("pretrain_epochs")
    stages = f"{first} + {total - first}" if first is not None else str(total)
    return stages + " epochs, batch " + str(params["batch_size"])


# ------------------------------------------------------------------ quality


def _stat(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def run_anchors(seeds):
    images, y = load_digit_images()
    X_flat = images.reshape(len(images), -1)
    rows = []
    for name, make in [("sklearn KMeans on pixels",
                        lambda s: KMeans(10, n_init=10, random_state=s)),
                       ("PAC on pixels", lambda s: sdc.PAC(10, random_state=s))]:
        make(0).fit(X_flat[:50])
        reports, times = [], []
        for seed in seeds:
            start = time.perf_counter()
            labels = make(seed).fit_predict(X_flat)
            times.append(time.perf_counter() - start)
            reports.append(clustering_report(y, labels))
        rows.append([name] + [_stat([r[k] for r in reports]) for k in ("acc", "nmi", "ari")]
                    + ["-", f"{np.mean(times):.1f}"])
    return rows


def run_method(key, seeds, quick):
    """Fit one method on digits for each seed; returns a JSON-able record."""
    images, y = load_digit_images()
    label, factory = METHODS[key]
    record = {"key": key, "label": label, "runs": []}
    for seed in seeds:
        model = factory(seed, quick)
        model.set_params(callbacks=[ClusteringScore(images, y, name="acc")])
        start = time.perf_counter()
        model.fit(images)
        seconds = time.perf_counter() - start
        embedding = model.transform(images)
        km = KMeans(10, n_init=10, random_state=seed).fit_predict(embedding)
        run = {"seed": seed, "seconds": seconds,
               **clustering_report(y, model.labels_),
               "embedding_acc": clustering_report(y, km)["acc"],
               "acc_per_epoch": [h["acc"] for h in model.history_],
               "stages": [h["stage"] for h in model.history_]}
        if "positives_per_sample" in model.history_[-1]:
            run["positives_per_sample"] = [h.get("positives_per_sample")
                                           for h in model.history_]
        record["runs"].append(run)
        record["budget"] = _budget(model)
        print(f"  {key} seed {seed}: ACC {run['acc']:.3f} (k-means on embedding "
              f"{run['embedding_acc']:.3f}) in {seconds:.0f} s", flush=True)
        if seconds > TIME_LIMIT_SECONDS:
            print(f"  WARNING: {key} took {seconds:.0f} s, over the "
                  f"{TIME_LIMIT_SECONDS} s budget", flush=True)
    return record


def quality_row(record):
    runs = record["runs"]
    return [f"{record['label']} ({record['budget']})"] + [
        _stat([r[k] for r in runs]) for k in ("acc", "nmi", "ari", "embedding_acc")
    ] + [f"{np.mean([r['seconds'] for r in runs]):.0f}"]


def plot_curves(records, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for record in records:
        label = record["label"]
        accs = np.array([r["acc_per_epoch"] for r in record["runs"]])
        epochs = np.arange(1, accs.shape[1] + 1)
        mean = accs.mean(0)
        ax.plot(epochs, mean, label=label)
        ax.fill_between(epochs, accs.min(0), accs.max(0), alpha=0.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("ACC of the prediction rule (digits)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------- throughput

# Methods whose whole step runs in ``training_step`` (no method callbacks, no
# ``after_step``), so that the plain loop below does the same work.
THROUGHPUT_METHODS = ("dpac", "cc")


class _PlainContext:
    """What a method's ``training_step`` reads from the net (CPU: no autocast)."""

    def __init__(self, module, views):
        self.module_ = module
        self.views_ = views
        self.epoch = 0
        self.fit_state_ = {}

    @staticmethod
    def autocast():
        return contextlib.nullcontext()


def plain_torch_loop(model, images, epochs):
    """Train the same network, loss and views as ``model.fit`` without skorch.

    Returns the samples per second over the epochs after the first.
    """
    data, spec = model._validate_input(images, reset=True)
    offset, scale, mean, std = model._input_statistics(data, spec)
    to_float = _ToFloat(offset, scale)
    torch.manual_seed(0)
    encoder = _Encoder(Standardize(mean, std, image=True), build_backbone(model.backbone, spec))
    method = model._make_method(spec, seed=0)
    module = method.build_network(encoder, encoder.feature_dim)
    weak, strong = model._view_makers(spec, mean, std)
    context = _PlainContext(module, Views(weak, strong, torch.Generator().manual_seed(0)))
    optimizer = torch.optim.Adam(module.parameters(), lr=model.lr,
                                 weight_decay=model.weight_decay)
    tensor = torch.from_numpy(data)
    batch_size = min(model.batch_size, len(data))
    generator = torch.Generator().manual_seed(0)
    rates = []
    module.train()
    for epoch in range(epochs):
        context.epoch = epoch
        start = time.perf_counter()
        order = torch.randperm(len(data), generator=generator)
        samples = 0
        for begin in range(0, len(data) - batch_size + 1, batch_size):
            indices = order[begin:begin + batch_size]
            x = to_float(tensor[indices])
            loss = method.training_step(context, x, indices)["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            samples += len(x)
        rates.append(samples / (time.perf_counter() - start))
    return rates


def run_throughput(quick):
    images, _ = load_digit_images()
    rows = []
    for key in THROUGHPUT_METHODS:
        _, factory = METHODS[key]
        model = factory(0, True)
        epochs = model.max_epochs
        # alternate the two so that machine load affects both alike
        bridge, plain = [], []
        for _ in range(1 if quick else 3):
            fitted = factory(0, True).fit(images)
            bridge += [h["samples_per_sec"] for h in fitted.history_[1:]]
            plain += plain_torch_loop(factory(0, True), images, epochs)[1:]
        ours, reference = np.median(bridge), np.median(plain)
        rows.append((key, f"{epochs} epochs", f"{ours:.0f}", f"{reference:.0f}",
                     f"{ours / reference:.2f}"))
    return rows


# -------------------------------------------------------------------- views


def _timed(fn, repeats=20):
    return median_time(fn, repeats, warmup=True)[0]


def run_views(batch_size):
    from torchvision.transforms import v2

    rows = []
    generator = torch.Generator().manual_seed(0)
    for channels, size in [(3, 32), (1, 8), (3, 96)]:
        x = torch.rand(batch_size, channels, size, size)
        shape = f"{batch_size} x {channels} x {size} x {size}"
        # the same operations as the competitors below: no blur
        ours_simclr = ImageViews("simclr", blur=False)
        ours_strong = ImageViews("simclr", strong=True, blur=False)
        t_simclr = _timed(lambda: ours_simclr(x, generator))
        rows.append((shape, "skdeepclust SimCLR view (per-sample, batched)",
                     f"{t_simclr * 1e3:.1f}", "1.00"))
        rows.append((shape, "skdeepclust strong view (RandAugment-like + cutout)",
                     f"{_timed(lambda: ours_strong(x, generator)) * 1e3:.1f}", "-"))
        if size >= 64:
            ours_blur = ImageViews("simclr", blur=True)
            rows.append((shape, "skdeepclust SimCLR view + Gaussian blur (p=0.5)",
                         f"{_timed(lambda: ours_blur(x, generator)) * 1e3:.1f}", "-"))
        colour = channels == 3
        pipeline = v2.Compose([
            v2.RandomResizedCrop(size, scale=(0.2, 1.0), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1 if colour else 0.0)], p=0.8),
        ] + ([v2.RandomGrayscale(p=0.2)] if colour else []))
        t_loop = _timed(lambda: torch.stack([pipeline(img) for img in x]), repeats=5)
        rows.append((shape, "torchvision v2, loop over images (per-sample)",
                     f"{t_loop * 1e3:.1f}", f"{t_loop / t_simclr:.1f}"))
        t_batch = _timed(lambda: pipeline(x))
        rows.append((shape, "torchvision v2, one call (ONE parameter set per batch)",
                     f"{t_batch * 1e3:.1f}", f"{t_batch / t_simclr:.2f}"))
        try:
            import kornia.augmentation as K

            kornia_pipeline = K.AugmentationSequential(
                K.RandomResizedCrop((size, size), scale=(0.2, 1.0)),
                K.RandomHorizontalFlip(),
                *([K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), K.RandomGrayscale(p=0.2)]
                  if colour else [K.ColorJitter(0.4, 0.4, p=0.8)]),
            )
            t_kornia = _timed(lambda: kornia_pipeline(x))
            rows.append((shape, "kornia.augmentation (per-sample, batched)",
                         f"{t_kornia * 1e3:.1f}", f"{t_kornia / t_simclr:.1f}"))
        except ImportError:
            rows.append((shape, "kornia", "not installed", ""))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="dpac,cc,c3,cces,pipcdr,bscic",
                        help=f"comma-separated subset of {list(METHODS)}")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="few epochs, one seed")
    parser.add_argument("--skip", default="", help="sections to skip: quality,throughput,views")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    seeds = list(range(1 if args.quick else args.seeds))
    skip = set(args.skip.split(","))
    torch.set_num_threads(min(2, os.cpu_count() or 1))

    out = [
        "# Deep estimators: benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, torch "
        f"{torch.__version__} on {'CUDA' if torch.cuda.is_available() else 'CPU'} "
        f"({torch.get_num_threads()} threads). This file was last written by "
        f"`python benchmarks/bench_deep.py --methods {','.join(methods)}"
        f"{' --quick' if args.quick else ''}`; the quality table gathers every run "
        "record in the run folder, whichever command made it. Analysis: "
        "[deep_findings.md](deep_findings.md).",
        "",
    ]

    section = section_printer(out)

    RESULTS.mkdir(exist_ok=True)
    suffix = "_quick" if args.quick else ""
    runs_dir = RESULTS / f"deep_runs{suffix}"
    runs_dir.mkdir(exist_ok=True)
    if "quality" not in skip:
        for key in methods:
            record = run_method(key, seeds, args.quick)
            (runs_dir / f"{key}.json").write_text(json.dumps(record, indent=1))
        records = [json.loads((runs_dir / f"{key}.json").read_text())
                   for key in METHODS if (runs_dir / f"{key}.json").exists()]
        rows = run_anchors(seeds) + [quality_row(r) for r in records]
        plot = RESULTS / f"deep_acc_vs_epoch{suffix}.png"
        plot_curves([r for r in records
                     if not r["key"].startswith("cces_") and r["key"] != "bscic_b256"], plot)
        ablation = [r for r in records if r["key"].startswith("cces")]
        ablation_plot = RESULTS / f"deep_cces_ablation{suffix}.png"
        if ablation:
            plot_curves(ablation, ablation_plot)
        section(
            f"Quality on scikit-learn digits (1,797 8x8 images, {len(seeds)} seed(s))",
            table(["method (budget)", "ACC", "NMI", "ARI", "ACC of k-means on embedding",
                   "fit time (s)"], rows)
            + f"\n\nEach deep row comes from `{runs_dir.name}/<method>.json` (rerun a "
            f"method with `--methods`).\n\n![ACC per epoch]({plot.name})"
            + (f"\n\n![CCES ablation]({ablation_plot.name})" if ablation else ""),
        )
    if "throughput" not in skip:
        section(
            "Throughput of fit against a plain torch loop (same network, loss, views)",
            table(["method", "budget", "fit samples/s", "plain loop samples/s",
                   "ratio"], run_throughput(args.quick))
            + "\n\nMedians over epochs after the first; digits, the quick budgets of the "
            "quality runs (same batch sizes).",
        )
    if "views" not in skip:
        section(
            "Views: milliseconds per batch on the CPU",
            table(["batch", "implementation", "ms per batch", "time / skdeepclust"],
                  run_views(256)),
        )
    name = f"deep{suffix}.md"
    (RESULTS / name).write_text("\n".join(out))
    print(f"\nwrote {RESULTS / name}")


if __name__ == "__main__":
    main()
