"""BYOL, PIP, CDR and BSC-IC losses against naive formulas; the EMA update."""

import copy
import math

import numpy as np
import pytest
import torch

from skdeepclust.deep.callbacks import ema_update
from skdeepclust.deep.losses import ClusterDispersionLoss, PIPLoss, byol_loss, nearest_other
from skdeepclust.deep.losses.bscic import (
    assignment_kl, cluster_correlation_loss, critic_loss, critic_steps, generator_loss,
    gradient_penalty, make_critic, sample_one_hot_prior)


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


@pytest.fixture
def batch():
    rng = np.random.RandomState(0)
    return rng.randn(6, 4), rng.randn(6, 4)


def test_pip_at_sigma_zero_is_byol(batch):
    online, target = map(torch.tensor, batch)
    predictor = torch.nn.Linear(4, 4).double()
    pip = PIPLoss(0.0)(online, target, predictor)
    assert pip.item() == pytest.approx(byol_loss(predictor(online), target).item(), rel=1e-6)
    # BYOL's loss is 2 - 2 cos, averaged
    p, t = unit(predictor(online).detach().numpy()), unit(batch[1])
    assert byol_loss(predictor(online), target).item() == pytest.approx(
        np.mean(2 - 2 * (p * t).sum(1)), rel=1e-6)


def test_pip_pulls_toward_the_nearest_other_sample(batch):
    online, target = batch
    sigma = 0.3
    z = unit(online)
    similarities = z @ z.T
    np.fill_diagonal(similarities, -np.inf)
    nn_index = similarities.argmax(1)
    np.testing.assert_array_equal(nearest_other(torch.tensor(online)).numpy(), nn_index)
    pulled = online + sigma * (online[nn_index] - online)
    expected = np.mean([2 - 2 * unit(pulled)[i] @ unit(target)[i] for i in range(6)])
    got = PIPLoss(sigma)(torch.tensor(online), torch.tensor(target), lambda v: v).item()
    assert got == pytest.approx(expected, rel=1e-6)


def naive_cdr(o, t_a, t_b, labels, tau):
    """Eq. 7 of PIPCDR, term by term, averaged over anchors of view a."""
    o, t_a, t_b = unit(o), unit(t_a), unit(t_b)
    n = len(o)
    total = 0.0
    for i in range(n):
        cluster = [k for k in range(n) if labels[k] == labels[i]]
        alignment = o[i] @ t_b[i]
        for k in cluster:
            if k != i:
                alignment += o[i] @ t_a[k] + o[i] @ t_b[k]
        alignment /= (2 * len(cluster) - 1) * tau
        negatives = [math.exp(o[i] @ t[j] / tau) for j in range(n) if labels[j] != labels[i]
                     for t in (t_a, t_b)]
        total += -alignment + (math.log(sum(negatives)) if negatives else 0.0)
    return total / n


@pytest.mark.parametrize("labels", [[0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], [3, 3, 3, 3, 3, 3]])
def test_cdr_matches_naive(labels):
    rng = np.random.RandomState(1)
    o, t_a, t_b = rng.randn(6, 5), rng.randn(6, 5), rng.randn(6, 5)
    got = ClusterDispersionLoss(0.1)(torch.tensor(o), torch.tensor(t_a), torch.tensor(t_b),
                                     torch.tensor(labels)).item()
    assert got == pytest.approx(naive_cdr(o, t_a, t_b, labels, 0.1), rel=1e-5)


