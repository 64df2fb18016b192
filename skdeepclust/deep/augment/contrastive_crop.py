"""ContrastiveCrop (Peng et al., CVPR 2022): crops inside per-image object boxes.

Used by CCESClusterer: boxes from the backbone's last feature map, crop
centres drawn from Beta(alpha, alpha) inside them.
"""

import math

import torch
from skorch.callbacks import Callback

from ._sampling import _bernoulli, _beta, _uniform


def contrastive_crop_theta(boxes, scale, ratio, flip_p, alpha, generator):
    """Affine maps of ContrastiveCrop's crops (Peng et al., CVPR 2022).

    Crop sizes are drawn as for a random resized crop; the crop centre is
    drawn inside the sample's box with each coordinate ``box_start +
    box_size * Beta(alpha, alpha)`` (alpha = 0.1 puts most centres near the
    box's edges, spreading the crops over the object), then moved so that
    the crop stays inside the image.

    Parameters
    ----------
    boxes : Tensor of shape (n, 4)
        Per-sample boxes (x0, y0, x1, y1) in [0, 1] image coordinates.
    scale, ratio : (float, float)
        Area and aspect-ratio ranges of the crops.
    flip_p : float
        Probability of a horizontal flip.
    alpha : float
        Parameter of the symmetric Beta distribution of the centres.
    generator : torch.Generator

    Returns
    -------
    theta : Tensor of shape (n, 2, 3)
    """
    n, device = boxes.shape[0], boxes.device
    area = _uniform(n, scale[0], scale[1], generator, device)
    aspect = torch.exp(_uniform(n, math.log(ratio[0]), math.log(ratio[1]), generator, device))
    width = torch.sqrt(area * aspect).clamp(max=1.0)  # fractions of the image side
    height = torch.sqrt(area / aspect).clamp(max=1.0)
    centre_x = boxes[:, 0] + (boxes[:, 2] - boxes[:, 0]) * _beta(n, alpha, generator, device)
    centre_y = boxes[:, 1] + (boxes[:, 3] - boxes[:, 1]) * _beta(n, alpha, generator, device)
    centre_x = torch.minimum(torch.maximum(centre_x, width / 2), 1 - width / 2)
    centre_y = torch.minimum(torch.maximum(centre_y, height / 2), 1 - height / 2)
    flip = torch.where(_bernoulli(n, flip_p, generator, device), -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = width * flip
    theta[:, 0, 2] = 2 * centre_x - 1  # to [-1, 1] coordinates
    theta[:, 1, 1] = height
    theta[:, 1, 2] = 2 * centre_y - 1
    return theta


def boxes_from_feature_maps(feature_maps, threshold=0.1):
    """ContrastiveCrop's object boxes from the last convolutional maps.

    The maps are summed over channels, min-max normalised per image, and the
    box is the bounding box of the cells above ``threshold``, in [0, 1]
    image coordinates (the paper upsamples the heat map to the image size
    first; the box of the cells is the same up to the cell size).

    Parameters
    ----------
    feature_maps : Tensor of shape (n, C, h, w)
    threshold : float, default=0.1

    Returns
    -------
    boxes : Tensor of shape (n, 4)
        (x0, y0, x1, y1); the whole image where no cell passes.
    """
    heat = feature_maps.float().sum(dim=1)  # (n, h, w)
    low = heat.amin(dim=(1, 2), keepdim=True)
    high = heat.amax(dim=(1, 2), keepdim=True)
    heat = (heat - low) / (high - low).clamp_min(1e-12)
    hot = heat > threshold
    n, h, w = hot.shape
    rows = hot.any(dim=2)  # (n, h)
    cols = hot.any(dim=1)  # (n, w)
    row_index = torch.arange(h, device=hot.device)
    col_index = torch.arange(w, device=hot.device)
    y0 = torch.where(rows, row_index, h).amin(dim=1)
    y1 = torch.where(rows, row_index, -1).amax(dim=1) + 1
    x0 = torch.where(cols, col_index, w).amin(dim=1)
    x1 = torch.where(cols, col_index, -1).amax(dim=1) + 1
    boxes = torch.stack([x0 / w, y0 / h, x1 / w, y1 / h], dim=1).float()
    empty = ~rows.any(dim=1)
    boxes[empty] = torch.tensor([0.0, 0.0, 1.0, 1.0], device=hot.device)
    return boxes


class ContrastiveCropBoxes(Callback):
    """Recompute each training image's ContrastiveCrop box every few epochs.

    Boxes start as the whole image. From epoch ``warmup`` on, every
    ``interval`` epochs, the un-augmented training images go through the
    backbone and each box becomes the bounding box of the last feature map's
    hot region (:func:`~skdeepclust.deep.augment.boxes_from_feature_maps`).
    The boxes live in ``net.fit_state_["boxes"]`` (on the device).

    Parameters
    ----------
    interval : int
    warmup : int
    threshold : float
    batch_size : int, default=512
    """

    def __init__(self, interval, warmup, threshold, batch_size=512):
        self.interval = interval
        self.warmup = warmup
        self.threshold = threshold
        self.batch_size = batch_size

    def on_train_begin(self, net, **kwargs):
        # no boxes until the first localisation: the views are plain random
        # resized crops until then, as in ContrastiveCrop's reference code
        net.fit_state_.pop("boxes", None)

    def on_epoch_begin(self, net, **kwargs):
        epoch = net.epoch
        encoder = net.module_.encoder
        if (epoch < self.warmup or (epoch - self.warmup) % self.interval
                or not encoder.has_feature_map):
            return
        net.fit_state_["boxes"] = net.eval_pass(
            net.train_data_,
            lambda x: boxes_from_feature_maps(encoder.feature_map(x), self.threshold),
            self.batch_size)
