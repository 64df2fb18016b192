"""Real data that ships with the installed packages, shaped as images.

No data set is downloaded: ``load_digit_images`` reads scikit-learn's bundled
handwritten digits (1,797 real 8x8 images), and ``make_large_digits`` turns them
into a larger MNIST-shaped set (28x28, 0-255) by random affine jitter and noise,
for scalability benchmarks.
"""

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits
from sklearn.utils import check_random_state

__all__ = ["load_digit_images", "make_large_digits"]


def load_digit_images():
    """scikit-learn's handwritten digits as (N, 8, 8) float32 images in [0, 1].

    Returns
    -------
    images : ndarray of shape (1797, 8, 8), float32
        Grey levels scaled from 0-16 to 0-1.
    labels : ndarray of shape (1797,), int64
        The digit shown, 0-9.

    Examples
    --------
    >>> from skdeepclust.datasets import load_digit_images
    >>> images, labels = load_digit_images()
    >>> images.shape, float(images.max()), len(set(labels))
    ((1797, 8, 8), 1.0, 10)
    """
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    return images, digits.target.astype(np.int64)


def make_large_digits(n_samples=70000, image_size=28, noise=8.0, random_state=0):
    """An MNIST-shaped set made from the real 8x8 digits by random jitter.

    Each image is a randomly chosen scikit-learn digit, upsampled to
    ``image_size`` pixels (bilinear), randomly rotated (+-12 degrees), scaled
    (0.9-1.1) and shifted (+-2 pixels), with Gaussian pixel noise, stored as
    0-255 ``uint8`` like MNIST.

    Parameters
    ----------
    n_samples : int, default=70000
        Number of images.
    image_size : int, default=28
        Side of the square images.
    noise : float, default=8.0
        Standard deviation of the pixel noise on the 0-255 scale.
    random_state : int, RandomState instance or None, default=0
        Seeds the choice of digits and the jitter.

    Returns
    -------
    images : ndarray of shape (n_samples, image_size, image_size), uint8
    labels : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> from skdeepclust.datasets import make_large_digits
    >>> images, labels = make_large_digits(n_samples=5, random_state=0)
    >>> images.shape, images.dtype
    ((5, 28, 28), dtype('uint8'))
    """
    rng = check_random_state(random_state)
    base, base_labels = load_digit_images()
    zoom = image_size / 8.0
    upsampled = np.stack([ndimage.zoom(img, zoom, order=1) for img in base])
    upsampled = upsampled[:, :image_size, :image_size] * 255.0
    pick = rng.randint(len(base), size=n_samples)
    angles = np.deg2rad(rng.uniform(-12, 12, size=n_samples))
    scales = rng.uniform(0.9, 1.1, size=n_samples)
    shifts = rng.uniform(-2, 2, size=(n_samples, 2))
    centre = (image_size - 1) / 2.0
    images = np.empty((n_samples, image_size, image_size), dtype=np.uint8)
    for i in range(n_samples):
        cos, sin = np.cos(angles[i]) / scales[i], np.sin(angles[i]) / scales[i]
        matrix = np.array([[cos, -sin], [sin, cos]])
        offset = centre - matrix @ (centre + shifts[i])
        warped = ndimage.affine_transform(
            upsampled[pick[i]], matrix, offset=offset, order=1, mode="constant"
        )
        warped += rng.normal(0.0, noise, size=warped.shape)
        images[i] = np.clip(warped, 0, 255).astype(np.uint8)
    return images, base_labels[pick]