def test_cdr_queue_entries_join_as_an_extra_view():
    rng = np.random.RandomState(2)
    o, t_a, t_b = rng.randn(4, 3), rng.randn(4, 3), rng.randn(4, 3)
    labels = torch.tensor([0, 0, 1, 1])
    queue = torch.tensor(rng.randn(3, 3))
    queue_labels = torch.tensor([0, 1, 1])
    got = ClusterDispersionLoss(0.5)(torch.tensor(o), torch.tensor(t_a), torch.tensor(t_b),
                                     labels, queue, queue_labels).item()
    o_, ta, tb, q = unit(o), unit(t_a), unit(t_b), unit(queue.numpy())
    total = 0.0
    for i in range(4):
        positives = [o_[i] @ tb[i]]
        positives += [o_[i] @ t[k] for k in range(4) if k != i and labels[k] == labels[i]
                      for t in (ta, tb)]
        positives += [o_[i] @ q[m] for m in range(3) if queue_labels[m] == labels[i]]
        negatives = [o_[i] @ t[j] for j in range(4) if labels[j] != labels[i] for t in (ta, tb)]
        negatives += [o_[i] @ q[m] for m in range(3) if queue_labels[m] != labels[i]]
        total += -np.mean(positives) / 0.5 + math.log(sum(math.exp(v / 0.5) for v in negatives))
    assert got == pytest.approx(total / 4, rel=1e-5)


def test_ema_update_is_exact():
    torch.manual_seed(0)
    online = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    target = copy.deepcopy(online)
    with torch.no_grad():
        for p in target.parameters():
            p.add_(1.0)
    online(torch.randn(8, 3))  # moves the BatchNorm statistics of the online net
    before = [p.detach().clone() for p in target.parameters()]
    buffers_before = [b.clone() for b in target.buffers()]
    ema_update(online, target, 0.9)
    for p_target, p_before, p_online in zip(target.parameters(), before, online.parameters()):
        torch.testing.assert_close(p_target, 0.9 * p_before + 0.1 * p_online)
    # the target keeps its own BatchNorm statistics (not the online network's)
    for b_target, b_before in zip(target.buffers(), buffers_before):
        torch.testing.assert_close(b_target, b_before)
    assert not torch.equal(target[1].running_mean, online[1].running_mean)


def test_assignment_kl_matches_naive():
    rng = np.random.RandomState(3)
    p, q = rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.ones(4), size=5)
    naive = np.mean([sum(p[i, k] * math.log(p[i, k] / q[i, k]) for k in range(4))
                     for i in range(5)])
    assert assignment_kl(torch.tensor(p), torch.tensor(q)).item() == pytest.approx(naive,
                                                                                   rel=1e-5)
    assert assignment_kl(torch.tensor(p), torch.tensor(p)).item() == pytest.approx(0, abs=1e-6)


def test_gradient_penalty_matches_autograd_on_a_tiny_critic():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    real = torch.softmax(torch.randn(4, 3), 1)
    fake = torch.softmax(torch.randn(4, 3), 1)
    got = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(7))
    eps = torch.rand(4, 1, generator=torch.Generator().manual_seed(7))
    expected = 0.0
    for i in range(4):  # one interpolate at a time, gradient by autograd
        r = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(r[None]).sum(), r)
        expected += (g.norm() - 1) ** 2
    assert got.item() == pytest.approx((expected / 4).item(), rel=1e-5)
    # the penalty trains the critic: it has a gradient w.r.t. the critic weights
    got.backward()
    assert critic[0].weight.grad is not None


def test_critic_loss_is_fake_minus_real_plus_penalty():
    critic = torch.nn.Linear(3, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
        critic.bias.zero_()
    real = torch.eye(3)
    fake = torch.full((3, 3), 1 / 3)
    # linear critic: gradient = weights everywhere, norm sqrt(14)
    expected = (2.0 - 2.0) + 10.0 * (math.sqrt(14) - 1) ** 2
    got = critic_loss(critic, real, fake, torch.Generator().manual_seed(0), 10.0)
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_generator_loss_trains_the_assignments_only():
    critic = torch.nn.Linear(3, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
        critic.bias.fill_(0.5)
    z = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], requires_grad=True)
    loss = generator_loss(critic, z)
    # -(mean of D(z)) by hand: D = (1.5, 0.2 + 0.6 + 1.5 + 0.5 = 2.8)
    assert loss.item() == pytest.approx(-(1.5 + 2.8) / 2, rel=1e-6)
    loss.backward()
    assert critic.weight.grad is None and critic.bias.grad is None
    torch.testing.assert_close(z.grad, -torch.tensor([[1.0, 2.0, 3.0]] * 2) / 2)
    assert all(p.requires_grad for p in critic.parameters())


