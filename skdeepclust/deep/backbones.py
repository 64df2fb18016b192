"""Feature extractors: an MLP for tabular rows, small ConvNets, torchvision ResNets.

Every backbone maps a batch to features of shape (B, F) and exposes
``feature_dim`` (F). ``build_backbone`` resolves the ``backbone`` parameter of
the deep estimators.

The small ConvNets are the CPU defaults for images. Their stages downsample
by two until the maps are at most 2 pixels wide, so that every output unit
sees the whole image: on this project's CPU trials a net whose units saw only
a 9x9 patch of a 28x28 digit learned almost nothing, and the stride-2 version
was also three times faster per epoch. "convnet" has one convolution per
stage (32-64-128-256 channels); "convnet2" two per stage at half the width
(16-32-64-128), deeper and, on a CPU, faster per image (1.28x,
``benchmarks/bench_backbones.py``); "convnet2_wide" two per stage at the full
width (32-64-128-256), about 2.6 times the CPU time of "convnet2" per epoch,
for users who would rather spend the time on width than on epochs;
``benchmarks/results/images_findings.md`` has the clustering measurements.
"""

import torch
from torch import nn


class Standardize(nn.Module):
    """Fixed per-channel (images) or per-feature (tabular) standardisation.

    The statistics are buffers, so they move with the module and are saved
    with it; training and inference read inputs the same way.

    Parameters
    ----------
    mean, std : array-like of shape (C,) or (D,)
        Statistics of the training data.
    image : bool
        Whether inputs are (B, C, H, W) images (statistics per channel).
    """

    def __init__(self, mean, std, image):
        super().__init__()
        shape = (1, -1, 1, 1) if image else (1, -1)
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(shape)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(shape)
        self.register_buffer("mean", mean)
        self.register_buffer("inv_std", 1.0 / std.clamp_min(1e-6))

    def forward(self, x):
        return (x - self.mean) * self.inv_std


class MLP(nn.Module):
    """Linear-BatchNorm-ReLU blocks for tabular data.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : tuple of int, default=(512, 512)
        Widths of the hidden layers; the last one is ``feature_dim``.
    """

    def __init__(self, n_inputs, hidden=(512, 512)):
        super().__init__()
        layers = []
        width = n_inputs
        for out in hidden:
            layers += [nn.Linear(width, out), nn.BatchNorm1d(out), nn.ReLU(inplace=True)]
            width = out
        self.net = nn.Sequential(*layers)
        self.feature_dim = width

    def forward(self, x):
        return self.net(x.flatten(1))


class SmallConvNet(nn.Module):
    """Stages of Conv-BatchNorm-ReLU blocks that halve the resolution, then pooling.

    The first stage keeps the resolution for images of at most 16 pixels and
    halves it otherwise; every further stage halves it until the maps are 2
    pixels or less, doubling the width from ``width`` up to ``max_width``.
    A stage is ``convs_per_stage`` 3x3 convolutions, the first one strided.

    Parameters
    ----------
    in_channels : int
        Image channels.
    image_size : int
        Side of the (square or not) images; the smaller side is used.
    width : int, default=32
        Channels of the first stage.
    max_width : int, default=256
        Cap on the channels.
    convs_per_stage : int, default=1
        Convolutions per stage.
    """

    def __init__(self, in_channels, image_size, width=32, max_width=256,
                 convs_per_stage=1):
        super().__init__()
        layers = []
        size = image_size
        stride = 1 if image_size <= 16 else 2
        channels_in, channels_out = in_channels, width
        while True:
            for index in range(convs_per_stage):
                layers += [
                    nn.Conv2d(channels_in if index == 0 else channels_out, channels_out,
                              3, stride=stride if index == 0 else 1, padding=1,
                              bias=False),
                    nn.BatchNorm2d(channels_out),
                    nn.ReLU(inplace=True),
                ]
            size = (size + stride - 1) // stride
            if size <= 2 and stride == 2:
                break
            stride = 2
            channels_in, channels_out = channels_out, min(channels_out * 2, max_width)
        # channels-last weights and inputs: oneDNN's convolutions on the CPU
        # run a training step about 1.25x faster that way (benchmarks/
        # bench_backbones.py); the values are the same up to rounding
        self.blocks = nn.Sequential(*layers).to(memory_format=torch.channels_last)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.feature_dim = channels_out

    def feature_map(self, x):
        """The last convolutional maps, (B, C, h, w)."""
        return self.blocks(x.contiguous(memory_format=torch.channels_last))

    def forward(self, x):
        return self.pool(self.feature_map(x))


