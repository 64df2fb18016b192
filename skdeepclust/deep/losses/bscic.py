"""BSC-IC's losses: assignment KL terms, WGAN-GP critic on assignments, cluster correlation."""

import torch
import torch.nn.functional as F
from torch import nn


def assignment_kl(p, q, eps=1e-8):
    """``KL(p || q) = sum_k p_k log(p_k / q_k)``, averaged over the batch.

    BSC-IC compares cluster assignments (rows of softmax outputs) with it:
    ``L_mi = KL(Z_online^a, Z_target^b) + KL(Z_online^b, Z_target^a)`` (Eq. 1-2)
    and ``L_si = KL(Z_online^a, Z_online^b)`` (Eq. 3).

    Parameters
    ----------
    p, q : Tensor of shape (B, K)
        Probabilities (rows sum to one).
    """
    p, q = p.float(), q.float()
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(dim=1).mean()


def sample_one_hot_prior(n, n_clusters, generator, device):
    """``n`` one-hot rows drawn from Cat(K, 1/K): the adversarial prior."""
    index = torch.randint(0, n_clusters, (n,), generator=generator, device=device)
    return F.one_hot(index, n_clusters).float()


def gradient_penalty(critic, real, fake, generator):
    """WGAN-GP's ``E[(||grad_r D(r)||_2 - 1)^2]`` on random interpolates.

    ``r = eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per sample
    (Gulrajani et al. 2017; BSC-IC Eq. 5). The graph is kept so that the
    penalty trains the critic.

    The penalty is a double backward through the critic: it runs in float32
    with autocast disabled for the input's device, whatever the caller's
    context, since a half-precision input gradient and its norm are too
    coarse for a penalty centred on 1. Call ``backward`` on the result
    outside autocast too (as PyTorch recommends for every backward): the
    second-order pass would otherwise run in half precision.

    Parameters
    ----------
    critic : callable
        (B, K) -> (B, 1), with float32 parameters.
    real, fake : Tensor of shape (B, K)
        Neither is differentiated through (both are detached).
    generator : torch.Generator
    """
    real, fake = real.detach().float(), fake.detach().float()
    eps = torch.rand(real.shape[0], 1, generator=generator, device=real.device)
    with torch.autocast(real.device.type, enabled=False):
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        scores = critic(mixed)
        (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
        return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def critic_loss(critic, real, fake, generator, penalty=10.0):
    """WGAN-GP critic loss, Eq. 5: ``E[D(fake)] - E[D(real)] + penalty * GP``.

    ``fake`` (the assignments) is detached: this loss trains the critic only.
    The whole loss runs in float32 with autocast disabled (the critic is a
    small MLP; see :func:`gradient_penalty`), so its backward needs no
    gradient scaler.

    Parameters
    ----------
    critic : callable
        (B, K) -> (B, 1).
    real : Tensor of shape (B, K)
        Samples of the prior (one-hot rows).
    fake : Tensor of shape (B, K)
        Cluster assignments.
    generator : torch.Generator
        Draws the interpolation weights of the penalty.
    penalty : float, default=10.0
        Gradient-penalty coefficient (the paper's 10).
    """
    fake = fake.detach().float()
    real = real.detach().float()
    with torch.autocast(fake.device.type, enabled=False):
        return (critic(fake).mean() - critic(real).mean()
                + penalty * gradient_penalty(critic, real, fake, generator))


def make_critic(n_clusters):
    """The instance-level discriminator: K-1024-512-1 (paper, Sec. 4.2)."""
    return nn.Sequential(
        nn.Linear(n_clusters, 1024), nn.LeakyReLU(0.2),
        nn.Linear(1024, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 1),
    )


def generator_loss(critic, assignments):
    """The generator's adversarial term of Eq. 4, ``-E[D(z)]``.

    Gradients reach ``assignments`` only: the critic's parameters collect
    none (they are left requiring gradients afterwards).
    """
    critic.requires_grad_(False)
    try:
        return -critic(assignments).mean()
    finally:
        critic.requires_grad_(True)


def critic_steps(critic, optimizer, fake, n_steps, generator, penalty=10.0):
    """``n_steps`` optimiser steps of :func:`critic_loss` (BSC-IC Eq. 5, 11).

    Each step draws fresh one-hot prior samples and interpolation weights.
    The losses and their backward (second order, through the penalty) run
    in float32 with autocast disabled, whatever the caller's context.

    Parameters
    ----------
    critic : torch.nn.Module
        (B, K) -> (B, 1).
    optimizer : torch.optim.Optimizer
        Over the critic's parameters.
    fake : Tensor of shape (B, K)
        Cluster assignments (detached).
    n_steps : int
    generator : torch.Generator
        Draws the prior samples and the interpolation weights.
    penalty : float, default=10.0
        Gradient-penalty coefficient.

    Returns
    -------
    loss : Tensor of shape ()
        Mean critic loss of the steps, detached.
    """
    losses = []
    with torch.autocast(fake.device.type, enabled=False):
        for _ in range(n_steps):
            prior = sample_one_hot_prior(fake.shape[0], fake.shape[1], generator, fake.device)
            optimizer.zero_grad(set_to_none=True)
            loss = critic_loss(critic, prior, fake, generator, penalty)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
    return torch.stack(losses).mean()


def cluster_correlation_loss(z_a, z_b, off_diagonal_weight=1.0):
    """Cross-view cluster-level loss (BSC-IC Eq. 6-7, as read in METHODS notes).

    ``C`` is the (K, K) cosine similarity between the columns of the two
    views' assignment matrices; the loss is
    ``sum_i (1 - C_ii)^2 + off_diagonal_weight * sum_{i != j} C_ij^2``: the
    same cluster in both views should agree, different clusters should not
    overlap. It is zero for one-hot assignments that agree across views and
    use distinct clusters.

    Parameters
    ----------
    z_a, z_b : Tensor of shape (B, K)
    off_diagonal_weight : float, default=1.0
        lambda_clu of the paper.
    """
    a = F.normalize(z_a.float(), dim=0)
    b = F.normalize(z_b.float(), dim=0)
    c = a.T @ b  # (K, K)
    diagonal = torch.diagonal(c)
    off = c - torch.diag_embed(diagonal)
    return ((1.0 - diagonal) ** 2).sum() + off_diagonal_weight * (off**2).sum()
