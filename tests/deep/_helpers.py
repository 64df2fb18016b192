"""Helpers shared by the deep estimator tests."""

from skorch.callbacks import Callback


class Record(Callback):
    """Keeps ``read(net)`` at every epoch end, for a test to look at."""

    def __init__(self, read):
        self.read = read
        self.seen = []

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(self.read(net))


class InterruptAt(Callback):
    """Raises KeyboardInterrupt at the end of epoch ``epoch`` (from 1), like Ctrl-C."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt
