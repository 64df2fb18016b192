"""Online probability aggregation is one PAC update; KL and J_pac terms."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from skdeepclust import PAC
from skdeepclust._kernels.pac import normalise_scores, pac_sweep_precomputed
from skdeepclust.deep.losses import OnlineProbabilityAggregation, kl_to_target, pac_batch_loss


@pytest.fixture
def batch():
    rng = np.random.RandomState(1)
    features = rng.randn(12, 6)
    probabilities = rng.dirichlet(np.ones(4), size=12)
    return features, probabilities


def cosine_distance_matrix(h):
    h = h / np.linalg.norm(h, axis=1, keepdims=True)
    D = 1.0 - h @ h.T
    np.fill_diagonal(D, 0.0)
    return D


@pytest.mark.parametrize("m", [1.03, 1.1, 1.5])
def test_q_is_one_pac_update_of_each_row(batch, m):
    features, P = batch
    Q = OnlineProbabilityAggregation(m)(torch.tensor(features), torch.tensor(P)).numpy()
    D = cosine_distance_matrix(features)
    # Row i of Q is what the library's PAC sweep gives row i when it is updated
    # first (so that it sees the others' memberships P): move i to the front.
    for i in range(len(P)):
        order = np.r_[i, np.delete(np.arange(len(P)), i)]
        swept = np.ascontiguousarray(P[order])
        pac_sweep_precomputed(np.ascontiguousarray(D[np.ix_(order, order)]),
                              1.0 / (m - 1.0), swept)
        np.testing.assert_allclose(Q[i], swept[0], rtol=1e-9, atol=1e-12)
    # The estimator runs the same kernel: its first row after one sweep agrees.
    pac = PAC(n_clusters=4, m=m, metric="precomputed", init=P, max_iter=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pac.fit(D)
    if pac.n_clusters_ == 4:
        np.testing.assert_allclose(Q[0], pac.memberships_[0], rtol=1e-9, atol=1e-12)
    # and all rows at once with the kernel's normaliser
    expected = np.empty_like(P)
    normalise_scores(D @ P, 1.0 / (m - 1.0), expected)
    np.testing.assert_allclose(Q, expected, rtol=1e-9, atol=1e-12)


def test_hand_checked_case():
    # Two tight pairs; m = 2 so q_ik is proportional to 1 / s_ik.
    features = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    P = torch.tensor([[0.5, 0.5], [0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
    Q = OnlineProbabilityAggregation(2.0)(features, P)
    # row 0: distances (0, 1, 1) to rows 1-3, s = (0.3 + 0.5, 0.7 + 0.5) = (0.8, 1.2)
    np.testing.assert_allclose(Q[0].numpy(), np.array([1 / 0.8, 1 / 1.2]) / (1 / 0.8 + 1 / 1.2),
                               rtol=1e-6)


def test_no_gradient_and_finite_at_small_m(batch):
    features, P = batch
    h = torch.tensor(features, requires_grad=True)
    Q = OnlineProbabilityAggregation(1.01)(h * 100, torch.tensor(P))
    assert not Q.requires_grad
    assert torch.all(torch.isfinite(Q))
    np.testing.assert_allclose(Q.sum(1).numpy(), 1.0, rtol=1e-6)


def test_kl_matches_naive(batch):
    _, P = batch
    rng = np.random.RandomState(2)
    logits = rng.randn(12, 4)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    naive = sum(P[i, k] * (np.log(P[i, k]) - log_p[i, k])
                for i in range(12) for k in range(4)) / 12
    got = kl_to_target(torch.tensor(P), torch.tensor(logits)).item()
    assert got == pytest.approx(naive, rel=1e-5)


def test_pac_batch_loss_matches_naive(batch):
    features, P = batch
    D = cosine_distance_matrix(features)
    naive = sum(P[i] @ P[j] * D[i, j] for i in range(12) for j in range(12)) / 12
    got = pac_batch_loss(torch.tensor(features), torch.tensor(P)).item()
    assert got == pytest.approx(naive, rel=1e-5)


def test_m_must_exceed_one():
    with pytest.raises(ValueError, match="m should be > 1"):
        OnlineProbabilityAggregation(1.0)
