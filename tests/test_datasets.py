"""The bundled and generated image sets."""

import numpy as np
import pytest

from skdeepclust.datasets import (
    load_digit_images,
    make_colour_digits,
    make_handwritten_digits,
    make_large_digits,
)


@pytest.mark.parametrize("make,shape", [
    (make_large_digits, (28, 28)), (make_handwritten_digits, (28, 28)),
    (make_colour_digits, (32, 32, 3))])
def test_shapes_dtype_labels_and_seed(make, shape):
    images, labels = make(n_samples=60, random_state=3)
    assert images.shape == (60,) + shape and images.dtype == np.uint8
    assert labels.shape == (60,) and set(labels) <= set(range(10))
    again, labels_again = make(n_samples=60, random_state=3)
    assert np.array_equal(images, again) and np.array_equal(labels, labels_again)
    other, _ = make(n_samples=60, random_state=4)
    assert not np.array_equal(images, other)


def test_handwritten_digits_are_centred_strokes_on_black():
    images, _ = make_handwritten_digits(n_samples=200, random_state=0)
    # MNIST-like: a black border, the ink inside, mostly background
    border = np.concatenate([images[:, :2].ravel(), images[:, -2:].ravel(),
                             images[:, :, :2].ravel(), images[:, :, -2:].ravel()])
    assert np.mean(border > 127) < 0.03
    assert 0.08 < np.mean(images > 127) < 0.35
    # ink of each image has its centre of mass near the canvas centre (+-2 px shift)
    rows = (images.astype(float).sum(2) * np.arange(28)).sum(1) / images.sum((1, 2))
    assert np.all(np.abs(rows - 13.5) < 3.5)


def test_pen_width_follows_thickness():
    thin, _ = make_handwritten_digits(100, thickness=(0.55, 0.6), elastic=0, random_state=0)
    thick, _ = make_handwritten_digits(100, thickness=(0.2, 0.25), elastic=0, random_state=0)
    assert (thick > 127).mean() > 1.5 * (thin > 127).mean()


def test_colour_digits_carry_the_class_in_shape_not_colour():
    images, labels = make_colour_digits(n_samples=300, random_state=0)
    # mean colour per class barely differs from the overall mean colour
    overall = images.reshape(-1, 3).mean(0)
    for k in np.unique(labels):
        assert np.abs(images[labels == k].reshape(-1, 3).mean(0) - overall).max() < 30
    # the stroke images agree with the grey handwriting of the same seed up to colour
    assert images.std() > 40


def test_generated_sets_are_made_from_the_real_digits():
    _, base_labels = load_digit_images()
    _, labels = make_handwritten_digits(n_samples=2000, random_state=0)
    # classes appear in about the proportions of the 1,797 digits
    np.testing.assert_allclose(np.bincount(labels, minlength=10) / 2000,
                               np.bincount(base_labels) / len(base_labels), atol=0.03)
