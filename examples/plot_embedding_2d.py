"""
The learned embedding in two dimensions
=======================================

``transform`` returns the space a deep estimator clusters in (for
:class:`~skdeepclust.CCClusterer`, the backbone's features). Projected to two
dimensions with PCA and coloured by the predicted cluster, it shows how far
apart the clusters lie; the raw pixels are shown for comparison.
"""

import matplotlib.pyplot as plt
import torch
from sklearn.decomposition import PCA

from skdeepclust import CCClusterer
from skdeepclust.datasets import load_digit_images

torch.set_num_threads(1)
images, y = load_digit_images()
model = CCClusterer(n_clusters=10, max_epochs=25, batch_size=64, random_state=0)
labels = model.fit_predict(images)
features = model.transform(images)
print("embedding:", features.shape)

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, data, title in [(axes[0], images.reshape(len(images), -1), "raw pixels"),
                        (axes[1], features, "CCClusterer embedding")]:
    points = PCA(n_components=2, random_state=0).fit_transform(data)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=4)
    ax.set(title=f"{title} (PCA), coloured by cluster", xticks=[], yticks=[])
fig.tight_layout()
plt.show()
