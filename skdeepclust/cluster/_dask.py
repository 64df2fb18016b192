"""Dask arrays of rows for the classical estimators.

``dask`` is an optional dependency (``pip install skdeepclust[dask]``): it is
imported only when a Dask array is given. A fit maps the same per-chunk
functions as the in-memory fit over the array's row blocks, with whatever
scheduler is active (threads by default, or a ``dask.distributed`` client),
and adds up the per-cluster sums in block order, so only one block per worker
and the (n_clusters, n_features) sums are ever in memory.
"""

import numpy as np


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    return type(X).__module__.startswith("dask.array") and hasattr(X, "to_delayed")


def check_dask_rows(estimator, X, reset):
    """Validate a Dask array of rows; returns it with one block along the columns.

    Checks what can be checked without reading the data: 2-D, known row-block
    sizes, a numeric dtype (other than float32/float64: cast to float64
    lazily), the number of features against ``n_features_in_`` (or sets it
    when ``reset``), and at least ``n_clusters`` rows at fit time. Non-finite
    values are found block by block while the data are read (see
    :func:`finite_block`).
    """
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D Dask array of rows, got {X.ndim} dimensions.")
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "The Dask array has unknown row-block sizes; call "
            "X.compute_chunk_sizes() first.")
    if X.dtype not in (np.float32, np.float64):
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise ValueError(f"Dask array of dtype {X.dtype} is not numeric data.")
        X = X.astype(np.float64)
    X = X.rechunk({1: -1})
    n_samples, n_features = X.shape
    if reset:
        from ._base import check_n_clusters  # (_base imports this module)

        check_n_clusters(estimator.n_clusters, n_samples)
        estimator.n_features_in_ = n_features
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input.")
    return X


def finite_block(block):
    """The block, after checking that it holds no NaN or infinity."""
    if not np.all(np.isfinite(block)):
        raise ValueError("Input X contains NaN or infinity.")
    return block


def row_offsets(X):
    """First row of each row block."""
    return np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(np.int64)


def map_row_blocks(function, X, *args):
    """``function(block, *args)`` for every row block, in block order.

    Computed with the active Dask scheduler; ``args`` (centres and the like)
    travel with every task. Under the default local threads scheduler BLAS
    is limited to one thread per task while the blocks run.
    """
    import dask
    from threadpoolctl import threadpool_limits

    blocks = X.to_delayed().ravel()
    tasks = [dask.delayed(function)(block, *args) for block in blocks]
    if dask.config.get("scheduler", None) in (None, "threads", "threading"):
        # the local threads run blocks side by side: one BLAS thread each, as
        # the in-memory fit's threads (not threads x BLAS threads on the cores)
        with threadpool_limits(limits=1, user_api="blas"):
            return list(dask.compute(*tasks))
    return list(dask.compute(*tasks))


def rows(X, index):
    """``X[index]`` as an in-memory array (computed when ``X`` is a Dask array)."""
    selected = X[index]
    return selected.compute() if is_dask_array(selected) else selected
