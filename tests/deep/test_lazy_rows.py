"""Lazy array-likes of rows (h5py- or zarr-like) read batch by batch."""

import numpy as np
import pytest

from skdeepclust import CCClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.deep._input import LazyRows, infer_spec, is_row_source


class RowStore:
    """An h5py-like dataset: slices and increasing integer arrays only, and it
    counts the rows it serves (so a test sees nothing is read whole)."""

    def __init__(self, array):
        self._array = array
        self.shape = array.shape
        self.dtype = array.dtype
        self.reads = []

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, np.ndarray):
            assert index.ndim == 1 and np.all(np.diff(index) > 0), "h5py needs increasing"
        elif not isinstance(index, slice):
            raise TypeError(f"unsupported index {type(index).__name__}")
        rows = self._array[index]
        self.reads.append(len(rows))
        return rows


@pytest.fixture(scope="module")
def digits():
    images, _ = load_digit_images()
    return images[:600]


def test_what_counts_as_a_row_source(digits):
    import scipy.sparse as sp
    import torch

    assert is_row_source(RowStore(digits))
    assert not is_row_source(digits)
    assert not is_row_source(sp.csr_matrix(digits.reshape(600, -1)))
    assert not is_row_source(torch.as_tensor(digits))
    assert not is_row_source([[1.0, 2.0]])


def test_lazy_rows_give_the_network_layout():
    rng = np.random.RandomState(0)
    array = rng.uniform(size=(10, 6, 5, 3))  # channels last, float64
    rows = LazyRows(RowStore(array), infer_spec(array))
    assert rows.shape == (10, 3, 6, 5) and rows.dtype == np.float32 and len(rows) == 10
    np.testing.assert_array_equal(rows[np.array([1, 4])],
                                  np.moveaxis(array[[1, 4]], -1, 1).astype(np.float32))
    bad = array.copy()
    bad[7, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LazyRows(RowStore(bad), infer_spec(bad))[5:10]


@pytest.mark.parametrize("data_location", ["auto", "device"])
def test_fit_on_a_lazy_source_equals_the_in_memory_fit(digits, data_location):
    params = dict(n_clusters=10, max_epochs=2, batch_size=64, random_state=0)
    memory = CCClusterer(data_location="host", **params).fit(digits)
    store = RowStore(digits)
    lazy = CCClusterer(data_location=data_location, **params).fit(store)
    np.testing.assert_array_equal(lazy.labels_, memory.labels_)
    if data_location == "auto":
        # training gathered every batch from the source (2 epochs x 9 batches)
        assert store.reads.count(64) == 2 * (len(digits) // 64)
    else:
        # "device" reads it whole once, to move it
        assert store.reads.count(64) == 0 and len(digits) in store.reads
    np.testing.assert_array_equal(lazy.predict(RowStore(digits[:50])),
                                  memory.predict(digits[:50]))
    np.testing.assert_allclose(lazy.transform(RowStore(digits[:50])),
                               memory.transform(digits[:50]), rtol=1e-6, atol=1e-6)


def test_lazy_source_errors_are_clear(digits):
    model = CCClusterer(n_clusters=3, max_epochs=1, batch_size=32, random_state=0)
    bad = digits.astype(np.float32)
    bad[100, 2, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.fit(RowStore(bad))
    model.fit(RowStore(digits[:100]))
    with pytest.raises(ValueError, match="samples of shape"):
        model.predict(RowStore(np.zeros((5, 7, 7), dtype=np.uint8)))
