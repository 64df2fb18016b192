"""Speed and quality of the classical estimators against their competitors.

Runs every competitor in this process and prints medians of several runs and
the ratios; writes the tables to ``benchmarks/results/classical.md``.

    python benchmarks/bench_classical.py            # everything (~10 minutes)
    python benchmarks/bench_classical.py --quick    # smaller sizes, a smoke run

Sections
--------
1. PAC: one O(N K D) sweep (this library) against one O(N^2 K) sweep over a
   precomputed distance matrix (the paper's algorithm, compiled with numba
   too, so that the ratio measures the algorithm, not the interpreter), same
   initial memberships, identical labels required. A 70,000 x 784 fit of 20
   sweeps in a child process (time and peak memory). Full fits on data shaped
   like the paper's timed sets, next to the paper's reported times.
2. FuzzyCMeans against scikit-fuzzy ``cmeans`` and fuzzy-c-means ``FCM`` at
   equal iterations from the same initial memberships; objectives compared on
   the final centres.
3. SphericalKMeans against scikit-learn ``KMeans`` on L2-normalised data at
   the same ``n_init``; both judged by the spherical objective.
4. Serial against ``prange`` versions of the FCM membership kernel (the
   library ships the faster one on this machine).
5. Clustering quality on scikit-learn's digits.

``--scale`` runs only the scale sections and writes
``benchmarks/results/classical_scale.md``:

6. SphericalKMeans against faiss (``spherical=True``) on 200,000 x 128
   float32 rows, K=50, with 1 and with 2 threads (``threadpoolctl`` for BLAS,
   ``faiss.omp_set_num_threads`` for faiss): equal iterations (8 Lloyd
   iterations, 10 restarts, faiss using every row) and each library's default
   fit, next to scikit-learn's default ``KMeans``; objective = sum of cosine
   similarities to the nearest normalised centre (higher is better).
7. k-means++ seeding at K=1,000 against scikit-learn's ``kmeans_plusplus``.
8. A Dask fit of rows read from a file on disk, chunk by chunk, in a child
   process (time, peak RSS), and the labels of Dask and in-memory fits on a
   subset that fits both ways.

    python benchmarks/bench_classical.py --scale                  # 8M rows: 4 GB on disk
    python benchmarks/bench_classical.py --scale --dask-rows 1000000

A competitor that is not installed is reported as such and skipped.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from numba import njit, prange
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import normalize

from skdeepclust import PAC, FuzzyCMeans, SphericalKMeans
from skdeepclust._kernels.fcm import fcm_memberships
from skdeepclust.cluster._fuzzy_cmeans import memberships as fcm_memberships_of
from skdeepclust._kernels.pac import (
    METRIC_SQEUCLIDEAN,
    pac_sweep_features,
    pac_sweep_precomputed,
)
from skdeepclust.cluster._fuzzy_cmeans import fcm_objective
from skdeepclust.datasets import make_large_digits
from skdeepclust.metrics import clustering_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine_description, median_time, section_printer, table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
warnings.simplefilter("ignore", ConvergenceWarning)


# --------------------------------------------------------------------------- PAC


def near_uniform(n, k, seed):
    rng = np.random.RandomState(seed)
    logits = 1e-3 * rng.standard_normal((n, k))
    P = np.exp(logits)
    return P / P.sum(1, keepdims=True)


def bench_pac_sweep(n_samples, repeats):
    """Per-sweep time of the O(NKD) kernel against the O(N^2 K) sweep."""
    images, _ = make_large_digits(n_samples, random_state=0)
    X = images.reshape(n_samples, -1).astype(np.float64)
    X -= X.mean(0)
    sq = np.einsum("ij,ij->i", X, X)
    K, m = 10, 1.03
    alpha = 1.0 / (m - 1.0)
    P0 = near_uniform(n_samples, K, 0)

    start = time.perf_counter()
    # X @ X.T.copy() runs GEMM: numpy 2.4's bundled multi-threaded OpenBLAS
    # crashes in the SYRK path that X @ X.T takes at 20,000 x 784.
    D = X @ X.T.copy()
    D *= -2.0
    D += sq[:, None]
    D += sq[None, :]
    np.maximum(D, 0, out=D)
    np.fill_diagonal(D, 0.0)
    distance_seconds = time.perf_counter() - start

    # Warm the JIT on a small slice so that compilation is not timed.
    pac_sweep_precomputed(D[:10, :10].copy(), alpha, P0[:10].copy())
    pac_sweep_features(X[:10], sq[:10], METRIC_SQEUCLIDEAN, alpha, P0[:10].copy(),
                       np.ascontiguousarray(P0[:10].T @ X[:10]), P0[:10].sum(0),
                       P0[:10].T @ sq[:10])

    n_sweeps = 3
    naive_times, fast_times = [], []
    P_naive = P0.copy()
    P_fast = P0.copy()
    start = time.perf_counter()
    mu = np.ascontiguousarray(P_fast.T @ X)
    n_k, c_k = P_fast.sum(0), P_fast.T @ sq
    refresh_seconds = time.perf_counter() - start
    for _ in range(n_sweeps):
        start = time.perf_counter()
        pac_sweep_precomputed(D, alpha, P_naive)
        naive_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        pac_sweep_features(X, sq, METRIC_SQEUCLIDEAN, alpha, P_fast, mu, n_k, c_k)
        fast_times.append(time.perf_counter() - start)
    for _ in range(max(0, repeats - n_sweeps)):
        P_tmp, mu_tmp = P0.copy(), np.ascontiguousarray(P0.T @ X)
        start = time.perf_counter()
        pac_sweep_features(X, sq, METRIC_SQEUCLIDEAN, alpha, P_tmp, mu_tmp,
                           P0.sum(0), P0.T @ sq)
        fast_times.append(time.perf_counter() - start)
    naive = float(np.median(naive_times))
    fast = float(np.median(fast_times))
    same_labels = bool(np.array_equal(P_naive.argmax(1), P_fast.argmax(1)))
    max_diff = float(np.abs(P_naive - P_fast).max())
    del D
    return {
        "n": n_samples,
        "naive_s": naive,
        "fast_s": fast,
        "ratio": naive / fast,
        "same_labels": same_labels,
        "max_diff": max_diff,
        "distance_s": distance_seconds,
        "refresh_s": refresh_seconds,
        "matrix_gb": n_samples**2 * 8 / 1e9,
    }


def peak_rss_gb():
    """Peak resident memory of this process (VmHWM; unlike ru_maxrss it is not
    inherited from the parent across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def pac_child(n_samples, max_iter):
    """Runs in a child process: one PAC fit, prints time and peak RSS."""
    images, labels = make_large_digits(n_samples, random_state=0)
    X = images.reshape(n_samples, -1)
    PAC(n_clusters=10, max_iter=1, random_state=0).fit(X[:50])  # JIT warm-up
    rss_before = peak_rss_gb()
    start = time.perf_counter()
    pac = PAC(n_clusters=10, max_iter=max_iter, tol=0.0, random_state=0).fit(X)
    seconds = time.perf_counter() - start
    peak = peak_rss_gb()
    scores = clustering_report(labels, pac.labels_)
    print(f"RESULT {seconds:.3f} {peak:.3f} {rss_before:.3f} {pac.n_iter_} "
          f"{scores['acc']:.4f}")


def bench_pac_large(n_samples, max_iter):
    out = subprocess.run(
        [sys.executable, __file__, "--pac-child", str(n_samples), str(max_iter)],
        capture_output=True, text=True, check=True,
    ).stdout
    line = [row for row in out.splitlines() if row.startswith("RESULT")][0].split()
    return {
        "n": n_samples,
        "seconds": float(line[1]),
        "peak_gb": float(line[2]),
        "before_fit_gb": float(line[3]),
        "sweeps": int(line[4]),
        "acc": float(line[5]),
    }


def bench_pac_paper_shapes(quick):
    """Full default fits on sets shaped like the paper's timed ones."""
    rows = []
    rng = np.random.RandomState(0)
    # Pendigits: 10,992 x 16 (pen coordinates, 10 classes); not shipped with any
    # package, so a 10-blob stand-in of the same shape.
    n_pen = 2000 if quick else 10992
    X_pen, _ = make_blobs(n_pen, n_features=16, centers=10, cluster_std=8.0,
                          center_box=(0, 100), random_state=0)
    n_mnist = 2000 if quick else 10000
    images, _ = make_large_digits(n_mnist, random_state=1)
    X_mnist = images.reshape(n_mnist, -1)
    for name, X, paper in [("Pendigits-shaped", X_pen, 153.6),
                           ("MNIST-10k-shaped", X_mnist, 423.4)]:
        PAC(n_clusters=10, max_iter=1).fit(X[:50])
        seconds, pac = median_time(
            lambda: PAC(n_clusters=10, random_state=rng.randint(1000)).fit(X), 1)
        rows.append((f"{name} {X.shape[0]} x {X.shape[1]}", f"{seconds:.2f}",
                     pac.n_iter_, paper, f"{paper / seconds:.0f}x"))
    return rows


# --------------------------------------------------------------------------- FCM


def fcm_centers_from_memberships(X, U, m):
    W = U**m
    return (W.T @ X) / W.sum(0)[:, None]


def _centre_gap(a, b):
    if a.shape != b.shape:
        return f"n/a (shapes {a.shape[0]} and {b.shape[0]})"
    return f"{np.abs(a - b).max():.1e}"


def bench_fcm(X, K, n_iter, repeats, label, m=2.0):
    # Initial memberships: those of k-means++ seeds (fuzzy-c-means' own
    # "k-means++" start). Uniformly random memberships put every centre at the
    # grand mean, from where m=2 takes hundreds of iterations to separate them.
    seeds, _ = kmeans_plusplus(X, K, random_state=0)
    U0 = fcm_memberships_of(X, seeds, m)
    rows = []

    # fuzzy-c-means stops on its own rule (error >= 1e-9 is enforced); count its
    # iterations and give the others exactly as many.
    fcmeans_rows = []
    try:
        from fcmeans import FCM

        class FixedStartFCM(FCM):
            def _init_u(self, X_):
                self.rng = np.random.default_rng(0)
                self.u = U0.copy()
                self.n_updates = 0

            def _update_centers(self, X_):
                self.n_updates += 1
                super()._update_centers(X_)

        def fcmeans_fit():
            model = FixedStartFCM(n_clusters=K, m=m, max_iter=n_iter, error=1e-9)
            model.fit(X)
            return model

        t_fcmeans, model = median_time(fcmeans_fit, repeats)
        n_iter = model.n_updates
        fcmeans_centers = model.centers
    except ImportError as exc:
        fcmeans_rows.append((label, "fuzzy-c-means", f"not installed ({exc})", "", "", ""))
        t_fcmeans = None

    def ours():
        # The centre step from U0 is part of our timed work: after it, n_iter - 1
        # alternations reach the same centres as n_iter competitor iterations.
        C0 = fcm_centers_from_memberships(X, U0, m)
        return FuzzyCMeans(K, m=m, init=C0, max_iter=n_iter - 1, tol=0.0).fit(X)

    FuzzyCMeans(K, max_iter=2).fit(X[:100])  # JIT warm-up
    t_ours, model = median_time(ours, repeats)
    centers_ours = model.cluster_centers_
    obj_ours = fcm_objective(X, centers_ours, m)
    rows.append((label, "skdeepclust FuzzyCMeans", f"{t_ours:.3f}", "1.00",
                 f"{obj_ours:.6g}", "-"))

    try:
        import skfuzzy

        def skf():
            # cmeans runs maxiter - 1 iterations
            return skfuzzy.cluster.cmeans(X.T, K, m, error=0.0, maxiter=n_iter + 1,
                                          init=U0.T.copy())

        t, res = median_time(skf, repeats)
        centers = res[0]
        rows.append((label, f"scikit-fuzzy {skfuzzy.__version__} cmeans", f"{t:.3f}",
                     f"{t / t_ours:.2f}", f"{fcm_objective(X, centers, m):.6g}",
                     _centre_gap(centers, centers_ours)))
    except ImportError as exc:
        rows.append((label, "scikit-fuzzy", f"not installed ({exc})", "", "", ""))

    if t_fcmeans is not None:
        rows.append((label, "fuzzy-c-means FCM", f"{t_fcmeans:.3f}",
                     f"{t_fcmeans / t_ours:.2f}",
                     f"{fcm_objective(X, fcmeans_centers, m):.6g}",
                     _centre_gap(fcmeans_centers, centers_ours)))
    rows += fcmeans_rows
    return [(r[0] + f", {n_iter} iterations",) + tuple(r[1:]) for r in rows]


@njit(parallel=True, cache=True)
def _fcm_memberships_prange(products, x_sq_norms, c_sq_norms, m, U, W, weight_sums):
    """The library's FCM membership kernel with the row loop under prange."""
    n_samples, n_clusters = products.shape
    exponent = 1.0 / (m - 1.0)
    objective = 0.0
    for i in prange(n_samples):
        d_min = np.inf
        for k in range(n_clusters):
            d = max(x_sq_norms[i] - 2.0 * products[i, k] + c_sq_norms[k], 1e-300)
            U[i, k] = d
            d_min = min(d_min, d)
        total = 0.0
        for k in range(n_clusters):
            d = U[i, k]
            ratio = d_min / d
            if exponent != 1.0:
                ratio = ratio**exponent
            U[i, k] = ratio
            total += ratio
            W[i, k] = d
        for k in range(n_clusters):
            u = U[i, k] / total
            d = W[i, k]
            U[i, k] = u
            W[i, k] = u * u if m == 2.0 else u**m
            objective += W[i, k] * d
    # column sums as a second (vectorised) pass: prange cannot reduce arrays
    weight_sums[:] = W.sum(axis=0)
    return objective


def bench_prange(n_samples, repeats):
    rng = np.random.RandomState(0)
    X = rng.rand(n_samples, 32)
    C = rng.rand(10, 32)
    products = X @ C.T
    x_sq, c_sq = (X**2).sum(1), (C**2).sum(1)
    U, W, ws = np.empty_like(products), np.empty_like(products), np.empty(10)
    rows = []
    for m in (2.0, 1.5):
        args = (products, x_sq, c_sq, m, U, W, ws)
        fcm_memberships(*args)
        _fcm_memberships_prange(*args)
        t_serial, _ = median_time(lambda: fcm_memberships(*args), repeats)
        t_par, _ = median_time(lambda: _fcm_memberships_prange(*args), repeats)
        rows.append((f"FCM memberships {n_samples} x 10, m={m}", f"{t_serial * 1e3:.1f}",
                     f"{t_par * 1e3:.1f}", f"{t_par / t_serial:.2f}"))
    return rows


# ------------------------------------------------------------ spherical k-means


def spherical_objective(Xn, centers):
    C = normalize(centers)
    return float(np.sum(1.0 - (Xn @ C.T).max(1)))


def bench_spherical(X, K, n_init, repeats, label):
    """Median time over ``repeats`` seeds; mean and best objective over them."""
    Xn = normalize(X)
    SphericalKMeans(K, n_init=1, max_iter=2).fit(Xn[:200])  # JIT warm-up
    rows = []
    times = {}
    for name, make in [
        ("skdeepclust SphericalKMeans",
         lambda s: SphericalKMeans(K, n_init=n_init, random_state=s)),
        ("scikit-learn KMeans", lambda s: KMeans(K, n_init=n_init, random_state=s)),
    ]:
        seconds, objectives = [], []
        for seed in range(repeats):
            start = time.perf_counter()
            model = make(seed).fit(Xn)
            seconds.append(time.perf_counter() - start)
            objectives.append(spherical_objective(Xn, model.cluster_centers_))
        times[name] = float(np.median(seconds))
        rows.append([label, name, f"{times[name]:.3f}", "",
                     f"{np.mean(objectives):.6g}", f"{np.min(objectives):.6g}"])
    ours = times["skdeepclust SphericalKMeans"]
    rows[0][3] = "1.00"
    rows[1][3] = f"{ours / times['scikit-learn KMeans']:.2f} (ours / sklearn)"
    return [tuple(r) for r in rows]


# ------------------------------------------------------------------- quality


def bench_quality():
    X, y = load_digits(return_X_y=True)
    rows = []
    models = {
        "PAC (m=1.03)": lambda s: PAC(10, random_state=s),
        "FuzzyCMeans (m=1.1)": lambda s: FuzzyCMeans(10, m=1.1, random_state=s),
        "SphericalKMeans": lambda s: SphericalKMeans(10, random_state=s),
        "sklearn KMeans": lambda s: KMeans(10, n_init=10, random_state=s),
    }
    for name, make in models.items():
        make(0).fit(X[:100])
        scores, times = [], []
        for seed in range(3):
            start = time.perf_counter()
            labels = make(seed).fit_predict(X)
            times.append(time.perf_counter() - start)
            scores.append(clustering_report(y, labels))
        mean = {k: np.mean([s[k] for s in scores]) for k in scores[0]}
        std = {k: np.std([s[k] for s in scores]) for k in scores[0]}
        rows.append((name, f"{mean['acc']:.3f} +- {std['acc']:.3f}",
                     f"{mean['nmi']:.3f}", f"{mean['ari']:.3f}", f"{np.median(times):.2f}"))
    return rows


# ------------------------------------------------------------------- at scale


def mixture_rows(n_rows, seed, n_features=128, n_centres=50, noise=2.5):
    """Unit rows around 50 random directions with heavy noise (overlapping
    clusters, so that Lloyd iterations keep moving), float32."""
    centres = np.random.RandomState(12345).randn(n_centres, n_features)
    rng = np.random.RandomState(seed)
    X = centres[rng.randint(n_centres, size=n_rows)] + noise * rng.randn(n_rows, n_features)
    return normalize(X).astype(np.float32)


def cosine_objective(X, centers):
    """Sum over rows of the cosine similarity to the nearest normalised centre."""
    C = normalize(np.asarray(centers, dtype=np.float64)).astype(np.float32)
    total = 0.0
    for start in range(0, len(X), 50000):
        total += float((X[start:start + 50000] @ C.T).max(axis=1).sum(dtype=np.float64))
    return total


def bench_spherical_vs_faiss(n_rows, K, repeats):
    from threadpoolctl import threadpool_limits

    try:
        import faiss
    except ImportError:
        return [("faiss", "not installed")], []
    X = mixture_rows(n_rows, seed=0)
    equal, defaults = [], []
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        with threadpool_limits(threads):
            SphericalKMeans(K, max_iter=2).fit(X[:5000])  # JIT warm-up
            fits = {
                "equal": {
                    "SphericalKMeans": lambda s: SphericalKMeans(
                        K, n_init=10, max_iter=8, tol=0.0, random_state=s).fit(X),
                    "faiss": lambda s: faiss_fit(faiss, X, K, s, niter=8, nredo=10,
                                                 max_points_per_centroid=10**9),
                },
                "default": {
                    "SphericalKMeans": lambda s: SphericalKMeans(K, random_state=s).fit(X),
                    "faiss": lambda s: faiss_fit(faiss, X, K, s),
                    "scikit-learn KMeans": lambda s: KMeans(K, random_state=s).fit(X),
                },
            }
            for kind, competitors in fits.items():
                times = {}
                for name, fit in competitors.items():
                    seconds, objectives = [], []
                    for seed in range(repeats):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", ConvergenceWarning)
                            start = time.perf_counter()
                            centers = getattr(fit(seed), "cluster_centers_", None)
                            seconds.append(time.perf_counter() - start)
                        objectives.append(cosine_objective(X, centers))
                    times[name] = float(np.median(seconds))
                    row = [threads, name, f"{times[name]:.2f}", "",
                           f"{np.mean(objectives):.0f}"]
                    (equal if kind == "equal" else defaults).append(row)
                rows = equal if kind == "equal" else defaults
                for row in rows[-len(competitors):]:
                    row[3] = f"{times['SphericalKMeans'] / times[row[1]]:.2f}"
    return equal, defaults


class _FaissFit:
    def __init__(self, centers):
        self.cluster_centers_ = centers


def faiss_fit(faiss, X, K, seed, **params):
    model = faiss.Kmeans(X.shape[1], K, spherical=True, seed=seed + 1, **params)
    model.train(X)
    return _FaissFit(model.centroids)


def bench_seeding_large_k(n_rows, K):
    from skdeepclust.cluster._spherical_kmeans import spherical_kmeans_plusplus

    X = mixture_rows(n_rows, seed=1)
    spherical_kmeans_plusplus(X[:2000], 5, np.random.RandomState(0))  # JIT warm-up
    rows = []
    start = time.perf_counter()
    ours, _ = spherical_kmeans_plusplus(X, K, np.random.RandomState(0))
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs, _ = kmeans_plusplus(X, K, random_state=0)
    theirs_s = time.perf_counter() - start
    rows.append((f"{n_rows} x 128, K={K}", "skdeepclust spherical k-means++ (all rows)",
                 f"{ours_s:.1f}", "1.00", f"{cosine_objective(X, ours):.0f}"))
    rows.append(("", "scikit-learn kmeans_plusplus (all rows)", f"{theirs_s:.1f}",
                 f"{ours_s / theirs_s:.2f}", f"{cosine_objective(X, theirs):.0f}"))
    return rows


def write_rows(path, n_rows, chunk):
    """Runs in a child process: mixture rows written to a raw float32 file in chunks."""
    with open(path, "wb") as f:
        for index, start in enumerate(range(0, n_rows, chunk)):
            mixture_rows(min(chunk, n_rows - start), seed=1000 + index).tofile(f)


def _read_rows(path, start, stop, n_features):
    # plain reads, no memory map: pages of the file do not count in the RSS
    with open(path, "rb") as f:
        f.seek(start * n_features * 4)
        return np.fromfile(f, dtype=np.float32, count=(stop - start) * n_features).reshape(
            stop - start, n_features)


def dask_rows(path, n_rows, chunk, n_features=128):
    import dask
    import dask.array as da

    blocks = [da.from_delayed(dask.delayed(_read_rows)(path, start, min(start + chunk, n_rows),
                                                       n_features),
                              shape=(min(chunk, n_rows - start), n_features), dtype=np.float32)
              for start in range(0, n_rows, chunk)]
    return da.concatenate(blocks)


def dask_child(path, n_rows, chunk, K, max_iter):
    """Runs in a child process: a Dask fit of the file's rows; prints time and RSS."""
    SphericalKMeans(K, max_iter=2).fit(mixture_rows(2000, seed=5))  # JIT warm-up
    before = peak_rss_gb()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SphericalKMeans(K, max_iter=max_iter, random_state=0).fit(
            dask_rows(path, n_rows, chunk))
    seconds = time.perf_counter() - start
    print(f"RESULT {seconds:.2f} {peak_rss_gb():.3f} {before:.3f} {model.n_iter_} "
          f"{model.inertia_:.1f}")


def bench_dask(n_rows, subset_rows, chunk, K, max_iter, folder):
    path = str(Path(folder) / "rows.f32")
    subprocess.run([sys.executable, __file__, "--write-rows", path, str(n_rows), str(chunk)],
                   check=True)
    size_gb = os.path.getsize(path) / 1e9
    out = subprocess.run(
        [sys.executable, __file__, "--dask-child", path, str(n_rows), str(chunk), str(K),
         str(max_iter)], capture_output=True, text=True, check=True).stdout
    result = [line for line in out.splitlines() if line.startswith("RESULT")][0].split()
    full = {"seconds": float(result[1]), "peak_gb": float(result[2]),
            "before_gb": float(result[3]), "n_iter": int(result[4]), "size_gb": size_gb}
    # a subset that fits both ways: in memory against Dask from the file, as
    # float32 (the file) and as float64
    subset = []
    for dtype in (np.float32, np.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            memory_X = _read_rows(path, 0, subset_rows, 128).astype(dtype)
            start = time.perf_counter()
            memory = SphericalKMeans(K, random_state=0).fit(memory_X)
            memory_s = time.perf_counter() - start
            start = time.perf_counter()
            lazy = SphericalKMeans(K, random_state=0).fit(
                dask_rows(path, subset_rows, chunk).astype(dtype))
            lazy_s = time.perf_counter() - start
        subset.append({
            "n": subset_rows, "dtype": np.dtype(dtype).name, "memory_s": memory_s,
            "dask_s": lazy_s, "same_labels": bool(np.array_equal(memory.labels_, lazy.labels_)),
            "label_agreement": float(np.mean(memory.labels_ == lazy.labels_)),
            "centre_gap": float(np.abs(memory.cluster_centers_ - lazy.cluster_centers_).max()),
            "n_iter": (memory.n_iter_, lazy.n_iter_)})
    os.remove(path)
    return full, subset


def main_scale(args):
    import tempfile

    out = [
        "# Classical estimators at scale: benchmark results",
        "",
        f"Machine: {machine_description()}. Command: "
        f"`python benchmarks/bench_classical.py --scale --dask-rows {args.dask_rows}`. "
        "Data: unit rows around 50 random directions in 128-d with heavy noise "
        "(`mixture_rows`), float32. Times are medians of 3 runs (seeds 0-2).",
        "",
    ]

    section = section_printer(out)

    equal, defaults = bench_spherical_vs_faiss(200_000, 50, 3)
    header = ["threads", "implementation", "time (s)", "SphericalKMeans / this",
              "objective (sum of cosine similarities, higher is better)"]
    section("SphericalKMeans against faiss at equal iterations "
            "(200,000 x 128, K=50, 8 iterations, 10 restarts)",
            table(header, equal)
            + "\n\nfaiss: `faiss.Kmeans(128, 50, spherical=True, niter=8, nredo=10, "
            "max_points_per_centroid=10**9)` (every row used); SphericalKMeans: "
            "`SphericalKMeans(50, n_init=10, max_iter=8, tol=0)` (k-means++ seeding on "
            "`init_size=256*K` sampled rows, then every row; one more assignment pass "
            "for the best restart's labels).")
    section("Default fits (200,000 x 128, K=50)",
            table(header, defaults)
            + "\n\nDefaults: `SphericalKMeans(50)` (n_init='auto': 1 restart, up to 300 "
            "iterations, tol 1e-4); `faiss.Kmeans(128, 50, spherical=True)` (25 "
            "iterations, 1 restart, trained on a sample of 256 rows per centroid); "
            "`KMeans(50)` (n_init='auto': 1, Euclidean k-means on the unit rows).")
    section("k-means++ seeding at K=1,000 (BLAS with its default threads, one run)",
            table(["data", "implementation", "time (s)", "ours / this",
                   "objective of the seeds"], bench_seeding_large_k(100_000, 1000)))
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        full, subset = bench_dask(args.dask_rows, min(args.dask_rows, 1_000_000), 250_000,
                                  50, 10, folder)
    section(
        "Dask: SphericalKMeans on rows read from disk",
        table(["rows on disk", "file (GB)", "fit (s)", "iterations", "peak RSS (GB)",
               "RSS before the fit (GB)"],
              [(args.dask_rows, f"{full['size_gb']:.2f}", f"{full['seconds']:.1f}",
                full["n_iter"], f"{full['peak_gb']:.2f}", f"{full['before_gb']:.2f}")])
        + "\n\n`SphericalKMeans(50, max_iter=10)` on a Dask array of 250,000-row blocks "
        "read with `np.fromfile` (no memory map) in a child process; peak RSS is the "
        "child's VmHWM (the RSS before the fit is the imported libraries, torch among "
        "them). Below, default fits (to convergence) of the file's first rows, loaded "
        "in memory and as a Dask array of the same blocks.\n\n"
        + table(["subset rows", "dtype", "in memory (s)", "Dask (s)", "same labels",
                 "label agreement", "max |centre diff|", "iterations (memory, Dask)"],
                [(r["n"], r["dtype"], f"{r['memory_s']:.1f}", f"{r['dask_s']:.1f}",
                  r["same_labels"], f"{r['label_agreement']:.6f}", f"{r['centre_gap']:.1e}",
                  r["n_iter"]) for r in subset])
        + "\n\nThe two fits compute the same quantities in different groupings: the "
        "in-memory fit's chunks start at row 0, the Dask fit's at each block (and "
        "under the threads scheduler with one BLAS thread per block), and a BLAS "
        "product's last bits depend on both. In float32 a few rows that are nearly "
        "tied between two centres can then change sides; in float64 the rounding "
        "stays far below the ties.")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "classical_scale.md").write_text("\n".join(out))
    print(f"\nwrote {RESULTS / 'classical_scale.md'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--scale", action="store_true",
                        help="only the scale sections (faiss, K=1000 seeding, Dask)")
    parser.add_argument("--dask-rows", type=int, default=8_000_000,
                        help="rows written to disk for the Dask fit (128 float32 each)")
    parser.add_argument("--folder", default=None, help="where the Dask data file goes")
    parser.add_argument("--pac-child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--write-rows", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--dask-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pac_child:
        pac_child(*args.pac_child)
        return
    if args.write_rows:
        write_rows(args.write_rows[0], int(args.write_rows[1]), int(args.write_rows[2]))
        return
    if args.dask_child:
        path, *numbers = args.dask_child
        dask_child(path, *map(int, numbers))
        return
    if args.scale:
        main_scale(args)
        return
    quick = args.quick
    repeats = 3 if quick else 5
    out = [
        "# Classical estimators: benchmark results",
        "",
        f"Machine: {machine_description()}. "
        f"Command: `python benchmarks/bench_classical.py{' --quick' if quick else ''}`. "
        f"Times are medians of {repeats} runs unless stated.",
        "",
    ]

    section = section_printer(out)

    n_large = 10000 if quick else 70000
    r_large = bench_pac_large(n_large, 20)
    n_sweep = 4000 if quick else 20000
    r = bench_pac_sweep(n_sweep, repeats)
    section(
        "PAC: one sweep, O(N K D) against O(N^2 K)",
        table(["data", "O(N^2 K) sweep (s)", "skdeepclust sweep (s)", "speed-up",
               "same labels after 3 sweeps", "max |P diff|"],
              [(f"{r['n']} x 784 jittered digits, K=10, m=1.03", f"{r['naive_s']:.3f}",
                f"{r['fast_s']:.4f}", f"{r['ratio']:.1f}x", r["same_labels"],
                f"{r['max_diff']:.1e}")])
        + f"\n\nThe library also recomputes its cluster aggregates with BLAS every 10 "
        f"sweeps ({r['refresh_s'] * 1e3:.0f} ms here, not counted above). "
        f"The O(N^2 K) sweep needs the {r['matrix_gb']:.1f} GB distance matrix, "
        f"which took {r['distance_s']:.1f} s to compute with BLAS (not counted above). "
        "Both sweeps are numba-compiled and single-threaded; the naive one is the "
        "library's `metric='precomputed'` kernel, a direct loop over Eq. 8.",
    )

    r = r_large
    section(
        "PAC: large fit (child process)",
        table(["data", "sweeps", "fit time (s)", "peak RSS of the process (GB)",
               "RSS before fit (GB)", "ACC"],
              [(f"{r['n']} x 784 jittered digits", r["sweeps"], f"{r['seconds']:.1f}",
                f"{r['peak_gb']:.2f}", f"{r['before_fit_gb']:.2f}", f"{r['acc']:.3f}")])
        + f"\n\nThe O(N^2) algorithm would need a {r['n']**2 * 8 / 1e9:.0f} GB distance matrix.",
    )

    section(
        "PAC: full default fits next to the paper's reported times",
        table(["data", "fit time (s)", "sweeps", "paper (s)", "paper / ours"],
              bench_pac_paper_shapes(quick))
        + "\n\nThe paper's times come from the authors' own code and hardware; the data "
        "here only share the shape (Pendigits and MNIST are not available offline).",
    )

    rows = []
    n_fcm = 20000 if quick else 200000
    X_blobs, _ = make_blobs(n_fcm, n_features=32, centers=10, random_state=0)
    rows += bench_fcm(X_blobs, 10, 30, repeats, f"blobs {n_fcm} x 32, K=10")
    X_digits = load_digits().data
    # m = 1.1 as the PAC paper uses for FCM on real data: at m = 2 the 64-d
    # digits make several centres coincide.
    rows += bench_fcm(X_digits, 10, 30, repeats, "digits 1797 x 64, K=10, m=1.1", m=1.1)
    section(
        "FuzzyCMeans against scikit-fuzzy and fuzzy-c-means (30 iterations; m=2 unless stated)",
        table(["data", "implementation", "time (s)", "time / ours", "J_m of final centres",
               "max |centre diff| to ours"], rows)
        + "\n\nAll start from the same memberships (those of k-means++ seeds) and run "
        "the same number of centre updates; `J_m` is evaluated by one function on each "
        "implementation's final centres.",
    )

    rows = []
    n_sph = 20000 if quick else 200000
    X_sph, _ = make_blobs(n_sph, n_features=32, centers=10, random_state=1)
    rows += bench_spherical(X_sph, 10, 10, repeats, f"blobs {n_sph} x 32, K=10")
    rows += bench_spherical(load_digits().data, 10, 10, repeats, "digits 1797 x 64, K=10")
    section(
        "SphericalKMeans against scikit-learn KMeans on L2-normalised rows (n_init=10)",
        table(["data", "implementation", "time (s)", "ratio", "mean objective",
               "best objective"], rows)
        + f"\n\nSpherical objective: sum of cosine distances of each row to its nearest "
        f"normalised centre (lower is better), mean and best over {repeats} seeds.",
    )

    section(
        "Serial against prange kernels",
        table(["kernel", "serial (ms)", "prange (ms)", "prange / serial"],
              bench_prange(20000 if quick else 200000, repeats))
        + "\n\nThe library ships the serial kernels (see the notes in each kernel).",
    )

    section(
        "Quality on scikit-learn digits (1797 x 64, 3 seeds)",
        table(["method", "ACC", "NMI", "ARI", "time (s)"], bench_quality()),
    )

    RESULTS.mkdir(exist_ok=True)
    name = "classical_quick.md" if quick else "classical.md"
    (RESULTS / name).write_text("\n".join(out))
    print(f"\nwrote {RESULTS / name}")


if __name__ == "__main__":
    main()
