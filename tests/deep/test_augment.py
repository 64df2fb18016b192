"""Batched per-sample views."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from skdeepclust.deep import augment as A


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def identity_policy():
    """The "affine" policy with no geometry and no noise: views equal their input."""
    return dataclasses.replace(A.AFFINE, name="identity", degrees=0.0, translate=0.0,
                               scale=(1.0, 1.0), shear=0.0, noise=0.0)


def test_identity_crop_is_identity():
    x = torch.rand(4, 3, 16, 16)
    theta = A.resized_crop_theta(4, (1.0, 1.0), (1.0, 1.0), 0.0, gen(), "cpu")
    np.testing.assert_allclose(A.warp(x, theta).numpy(), x.numpy(), atol=1e-5)


def test_flip_mirrors_the_image():
    x = torch.rand(2, 1, 8, 8)
    theta = A.resized_crop_theta(2, (1.0, 1.0), (1.0, 1.0), 1.0, gen(), "cpu")
    np.testing.assert_allclose(A.warp(x, theta).numpy(), x.flip(-1).numpy(), atol=1e-5)


def test_crop_box_follows_torchvision_ranges():
    theta = A.resized_crop_theta(5000, (0.2, 1.0), (3 / 4, 4 / 3), 0.5, gen(), "cpu")
    width, height = theta[:, 0, 0].abs(), theta[:, 1, 1]
    area = width * height
    assert area.min() >= 0.2 - 1e-6 and area.max() <= 1.0 + 1e-6
    # boxes lie inside the image: |centre| + half-size <= 1
    assert torch.all(theta[:, 0, 2].abs() + width <= 1 + 1e-6)
    assert torch.all(theta[:, 1, 2].abs() + height <= 1 + 1e-6)
    flipped = (theta[:, 0, 0] < 0).float().mean().item()
    assert 0.45 < flipped < 0.55


def test_parameters_differ_per_sample():
    # The same image repeated gets a different view in each row.
    x = torch.rand(1, 3, 32, 32).expand(8, -1, -1, -1).contiguous()
    views = A.ImageViews("simclr")(x, gen())
    flat = views.flatten(1)
    distinct = {tuple(np.round(row.numpy()[:50], 4)) for row in flat}
    assert len(distinct) == 8


def test_same_generator_seed_same_views():
    x = torch.rand(6, 3, 32, 32)
    for maker in (A.ImageViews("simclr"), A.ImageViews("affine", strong=True)):
        a, b = maker(x, gen(3)), maker(x, gen(3))
        assert torch.equal(a, b)


@pytest.mark.parametrize("policy", ["simclr", "affine", "strokes"])
@pytest.mark.parametrize("strong", [False, True])
@pytest.mark.parametrize("channels,size", [(1, 8), (3, 32), (3, 96)])
def test_shapes_and_range(policy, strong, channels, size):
    x = torch.rand(5, channels, size, size)
    out = A.ImageViews(policy, strong=strong)(x, gen())
    assert out.shape == x.shape
    assert torch.all(torch.isfinite(out))
    if policy == "simclr":
        assert out.min() >= 0.0 and out.max() <= 1.0


def test_color_jitter_keeps_grey_images_grey_and_hue_rotation_is_identity_at_zero():
    x = torch.rand(3, 3, 8, 8)
    same = A._rotate_hue(x, torch.zeros(3))
    np.testing.assert_allclose(same.numpy(), x.numpy(), atol=1e-5)
    grey = A.grayscale(x).expand_as(x).contiguous()
    jittered = A.color_jitter(grey, 0.4, 0.4, 0.4, 0.1, 1.0, gen())
    # saturation and hue leave grey pixels grey
    assert (jittered[:, 0] - jittered[:, 1]).abs().max() < 1e-5


def test_blur_preserves_constant_images_and_smooths_noise():
    constant = torch.full((2, 3, 64, 64), 0.3)
    np.testing.assert_allclose(
        A.gaussian_blur(constant, (1.0, 2.0), 1.0, gen()).numpy(), 0.3, atol=1e-6)
    noise = torch.rand(2, 1, 64, 64)
    assert A.gaussian_blur(noise, (1.5, 2.0), 1.0, gen()).std() < noise.std() * 0.6


def test_rand_augment_picks_n_distinct_ops():
    mask = A._choose_ops(1000, 2, gen(), "cpu")
    assert torch.all(mask.sum(1) == 2)
    frequency = mask.float().mean(0)
    expected = 2 / len(A.RAND_AUGMENT_OPS)
    assert torch.all((frequency - expected).abs() < 0.05)


def test_affine_theta_rotation_only():
    theta = A.affine_theta(100, 30.0, 0.0, (1.0, 1.0), 0.0, gen(), "cpu")
    linear = theta[:, :, :2]
    # pure rotations: orthogonal with determinant one, angles within 30 degrees
    eye = linear @ linear.transpose(1, 2)
    np.testing.assert_allclose(eye.numpy(), np.broadcast_to(np.eye(2), eye.shape), atol=1e-5)
    angles = torch.atan2(theta[:, 1, 0], theta[:, 0, 0]).abs()
    assert angles.max() <= math.radians(30) + 1e-6


def test_tabular_views_noise_and_masking():
    scale = torch.tensor([1.0, 10.0, 100.0])
    fill = torch.tensor([5.0, 6.0, 7.0])
    views = A.TabularViews(scale, fill, noise=0.1, mask_p=0.25)
    x = torch.zeros(20000, 3)
    out = views(x, gen())
    masked = out == fill
    assert 0.22 < masked.float().mean() < 0.28
    noise_std = torch.stack([out[~masked[:, j], j].std() for j in range(3)])
    np.testing.assert_allclose(noise_std.numpy(), (0.1 * scale).numpy(), rtol=0.05)


def test_cutout_fills_a_square():
    x = torch.zeros(200, 1, 16, 16)
    out = A.cutout(x, 0.5, gen(), fill=1.0)
    filled = out.sum((1, 2, 3))
    assert filled.max() <= (0.5 * 16 + 1) ** 2
    assert (filled > 0).float().mean() > 0.5


# ------------------------------------------------------------------ policies


def _spec(channels, size):
    from skdeepclust.deep._input import InputSpec

    return InputSpec(kind="image", sample_shape=(channels, size, size),
                     image_shape=(channels, size, size))


@pytest.mark.parametrize("channels,size,expected", [
    (1, 8, "affine"), (3, 16, "affine"), (1, 28, "crop_affine"), (1, 96, "crop_affine"),
    (3, 32, "simclr"), (3, 96, "simclr")])
def test_auto_policy_rule(channels, size, expected):
    assert A.auto_policy(_spec(channels, size)).name == expected


def test_named_policy_overrides_auto_and_unknown_name_is_rejected():
    weak, strong = A.default_view_makers(_spec(1, 28), policy="simclr", n_ops=4)
    assert weak.policy == A.SIMCLR and strong.policy == A.SIMCLR
    assert strong.strong and strong.n_ops == 4 and not weak.strong
    with pytest.raises(ValueError, match="Unknown view policy 'flips'"):
        A.ImageViews("flips")


def test_strokes_policy_never_mirrors_and_crops_mildly():
    # an image whose left half is bright: a flip would put the mass on the right
    x = torch.zeros(400, 1, 28, 28)
    x[..., :14] = 1.0
    out = A.ImageViews("strokes")(x, gen())
    left, right = out[..., :14].sum((1, 2, 3)), out[..., 14:].sum((1, 2, 3))
    assert torch.all(left > right)
    # mild crops: every view keeps most of the (uniform) image's content
    full = torch.ones(400, 1, 28, 28)
    kept = A.ImageViews("strokes", noise=0.0)(full, gen()).mean((1, 2, 3))
    assert kept.min() > 0.6
    # while the SimCLR policy does mirror some images
    simclr = A.ImageViews("simclr")(x, gen())
    assert torch.any(simclr[..., 14:].sum((1, 2, 3)) > simclr[..., :14].sum((1, 2, 3)))


def test_policy_overrides_and_custom_policy():
    views = A.ImageViews("simclr", crop=False, blur=True)
    assert views.policy.crop_scale is None and views.policy.blur_min_size == 0
    # the module constants are left unchanged
    assert A.SIMCLR.crop_scale == (0.2, 1.0)
    x = torch.rand(4, 1, 16, 16)
    # no geometry and no noise left: the identity up to resampling
    np.testing.assert_allclose(A.ImageViews(identity_policy())(x, gen()).numpy(), x.numpy(),
                               atol=1e-5)


def test_strong_view_uses_its_n_ops():
    x = torch.rand(64, 3, 32, 32)
    zero = A.ImageViews("strokes", strong=True, n_ops=0)(x, gen(1))
    four = A.ImageViews("strokes", strong=True, n_ops=4)(x, gen(1))
    assert not torch.equal(zero, four)


def test_strong_view_without_operations_is_the_weak_view_and_a_cutout():
    # DPAC's default strong view (strong_ops=0): no RandAugment operation, so on
    # a policy without geometry or noise every pixel is the input's or the
    # cutout's 0.5, and the changed pixels of each image form one rectangle
    x = torch.rand(32, 1, 16, 16) * 0.4  # below the fill, so a filled pixel shows
    strong = A.ImageViews(identity_policy(), strong=True, n_ops=0)(x, gen(3))
    kept = (strong - x).abs() < 1e-5
    filled = (strong - 0.5).abs() < 1e-6
    assert torch.all(kept | filled)
    assert filled.any()  # some images got a non-empty cutout
    for mask in filled[:, 0]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        if len(rows):  # a filled bounding box is filled everywhere: a rectangle
            box = mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            assert box.all()
            # a square of side at most half the image (clipped at the borders)
            assert max(len(rows), len(cols)) <= 0.5 * 16 + 1


def test_random_invert_negates_a_fraction_p_of_the_images_each_whole():
    x = torch.rand(2000, 3, 4, 4)
    out = A.random_invert(x, 0.3, gen())
    negated = torch.isclose(out, 1.0 - x).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    # every image is either its negative or itself, never a mix of the two
    assert torch.all(negated ^ kept)
    assert 0.27 < negated.float().mean().item() < 0.33
    assert torch.equal(A.random_invert(x, 0.0, gen()), x)
    np.testing.assert_allclose(A.random_invert(x, 1.0, gen()).numpy(), 1.0 - x.numpy())


def test_invert_p_in_a_policy_gives_negative_views_and_is_off_in_named_policies():
    x = torch.rand(400, 1, 16, 16) * 0.3  # dark images: a negative is bright
    inverting = dataclasses.replace(identity_policy(), invert_p=0.5)
    out = A.ImageViews(inverting)(x, gen(2))
    bright = out.mean((1, 2, 3)) > 0.5
    assert 0.4 < bright.float().mean().item() < 0.6
    np.testing.assert_allclose(out[bright].numpy(), 1.0 - x[bright].numpy(), atol=1e-5)
    # only the colour-invariant policy inverts
    assert {name for name, policy in A.VIEW_POLICIES.items() if policy.invert_p} == {
        "colour_invariant"}


def test_colour_invariant_policy_never_mirrors_and_greys_or_inverts_half_the_views():
    policy = A.resolve_policy("colour_invariant")
    assert policy.flip_p == 0.0 and policy.crop_scale == A.CROP_AFFINE.crop_scale
    assert policy.grayscale_p == 0.5 and policy.invert_p == 0.5
    # a red half and a blue half, geometry and jitter off: about half of the
    # views are grey (equal channels), a quarter coloured negatives
    x = torch.zeros(2000, 3, 32, 32)
    x[:, 2] = 0.6
    x[:, :, :, :16] = torch.tensor([0.8, 0.1, 0.1]).view(1, 3, 1, 1)
    out = A.ImageViews(dataclasses.replace(policy, crop_scale=None, degrees=None, shear=0.0,
                                           jitter_p=0.0))(x, gen(4))
    grey = (out.max(dim=1).values - out.min(dim=1).values).amax((1, 2)) < 1e-5
    assert 0.45 < grey.float().mean().item() < 0.55
    negative = (out[:, 0, 0, 0] - (1 - x[:, 0, 0, 0])).abs() < 1e-5
    assert 0.2 < (negative & ~grey).float().mean().item() < 0.3


def test_estimators_train_with_colour_invariant_by_name_and_reject_unknown_names():
    from skdeepclust import CCClusterer

    from skorch.callbacks import Callback

    class SeePolicies(Callback):
        def on_epoch_begin(self, net, **kwargs):
            self.seen = (net.views_.weak_maker.policy, net.views_.strong_maker.policy)

    images = np.random.default_rng(0).integers(0, 256, (64, 20, 20, 3), dtype=np.uint8)
    spy = SeePolicies()
    CCClusterer(n_clusters=2, max_epochs=1, batch_size=32, random_state=0,
                augment="colour_invariant", callbacks=[spy]).fit(images)
    assert spy.seen == (A.COLOUR_INVARIANT, A.COLOUR_INVARIANT)
    with pytest.raises(ValueError, match="augment"):
        CCClusterer(n_clusters=2, augment="colour").fit(images)
