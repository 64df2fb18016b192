"""View policies: each recipe's numbers as a frozen dataclass, chosen by name."""

from dataclasses import dataclass, replace

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
    invert_p : float
        Probability that an image is replaced by its negative ``1 - x``
        (after the colour jitter and grayscale), for data whose polarity is a
        nuisance; 0 in every named policy.
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
    invert_p: float = 0.0
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
#: SimCLR's crop and brightness/contrast jitter with affine jitter instead of the
#: flip: random resized crop (20-100 % of the area), rotation +-15 degrees, shear
#: +-10 degrees, no flip; colour images also get SimCLR's colour jitter and
#: grayscale. For grey images of shapes (handwriting, characters), where a
#: mirrored shape is another shape and slant varies.
CROP_AFFINE = ViewPolicy("crop_affine", crop_scale=(0.2, 1.0), degrees=15.0, shear=10.0,
                         gray_jitter=True, blur_min_size=64)
#: Views that keep a shape's identity (handwriting, characters): a mild random
#: resized crop (50-100 % of the area, no flip) with affine jitter (rotation +-10
#: degrees, shift +-10 %, zoom 0.9-1.1, shear +-10 degrees), pixel noise 0.05;
#: colour images also get SimCLR's colour jitter and grayscale. Measured weaker
#: than "simclr" for contrastive clustering of 28x28 digits (see auto_policy).
STROKES = ViewPolicy("strokes", crop_scale=(0.5, 1.0), degrees=10.0, translate=0.1,
                     scale=(0.9, 1.1), shear=10.0, noise=0.05)

#: "crop_affine" made blind to colour and polarity: the same crop, rotation and
#: shear (no flip) and colour jitter, grayscale p=0.5 and the negative image
#: p=0.5. For colour images whose class lies in a shape drawn in arbitrary
#: colours, dark on light as often as light on dark (street numbers, digits or
#: characters over photographs), where SimCLR's colours are a shortcut that
#: instance discrimination learns instead of the shape. Beyond the papers.
#: CCClusterer on ``make_colour_digits`` (31 epochs, seeds 0-2): 0.737 ACC
#: against 0.160 with "simclr" (seed 0); grayscale or the negative alone
#: gave 0.322 and 0.154 (``benchmarks/results/images_findings.md``).
COLOUR_INVARIANT = replace(CROP_AFFINE, name="colour_invariant", grayscale_p=0.5, invert_p=0.5)

VIEW_POLICIES = {policy.name: policy
                 for policy in (SIMCLR, AFFINE, CROP_AFFINE, STROKES, COLOUR_INVARIANT)}


def auto_policy(spec):
    """The policy ``augment="auto"`` picks for images of ``spec``.

    Images of at most 16 pixels a side get "affine" (any crop destroys them);
    larger grey images get "crop_affine" and colour images "simclr". Measured
    with CCClusterer (batch 64, 40 epochs, 5,000 images;
    ``benchmarks/results/views.md``): on 28x28 grey digits "crop_affine"
    beat "simclr" by 0.07-0.18 ACC (``make_handwritten_digits`` 0.874
    against 0.694, ``make_large_digits`` 0.953 against 0.886), while
    SimCLR's flip with the same rotation and shear lost that gain (0.668,
    0.846). Colour images keep SimCLR's recipe, made for natural images,
    where colour carries part of the class; colour images of shapes in
    arbitrary colours need ``augment="colour_invariant"`` instead.
    """
    channels, height, width = spec.image_shape
    if min(height, width) <= 16:
        return AFFINE
    return CROP_AFFINE if channels == 1 else SIMCLR


def resolve_policy(policy):
    """A :class:`ViewPolicy` from a policy or its name."""
    if isinstance(policy, ViewPolicy):
        return policy
    if policy not in VIEW_POLICIES:
        raise ValueError(f"Unknown view policy {policy!r}; expected one of "
                         f"{sorted(VIEW_POLICIES)} or a ViewPolicy.")
    return VIEW_POLICIES[policy]
