"""
Clusters of handwritten digits found by DPAC
============================================

:class:`~skdeepclust.DPACClusterer` on scikit-learn's 1,797 real 8x8 digits
with a short budget (15 epochs of contrastive pre-training, 15 of clustering;
the default is 100 + 100), then a few images of every cluster it found. Each
row of the grid is one cluster; its title gives the cluster's size and the
share of its most frequent digit.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from skdeepclust import DPACClusterer
from skdeepclust.datasets import load_digit_images
from skdeepclust.metrics import clustering_report

torch.set_num_threads(1)
images, y = load_digit_images()
model = DPACClusterer(n_clusters=10, pretrain_epochs=15, max_epochs=30, random_state=0)
labels = model.fit_predict(images)
print({name: round(value, 3) for name, value in clustering_report(y, labels).items()})

# %%
# Eight images of each cluster, clusters ordered by their most frequent digit.
rng = np.random.RandomState(0)
majority = [np.bincount(y[labels == k], minlength=10).argmax() for k in range(10)]
fig, axes = plt.subplots(10, 8, figsize=(6, 8))
for row, k in enumerate(np.argsort(majority)):
    members = np.flatnonzero(labels == k)
    purity = np.mean(y[members] == majority[k])
    axes[row, 0].set_title(f"{members.size} images, {purity:.0%} '{majority[k]}'",
                           fontsize=7, loc="left")
    for col, index in enumerate(rng.choice(members, size=8, replace=members.size < 8)):
        axes[row, col].imshow(images[index], cmap="gray_r")
        axes[row, col].axis("off")
fig.tight_layout()
plt.show()
