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
constants' comments: :data:`SIMCLR`, :data:`AFFINE`, :data:`STROKES`), and
``augment="auto"`` picks by :func:`auto_policy`. ``strong=True`` adds a
RandAugment-like step: after the policy's geometric transform, each image gets
``n_ops`` operations drawn from rotate, shear, translate, brightness, contrast,
colour, sharpness, posterize, solarize, autocontrast and identity, each with a
random magnitude, then a random cutout (FixMatch's recipe). DPAC's second view.
"""

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

_GRAY_WEIGHTS = (0.299, 0.587, 0.114)
# RGB <-> YIQ: hue is a rotation of the (I, Q) plane.
_RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))


def _uniform(n, low, high, generator, device):
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def _bernoulli(n, p, generator, device):
    return torch.rand(n, generator=generator, device=device) < p


def grayscale(x):
    """Luma of (B, C, H, W) images as (B, 1, H, W); grey images pass through."""
    if x.shape[1] != 3:
        return x.mean(dim=1, keepdim=True)
    weights = x.new_tensor(_GRAY_WEIGHTS).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


def _blend(mask, new, old):
    return torch.where(mask.view(-1, 1, 1, 1), new, old)


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


def _beta(n, alpha, generator, device):
    """Beta(alpha, alpha) draws seeded from ``generator``.

    torch's Beta sampler has no ``generator`` argument; a numpy generator
    seeded from the torch one keeps the views reproducible.
    """
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator, device=device))
    draws = np.random.default_rng(seed).beta(alpha, alpha, size=n)
    return torch.as_tensor(draws, dtype=torch.float32, device=device)


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


def color_jitter(x, brightness, contrast, saturation, hue, p, generator):
    """Per-image colour jitter applied with probability ``p``.

    Brightness, contrast and saturation factors are drawn from
    ``U(1 - v, 1 + v)`` and hue from ``U(-hue, hue)`` (a rotation of the YIQ
    chroma plane by ``2 pi hue``); the operations run in this fixed order.
    Grey images get brightness and contrast only.
    """
    n, device = x.shape[0], x.device
    apply = _bernoulli(n, p, generator, device)
    out = x
    factor = _uniform(n, 1 - brightness, 1 + brightness, generator, device).view(-1, 1, 1, 1)
    out = (out * factor).clamp(0, 1)
    factor = _uniform(n, 1 - contrast, 1 + contrast, generator, device).view(-1, 1, 1, 1)
    mean = grayscale(out).mean(dim=(1, 2, 3), keepdim=True)
    out = ((out - mean) * factor + mean).clamp(0, 1)
    if x.shape[1] == 3:
        factor = _uniform(n, 1 - saturation, 1 + saturation, generator, device)
        gray = grayscale(out)
        out = ((out - gray) * factor.view(-1, 1, 1, 1) + gray).clamp(0, 1)
        angle = 2 * math.pi * _uniform(n, -hue, hue, generator, device)
        out = _rotate_hue(out, angle)
    return _blend(apply, out, x)


def _rotate_hue(x, angle):
    to_yiq = x.new_tensor(_RGB_TO_YIQ)
    from_yiq = torch.linalg.inv(to_yiq)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.zeros(x.shape[0], 3, 3, device=x.device, dtype=x.dtype)
    rotation[:, 0, 0] = 1.0
    rotation[:, 1, 1] = cos
    rotation[:, 1, 2] = -sin
    rotation[:, 2, 1] = sin
    rotation[:, 2, 2] = cos
    matrix = from_yiq @ rotation @ to_yiq  # (B, 3, 3)
    # (B, 3, 3) x (B, 3, H, W) -> (B, 3, H, W)
    return torch.einsum("bij,bjhw->bihw", matrix, x).clamp(0, 1)


def random_grayscale(x, p, generator):
    """Turn each colour image grey with probability ``p``."""
    if x.shape[1] != 3:
        return x
    apply = _bernoulli(x.shape[0], p, generator, x.device)
    return _blend(apply, grayscale(x).expand_as(x), x)


def gaussian_blur(x, sigma_range, p, generator):
    """Per-image Gaussian blur (sigma ~ U(sigma_range)) with probability ``p``.

    One separable grouped convolution for the whole batch: image b uses its
    own kernel through ``groups = B * C``.
    """
    n, channels, height, width = x.shape
    device = x.device
    size = max(3, int(0.1 * min(height, width)) | 1)
    sigma = _uniform(n, sigma_range[0], sigma_range[1], generator, device)
    offsets = torch.arange(size, device=device, dtype=x.dtype) - size // 2
    kernel = torch.exp(-(offsets[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (B, size)
    kernel = kernel.repeat_interleave(channels, dim=0)  # (B*C, size)
    flat = x.reshape(1, n * channels, height, width)
    pad = size // 2
    flat = F.conv2d(F.pad(flat, (0, 0, pad, pad), mode="reflect"),
                    kernel[:, None, :, None], groups=n * channels)
    flat = F.conv2d(F.pad(flat, (pad, pad, 0, 0), mode="reflect"),
                    kernel[:, None, None, :], groups=n * channels)
    blurred = flat.reshape(n, channels, height, width)
    apply = _bernoulli(n, p, generator, device)
    return _blend(apply, blurred, x)


def gaussian_noise(x, std, generator):
    """Add N(0, std^2) noise to every value."""
    return x + std * torch.randn(x.shape, generator=generator, device=x.device,
                                 dtype=x.dtype)


def cutout(x, max_fraction, generator, fill=0.5):
    """Fill a random square (side up to ``max_fraction`` of the image) per image."""
    n, _, height, width = x.shape
    device = x.device
    side = _uniform(n, 0.0, max_fraction, generator, device) * min(height, width)
    cy = _uniform(n, 0.0, height, generator, device)
    cx = _uniform(n, 0.0, width, generator, device)
    rows = torch.arange(height, device=device).view(1, height, 1)
    cols = torch.arange(width, device=device).view(1, 1, width)
    inside = ((rows - cy.view(-1, 1, 1)).abs() <= side.view(-1, 1, 1) / 2) & (
        (cols - cx.view(-1, 1, 1)).abs() <= side.view(-1, 1, 1) / 2
    )
    return torch.where(inside[:, None], torch.full_like(x, fill), x)


# ----------------------------------------------------------- RandAugment-like

_GEOMETRIC_OPS = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
_PHOTOMETRIC_OPS = ("autocontrast", "brightness", "color", "contrast", "sharpness",
                    "posterize", "solarize")
RAND_AUGMENT_OPS = ("identity",) + _GEOMETRIC_OPS + _PHOTOMETRIC_OPS


def _choose_ops(n, n_ops, generator, device):
    """(n, len(RAND_AUGMENT_OPS)) mask with ``n_ops`` distinct ops per row."""
    scores = torch.rand(n, len(RAND_AUGMENT_OPS), generator=generator, device=device)
    ranks = scores.argsort(dim=1).argsort(dim=1)
    return ranks < n_ops


def rand_augment(x, n_ops, generator, theta=None):
    """RandAugment-like strong view, batched.

    Each image draws ``n_ops`` distinct operations with random magnitudes
    (FixMatch's ranges). The geometric ones fold into ``theta`` (composed
    after an optional base map) and are applied in one warp; each photometric
    one is computed for the batch and kept where selected.

    Parameters
    ----------
    x : Tensor of shape (B, C, H, W), in [0, 1]
    n_ops : int
    generator : torch.Generator
    theta : Tensor of shape (B, 2, 3), optional
        Base geometric map (e.g. a random crop) applied before the ops.
    """
    n, device = x.shape[0], x.device
    chosen = _choose_ops(n, n_ops, generator, device)
    op = {name: chosen[:, i] for i, name in enumerate(RAND_AUGMENT_OPS)}

    def magnitude(low, high, name):
        value = _uniform(n, low, high, generator, device)
        return torch.where(op[name], value, torch.zeros_like(value))

    angle = torch.deg2rad(magnitude(-30.0, 30.0, "rotate"))
    shear_x = magnitude(-0.3, 0.3, "shear_x")
    shear_y = magnitude(-0.3, 0.3, "shear_y")
    shift_x = 2.0 * magnitude(-0.3, 0.3, "translate_x")
    shift_y = 2.0 * magnitude(-0.3, 0.3, "translate_y")
    cos, sin = torch.cos(angle), torch.sin(angle)
    ops_matrix = torch.zeros(n, 3, 3, device=device)
    ops_matrix[:, 0, 0] = cos + shear_x * sin
    ops_matrix[:, 0, 1] = -sin + shear_x * cos
    ops_matrix[:, 1, 0] = sin + shear_y * cos
    ops_matrix[:, 1, 1] = cos - shear_y * sin
    ops_matrix[:, 0, 2] = shift_x
    ops_matrix[:, 1, 2] = shift_y
    ops_matrix[:, 2, 2] = 1.0
    ops_theta = ops_matrix[:, :2]
    if theta is not None:
        ops_theta = compose_theta(theta, ops_theta)
    x = warp(x, ops_theta)

    def apply(name, new):
        nonlocal x
        x = _blend(op[name], new.clamp(0, 1), x)

    low = x.amin(dim=(1, 2, 3), keepdim=True)
    high = x.amax(dim=(1, 2, 3), keepdim=True)
    apply("autocontrast", (x - low) / (high - low).clamp_min(1e-3))
    factor = 1.0 + _uniform(n, -0.9, 0.9, generator, device).view(-1, 1, 1, 1)
    apply("brightness", x * factor)
    factor = 1.0 + _uniform(n, -0.9, 0.9, generator, device).view(-1, 1, 1, 1)
    gray = grayscale(x)
    apply("color", (x - gray) * factor + gray)
    factor = 1.0 + _uniform(n, -0.9, 0.9, generator, device).view(-1, 1, 1, 1)
    mean = grayscale(x).mean(dim=(1, 2, 3), keepdim=True)
    apply("contrast", (x - mean) * factor + mean)
    factor = 1.0 + _uniform(n, -0.9, 0.9, generator, device).view(-1, 1, 1, 1)
    smooth = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    apply("sharpness", smooth + factor * (x - smooth))
    bits = torch.randint(4, 9, (n,), generator=generator, device=device)
    levels = (2.0 ** bits.to(x.dtype)).view(-1, 1, 1, 1)
    apply("posterize", torch.floor(x * (levels - 1) + 0.5) / (levels - 1))
    threshold = _uniform(n, 0.0, 1.0, generator, device).view(-1, 1, 1, 1)
    apply("solarize", torch.where(x >= threshold, 1.0 - x, x))
    return cutout(x, 0.5, generator)


# ------------------------------------------------------------------ view policies


@dataclass(frozen=True)
class ViewPolicy:
    """The recipe of a random view, as data.

    ``augment="<name>"`` selects one of :data:`VIEW_POLICIES`; a policy can
    be copied with changes by :func:`dataclasses.replace`. The operations run
    in this order: one geometric warp (crop, flip and affine folded into one
    map per image; RandAugment's geometric operations join it for strong
    views), colour jitter, random grayscale, blur, pixel noise.

    Parameters
    ----------
    name : str
        The name ``augment=`` uses.
    crop_scale : (float, float) or None
        Area range of a random resized crop (aspect ratio 3/4-4/3); None
        means no crop.
    flip_p : float
        Probability of a horizontal flip.
    degrees, translate, scale, shear : float, float, (float, float), float
        Affine jitter: rotation in +-degrees, shift in +-translate of the
        image side, zoom range, shear in +-degrees; ``degrees=None`` means no
        affine jitter.
    jitter : (float, float, float, float)
        Colour jitter strengths (brightness, contrast, saturation, hue).
    jitter_p : float
        Probability of the colour jitter.
    gray_jitter : bool
        Whether single-channel images get the brightness and contrast jitter
        too.
    grayscale_p : float
        Probability that a colour image is turned grey.
    blur_min_size : int or None
        Gaussian blur (p=0.5, sigma 0.1-2) for images at least this many
        pixels on a side; None means never.
    noise : float
        Standard deviation of Gaussian pixel noise on the [0, 1] scale.
    """

    name: str
    crop_scale: tuple = None
    flip_p: float = 0.0
    degrees: float = None
    translate: float = 0.0
    scale: tuple = (1.0, 1.0)
    shear: float = 0.0
    jitter: tuple = (0.4, 0.4, 0.4, 0.1)
    jitter_p: float = 0.8
    gray_jitter: bool = False
    grayscale_p: float = 0.2
    blur_min_size: int = None
    noise: float = 0.0


#: The SimCLR / CC view for natural colour images: random resized crop (20-100 %
#: of the area), horizontal flip, colour jitter (0.4, 0.4, 0.4, 0.1; p=0.8, grey
#: images get brightness and contrast), grayscale (p=0.2), blur from 64 pixels.
SIMCLR = ViewPolicy("simclr", crop_scale=(0.2, 1.0), flip_p=0.5, gray_jitter=True,
                    blur_min_size=64)
#: Affine jitter and pixel noise, no crop and no flip: rotation +-15 degrees,
#: shift +-15 %, zoom 0.85-1.15, shear +-10 degrees, noise 0.1; colour images
#: also get SimCLR's colour jitter and grayscale. For tiny images such as 8x8
#: digits, where any crop destroys the content.
AFFINE = ViewPolicy("affine", degrees=15.0, translate=0.15, scale=(0.85, 1.15),
                    shear=10.0, noise=0.1)
#: Views that keep a shape's identity (handwriting, characters): a mild random
#: resized crop (50-100 % of the area, no flip) with affine jitter (rotation +-10
#: degrees, shift +-10 %, zoom 0.9-1.1, shear +-10 degrees), pixel noise 0.05;
#: colour images also get SimCLR's colour jitter and grayscale. Measured weaker
#: than "simclr" for contrastive clustering of 28x28 digits (see auto_policy).
STROKES = ViewPolicy("strokes", crop_scale=(0.5, 1.0), degrees=10.0, translate=0.1,
                     scale=(0.9, 1.1), shear=10.0, noise=0.05)

VIEW_POLICIES = {policy.name: policy for policy in (SIMCLR, AFFINE, STROKES)}


def auto_policy(spec):
    """The policy ``augment="auto"`` picks for images of ``spec``.

    Images of at most 16 pixels a side get "affine" (any crop destroys them);
    larger ones get "simclr", grey or colour. Measured with CCClusterer (20
    epochs, batch 128, 5,000 images, one seed; ``benchmarks/results/views.md``):
    on 28x28 grey digits "simclr" beat the mild-crop "strokes" policy by
    0.16-0.28 ACC (0.494 vs 0.337 on ``make_handwritten_digits``, 0.808 vs
    0.528 on ``make_large_digits``); removing only the flip moved ACC by
    -0.08 and +0.08 on the two sets, so the flip stays.
    """
    channels, height, width = spec.image_shape
    if min(height, width) <= 16:
        return AFFINE
    return SIMCLR


def resolve_policy(policy):
    """A :class:`ViewPolicy` from a policy or its name."""
    if isinstance(policy, ViewPolicy):
        return policy
    if policy not in VIEW_POLICIES:
        raise ValueError(f"Unknown view policy {policy!r}; expected one of "
                         f"{sorted(VIEW_POLICIES)} or a ViewPolicy.")
    return VIEW_POLICIES[policy]


# ------------------------------------------------------------------ view makers


class ImageViews:
    """Random views of (B, C, H, W) images in [0, 1], following a policy.

    Parameters
    ----------
    policy : str or ViewPolicy, default="simclr"
        A name from :data:`VIEW_POLICIES` ("simclr", "affine", "strokes") or
        a policy.
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
        noisy = x + self.noise * scale * torch.randn(
            x.shape, generator=generator, device=x.device, dtype=x.dtype)
        mask = torch.rand(x.shape, generator=generator, device=x.device) < self.mask_p
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
