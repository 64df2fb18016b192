"""Training data on the device or on the host (``data_location``), and memmaps."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skdeepclust import CCClusterer, DPACClusterer


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=160, centers=3, n_features=6, random_state=0)
    return X.astype(np.float32)


@pytest.mark.parametrize("estimator", [
    CCClusterer(n_clusters=3, max_epochs=2, batch_size=32, random_state=0),
    DPACClusterer(n_clusters=3, pretrain_epochs=1, max_epochs=2, batch_size=32,
                  random_state=0),
])
def test_host_resident_batches_train_exactly_as_device_resident(blobs, estimator):
    device = estimator.set_params(data_location="device").fit(blobs)
    labels, history = device.labels_.copy(), device.history_
    host = estimator.set_params(data_location="host").fit(blobs)
    np.testing.assert_array_equal(host.labels_, labels)
    assert [h["train_loss"] for h in host.history_] == [h["train_loss"] for h in history]


def test_bad_data_location_is_rejected(blobs):
    with pytest.raises(ValueError, match="data_location"):
        CCClusterer(n_clusters=3, data_location="disk").fit(blobs)


CHILD = textwrap.dedent("""
    import sys, threading, time
    import numpy as np, torch
    from skdeepclust import CCClusterer

    torch.set_num_threads(1)

    def rss_anon_mb():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024

    def peak_growth(fit):
        before = rss_anon_mb()
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_anon_mb())
                time.sleep(0.002)

        thread = threading.Thread(target=sample)
        thread.start()
        fit()
        done.set()
        thread.join()
        return peak[0] - before

    path, n_small, n_large = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    images = np.memmap(path, dtype=np.uint8, mode="r", shape=(n_large, 28, 28))
    backbone = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 16))
    backbone.feature_dim = 16
    model = CCClusterer(n_clusters=4, max_epochs=1, batch_size=256, backbone=backbone,
                        augment=lambda x: x + 0.01 * torch.randn_like(x),
                        data_location="host", random_state=0)
    model.fit(images[:2048])  # warm-up (imports, allocator)
    small = peak_growth(lambda: model.fit(images[:n_small]))
    large = peak_growth(lambda: model.fit(images))
    print("RESULT", small, large, len(model.labels_))
""")


@pytest.mark.slow
def test_memmap_trains_without_a_copy_in_memory(tmp_path):
    # 240,000 28x28 uint8 images on disk (188 MB); fits on the first 40,000 and
    # on all of them differ by 200,000 images (157 MB of uint8, 627 MB as float32)
    n_small, n_large = 40_000, 240_000
    path = tmp_path / "images.u8"
    rng = np.random.RandomState(0)
    with open(path, "wb") as f:
        for _ in range(6):
            rng.randint(0, 256, size=(n_large // 6, 28, 28), dtype=np.uint8).tofile(f)
    extra_mb = (n_large - n_small) * 28 * 28 / 2**20
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(n_small),
                          str(n_large)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [row for row in out.stdout.splitlines() if row.startswith("RESULT")][0]
    small, large, n_labels = line.split()[1:]
    assert int(n_labels) == n_large
    # the process's own (anonymous) memory at its peak grows with the number of
    # samples only by the outputs (embedding, probabilities, labels: 88 bytes a
    # sample) and the k-means prediction rule's working copy of the embedding
    # (64 bytes a sample; 30 MB in all here), not by a copy of the data (157 MB
    # or more); the memmap's pages are the kernel's page cache, which it can drop.
    # The peak that the sampling thread catches varies from run to run: 28 to 48 MB
    # measured on one machine, hence the bound at half the smallest copy (uint8)
    assert float(large) - float(small) < 0.5 * extra_mb, (small, large, extra_mb)
