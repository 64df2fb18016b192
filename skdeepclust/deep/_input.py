"""Reading user input as tabular rows or as images.

Deep estimators accept

- tabular data, shape (N, D);
- grey images, shape (N, H, W);
- images with channels last, (N, H, W, C), or first, (N, C, H, W);
- flattened images, shape (N, H * W * C), with ``image_shape`` given
  (inside a ``Pipeline`` that passes 2-D arrays, for example);

as uint8 (0-255) or any float range. Everything becomes a float32 tensor of
shape (N, D) or (N, C, H, W).

Besides numpy arrays (and memmaps, read in place), any array-like that
indexes rows lazily, such as an ``h5py.Dataset`` or a ``zarr.Array``, is
read batch by batch through :class:`LazyRows`, without loading it whole.
"""

from dataclasses import dataclass

import numpy as np

_CHANNEL_COUNTS = (1, 3, 4)


@dataclass(frozen=True)
class InputSpec:
    """How the training data was read; new data must match it.

    Attributes
    ----------
    kind : {"tabular", "image"}
    sample_shape : tuple
        Shape of one sample as the user passes it (without N).
    channels_last : bool
        For images given as (H, W, C).
    image_shape : tuple or None
        (C, H, W) of the images the network sees; None for tabular data.
    unflattened_shape : tuple or None
        The ``image_shape`` parameter a flattened 2-D input is reshaped to.
    """

    kind: str
    sample_shape: tuple
    channels_last: bool = False
    image_shape: tuple = None
    unflattened_shape: tuple = None

    @property
    def n_inputs(self):
        """Length of a flattened sample."""
        return int(np.prod(self.sample_shape))


def _channels_last(shape):
    """Whether a 3-long sample shape is (H, W, C) rather than (C, H, W)."""
    first, last = shape[0] in _CHANNEL_COUNTS, shape[-1] in _CHANNEL_COUNTS
    if last and not first:
        return True
    if first and not last:
        return False
    if first and last:
        # (3, 32, 3)-like shapes cannot be told apart; a real image is
        # larger than its channel count in both spatial dimensions.
        return shape[0] > shape[-1]
    raise ValueError(
        f"Cannot tell the channel axis of images of shape {shape}: one of the first "
        f"or last axes must have {_CHANNEL_COUNTS} channels. Pass (N, H, W) for grey "
        "images, (N, H, W, C) or (N, C, H, W) for colour images."
    )


def infer_spec(X, image_shape=None):
    """Decide how to read a training array.

    Parameters
    ----------
    X : ndarray of shape (N, D), (N, H, W), (N, H, W, C) or (N, C, H, W)
    image_shape : tuple of int or None
        (H, W), (H, W, C) or (C, H, W) for 2-D ``X`` holding flattened images.

    Returns
    -------
    spec : InputSpec
    """
    if X.ndim == 2 and image_shape is None:
        return InputSpec("tabular", X.shape[1:])
    if X.ndim == 2:
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) not in (2, 3) or min(image_shape) < 1:
            raise ValueError(
                "image_shape should be (H, W), (H, W, C) or (C, H, W) with positive "
                f"sizes, got {image_shape}."
            )
        if int(np.prod(image_shape)) != X.shape[1]:
            raise ValueError(
                f"image_shape={image_shape} holds {int(np.prod(image_shape))} values "
                f"but X has {X.shape[1]} features per sample."
            )
        sample = image_shape
    elif X.ndim in (3, 4):
        if image_shape is not None and tuple(image_shape) != X.shape[1:]:
            raise ValueError(
                f"image_shape={tuple(image_shape)} does not match the images' shape "
                f"{X.shape[1:]}; leave it as None for image arrays."
            )
        sample = X.shape[1:]
    else:
        raise ValueError(
            f"Expected 2-D tabular data (N, D) or images (N, H, W), (N, H, W, C), "
            f"(N, C, H, W); got an array with {X.ndim} dimension(s), shape {X.shape}."
        )
    unflattened = tuple(sample) if X.ndim == 2 else None
    if len(sample) == 2:
        height, width = sample
        return InputSpec("image", tuple(X.shape[1:]), False, (1, height, width),
                         unflattened)
    channels_last = _channels_last(sample)
    if channels_last:
        height, width, channels = sample
    else:
        channels, height, width = sample
    return InputSpec("image", tuple(X.shape[1:]), channels_last,
                     (channels, height, width), unflattened)


def check_matches(spec, X):
    """Raise a ``ValueError`` when new data does not have the training shape."""
    if tuple(X.shape[1:]) != tuple(spec.sample_shape):
        raise ValueError(
            f"X has samples of shape {tuple(X.shape[1:])}, but the estimator was "
            f"fitted on samples of shape {tuple(spec.sample_shape)}."
        )


def to_network_layout(X, spec):
    """Float32 array laid out as the network reads it: (N, D) or (N, C, H, W).

    uint8 input is kept as uint8 (a quarter of the memory); it is scaled to
    [0, 1] batch by batch on the device.
    """
    dtype = np.uint8 if X.dtype == np.uint8 else np.float32
    X = np.asarray(X, dtype=dtype)
    if spec.kind == "tabular":
        return np.ascontiguousarray(X)
    n_samples = X.shape[0]
    if X.ndim == 2:
        X = X.reshape((n_samples,) + tuple(spec.unflattened_shape))
    if X.ndim == 3:
        X = X[:, None, :, :]
    elif spec.channels_last:
        X = np.moveaxis(X, -1, 1)
    return np.ascontiguousarray(X)


def is_row_source(X):
    """Whether ``X`` is a lazy array-like of rows (not numpy, sparse, pandas or torch).

    It needs ``shape`` (2 to 4 dimensions), a numpy-compatible ``dtype`` and
    ``__getitem__`` with slices and increasing integer arrays, as
    ``h5py.Dataset`` and ``zarr.Array`` have.
    """
    if isinstance(X, np.ndarray) or not hasattr(X, "__getitem__"):
        return False
    module = type(X).__module__
    if module.startswith(("scipy.sparse", "pandas", "torch", "dask")):
        return False
    shape, dtype = getattr(X, "shape", None), getattr(X, "dtype", None)
    if shape is None or dtype is None or not 2 <= len(shape) <= 4:
        return False
    try:
        return np.dtype(dtype).kind in "uif"
    except TypeError:
        return False


class LazyRows:
    """Rows of a lazy array-like, read on demand in the network's layout.

    Indexing with a slice or an increasing integer array reads those rows from
    the source and returns them as the network reads them: uint8 stays uint8,
    other numbers become float32, images get (N, C, H, W). Float rows are
    checked for NaN and infinity as they are read.

    Parameters
    ----------
    source : array-like
        See :func:`is_row_source`.
    spec : InputSpec
    """

    def __init__(self, source, spec):
        self.source = source
        self.spec = spec
        self.dtype = np.dtype(np.uint8 if np.dtype(source.dtype) == np.uint8
                              else np.float32)
        sample = spec.image_shape if spec.kind == "image" else tuple(spec.sample_shape)
        self.shape = (int(source.shape[0]), *sample)

    def __len__(self):
        return self.shape[0]

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def __getitem__(self, index):
        rows = np.asarray(self.source[index])
        if rows.dtype.kind == "f" and not np.all(np.isfinite(rows)):
            raise ValueError("Input X contains NaN or infinity.")
        return to_network_layout(rows, self.spec)
