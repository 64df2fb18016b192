"""Helpers shared by the benchmark scripts."""

import time

import numpy as np


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
