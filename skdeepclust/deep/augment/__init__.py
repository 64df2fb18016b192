"""Batched random views made on the model's device, one call per batch.

Every random parameter is drawn per sample (a crop box, a rotation, a jitter
factor for each image), with a ``torch.Generator`` on the batch's device, and
the whole batch is transformed by a handful of tensor operations: all
geometric transforms of a view fold into one affine matrix per image and one
``grid_sample`` call; colour operations broadcast per-image factors. There is no
Python loop over images (``benchmarks/bench_deep.py`` compares this with
torchvision's ``transforms.v2``, which draws one parameter set per call, and
with kornia when it is installed).

Images are (B, C, H, W) floats in [0, 1]; tabular rows are (B, D) in their own
units. The networks standardise their inputs themselves.

Policies
--------
A view's recipe is a frozen :class:`ViewPolicy`; ``augment="<name>"`` on any
deep estimator picks one of :data:`VIEW_POLICIES` (their numbers are in the
constants' comments: :data:`SIMCLR`, :data:`AFFINE`, :data:`CROP_AFFINE`,
:data:`STROKES`, :data:`COLOUR_INVARIANT`), and
``augment="auto"`` picks by :func:`auto_policy`. ``strong=True`` adds a
RandAugment-like step: after the policy's geometric transform, each image gets
``n_ops`` operations drawn from rotate, shear, translate, brightness, contrast,
colour, sharpness, posterize, solarize, autocontrast and identity, each with a
random magnitude, then a random cutout (FixMatch's recipe). DPAC's second view.
"""

from .contrastive_crop import (
    ContrastiveCropBoxes,
    boxes_from_feature_maps,
    contrastive_crop_theta,
)
from .geometry import affine_theta, compose_theta, resized_crop_theta, warp
from .photometric import (
    _rotate_hue,  # noqa: F401  (tests)
    color_jitter,
    cutout,
    gaussian_blur,
    gaussian_noise,
    grayscale,
    random_grayscale,
    random_invert,
)
from .policies import (
    AFFINE,
    COLOUR_INVARIANT,
    CROP_AFFINE,
    SIMCLR,
    STROKES,
    VIEW_POLICIES,
    ViewPolicy,
    auto_policy,
    resolve_policy,
)
from .randaugment import (
    RAND_AUGMENT_OPS,
    _choose_ops,  # noqa: F401  (tests)
    rand_augment,
)
from .views import ImageViews, TabularViews, Views, default_view_makers

__all__ = [
    "AFFINE", "COLOUR_INVARIANT", "CROP_AFFINE", "ContrastiveCropBoxes", "RAND_AUGMENT_OPS",
    "SIMCLR", "STROKES", "VIEW_POLICIES", "ImageViews",
    "TabularViews", "ViewPolicy", "Views", "affine_theta", "auto_policy",
    "boxes_from_feature_maps", "color_jitter", "compose_theta", "contrastive_crop_theta",
    "cutout", "default_view_makers", "gaussian_blur", "gaussian_noise", "grayscale",
    "rand_augment", "random_grayscale", "random_invert", "resolve_policy",
    "resized_crop_theta", "warp",
]
