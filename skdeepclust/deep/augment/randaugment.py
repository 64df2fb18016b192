"""A batched RandAugment-like strong view (FixMatch's operations and ranges)."""


import torch
import torch.nn.functional as F

from ._sampling import _rand, _randint, _uniform
from .geometry import compose_theta, warp
from .photometric import _blend, cutout, grayscale

# ----------------------------------------------------------- RandAugment-like

_GEOMETRIC_OPS = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
_PHOTOMETRIC_OPS = ("autocontrast", "brightness", "color", "contrast", "sharpness",
                    "posterize", "solarize")
RAND_AUGMENT_OPS = ("identity",) + _GEOMETRIC_OPS + _PHOTOMETRIC_OPS


def _choose_ops(n, n_ops, generator, device):
    """(n, len(RAND_AUGMENT_OPS)) mask with ``n_ops`` distinct ops per row."""
    scores = _rand((n, len(RAND_AUGMENT_OPS)), generator, device)
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
    bits = _randint(4, 9, n, generator, device)
    levels = (2.0 ** bits.to(x.dtype)).view(-1, 1, 1, 1)
    apply("posterize", torch.floor(x * (levels - 1) + 0.5) / (levels - 1))
    threshold = _uniform(n, 0.0, 1.0, generator, device).view(-1, 1, 1, 1)
    apply("solarize", torch.where(x >= threshold, 1.0 - x, x))
    return cutout(x, 0.5, generator)
