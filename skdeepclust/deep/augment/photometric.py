"""Colour operations on (B, C, H, W) batches in [0, 1], per-image factors."""

import math

import torch
import torch.nn.functional as F

from ._sampling import _bernoulli, _randn, _uniform

_GRAY_WEIGHTS = (0.299, 0.587, 0.114)
# RGB <-> YIQ: hue is a rotation of the (I, Q) plane.
_RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))

def grayscale(x):
    """Luma of (B, C, H, W) images as (B, 1, H, W); grey images pass through."""
    if x.shape[1] != 3:
        return x.mean(dim=1, keepdim=True)
    weights = x.new_tensor(_GRAY_WEIGHTS).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


def _blend(mask, new, old):
    return torch.where(mask.view(-1, 1, 1, 1), new, old)

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


def random_invert(x, p, generator):
    """Replace each image by its negative ``1 - x`` with probability ``p``.

    For images whose polarity is a nuisance (light ink on dark ground as
    often as dark on light, as in street numbers): a view and its negative
    then count as the same sample.
    """
    apply = _bernoulli(x.shape[0], p, generator, x.device)
    return _blend(apply, 1.0 - x, x)


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
    return x + std * _randn(x.shape, generator, x.device, dtype=x.dtype)


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
