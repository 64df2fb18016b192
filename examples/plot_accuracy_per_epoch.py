"""
Clustering accuracy per epoch from ``history_``
===============================================

A :class:`~skdeepclust.deep.ClusteringScore` callback scores the clustering of
a labelled set after every epoch and writes it to the history next to the
losses, so a fit's progress can be plotted from ``history_``. Here
:class:`~skdeepclust.CCClusterer` trains for 25 epochs on 8x8 digits.
"""

import matplotlib.pyplot as plt
import torch

from skdeepclust import CCClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.deep import ClusteringScore

torch.set_num_threads(1)
images, y = load_digit_images()
model = CCClusterer(n_clusters=10, max_epochs=25, batch_size=64, random_state=0,
                    callbacks=[ClusteringScore(images, y)])
model.fit(images)

epochs = [h["epoch"] for h in model.history_]
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
left.plot(epochs, [h["acc"] for h in model.history_], marker="o")
left.set(xlabel="epoch", ylabel="ACC", title="Clustering accuracy")
for term in ("instance", "cluster"):
    right.plot(epochs, [h[term] for h in model.history_], label=term)
right.set(xlabel="epoch", ylabel="loss", title="Loss terms")
right.legend()
fig.tight_layout()
plt.show()
print(f"final ACC {model.history_[-1]['acc']:.3f}")
