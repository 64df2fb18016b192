"""Data-parallel training with 2 CPU processes (gloo) against one process.

``distributed_worker.py`` runs the same fits under ``torchrun
--nproc_per_node 2`` and alone; each fit of ``STEP_CASES`` is one optimiser
step (one epoch of one global batch) of one stage of a method. The two
processes train on halves of the batch; the views, the losses on the gathered
batch, the global BatchNorm statistics and the averaged gradients must make
the step the single process's step.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("accelerate")

from skdeepclust.datasets import load_digit_images  # noqa: E402
from skdeepclust.metrics import cluster_accuracy  # noqa: E402

from .distributed_worker import STEP_CASES  # noqa: E402

WORKER = Path(__file__).with_name("distributed_worker.py")
REPO = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args, out):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, *args, str(WORKER), str(out)], env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Outputs of the worker: one process, and two processes."""
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    _run([], one)
    _run(["-m", "torch.distributed.run", "--nproc_per_node", "2",
          "--master_addr", "127.0.0.1", "--master_port", str(_free_port())], two)
    return one, two


def _load(folder, case, rank):
    return torch.load(folder / f"{case}__rank{rank}.pt", weights_only=False)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(STEP_CASES))
def test_two_processes_take_the_single_process_step(runs, case):
    one, two = runs
    single, rank0, rank1 = _load(one, case, 0), _load(two, case, 0), _load(two, case, 1)
    # both processes hold the same model and labels, bit for bit
    for name, value in rank0["state"].items():
        assert torch.equal(value, rank1["state"][name]), name
    np.testing.assert_array_equal(rank0["labels"], rank1["labels"])
    assert rank0["history"] == rank1["history"]
    # the loss of the global batch and the gradient the optimiser used
    assert rank0["history"][0]["train_loss"] == pytest.approx(
        single["history"][0]["train_loss"], rel=1e-5)
    (reference,), (gradients,) = single["gradients"], rank0["gradients"]
    assert reference.keys() == gradients.keys()
    norm = torch.sqrt(sum(g.double().square().sum() for g in reference.values()))
    for name, grad in reference.items():
        assert (gradients[name] - grad).double().norm() <= 1e-5 * norm, name
    # the updated weights: Adam's first step is lr * g / (|g| + 1e-8), about
    # lr * sign(g), so entries whose gradient is float noise (a bias before a
    # BatchNorm, exactly 0 in exact arithmetic) or near Adam's epsilon may move
    # either way; every other entry must agree
    for name, grad in reference.items():
        clear = grad.abs() > max(1e-3 * float(grad.abs().max()), 1e-6)
        torch.testing.assert_close(rank0["state"][name][clear],
                                   single["state"][name][clear], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(rank0["labels"], single["labels"])


@pytest.mark.slow
def test_two_process_fit_of_the_digits(runs):
    """15 epochs of CC on the 1,797 digits: same labels in both processes and
    accuracy within a few points of the single process (float rounding only)."""
    one, two = runs
    _, y = load_digit_images()
    labels0, labels1 = np.load(two / "digits__rank0.npy"), np.load(two / "digits__rank1.npy")
    np.testing.assert_array_equal(labels0, labels1)
    single = cluster_accuracy(y, np.load(one / "digits__rank0.npy"))
    assert abs(cluster_accuracy(y, labels0) - single) < 0.05
    assert single > 0.5
