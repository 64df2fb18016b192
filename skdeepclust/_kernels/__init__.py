"""Numba kernels: one iteration per call, into buffers the caller allocated.

This package imports nothing from scikit-learn; the estimators in
:mod:`skdeepclust.cluster` own the loops, tolerances and warnings.
"""
