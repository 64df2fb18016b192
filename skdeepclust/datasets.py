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

from ._docs import fill_doc

__all__ = ["load_digit_images", "make_colour_digits", "make_handwritten_digits",
           "make_large_digits"]


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


@fill_doc
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

    %(images_labels)s
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


def _stroke_templates(size):
    """The 1,797 digits as smooth stroke images of side ``size`` in [0, 1].

    Cubic upsampling of the 8x8 grey levels gives a smooth intensity field
    whose level sets are strokes; the caller thresholds it at random levels
    for thinner or thicker pen strokes.
    """
    base, labels = load_digit_images()
    zoom = size / 8.0
    fields = np.stack([ndimage.zoom(img, zoom, order=3) for img in base])
    fields = fields[:, :size, :size]
    fields = ndimage.gaussian_filter(fields, sigma=(0, 0.6, 0.6))
    return np.clip(fields, 0.0, 1.0), labels


def _elastic_displacement(rng, size, alpha, sigma):
    """Simard et al. (2003) elastic field: smoothed uniform noise times alpha."""
    dx = ndimage.gaussian_filter(rng.uniform(-1, 1, (size, size)), sigma) * alpha
    dy = ndimage.gaussian_filter(rng.uniform(-1, 1, (size, size)), sigma) * alpha
    return dx, dy


def _render_strokes(rng, field, image_size, digit_size, thickness, elastic,
                    rotation=15.0, slant=20.0):
    """One handwriting-like digit: random pen width, slant, elastic warp, centred.

    The stroke field (side ``digit_size``) is thresholded at a random level
    (pen width), softened at the edges (anti-aliasing as in MNIST), warped by
    a random affine map (rotation, slant, scale) and an elastic field, and
    pasted into an ``image_size`` canvas with its centre of mass at the centre
    (MNIST's normalisation), then shifted by up to 2 pixels.
    """
    level = rng.uniform(*thickness)
    strokes = np.clip((field - level) / 0.12 + 0.5, 0.0, 1.0)
    canvas = np.zeros((image_size, image_size))
    start = (image_size - digit_size) // 2
    canvas[start:start + digit_size, start:start + digit_size] = strokes
    angle = np.deg2rad(rng.uniform(-rotation, rotation))
    slant = np.tan(np.deg2rad(rng.uniform(-slant, slant)))
    scale = rng.uniform(0.85, 1.1)
    cos, sin = np.cos(angle), np.sin(angle)
    # output -> input coordinates: (rotation @ shear) / scale
    matrix = np.array([[cos, cos * slant - sin], [sin, sin * slant + cos]]) / scale
    centre = (image_size - 1) / 2.0
    offset = centre - matrix @ np.full(2, centre)
    warped = ndimage.affine_transform(canvas, matrix, offset=offset, order=1)
    if elastic:
        dx, dy = _elastic_displacement(rng, image_size, alpha=elastic, sigma=4.0)
        rows, cols = np.meshgrid(np.arange(image_size), np.arange(image_size),
                                 indexing="ij")
        warped = ndimage.map_coordinates(warped, [rows + dy, cols + dx], order=1)
    if warped.sum() > 0:
        mass = np.array(ndimage.center_of_mass(warped))
        shift = centre - mass + rng.uniform(-2, 2, size=2)
        warped = ndimage.shift(warped, shift, order=1)
    return np.clip(warped, 0.0, 1.0)


def _glyph_box(image_size):
    """Side of the box a digit or letter is drawn in: 5/7 of the canvas (MNIST's 20 of 28)."""
    return int(round(image_size * 5 / 7))


def _handwriting_from_templates(rng, fields, labels, n_samples, image_size, thickness,
                                elastic):
    """``n_samples`` random templates drawn as handwriting, and their labels.

    Each image picks one of the stroke ``fields`` (n_templates, side, side)
    and passes it through :func:`_render_strokes` with the pen widths,
    rotation (+-10 degrees), slant (+-15 degrees) and elastic field of
    :func:`make_handwritten_digits`; white on black ``uint8``.
    """
    template_size = fields.shape[1]
    pick = rng.randint(len(fields), size=n_samples)
    images = np.empty((n_samples, image_size, image_size), dtype=np.uint8)
    for i in range(n_samples):
        strokes = _render_strokes(rng, fields[pick[i]], image_size, template_size,
                                  thickness, elastic, rotation=10.0, slant=15.0)
        images[i] = np.round(255.0 * strokes).astype(np.uint8)
    return images, labels[pick]


