"""Data-parallel training: the processes of a fit and what they exchange.

A deep estimator's ``fit`` runs in every process that a launcher
(``torchrun``, ``accelerate launch``) starts; Hugging Face Accelerate sets up
the process group (gloo on the CPU, NCCL on GPUs) and places each process on
its device. The processes then train one model together:

- every process holds the data and draws the same global batch of
  ``batch_size`` indices; each trains on its contiguous shard of it;
- the views of a sample are those a single process would make: every
  process draws the per-sample random values of the whole global batch and
  keeps its rows (``augment._sampling.batch_shard``);
- a method's step gathers its per-sample outputs (with gradient) right
  after the forward passes, so every process computes the same loss on the
  global batch as one process would; BatchNorm layers normalise with the
  global batch's statistics (:class:`GlobalBatchNorm`);
- after the backward pass the gradients are averaged over the processes
  (one flattened all-reduce per step), so every process takes the same
  optimiser step and per-fit state (EMA targets, support sets, pseudo-labels,
  a critic) stays identical without further messages.

Why not DistributedDataParallel: its reducer expects every trained
parameter to be reached through the wrapper's ``forward`` once per step,
while the methods here run several passes through sub-modules per step (a
no-grad pass, momentum targets, a critic with its own optimiser). Averaging
the gradients after the backward pass is the same arithmetic, without DDP's
overlap of communication with the backward pass.

Why this is exact: with every process computing the single-process loss ``L``
on the gathered batch, the backward pass of the gather sums the processes'
gradients for each shard (``W dL/dx_s`` for W processes), and averaging the
parameter gradients divides by W again; parameters used after the gather
(PIPCDR's predictor) get ``dL/dtheta`` in every process already.
"""

import contextlib
import os

import torch
import torch.distributed as dist
from torch import nn

from .augment._sampling import batch_shard


def launched_world_size():
    """Number of processes the launcher started (``WORLD_SIZE``; 1 without one)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


class SingleProcess:
    """The one process of an ordinary fit: every exchange is the identity."""

    world_size = 1
    rank = 0
    is_main = True

    def shard(self, rows):
        """This process's rows of a global batch."""
        return rows

    def batch_shard(self, n_global):
        """Context in which the views draw per-sample values for the global batch."""
        return contextlib.nullcontext()

    def gather(self, tensor):
        """The global batch of a per-sample tensor, differentiable."""
        return tensor

    def average_gradients(self, parameters):
        """Average the gradients of ``parameters`` over the processes."""

    def broadcast_object(self, value):
        """The main process's ``value``, in every process."""
        return value

    def all_gather_objects(self, value):
        """Every process's ``value``, in rank order."""
        return [value]

    def row_range(self, n_rows):
        """The rows ``[start, stop)`` of an ``n_rows`` array that this process infers."""
        return 0, n_rows

    def gather_rows(self, tensor, n_rows):
        """Every process's ``row_range`` outputs, concatenated to ``n_rows`` rows."""
        return tensor


