"""Printed letters distorted like handwriting: a grey 28x28 set that is not digits.

Every generated set of the image benchmark but this one starts from
scikit-learn's 8x8 digits, so defaults chosen on them could fit the ten digit
shapes rather than grey images of shapes in general. ``make_letters`` draws ten
capital letters in the fonts that ship with matplotlib (DejaVu Sans, Mono and
Serif, STIX, Computer Modern; regular, bold and italic faces) and Pillow's
bundled font, and passes each through the pen-width, affine and elastic
distortions of :func:`skdeepclust.datasets.make_handwritten_digits`, so the
two sets differ in the shapes only. Needs matplotlib (the ``bench`` extra).
"""

import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage
from sklearn.utils import check_random_state

from skdeepclust.datasets import _glyph_box, _handwriting_from_templates

#: The classes, in label order: capitals that share strokes in pairs and
#: triples (B/D/R, E/F, H/K/N) so that the set is not separable by outline.
LETTERS = "ABDEFGHKNR"

#: Font files of matplotlib's ``mpl-data/fonts/ttf``: 16 faces, the "styles".
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "STIXGeneral.ttf",
    "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "cmr10.ttf", "cmss10.ttf",
    "cmtt10.ttf", "cmb10.ttf", "cmti10.ttf",
)


def _fonts(point_size=60):
    import matplotlib

    folder = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf")
    fonts = [ImageFont.truetype(os.path.join(folder, name), point_size) for name in FONT_FILES]
    return fonts + [ImageFont.load_default(size=point_size)]


def letter_templates(size, supersample=4):
    """Each letter in each font as a smooth stroke field of side ``size`` in [0, 1].

    The glyph is drawn large, cropped to its ink, scaled so that its longer
    side fills the box (capitals of every font the same height, as MNIST
    normalises digits), blurred and averaged down to ``size``: a field whose
    level sets are strokes, like the digits' upsampled grey levels.

    Returns
    -------
    fields : ndarray of shape (n_templates, size, size)
    labels : ndarray of shape (n_templates,), int64
    """
    big = size * supersample
    fields, labels = [], []
    for font in _fonts():
        for label, letter in enumerate(LETTERS):
            image = Image.new("L", (160, 160))
            ImageDraw.Draw(image).text((40, 30), letter, fill=255, font=font)
            ink = np.asarray(image, dtype=np.float64) / 255.0
            rows, cols = np.nonzero(ink > 0.1)
            ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            ink = np.clip(ndimage.zoom(ink, big / max(ink.shape), order=1), 0.0, 1.0)
            canvas = np.zeros((big, big))
            top, left = (big - ink.shape[0]) // 2, (big - ink.shape[1]) // 2
            canvas[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
            canvas = ndimage.gaussian_filter(canvas, 0.6 * supersample)
            field = canvas.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
            fields.append(field / field.max())
            labels.append(label)
    return np.array(fields), np.array(labels, dtype=np.int64)


def make_letters(n_samples=5000, image_size=28, thickness=(0.25, 0.5), elastic=20.0,
                 random_state=0):
    """``n_samples`` distorted capitals, white on black ``uint8``, and their labels.

    The distortions are those of ``make_handwritten_digits`` (pen width from
    ``thickness``, rotation +-10 and slant +-15 degrees, scale, elastic field
    of strength ``elastic``, centring by the centre of mass); each image
    picks a letter and a font uniformly.
    """
    rng = check_random_state(random_state)
    fields, labels = letter_templates(_glyph_box(image_size))
    return _handwriting_from_templates(rng, fields, labels, n_samples, image_size, thickness,
                                       elastic)
