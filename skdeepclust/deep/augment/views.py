"""View makers: a policy applied to a batch, the weak/strong pair, tabular views."""

from dataclasses import replace

import torch

from ._sampling import _rand, _randn
from .contrastive_crop import contrastive_crop_theta
from .geometry import affine_theta, compose_theta, resized_crop_theta, warp
from .photometric import (color_jitter, gaussian_blur, gaussian_noise, random_grayscale,
                          random_invert)
from .policies import auto_policy, resolve_policy
from .randaugment import rand_augment

# ------------------------------------------------------------------ view makers


class ImageViews:
    """Random views of (B, C, H, W) images in [0, 1], following a policy.

    Parameters
    ----------
    policy : str or ViewPolicy, default="simclr"
        A name from :data:`VIEW_POLICIES` ("simclr", "crop_affine", "affine",
        "strokes", "colour_invariant") or a policy.
    strong : bool, default=False
        Add RandAugment-like operations and cutout (FixMatch's recipe).
    n_ops : int, default=2
        Operations per image for the strong view.
    blur : bool or None, default=None
        Force the Gaussian blur (p=0.5) on or off; None follows the policy.
    crop_scale : (float, float) or None, default=None
        Override the policy's crop area range.
    noise : float or None, default=None
        Override the policy's pixel noise.
    crop : bool or None, default=None
        Override whether the policy crops (with ``crop_scale``, else the
        policy's range or 0.2-1).
    crop_alpha : float, default=0.1
        Beta parameter of the ContrastiveCrop centres, used when the call
        passes per-sample ``boxes``.

    Examples
    --------
    >>> import torch
    >>> from skdeepclust.deep.augment import ImageViews
    >>> views = ImageViews("simclr")
    >>> x = torch.rand(16, 3, 32, 32)
    >>> g = torch.Generator().manual_seed(0)
    >>> views(x, g).shape
    torch.Size([16, 3, 32, 32])
    """

    def __init__(self, policy="simclr", strong=False, n_ops=2, blur=None,
                 crop_scale=None, noise=None, crop=None, crop_alpha=0.1):
        base = resolve_policy(policy)
        changes = {}
        if crop is False:
            changes["crop_scale"] = None
        elif crop or crop_scale is not None:
            changes["crop_scale"] = crop_scale or base.crop_scale or (0.2, 1.0)
        if noise is not None:
            changes["noise"] = noise
        if blur is not None:
            changes["blur_min_size"] = 0 if blur else None
        self.policy = replace(base, **changes)
        self.strong = strong
        self.n_ops = n_ops
        self.crop_alpha = crop_alpha

    def __call__(self, x, generator, boxes=None):
        """A random view of each image.

        ``boxes`` (B, 4), when given, turns the crop into ContrastiveCrop
        with those per-sample object boxes.
        """
        n, channels, height, width = x.shape
        device = x.device
        policy = self.policy
        ratio = (3 / 4, 4 / 3)
        crop_scale = policy.crop_scale or (0.2, 1.0)
        theta = None
        if boxes is not None:
            theta = contrastive_crop_theta(boxes, crop_scale, ratio, policy.flip_p,
                                           self.crop_alpha, generator)
        elif policy.crop_scale is not None or policy.flip_p > 0:
            theta = resized_crop_theta(n, policy.crop_scale or (1.0, 1.0), ratio,
                                       policy.flip_p, generator, device)
        if policy.degrees is not None:
            affine = affine_theta(n, policy.degrees, policy.translate, policy.scale,
                                  policy.shear, generator, device)
            theta = affine if theta is None else compose_theta(theta, affine)
        if self.strong:
            x = rand_augment(x, self.n_ops, generator, theta)
        elif theta is not None:
            x = warp(x, theta)
        if channels == 3 or policy.gray_jitter:
            x = color_jitter(x, *policy.jitter, policy.jitter_p, generator)
            x = random_grayscale(x, policy.grayscale_p, generator)
        if policy.invert_p:  # drawn only when asked: other policies keep their streams
            x = random_invert(x, policy.invert_p, generator)
        if policy.blur_min_size is not None and min(height, width) >= policy.blur_min_size:
            x = gaussian_blur(x, (0.1, 2.0), 0.5, generator)
        if policy.noise:
            x = gaussian_noise(x, policy.noise, generator)
        return x


class TabularViews:
    """Random views of (B, D) rows: Gaussian noise and feature masking.

    Parameters
    ----------
    scale : Tensor of shape (D,)
        Per-feature standard deviation of the training data; the noise is
        ``noise * scale``.
    fill : Tensor of shape (D,)
        Value a masked feature takes (the training mean).
    noise : float, default=0.1
        Noise level relative to each feature's spread.
    mask_p : float, default=0.1
        Probability that a feature is masked.
    """

    def __init__(self, scale, fill, noise=0.1, mask_p=0.1):
        self.scale = scale
        self.fill = fill
        self.noise = noise
        self.mask_p = mask_p

    def __call__(self, x, generator):
        scale = self.scale.to(x.device, x.dtype)
        fill = self.fill.to(x.device, x.dtype)
        noisy = x + self.noise * scale * _randn(x.shape, generator, x.device, dtype=x.dtype)
        mask = _rand(x.shape, generator, x.device) < self.mask_p
        return torch.where(mask, fill.expand_as(x), noisy)


class Views:
    """The weak and strong view makers of a fit, with their generator.

    Parameters
    ----------
    weak, strong : callable
        ``f(x, generator) -> Tensor`` of the shape of ``x``.
    generator : torch.Generator
        On the device of the batches.
    """

    def __init__(self, weak, strong, generator):
        self.weak_maker = weak
        self.strong_maker = strong
        self.generator = generator

    def weak(self, x, **kwargs):
        return self.weak_maker(x, self.generator, **kwargs)

    def strong(self, x, **kwargs):
        return self.strong_maker(x, self.generator, **kwargs)


def default_view_makers(spec, scale=None, fill=None, policy="auto", n_ops=2):
    """The weak and strong view makers for some data.

    Parameters
    ----------
    spec : InputSpec
    scale, fill : Tensor of shape (D,), optional
        Per-feature spread and mean (tabular data only).
    policy : "auto", str or ViewPolicy, default="auto"
        The image policy; "auto" picks by :func:`auto_policy`. Ignored for
        tabular data.
    n_ops : int, default=2
        RandAugment operations per image of the strong view.

    Returns
    -------
    weak, strong : callable
    """
    if spec.kind == "tabular":
        return (TabularViews(scale, fill, noise=0.1, mask_p=0.1),
                TabularViews(scale, fill, noise=0.2, mask_p=0.3))
    policy = auto_policy(spec) if policy == "auto" else resolve_policy(policy)
    return ImageViews(policy), ImageViews(policy, strong=True, n_ops=n_ops)
