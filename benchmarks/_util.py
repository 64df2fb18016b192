"""Helpers shared by the benchmark scripts."""

import os
import platform
import time

import numpy as np


def machine_description():
    """CPU model, cores, Python, numpy and its BLAS kernel, for a results header.

    Timings (and, for the deep estimators, the float rounding that a seed's
    training follows) depend on the CPU and on the kernel BLAS picks for it,
    so each results file names them.
    """
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f
                     if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    blas = ""
    try:
        from threadpoolctl import threadpool_info

        kernels = [f"{info['internal_api']} {info.get('architecture', '')}".strip()
                   for info in threadpool_info() if info["user_api"] == "blas"]
        blas = f" (BLAS: {', '.join(sorted(set(kernels)))})" if kernels else ""
    except ImportError:
        pass
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}{blas}")


def median_time(fn, repeats, warmup=False):
    """Median wall time of ``fn()`` over ``repeats`` calls, and its last result."""
    if warmup:
        fn()
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def table(header, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section_printer(out):
    """A ``section(title, text)`` function: prints a Markdown section and
    appends its lines to the list ``out`` (the results file's lines)."""

    def section(title, text):
        print(f"\n## {title}\n\n{text}", flush=True)
        out.extend([f"## {title}", "", text, ""])

    return section
