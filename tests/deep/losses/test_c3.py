"""C3's loss against a naive loop over Eq. 1-2 with the weights of Eq. 7."""

import math

import numpy as np
import pytest
import torch

from skdeepclust.deep.losses import C3Loss, c3_weights


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def naive_c3(z_a, z_b, zeta, gamma):
    z = unit(np.concatenate([z_a, z_b]))
    n = len(z_a)
    m = 2 * n
    total, positives = 0.0, 0
    for i in range(m):
        s = [z[i] @ z[j] for j in range(m)]
        raw = [math.exp(gamma * (1 - abs(s[j]))) for j in range(m)]
        w = [r / sum(raw) for r in raw]
        numerator = 0.0
        for j in range(m):
            if s[j] >= zeta or j % n == i % n:  # itself and its other view
                numerator += math.exp(s[j])
                positives += 1
        denominator = sum(w[j] * math.exp(s[j]) for j in range(m))
        total += -math.log(numerator / denominator)
    return total / m, positives / m


def authors_unweighted(z_a, z_b, zeta):
    """The authors' form: unweighted denominator over all 2B, self included."""
    z = unit(np.concatenate([z_a, z_b]))
    n = len(z_a)
    s = z @ z.T
    total = 0.0
    for i in range(2 * n):
        positive = [j for j in range(2 * n) if s[i, j] >= zeta or j % n == i % n]
        total += -math.log(sum(math.exp(s[i, j]) for j in positive)
                           / sum(math.exp(s[i, j]) for j in range(2 * n)))
    return total / (2 * n)


@pytest.fixture
def batch():
    rng = np.random.RandomState(0)
    base = rng.randn(3, 4)
    z_a = np.repeat(base, 2, axis=0) + 0.3 * rng.randn(6, 4)
    z_b = z_a + 0.2 * rng.randn(6, 4)
    return z_a, z_b


@pytest.mark.parametrize("zeta,gamma", [(0.6, 0.1), (0.3, 1.0), (0.9, 5.0)])
def test_matches_naive(batch, zeta, gamma):
    z_a, z_b = batch
    loss, positives = C3Loss(zeta, gamma)(torch.tensor(z_a), torch.tensor(z_b),
                                           return_positives=True)
    expected_loss, expected_positives = naive_c3(z_a, z_b, zeta, gamma)
    assert loss.item() == pytest.approx(expected_loss, rel=1e-5)
    assert positives.item() == pytest.approx(expected_positives)


def test_weights_sum_to_one_and_gamma_zero_is_uniform(batch):
    z_a, _ = batch
    z = torch.nn.functional.normalize(torch.tensor(z_a), dim=1)
    s = z @ z.T
    w = c3_weights(s, 0.1)
    np.testing.assert_allclose(w.sum(1).numpy(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(c3_weights(s, 0.0).numpy(), 1.0 / len(z), rtol=1e-6)
    # border pairs (|s| near 0) weigh more than near-duplicates (|s| near 1)
    w = c3_weights(torch.tensor([[1.0, 0.0, 0.99]]), 2.0)[0]
    assert w[1] > w[0] and w[1] > w[2]


def test_gamma_zero_reproduces_the_unweighted_denominator(batch):
    z_a, z_b = batch
    got = C3Loss(0.6, 0.0)(torch.tensor(z_a), torch.tensor(z_b)).item()
    # uniform weights 1/(2B) divide every denominator by 2B
    expected = authors_unweighted(z_a, z_b, 0.6) - math.log(2 * len(z_a))
    assert got == pytest.approx(expected, rel=1e-5)


def test_hand_checked_orthogonal_pair():
    # Two samples whose two views are identical and orthogonal to each other:
    # each anchor has 2 positives (itself, its other view) with s = 1, and two
    # others with s = 0, whose weights are e^G / (2 + 2 e^G).
    gamma = 0.5
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    got = C3Loss(0.6, gamma)(z, z).item()
    e, eg = math.e, math.exp(gamma)
    expected = -math.log(2 * e / ((e + eg) / (1 + eg)))
    assert got == pytest.approx(expected, rel=1e-6)


def test_all_similar_counts_every_pair_positive():
    z = torch.ones(4, 3)
    _, positives = C3Loss(0.6, 0.1)(z, z, return_positives=True)
    assert positives.item() == 8


def test_bad_arguments():
    with pytest.raises(ValueError, match="zeta"):
        C3Loss(zeta=1.5)
    with pytest.raises(ValueError, match="gamma"):
        C3Loss(gamma=-1)
