"""The named backbones and what backbone="auto" resolves to."""

import numpy as np
import pytest
import torch

from skdeepclust import BSCICClusterer, CCClusterer, DPACClusterer, PIPCDRClusterer
from skdeepclust.deep._input import InputSpec
from skdeepclust.deep.backbones import build_backbone


def image_spec(channels, size):
    return InputSpec("image", (size, size, channels), channels_last=True,
                     image_shape=(channels, size, size))


def convolutions(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize("size, n_stages", [(28, 4), (32, 4), (8, 3)])
def test_convnet2_has_two_convolutions_per_stage_down_to_two_pixels(size, n_stages):
    net = build_backbone("convnet2", image_spec(1, size))
    convs = convolutions(net)
    assert len(convs) == 2 * n_stages
    first_stride = 1 if size <= 16 else 2
    assert [c.stride[0] for c in convs] == [first_stride, 1] + [2, 1] * (n_stages - 1)
    assert [c.out_channels for c in convs[::2]] == [16 * 2**i for i in range(n_stages)]
    maps = net.feature_map(torch.zeros(2, 1, size, size))
    assert maps.shape[-1] <= 2  # every output unit sees the whole image
    assert net(torch.zeros(2, 1, size, size)).shape == (2, net.feature_dim)


def _fitted_backbone(estimator, images):
    params = {"max_epochs": 1, "batch_size": 16, "random_state": 0}
    if estimator is DPACClusterer:
        params["pretrain_epochs"] = 0
    if estimator is PIPCDRClusterer:
        params["warmup_epochs"] = 1
    module = estimator(n_clusters=2, **params).fit(images).net_.module_
    # the BYOL methods keep the encoder in their online network
    return getattr(module, "online", module).encoder.backbone


@pytest.mark.parametrize("estimator, size, n_convs, width", [
    (CCClusterer, 28, 8, 16),   # "convnet2" above 16 pixels
    (DPACClusterer, 28, 8, 16),
    (PIPCDRClusterer, 28, 4, 32),  # PIPCDR keeps "convnet" (measured)
    (BSCICClusterer, 28, 8, 16),
    (CCClusterer, 8, 3, 32),    # small images: "convnet"
])
def test_auto_backbone_by_method_and_image_size(estimator, size, n_convs, width):
    images = np.random.RandomState(0).randint(0, 256, (32, size, size), dtype=np.uint8)
    backbone = _fitted_backbone(estimator, images)
    convs = convolutions(backbone)
    assert len(convs) == n_convs
    assert convs[0].out_channels == width


def test_convnet2_wide_doubles_every_stage_of_convnet2():
    spec = image_spec(3, 28)
    narrow = build_backbone("convnet2", spec)
    wide = build_backbone("convnet2_wide", spec)
    assert ([c.out_channels for c in convolutions(wide)]
            == [2 * c.out_channels for c in convolutions(narrow)])
    assert convolutions(wide)[0].in_channels == 3
    assert wide.feature_dim == 256
    assert wide(torch.zeros(2, 3, 28, 28)).shape == (2, 256)


def test_named_convnet2_on_small_images():
    images = np.random.RandomState(0).randint(0, 256, (32, 8, 8), dtype=np.uint8)
    model = CCClusterer(n_clusters=2, backbone="convnet2", max_epochs=1, batch_size=16,
                        random_state=0).fit(images)
    assert len(convolutions(model.net_.module_.encoder.backbone)) == 6