@fill_doc
def make_handwritten_digits(n_samples=10000, image_size=28, thickness=(0.3, 0.55),
                            elastic=20.0, random_state=0):
    """MNIST-like 28x28 handwriting made from the real 8x8 digits.

    Harder and closer to real handwriting than :func:`make_large_digits`:
    each image is a scikit-learn digit turned into pen strokes of random
    width (a random threshold of its smooth upsampled grey levels), drawn in
    a 20x20 box, rotated (+-10 degrees), slanted (+-15 degrees), scaled
    (0.85-1.1), elastically distorted (Simard et al., 2003), centred by its
    centre of mass in the canvas as MNIST is, and shifted by up to 2 pixels.
    White strokes on black, ``uint8`` 0-255.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of images.
    image_size : int, default=28
        Side of the square canvas; the digit box is ``5/7`` of it (20 of 28
        pixels, as in MNIST).
    thickness : (float, float), default=(0.3, 0.55)
        Range of the threshold on the stroke field: higher is thinner.
    elastic : float, default=20.0
        Strength (alpha, pixels) of the elastic distortion; 0 turns it off.
    random_state : int, RandomState instance or None, default=0
        Seeds the choice of digits and all distortions.

    %(images_labels)s
    >>> from skdeepclust.datasets import make_handwritten_digits
    >>> images, labels = make_handwritten_digits(n_samples=4, image_size=32, random_state=0)
    >>> images.shape
    (4, 32, 32)
    """
    rng = check_random_state(random_state)
    fields, base_labels = _stroke_templates(_glyph_box(image_size))
    return _handwriting_from_templates(rng, fields, base_labels, n_samples, image_size,
                                       thickness, elastic)


def make_colour_digits(n_samples=10000, image_size=32, texture=0.5, random_state=0):
    """32x32 colour digits: random ink and background colours, photographic texture.

    Each image is a handwriting-like digit (as in
    :func:`make_handwritten_digits`) in a random ink colour over a background
    of another random colour, blended with a random crop of one of
    scikit-learn's two bundled photographs (``load_sample_images``) at a
    random weight up to ``texture``. Ink and background differ by at least
    0.35 in luma, so the digit stays readable; the class lives in the shape
    only, while colour, brightness and texture vary (like street-number or
    MNIST-M images, Ganin et al., 2016). RGB ``uint8``, channels last.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of images.
    image_size : int, default=32
        Side of the square RGB images, in pixels.
    texture : float, default=0.5
        Largest weight of the photograph in the background (0: plain colour).
    random_state : int, RandomState instance or None, default=0
        Seeds the digits, their distortions, the colours and the crops.

    Returns
    -------
    images : ndarray of shape (n_samples, image_size, image_size, 3), uint8
    labels : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> from skdeepclust.datasets import make_colour_digits
    >>> images, labels = make_colour_digits(n_samples=4, random_state=0)
    >>> images.shape, images.dtype
    ((4, 32, 32, 3), dtype('uint8'))
    """
    from sklearn.datasets import load_sample_images

    rng = check_random_state(random_state)
    photos = [np.asarray(p, dtype=np.float64) / 255.0
              for p in load_sample_images().images]
    luma = np.array([0.299, 0.587, 0.114])
    digit_size = _glyph_box(image_size)
    fields, base_labels = _stroke_templates(digit_size)
    pick = rng.randint(len(fields), size=n_samples)
    images = np.empty((n_samples, image_size, image_size, 3), dtype=np.uint8)
    for i in range(n_samples):
        strokes = _render_strokes(rng, fields[pick[i]], image_size, digit_size,
                                  (0.3, 0.55), 20.0, rotation=10.0,
                                  slant=15.0)[..., None]
        photo = photos[rng.randint(len(photos))]
        # a crop 2-4 times the image side, resampled: textures at several scales
        side = rng.randint(2 * image_size, 4 * image_size)
        top = rng.randint(photo.shape[0] - side)
        left = rng.randint(photo.shape[1] - side)
        patch = photo[top:top + side, left:left + side]
        patch = ndimage.zoom(patch, (image_size / side, image_size / side, 1), order=1)
        patch = patch[:image_size, :image_size]
        background = rng.uniform(0, 1, 3)
        weight = rng.uniform(0, texture)
        background = (1 - weight) * background + weight * patch
        while True:  # ink readable against the background's mean luma
            ink = rng.uniform(0, 1, 3)
            if abs(ink @ luma - background.mean((0, 1)) @ luma) >= 0.35:
                break
        blended = (1.0 - strokes) * background + strokes * ink
        images[i] = np.round(255.0 * np.clip(blended, 0, 1)).astype(np.uint8)
    return images, base_labels[pick]
