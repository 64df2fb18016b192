"""The CCES support set and ContrastiveCrop boxes."""

from types import SimpleNamespace

import numpy as np
import torch

from skdeepclust.deep.augment import boxes_from_feature_maps, contrastive_crop_theta
from skdeepclust.deep.support import FeatureQueue, fit_queue


def test_nearest_matches_brute_force():
    rng = np.random.RandomState(0)
    queue = FeatureQueue(50, 6, "cpu", generator=torch.Generator().manual_seed(0))
    stored = torch.tensor(rng.randn(50, 6), dtype=torch.float32)
    queue.push(stored)
    queries = torch.tensor(rng.randn(20, 6), dtype=torch.float32)
    got = queue.nearest(queries).numpy()
    distances = ((queries.numpy()[:, None, :] - stored.numpy()[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(got, stored.numpy()[distances.argmin(1)])


def test_fifo_replaces_the_oldest_rows():
    queue = FeatureQueue(4, 1, "cpu")
    for value in range(6):
        queue.push(torch.tensor([[float(value)]]))
    assert sorted(queue.features.ravel().tolist()) == [2.0, 3.0, 4.0, 5.0]
    queue.push(torch.tensor([[6.0], [7.0], [8.0]]))  # wraps around the end
    assert sorted(queue.features.ravel().tolist()) == [5.0, 6.0, 7.0, 8.0]
    queue.push(torch.arange(10.0)[:, None])  # more rows than slots: the last ones
    assert sorted(queue.features.ravel().tolist()) == [6.0, 7.0, 8.0, 9.0]


def test_filled_returns_the_occupied_slots_only():
    queue = FeatureQueue(5, 2, "cpu", random_init=False)
    features, keys = queue.filled()
    assert features.shape == (0, 2) and keys.shape == (0,)
    queue.push(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), keys=torch.tensor([7, 9]))
    features, keys = queue.filled()
    assert features.tolist() == [[1.0, 2.0], [3.0, 4.0]] and keys.tolist() == [7, 9]


def test_fit_queue_is_made_once_per_fit_state():
    net = SimpleNamespace(fit_state_={}, device="cpu")
    queue = fit_queue(net, "support", 3, 2, random_init=False)
    assert net.fit_state_["support"] is queue and queue.features.shape == (3, 2)
    assert fit_queue(net, "support", 99, 99) is queue  # reused, not rebuilt
    net.fit_state_.clear()
    assert fit_queue(net, "support", 4, 2) is not queue


def test_box_from_a_known_hot_spot():
    maps = torch.zeros(2, 3, 8, 8)
    maps[0, :, 2:4, 4:7] = 5.0  # rows 2-3, columns 4-6
    maps[1] = 1.0  # flat map: no hot region
    boxes = boxes_from_feature_maps(maps, threshold=0.1)
    np.testing.assert_allclose(boxes[0].numpy(), [4 / 8, 2 / 8, 7 / 8, 4 / 8])
    np.testing.assert_allclose(boxes[1].numpy(), [0.0, 0.0, 1.0, 1.0])


def test_contrastive_crops_centre_on_the_box():
    n = 2000
    boxes = torch.tensor([[0.0, 0.0, 0.3, 0.3]]).repeat(n, 1)
    theta = contrastive_crop_theta(boxes, (0.04, 0.04), (1.0, 1.0), 0.0, 0.1,
                                   torch.Generator().manual_seed(0))
    centres = (theta[:, :, 2] + 1) / 2  # back to [0, 1] image coordinates
    assert torch.all(centres <= 0.3 + 1e-6) and torch.all(centres >= 0.1 - 1e-6)
    # Beta(0.1, 0.1) puts most centres near the box edges
    x = centres[:, 0]
    near_edges = ((x < 0.12) | (x > 0.28)).float().mean()
    assert near_edges > 0.6
    # crops stay inside the image
    assert torch.all(theta[:, 0, 2].abs() + theta[:, 0, 0].abs() <= 1 + 1e-6)


def test_nearest_skips_the_query_own_key():
    queue = FeatureQueue(3, 2, "cpu", random_init=False)
    queue.push(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]),
               keys=torch.tensor([7, 8, 9]))
    query = torch.tensor([[1.0, 0.0]])
    # without keys the sample finds itself; with its key it finds the next one
    assert queue.nearest(query).tolist() == [[1.0, 0.0]]
    np.testing.assert_allclose(queue.nearest(query, keys=torch.tensor([7])).numpy(),
                               [[0.9, 0.1]])


def test_nearest_by_cosine_ignores_the_norm():
    queue = FeatureQueue(2, 2, "cpu", random_init=False)
    # a long vector in the query's direction, a short one close in Euclidean terms
    queue.push(torch.tensor([[10.0, 0.0], [0.0, 0.5]]))
    query = torch.tensor([[0.3, 0.3]])
    assert queue.nearest(query).tolist() == [[0.0, 0.5]]
    assert queue.nearest(torch.tensor([[0.3, 0.1]]), cosine=True).tolist() == [[10.0, 0.0]]
