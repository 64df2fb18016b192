"""Pieces of data-parallel training that one process can check.

The views of a shard, GlobalBatchNorm against BatchNorm on a one-process
group, and the BatchNorm conversions; ``test_distributed.py`` runs two
processes.
"""

import socket

import pytest
import torch
import torch.distributed as dist
from torch import nn

from skdeepclust.deep._parallel import (
    GlobalBatchNorm,
    SingleProcess,
    to_global_batch_norm,
    to_local_batch_norm,
)
from skdeepclust.deep.augment import ImageViews, TabularViews
from skdeepclust.deep.augment._sampling import batch_shard


def _views(maker, x, seed, **kwargs):
    return maker(x, torch.Generator().manual_seed(seed), **kwargs)


@pytest.mark.parametrize("maker", [
    ImageViews("simclr"), ImageViews("crop_affine"), ImageViews("affine"),
    ImageViews("simclr", strong=True, n_ops=4), ImageViews("strokes", blur=True)])
def test_a_shard_gets_its_rows_of_the_global_views(maker):
    x = torch.rand(8, 3, 16, 16)
    whole = _views(maker, x, 0)
    for offset in (0, 4):
        with batch_shard(8, offset, 4):
            shard = _views(maker, x[offset:offset + 4], 0)
        torch.testing.assert_close(shard, whole[offset:offset + 4], rtol=0, atol=1e-6)


def test_contrastive_crop_and_tabular_views_on_a_shard():
    x = torch.rand(6, 1, 12, 12)
    boxes = torch.tensor([[0.1, 0.1, 0.8, 0.9]]).repeat(6, 1)
    maker = ImageViews("simclr")
    whole = _views(maker, x, 3, boxes=boxes)
    with batch_shard(6, 3, 3):
        shard = _views(maker, x[3:], 3, boxes=boxes[3:])
    torch.testing.assert_close(shard, whole[3:], rtol=0, atol=1e-6)
    rows = torch.rand(6, 5)
    tabular = TabularViews(torch.ones(5), torch.zeros(5))
    whole = _views(tabular, rows, 1)
    with batch_shard(6, 0, 3):
        shard = _views(tabular, rows[:3], 1)
    torch.testing.assert_close(shard, whole[:3], rtol=0, atol=0)


def test_a_draw_for_other_rows_than_the_shard_is_refused():
    with batch_shard(8, 0, 4), pytest.raises(RuntimeError, match="per shard row"):
        _views(ImageViews("simclr"), torch.rand(5, 1, 8, 8), 0)


def test_single_process_exchanges_nothing():
    one = SingleProcess()
    x = torch.arange(6)
    assert one.shard(x) is x and one.gather(x) is x
    assert one.broadcast_object({"a": 1}) == {"a": 1}
    assert one.row_range(10) == (0, 10)


@pytest.fixture
def one_process_group():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0,
                            world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("shape,layer", [((6, 4, 5, 5), nn.BatchNorm2d),
                                         ((7, 3), nn.BatchNorm1d)])
def test_global_batch_norm_is_batch_norm_in_one_process(one_process_group, shape, layer):
    torch.manual_seed(0)
    reference = layer(shape[1])
    with torch.no_grad():
        reference.weight.uniform_(0.5, 2.0)
        reference.bias.uniform_(-1.0, 1.0)
    mine = to_global_batch_norm(nn.Sequential(layer(shape[1])))[0]
    mine.load_state_dict(reference.state_dict())
    assert isinstance(mine, GlobalBatchNorm)
    for _ in range(2):  # the running statistics follow over two steps
        x = (3.0 * torch.randn(shape) + 1.0).requires_grad_(True)
        x_ref = x.detach().clone().requires_grad_(True)
        out, out_ref = mine(x), reference(x_ref)
        torch.testing.assert_close(out, out_ref, rtol=1e-4, atol=1e-5)
        weights = torch.randn(shape)
        (out * weights).sum().backward()
        (out_ref * weights).sum().backward()
        torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(mine.weight.grad, reference.weight.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(mine.bias.grad, reference.bias.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(mine.running_mean, reference.running_mean)
    torch.testing.assert_close(mine.running_var, reference.running_var)
    assert int(mine.num_batches_tracked) == int(reference.num_batches_tracked) == 2
    # evaluation mode: the running statistics, as BatchNorm
    mine.eval(), reference.eval()
    x = torch.randn(shape)
    torch.testing.assert_close(mine(x), reference(x), rtol=1e-5, atol=1e-6)


def test_batch_norm_conversions_keep_the_same_tensors():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2),
                        nn.Sequential(nn.Flatten(), nn.BatchNorm1d(8)))
    weight = net[1].weight
    to_global_batch_norm(net)
    assert isinstance(net[1], GlobalBatchNorm) and isinstance(net[2][1], GlobalBatchNorm)
    assert net[1].weight is weight
    to_local_batch_norm(net)
    assert type(net[1]) is nn.BatchNorm2d and type(net[2][1]) is nn.BatchNorm1d
    assert net[1].weight is weight
