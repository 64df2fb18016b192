import numpy as np
import pytest
from sklearn.datasets import make_blobs


@pytest.fixture(scope="module")
def blobs(request):
    """Four Gaussian blobs in 8-D, float32; a module sets ``BLOB_SAMPLES`` to resize."""
    n_samples = getattr(request.module, "BLOB_SAMPLES", 240)
    X, y = make_blobs(n_samples=n_samples, centers=4, n_features=8, cluster_std=1.5,
                      random_state=0)
    return X.astype(np.float32), y
