"""Geometric transforms: one affine matrix per image, one grid_sample per view."""

import math

import torch
import torch.nn.functional as F

from ._sampling import _bernoulli, _uniform


def warp(x, theta):
    """Resample images through per-image affine maps.

    Parameters
    ----------
    x : Tensor of shape (B, C, H, W)
    theta : Tensor of shape (B, 2, 3)
        Maps output coordinates to input coordinates, both normalised to
        [-1, 1] (the ``affine_grid`` convention). Outside pixels are zero.
    """
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def resized_crop_theta(n, scale, ratio, flip_p, generator, device):
    """Affine maps of random resized crops (and flips), as torchvision draws them.

    The crop covers a fraction ``U(scale)`` of the image area with aspect
    ratio log-uniform in ``ratio``, lies inside the image, and is resized to
    the full output; with probability ``flip_p`` it is mirrored.

    Returns
    -------
    theta : Tensor of shape (n, 2, 3)
    """
    area = _uniform(n, scale[0], scale[1], generator, device)
    log_ratio = _uniform(n, math.log(ratio[0]), math.log(ratio[1]), generator, device)
    aspect = torch.exp(log_ratio)
    width = torch.sqrt(area * aspect).clamp(max=1.0)
    height = torch.sqrt(area / aspect).clamp(max=1.0)
    # centres such that the box stays inside [-1, 1]
    cx = (1.0 - width) * _uniform(n, -1.0, 1.0, generator, device)
    cy = (1.0 - height) * _uniform(n, -1.0, 1.0, generator, device)
    flip = torch.where(_bernoulli(n, flip_p, generator, device), -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = width * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = height
    theta[:, 1, 2] = cy
    return theta

def compose_theta(outer, inner):
    """Map applying ``inner`` to output coordinates, then ``outer``."""
    n = outer.shape[0]
    a = torch.zeros(n, 3, 3, device=outer.device)
    b = torch.zeros(n, 3, 3, device=outer.device)
    a[:, :2], b[:, :2] = outer, inner
    a[:, 2, 2] = b[:, 2, 2] = 1.0
    return (a @ b)[:, :2]


def affine_theta(n, degrees, translate, scale, shear, generator, device):
    """Affine maps with random rotation, translation, scale and shear.

    Parameters
    ----------
    degrees : float
        Rotation drawn from U(-degrees, degrees).
    translate : float
        Shift drawn from U(-translate, translate) of the image size, per axis.
    scale : (float, float)
        Zoom factor range.
    shear : float
        Shear angle (degrees) drawn from U(-shear, shear), along x.

    Returns
    -------
    theta : Tensor of shape (n, 2, 3)
    """
    angle = torch.deg2rad(_uniform(n, -degrees, degrees, generator, device))
    shear_angle = torch.deg2rad(_uniform(n, -shear, shear, generator, device))
    zoom = _uniform(n, scale[0], scale[1], generator, device)
    tx = 2.0 * _uniform(n, -translate, translate, generator, device)
    ty = 2.0 * _uniform(n, -translate, translate, generator, device)
    cos, sin, tan = torch.cos(angle), torch.sin(angle), torch.tan(shear_angle)
    # rotation @ shear, divided by zoom (the map goes from output to input)
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = cos / zoom
    theta[:, 0, 1] = (cos * tan - sin) / zoom
    theta[:, 1, 0] = sin / zoom
    theta[:, 1, 1] = (sin * tan + cos) / zoom
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    return theta