class DataParallel(SingleProcess):
    """The processes of a data-parallel fit, from an ``accelerate.Accelerator``.

    Parameters
    ----------
    accelerator : accelerate.Accelerator
        Holds the process group (``num_processes``, ``process_index``,
        ``is_main_process``, ``device``).
    """

    def __init__(self, accelerator):
        self.accelerator = accelerator
        self.world_size = int(accelerator.num_processes)
        self.rank = int(accelerator.process_index)
        self.is_main = bool(accelerator.is_main_process)

    def _shard_size(self, n_global):
        if n_global % self.world_size:
            raise ValueError(f"A global batch of {n_global} rows does not split over "
                             f"{self.world_size} processes: choose batch_size (and the "
                             "stage batch sizes) as a multiple of the number of processes.")
        return n_global // self.world_size

    def shard(self, rows):
        size = self._shard_size(len(rows))
        return rows[self.rank * size:(self.rank + 1) * size]

    def batch_shard(self, n_global):
        size = self._shard_size(n_global)
        return batch_shard(n_global, self.rank * size, size)

    def gather(self, tensor):
        return _AllGather.apply(tensor)

    def average_gradients(self, parameters):
        grads = [p.grad for p in parameters if p.grad is not None]
        if not grads:
            return
        flat = torch._utils._flatten_dense_tensors(grads)
        dist.all_reduce(flat)
        flat /= self.world_size
        for grad, averaged in zip(grads, torch._utils._unflatten_dense_tensors(flat, grads)):
            grad.copy_(averaged)

    def broadcast_object(self, value):
        holder = [value]
        dist.broadcast_object_list(holder, src=0)
        return holder[0]

    def all_gather_objects(self, value):
        values = [None] * self.world_size
        dist.all_gather_object(values, value)
        return values

    def row_range(self, n_rows):
        per_process = -(-n_rows // self.world_size)
        start = min(self.rank * per_process, n_rows)
        return start, min(start + per_process, n_rows)

    def gather_rows(self, tensor, n_rows):
        per_process = -(-n_rows // self.world_size)
        padded = tensor.new_zeros((per_process, *tensor.shape[1:]))
        padded[:len(tensor)] = tensor
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded.contiguous())
        return torch.cat(parts)[:n_rows]


class _AllGather(torch.autograd.Function):
    """Concatenate every process's rows; the backward pass sums their gradients."""

    @staticmethod
    def forward(ctx, tensor):
        world_size = dist.get_world_size()
        parts = [torch.empty_like(tensor) for _ in range(world_size)]
        dist.all_gather(parts, tensor.contiguous())
        ctx.rank, ctx.rows = dist.get_rank(), tensor.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


class _AllReduceSum(torch.autograd.Function):
    """Sum over the processes; the gradient of every process's copy is summed too."""

    @staticmethod
    def forward(ctx, tensor):
        total = tensor.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad):
        total = grad.contiguous().clone()
        dist.all_reduce(total)
        return total


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training statistics are those of the global batch.

    In training mode the per-channel sums of every process are added up (one
    differentiable all-reduce), so each process normalises with the mean and
    variance of all processes' rows together, as one process holding the
    whole batch would; the running statistics follow the same values. In
    evaluation mode it is an ordinary BatchNorm. Works on any backend (gloo
    on the CPU included), unlike ``torch.nn.SyncBatchNorm``, which needs GPUs.
    """

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, x):
        if not self.training or not dist.is_initialized():
            return super().forward(x)
        channels = x.shape[1]
        dims = [0] + list(range(2, x.dim()))
        count = x.new_full((1,), x.numel() / channels, dtype=torch.float32)
        sums = torch.cat([x.float().sum(dims), x.float().square().sum(dims), count])
        sums = _AllReduceSum.apply(sums)
        total = sums[-1]
        mean = sums[:channels] / total
        var = (sums[channels:2 * channels] / total - mean.square()).clamp_min(0.0)
        shape = [1, channels] + [1] * (x.dim() - 2)
        inv_std = torch.rsqrt(var + self.eps)
        out = (x - mean.view(shape).to(x.dtype)) * inv_std.view(shape).to(x.dtype)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                          else self.momentum)
                unbiased = var * (total / (total - 1).clamp_min(1.0))
                self.running_mean.mul_(1 - factor).add_(factor * mean.detach())
                self.running_var.mul_(1 - factor).add_(factor * unbiased.detach())
        return out


def _replace_batch_norms(module, make):
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(module, name, make(child))
        else:
            _replace_batch_norms(child, make)
    return module


def _copy_batch_norm(source, target):
    target.train(source.training)
    with torch.no_grad():
        if source.affine:
            target.weight = source.weight
            target.bias = source.bias
        if source.track_running_stats:
            target.running_mean = source.running_mean
            target.running_var = source.running_var
            target.num_batches_tracked = source.num_batches_tracked
    return target


def to_global_batch_norm(module):
    """Replace every BatchNorm of ``module`` by a :class:`GlobalBatchNorm` (in place).

    The parameters and buffers are the same tensors; the original class is
    remembered for :func:`to_local_batch_norm`.
    """
    def make(bn):
        global_bn = GlobalBatchNorm(bn.num_features, bn.eps, bn.momentum, bn.affine,
                                    bn.track_running_stats)
        global_bn.local_class = type(bn)
        return _copy_batch_norm(bn, global_bn)

    return _replace_batch_norms(module, make)


def to_local_batch_norm(module):
    """Undo :func:`to_global_batch_norm`: ordinary BatchNorm layers again (in place)."""
    def make(bn):
        if not isinstance(bn, GlobalBatchNorm):
            return bn
        local = bn.local_class(bn.num_features, bn.eps, bn.momentum, bn.affine,
                               bn.track_running_stats)
        return _copy_batch_norm(bn, local)

    return _replace_batch_norms(module, make)


def accelerator_for(distributed, device):
    """The ``accelerate.Accelerator`` of a fit, or None for a single process.

    Parameters
    ----------
    distributed : "auto", False or accelerate.Accelerator
        The estimator's parameter: "auto" starts Accelerate when a launcher
        started several processes (``WORLD_SIZE`` > 1).
    device : str
        The estimator's ``device`` parameter ("auto", "cpu", "cuda"...).
    """
    if distributed is False:
        return None
    if distributed == "auto":
        if launched_world_size() <= 1:
            return None
        try:
            from accelerate import Accelerator
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"{launched_world_size()} processes were launched (WORLD_SIZE), and "
                "data-parallel training needs Hugging Face Accelerate: pip install "
                "'skdeepclust[distributed]', or pass distributed=False to train "
                "each process alone.") from error
        use_cpu = str(device).startswith("cpu") or not torch.cuda.is_available()
        return Accelerator(cpu=use_cpu)
    return distributed


def check_same_data(parallel, data):
    """Raise in every process unless all processes were given the same data."""
    if parallel.world_size == 1:
        return
    rows = data[: min(len(data), 64)]
    probe = (tuple(data.shape), str(data.dtype),
             float(torch.as_tensor(rows).double().sum()))
    probes = parallel.all_gather_objects(probe)
    if any(p != probes[0] for p in probes):
        raise ValueError("The processes of a data-parallel fit were given different "
                         f"data (shape, dtype, checksum of the first rows: {probes}); "
                         "every process must call fit with the same X.")
