"""
What the view policies do to an image
=====================================

The contrastive and BYOL estimators learn that two random views of an image
belong together, so the views decide what the features ignore. Here are a few
views of one colour digit from :func:`~skdeepclust.datasets.make_colour_digits`
under ``augment="simclr"`` (what ``"auto"`` picks for colour images) and under
``augment="colour_invariant"``.

SimCLR's views keep most of an image's ink and ground colours, so two images
can be told apart by colour alone; on this data set, whose colours and
polarity (light on dark or dark on light) are random, CCClusterer's clusters
then follow colour, not digits (0.16 ACC). ``"colour_invariant"`` makes half
of the views grey and half of them negatives and drops SimCLR's mirror image,
so that only the shape is left to match (0.74 ACC with the same budget;
``benchmarks/results/views.md``).
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from skdeepclust.datasets import make_colour_digits
from skdeepclust.deep.augment import ImageViews

images, labels = make_colour_digits(n_samples=3, random_state=1)
n_views = 6
fig, axes = plt.subplots(2 * len(images), n_views + 1, figsize=(8, 8.5))
for row, image in enumerate(images):
    # (H, W, C) uint8 -> a batch of the same image, (B, C, H, W) in [0, 1]
    batch = torch.from_numpy(image).permute(2, 0, 1).float().div(255)
    batch = batch.expand(n_views, -1, -1, -1).contiguous()
    for offset, policy in enumerate(("simclr", "colour_invariant")):
        views = ImageViews(policy)(batch, torch.Generator().manual_seed(row))
        line = axes[2 * row + offset]
        line[0].imshow(image)
        line[0].set_title(f"digit {labels[row]}", fontsize=7)
        line[1].set_title(f'augment="{policy}"', fontsize=7, loc="left")
        for col, view in enumerate(views, start=1):
            line[col].imshow(np.clip(view.permute(1, 2, 0).numpy(), 0, 1))
for axis in axes.ravel():
    axis.axis("off")
fig.tight_layout()
plt.show()
