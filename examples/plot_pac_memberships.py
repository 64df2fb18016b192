"""
PAC memberships on two-dimensional data
=======================================

:class:`~skdeepclust.PAC` (probability aggregation clustering) gives every
sample a membership to each cluster without computing centres. On three
overlapping blobs, the left panel colours each point by its cluster, the
right one by its largest membership: points between blobs are the uncertain
ones. ``m`` close to 1 (the default 1.03) gives nearly hard memberships.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs

from skdeepclust import PAC

X, y = make_blobs(n_samples=600, centers=3, cluster_std=1.6, random_state=2)
pac = PAC(n_clusters=3, m=1.1, random_state=0).fit(X)
memberships = pac.predict_proba(X)

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
axes[0].scatter(X[:, 0], X[:, 1], c=pac.labels_, cmap="tab10", s=8)
axes[0].set_title("PAC clusters")
points = axes[1].scatter(X[:, 0], X[:, 1], c=memberships.max(axis=1), cmap="viridis", s=8)
axes[1].set_title("largest membership (m=1.1)")
fig.colorbar(points, ax=axes[1])
fig.tight_layout()
plt.show()
print("memberships of the first three points:\n", memberships[:3].round(3))