def test_critic_steps_match_a_loop_of_critic_loss_and_adam():
    fake = torch.softmax(torch.randn(12, 4, generator=torch.Generator().manual_seed(0)), 1)

    def trained(steps_function):
        torch.manual_seed(3)
        critic = make_critic(4)
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(5)
        return steps_function(critic, optimizer, generator), critic

    def naive(critic, optimizer, generator):
        losses = []
        for _ in range(3):
            prior = sample_one_hot_prior(12, 4, generator, "cpu")
            optimizer.zero_grad()
            loss = critic_loss(critic, prior, fake, generator, 10.0)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return sum(losses) / 3

    expected, critic_ref = trained(naive)
    got, critic = trained(lambda c, o, g: critic_steps(c, o, fake, 3, g, 10.0))
    assert got.item() == pytest.approx(expected, rel=1e-6)
    for p, q in zip(critic.parameters(), critic_ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert critic[0].in_features == 4 and critic[-1].out_features == 1


def test_correlation_loss_zero_for_decorrelated_one_hot_columns():
    z = torch.eye(4).repeat(3, 1)  # every cluster used, one-hot rows
    assert cluster_correlation_loss(z, z).item() == pytest.approx(0.0, abs=1e-6)
    # hand case: two clusters whose views disagree on one of two samples
    z_a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z_b = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    # columns: a0=(1,0), a1=(0,1), b0=(1,1)/sqrt2, b1=0 -> C = [[1/sqrt2, 0], [1/sqrt2, 0]]
    c = 1 / math.sqrt(2)
    expected = (1 - c) ** 2 + (1 - 0) ** 2 + 0.5 * (c**2 + 0.0)
    assert cluster_correlation_loss(z_a, z_b, 0.5).item() == pytest.approx(expected, rel=1e-5)


def test_one_hot_prior():
    samples = sample_one_hot_prior(4000, 5, torch.Generator().manual_seed(0), "cpu")
    assert torch.all(samples.sum(1) == 1)
    frequency = samples.mean(0)
    assert torch.all((frequency - 0.2).abs() < 0.03)


def test_critic_losses_run_in_float32_under_autocast():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    seen = []
    for layer in (critic[0], critic[2]):
        layer.register_forward_hook(lambda m, i, o: seen.append((i[0].dtype, o.dtype)))
    real = torch.eye(3)[torch.tensor([0, 2, 1, 1])]
    fake = torch.softmax(torch.randn(4, 3), 1)

    def penalty(fake_input):
        return gradient_penalty(critic, real, fake_input, torch.Generator().manual_seed(7))

    def weight_grad(loss):  # backward outside autocast, as PyTorch recommends
        critic.zero_grad()
        loss.backward()
        return critic[0].weight.grad.clone()

    expected_gp = penalty(fake)
    expected_grad = weight_grad(expected_gp)
    expected_loss = critic_loss(critic, real, fake, torch.Generator().manual_seed(1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        # bfloat16 really is active in this context
        assert critic(fake).dtype == torch.bfloat16
        seen.clear()
        gp = penalty(fake)
        loss = critic_loss(critic, real, fake, torch.Generator().manual_seed(1))
        # a half-precision input is promoted as well
        penalty(fake.bfloat16())
    grad = weight_grad(gp)
    assert seen and all(dtypes == (torch.float32, torch.float32) for dtypes in seen)
    assert gp.dtype == loss.dtype == grad.dtype == torch.float32
    torch.testing.assert_close(gp, expected_gp, rtol=1e-6, atol=0)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-6, atol=0)
    torch.testing.assert_close(loss, expected_loss, rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_pip_accepts_half_precision_projections(batch, dtype):
    # autocast forward passes give half-precision projections, and the
    # losses run outside autocast with the predictor's float32 weights
    online, target = (torch.tensor(a, dtype=torch.float32) for a in batch)
    predictor = torch.nn.Linear(4, 4)
    loss = PIPLoss(0.3)(online.to(dtype), target.to(dtype), predictor)
    assert loss.dtype == torch.float32
    expected = PIPLoss(0.3)(online.to(dtype).float(), target.to(dtype).float(), predictor)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
