"""Helpers shared by the deep estimator tests."""

from skorch.callbacks import Callback


class Record(Callback):
    """Keeps ``read(net)`` at every epoch end, for a test to look at."""

    def __init__(self, read):
        self.read = read
        self.seen = []

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(self.read(net))
