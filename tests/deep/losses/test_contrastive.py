"""NT-Xent and DPAC's weighted contrastive loss against naive loops."""

import math

import numpy as np
import pytest
import torch

from skdeepclust.deep.losses import NTXentLoss, WeightedContrastiveLoss


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def naive_ntxent(z_a, z_b, tau):
    z = unit(np.concatenate([z_a, z_b]))
    n = len(z_a)
    total = 0.0
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        denominator = sum(math.exp(z[i] @ z[j] / tau) for j in range(2 * n) if j != i)
        total += -math.log(math.exp(z[i] @ z[positive] / tau) / denominator)
    return total / (2 * n)


def naive_weighted(z_a, z_b, p, tau):
    """Eq. 11 of the DPAC paper, term by term, averaged over anchors."""
    z_a, z_b = unit(z_a), unit(z_b)
    n = len(z_a)
    total = 0.0
    for i in range(n):
        numerator = math.exp(z_a[i] @ z_b[i] / tau)
        denominator = 0.0
        for j in range(n):
            w = 1.0 - p[i] @ p[j]
            if j != i:
                denominator += w * math.exp(z_a[i] @ z_a[j] / tau)
            denominator += w * math.exp(z_a[i] @ z_b[j] / tau)
        total += -math.log(numerator / denominator)
    return total / n


@pytest.fixture
def batch():
    rng = np.random.RandomState(0)
    z_a, z_b = rng.randn(6, 5), rng.randn(6, 5)
    p = rng.dirichlet(np.ones(3), size=6)
    return z_a, z_b, p


@pytest.mark.parametrize("tau", [0.5, 0.1, 1.0])
def test_ntxent_matches_naive(batch, tau):
    z_a, z_b, _ = batch
    got = NTXentLoss(tau)(torch.tensor(z_a), torch.tensor(z_b)).item()
    assert got == pytest.approx(naive_ntxent(z_a, z_b, tau), rel=1e-5)


@pytest.mark.parametrize("tau", [0.5, 0.2])
def test_weighted_matches_naive(batch, tau):
    z_a, z_b, p = batch
    loss = WeightedContrastiveLoss(tau)
    got = loss(torch.tensor(z_a), torch.tensor(z_b), torch.tensor(p)).item()
    assert got == pytest.approx(naive_weighted(z_a, z_b, p, tau), rel=1e-5)


def test_uniform_weights_give_simclr_plus_constant(batch):
    z_a, z_b, _ = batch
    K = 4
    uniform = torch.full((6, K), 1.0 / K)
    wcl = WeightedContrastiveLoss(0.5)
    symmetric = 0.5 * (wcl(torch.tensor(z_a), torch.tensor(z_b), uniform)
                       + wcl(torch.tensor(z_b), torch.tensor(z_a), uniform))
    simclr = NTXentLoss(0.5)(torch.tensor(z_a), torch.tensor(z_b))
    assert symmetric.item() == pytest.approx(simclr.item() + math.log(1 - 1 / K), rel=1e-6)


def test_hand_checked_two_samples():
    # Two samples, identical views, orthogonal embeddings, tau = 1, one-hot p in
    # different clusters: all weights 1 except w_ii = 0.
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    got = WeightedContrastiveLoss(1.0)(z, z, p).item()
    # anchor 0: numerator e^1; denominator w_01 e^0 (same view) + w_00 e^1 + w_01 e^0
    # = 2 (w_00 = 0 is clamped to 1e-6, which moves the loss by about 1e-6)
    expected = -math.log(math.e / 2.0)
    assert got == pytest.approx(expected, rel=1e-5)


def test_same_cluster_negatives_stop_pushing(batch):
    z_a, z_b, _ = batch
    z_a = torch.tensor(z_a, requires_grad=True)
    one_cluster = torch.zeros(6, 3)
    one_cluster[:, 0] = 1.0
    loss = WeightedContrastiveLoss(0.5)(z_a, torch.tensor(z_b), one_cluster)
    # every weight is clamped to eps: the loss is finite
    assert torch.isfinite(loss)


def test_bad_arguments():
    with pytest.raises(ValueError, match="temperature"):
        WeightedContrastiveLoss(0.0)
    with pytest.raises(ValueError, match="Shapes"):
        WeightedContrastiveLoss()(torch.zeros(3, 2), torch.zeros(4, 2), torch.zeros(3, 2))