class ResNetBackbone(nn.Module):
    """torchvision ResNet-18/34 without its classifier (random initialisation).

    For images of at most 64 pixels the stem is the CIFAR one (3x3 stride-1
    convolution, no max-pooling), as in the CC, C3 and DPAC code bases.

    Parameters
    ----------
    depth : {18, 34}
    in_channels : int
    image_size : int
    """

    def __init__(self, depth, in_channels, image_size):
        super().__init__()
        from torchvision.models import resnet18, resnet34

        net = {18: resnet18, 34: resnet34}[depth](weights=None)
        if image_size <= 64:
            net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
            net.maxpool = nn.Identity()
        elif in_channels != 3:
            net.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.feature_dim = net.fc.in_features
        net.fc = nn.Identity()
        self.net = net

    def feature_map(self, x):
        """The output of the last residual stage, (B, C, h, w)."""
        net = self.net
        x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        return net.layer4(net.layer3(net.layer2(net.layer1(x))))

    def forward(self, x):
        return self.net(x)


#: The named small ConvNets: :class:`SmallConvNet` keyword arguments.
SMALL_CONVNETS = {
    "convnet": dict(width=32, convs_per_stage=1),
    "convnet2": dict(width=16, convs_per_stage=2),
    "convnet2_wide": dict(width=32, convs_per_stage=2),
}
BACKBONES = ("auto", "mlp", *SMALL_CONVNETS, "resnet18", "resnet34")

#: Largest image side for which "auto" always means "convnet" (8x8 digits).
SMALL_IMAGE_SIZE = 16


def build_backbone(backbone, spec, auto_image="convnet2"):
    """The backbone module for an estimator's ``backbone`` parameter.

    Parameters
    ----------
    backbone : str or torch.nn.Module
        One of :data:`BACKBONES` or a module mapping (B, ...) inputs to (B, F)
        features. A module should have an integer ``feature_dim`` attribute;
        without one, F is found by running a dummy batch through it.
    spec : InputSpec
        How the data are read.
    auto_image : {"convnet", "convnet2"}, default="convnet2"
        What "auto" means for images larger than :data:`SMALL_IMAGE_SIZE`
        pixels (each estimator passes the one measured best for its method);
        smaller images get "convnet", tabular data the MLP.

    Returns
    -------
    module : torch.nn.Module
        With a ``feature_dim`` attribute.
    """
    if isinstance(backbone, nn.Module):
        if not isinstance(getattr(backbone, "feature_dim", None), int):
            backbone.feature_dim = _probe_feature_dim(backbone, spec)
        return backbone
    if backbone not in BACKBONES:
        raise ValueError(f"backbone should be one of {BACKBONES} or a torch.nn.Module, "
                         f"got {backbone!r}.")
    if spec.kind == "tabular":
        if backbone not in ("auto", "mlp"):
            raise ValueError(
                f"backbone={backbone!r} needs images; the data are 2-D (N, D). Pass "
                "images (N, H, W[, C]) or set image_shape to read rows as images."
            )
        return MLP(spec.n_inputs)
    channels, height, width = spec.image_shape
    size = min(height, width)
    if backbone == "mlp":
        return MLP(spec.n_inputs)
    if backbone == "auto":
        backbone = "convnet" if size <= SMALL_IMAGE_SIZE else auto_image
    if backbone in SMALL_CONVNETS:
        return SmallConvNet(channels, size, **SMALL_CONVNETS[backbone])
    return ResNetBackbone(int(backbone[len("resnet"):]), channels, size)


def _probe_feature_dim(module, spec):
    shape = (2,) + (spec.image_shape if spec.kind == "image" else (spec.n_inputs,))
    was_training = module.training
    module.eval()
    with torch.no_grad():
        out = module(torch.zeros(shape))
    module.train(was_training)
    if out.ndim != 2:
        raise ValueError(
            f"The backbone module should return (B, F) features, got shape "
            f"{tuple(out.shape)}."
        )
    return int(out.shape[1])
