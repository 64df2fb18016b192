"""CC's cluster-level loss and the decoupled contrastive terms of CCES."""

import math

import numpy as np
import pytest
import torch

from skdeepclust.deep.losses import ClusterContrastiveLoss, contrastive_terms, entropy_penalty


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def naive_terms(anchors, same, other, tau, decoupled):
    a, v, o = unit(anchors), unit(same), unit(other)
    out = []
    for i in range(len(a)):
        denominator = sum(math.exp(a[i] @ v[j] / tau) for j in range(len(a)) if j != i)
        denominator += sum(math.exp(a[i] @ o[j] / tau) for j in range(len(a))
                           if not (decoupled and j == i))
        out.append(-math.log(math.exp(a[i] @ o[i] / tau) / denominator))
    return np.array(out)


def naive_entropy_penalty(c):
    p = c.sum(0) / c.sum()
    return math.log(len(p)) + sum(q * math.log(q) for q in p)


@pytest.fixture
def assignments():
    rng = np.random.RandomState(0)
    return rng.dirichlet(np.ones(4), size=10), rng.dirichlet(np.ones(4), size=10)


@pytest.mark.parametrize("decoupled", [False, True])
def test_contrastive_terms_match_naive(decoupled):
    rng = np.random.RandomState(1)
    anchors, same, other = rng.randn(5, 3), rng.randn(5, 3), rng.randn(5, 3)
    got = contrastive_terms(torch.tensor(anchors), torch.tensor(same), torch.tensor(other),
                            0.2, decoupled).numpy()
    np.testing.assert_allclose(got, naive_terms(anchors, same, other, 0.2, decoupled),
                               rtol=1e-5)


def test_cluster_loss_matches_naive_cc(assignments):
    c_a, c_b = assignments
    terms = ClusterContrastiveLoss(1.0)(torch.tensor(c_a), torch.tensor(c_b))
    # CC: NT-Xent over the 2K columns, plus log K - H of each view
    columns_a, columns_b = c_a.T, c_b.T
    expected = 0.5 * (naive_terms(columns_a, columns_a, columns_b, 1.0, False).mean()
                      + naive_terms(columns_b, columns_b, columns_a, 1.0, False).mean())
    assert terms["contrastive"].item() == pytest.approx(expected, rel=1e-5)
    assert terms["entropy"].item() == pytest.approx(
        naive_entropy_penalty(c_a) + naive_entropy_penalty(c_b), rel=1e-5)


def test_cces_anchors_replace_the_anchor_view(assignments):
    c_a, c_b = assignments
    rng = np.random.RandomState(2)
    nn_a, nn_b = rng.dirichlet(np.ones(4), size=10), rng.dirichlet(np.ones(4), size=10)
    terms = ClusterContrastiveLoss(1.0, decoupled=True)(
        torch.tensor(c_a), torch.tensor(c_b), torch.tensor(nn_a), torch.tensor(nn_b))
    expected = 0.5 * (naive_terms(nn_a.T, nn_a.T, c_b.T, 1.0, True).mean()
                      + naive_terms(nn_b.T, nn_b.T, c_a.T, 1.0, True).mean())
    assert terms["contrastive"].item() == pytest.approx(expected, rel=1e-5)


def test_entropy_penalty_hand_checked():
    # even use of 4 clusters: zero; all in one cluster: log 4
    even = torch.eye(4)
    assert entropy_penalty(even).item() == pytest.approx(0.0, abs=1e-7)
    one = torch.zeros(5, 4)
    one[:, 2] = 1
    assert entropy_penalty(one).item() == pytest.approx(math.log(4), rel=1e-6)
