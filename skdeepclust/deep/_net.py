"""The skorch bridge: a ``NeuralNet`` that trains a clustering method.

The deep estimators are plain scikit-learn estimators that build a
:class:`DeepClusteringNet` inside ``fit`` (skorch's ``GPBase`` pattern: skorch
nets themselves do not pass ``check_estimator``). The net iterates over sample
*indices*; the training data sit on the device as one tensor, and each step
indexes a batch, makes the views on the device and asks the method for its
losses. Only the skorch hooks named in the architecture notes are
overridden: ``initialize_criterion`` (the method is the criterion),
``initialize_optimizer``, ``train_step`` and ``train_step_single``.
"""

import contextlib

import torch
from skorch import NeuralNet
from skorch.utils import TeeGenerator

from ._parallel import SingleProcess

_ROW_MULTIPLE = 16
# keyword names of skorch's ``notify``, which passes the step dict to callbacks
_RESERVED_TERM_NAMES = frozenset({"self", "method_name", "batch", "training", "y_pred"})


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


class DeepClusteringNet(NeuralNet):
    """skorch net driven by a :class:`~skdeepclust.deep.methods.base.ClusteringMethod`.

    Parameters
    ----------
    module : torch.nn.Module
        The network built by the method.
    method : ClusteringMethod
        Runs a training step (forward passes and losses) and gives the
        inference outputs; it takes the place of skorch's criterion.
    amp : bool, default=False
        Mixed precision (CUDA only): bfloat16 where supported, otherwise
        float16 with a gradient scaler.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, module, *args, method=None, amp=False, **kwargs):
        kwargs.setdefault("criterion", None)
        super().__init__(module, *args, **kwargs)
        self.method = method
        self.amp = amp

    # -- set-up ---------------------------------------------------------------

    def initialize_criterion(self):
        """No criterion module: the method's steps compute the losses."""
        self.criterion_ = None
        return self

    def initialize_optimizer(self, *args, **kwargs):
        """One optimiser for the trained parameters; the method adds others.

        Parameters outside the main optimisation (an EMA target network, a
        WGAN critic with its own optimiser) are named by the method's
        ``frozen_prefixes`` and left out; ``lr_factors`` scale the learning
        rate of parameter groups (BYOL's predictor learns 10 times faster).
        """
        frozen = tuple(self.method.frozen_prefixes)
        factors = self.method.lr_factors()
        groups = {}
        for name, param in self.module_.named_parameters():
            if not param.requires_grad or name.startswith(frozen):
                continue
            factor = next((f for prefix, f in factors.items() if name.startswith(prefix)),
                          1.0)
            groups.setdefault(factor, []).append((name, param))
        args, kwargs = self.get_params_for_optimizer("optimizer", [])
        base_lr = kwargs.pop("lr")
        # "lr_factor" lets a stage switch scale every group alike
        param_groups = [{"params": [p for _, p in named], "lr": base_lr * factor,
                         "lr_factor": factor} for factor, named in groups.items()]
        self.optimizer_ = self.optimizer(param_groups, **kwargs)
        for name, optimizer in self.method.extra_optimizers(self).items():
            setattr(self, name + "_", optimizer)
        return self

    def set_training_data(self, data, to_float, on_device=True, parallel=None):
        """Put the training tensor on the device (or keep it on the host) before ``fit``.

        Parameters
        ----------
        data : Tensor of shape (N, ...) or LazyRows
            Raw training samples (uint8 or float32); a lazy source only with
            ``on_device=False``.
        to_float : callable
            Turns a raw batch into the float tensor the views and the network
            read (uint8 to [0, 1], float images rescaled, tabular unchanged).
        on_device : bool, default=True
            Move the whole tensor to the device once; otherwise every batch is
            gathered on the host and moved (see :meth:`batch`).
        parallel : SingleProcess or DataParallel, default=None
            The processes of the fit (``_parallel.py``); one when None. Kept
            as ``parallel_`` until :meth:`end_parallel`.
        """
        self.parallel_ = parallel or SingleProcess()
        self.train_data_ = data.to(self.device) if on_device else data
        self.data_on_device_ = on_device
        self.to_float_ = to_float
        # per-fit state of the method (support sets, boxes, pseudo-labels)
        self.fit_state_ = {}
        self._amp_dtype = None
        if self.amp and str(self.device).startswith("cuda"):
            self._amp_dtype = (torch.bfloat16 if torch.cuda.is_bf16_supported()
                               else torch.float16)
        self.grad_scaler_ = (torch.amp.GradScaler("cuda")
                             if self._amp_dtype == torch.float16 else None)

    def end_parallel(self):
        """Back to one process: inference after ``fit`` exchanges nothing."""
        self.parallel_ = SingleProcess()

    def gather(self, *tensors):
        """The global batch of per-sample tensors, differentiable.

        A method's step calls it on its per-sample outputs right after the
        forward passes, so that its losses see the batch of all processes
        of a data-parallel fit; with one process it returns its arguments.
        Returns one tensor for one argument, else a tuple; an argument given
        twice (the same object) is exchanged once and stays one object.
        """
        parallel = getattr(self, "parallel_", None) or SingleProcess()
        done = {}
        for tensor in tensors:
            if id(tensor) not in done:
                done[id(tensor)] = parallel.gather(tensor)
        gathered = tuple(done[id(tensor)] for tensor in tensors)
        return gathered[0] if len(gathered) == 1 else gathered

    def release_training_data(self):
        """Drop the training tensor and per-fit state (they are not pickled)."""
        for name in ("train_data_", "data_on_device_", "to_float_", "grad_scaler_", "views_",
                     "fit_state_"):
            self.__dict__.pop(name, None)

    def batch(self, indices):
        """Float batch of training samples on the device."""
        data = self.train_data_
        if self.data_on_device_:
            return self.to_float_(data[torch.as_tensor(indices, device=data.device)])
        # host-resident data: gather in row order (a memmap reads its pages
        # sequentially), restore the batch order, move (pinned, non-blocking)
        indices = torch.as_tensor(indices, device="cpu")
        order = torch.argsort(indices)
        rows = indices[order]
        if torch.is_tensor(data):
            raw = data[rows]
        else:  # a lazy source (h5py, zarr...) wants increasing numpy indices
            raw = torch.from_numpy(data[rows.numpy()])
        raw = raw[torch.argsort(order)]
        if torch.device(self.device).type == "cuda":
            raw = raw.pin_memory()
        return self.to_float_(raw.to(self.device, non_blocking=True))

    @property
    def epoch(self):
        """Index of the epoch being trained, from 0."""
        return max(len(self.history) - 1, 0)

    def autocast(self):
        """Mixed-precision context for the forward passes (no-op on CPU)."""
        if getattr(self, "_amp_dtype", None) is None:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self._amp_dtype)

    # -- training -------------------------------------------------------------

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        indices = batch[0] if isinstance(batch, (tuple, list)) else batch
        # the global batch; a data-parallel process trains on its shard of it
        parallel = self.parallel_
        n_global = len(indices)
        indices = torch.as_tensor(parallel.shard(indices), device=self.device)
        x = self.batch(indices)
        with parallel.batch_shard(n_global):
            terms = self.method.training_step(self, x, indices)
        reserved = _RESERVED_TERM_NAMES.intersection(terms)
        if reserved:
            raise ValueError(f"Loss term names {sorted(reserved)} are reserved by skorch's "
                             "callbacks; rename them in the method's step.")
        loss = terms["loss"]
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"The training loss became {loss.item()} at epoch {self.epoch + 1} "
                f"(batch {len(self.history[-1]['batches']) + 1}); training stopped. "
                "Lower lr, raise batch_size, or check the input for extreme values."
            )
        if self.grad_scaler_ is not None:
            self.grad_scaler_.scale(loss).backward()
        else:
            loss.backward()
        # the named terms travel in skorch's step dict to the callbacks
        return {**{k: v.detach() for k, v in terms.items() if k != "loss"},
                "loss": loss, "y_pred": None}

    def train_step(self, batch, **fit_params):
        """Zero the gradients, run one step, update, then the method's ``after_step``.

        In a data-parallel fit the gradients are averaged over the processes
        before the callbacks see them (``on_grad_computed``: gradient
        clipping acts on the global gradient) and before the update.
        """
        self.optimizer_.zero_grad(set_to_none=True)
        step = self.train_step_single(batch, **fit_params)
        self.parallel_.average_gradients(
            [p for group in self.optimizer_.param_groups for p in group["params"]])
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.module_.named_parameters()),
            batch=batch,
            training=True,
        )
        if self.grad_scaler_ is not None:
            self.grad_scaler_.step(self.optimizer_)
            self.grad_scaler_.update()
        else:
            self.optimizer_.step()
        extra = self.method.after_step(self)
        return {**step, **{k: v.detach() for k, v in extra.items()}}

    # -- inference ------------------------------------------------------------

    def eval_pass(self, data, fn, batch_size, to_float=None, pad=False, parallel=None):
        """``fn`` over float batches of a raw array, in eval mode, without gradient.

        The one inference loop of the framework: prediction, CCES's
        ContrastiveCrop boxes and PIPCDR's pseudo-labels use it.

        Parameters
        ----------
        data : Tensor or ndarray of shape (N, ...)
            Raw rows (the training tensor on the device, or new data).
        fn : callable
            ``fn(x) -> Tensor or dict of Tensor`` on a float batch, run under
            :meth:`autocast`.
        batch_size : int
        to_float : callable, default=None
            Raw batch -> float batch; the training data's (``to_float_``)
            when None.
        pad : bool, default=False
            Pad every batch to a multiple of 16 rows. BLAS rounds small and
            ragged row counts differently (matrix-vector and edge kernels);
            padding makes a sample's outputs independent of how ``data`` is
            split into calls (scikit-learn's subset invariance).
        parallel : SingleProcess or DataParallel, default=None
            ``parallel_`` when None: during a data-parallel fit each process
            runs ``fn`` on its share of the rows and the outputs are
            exchanged, so that every process gets all rows.

        Returns
        -------
        outputs : Tensor or dict of Tensor
            The batches' outputs concatenated, on the device.
        """
        to_float = to_float or self.to_float_
        parallel = parallel or getattr(self, "parallel_", None) or SingleProcess()
        if 1 < parallel.world_size <= len(data):
            # during a data-parallel fit each process infers its share of the rows
            n_rows = len(data)
            start, stop = parallel.row_range(n_rows)
            local = self.eval_pass(data[start:stop], fn, batch_size, to_float=to_float,
                                   pad=pad, parallel=SingleProcess())
            if isinstance(local, dict):
                return {key: parallel.gather_rows(value, n_rows)
                        for key, value in local.items()}
            return parallel.gather_rows(local, n_rows)
        was_training = self.module_.training
        self._set_training(False)
        results = None
        try:
            with torch.no_grad():
                for start in range(0, len(data), batch_size):
                    batch = torch.as_tensor(data[start:start + batch_size])
                    n_rows = len(batch)
                    n_padded = -(-n_rows // _ROW_MULTIPLE) * _ROW_MULTIPLE if pad else n_rows
                    if n_padded > n_rows:
                        filler = batch[:1].expand(n_padded - n_rows, *batch.shape[1:])
                        batch = torch.cat([batch, filler])
                    x = to_float(batch.to(self.device))
                    with self.autocast():
                        out = fn(x)
                    parts = out if isinstance(out, dict) else {None: out}
                    if results is None:
                        # one buffer per output for all rows, filled batch by
                        # batch: a list of per-batch outputs, freed and
                        # allocated between the large temporaries of each
                        # batch, fragments the heap (hundreds of MB on 200,000
                        # images with glibc's malloc)
                        results = {key: value.new_empty((len(data), *value.shape[1:]))
                                   for key, value in parts.items()}
                    for key, value in parts.items():
                        results[key][start:start + n_rows] = value[:n_rows]
        finally:
            # called during training too (callbacks): restore the mode
            self._set_training(was_training)
        if results is None:
            raise ValueError("eval_pass needs at least one row of data.")
        return results[None] if None in results else results

    def infer_all(self, data, to_float, batch_size):
        """Inference outputs for all rows of a raw array, as float32 numpy.

        Parameters
        ----------
        data : ndarray of shape (N, ...)
        to_float : callable
            As in :meth:`set_training_data`.
        batch_size : int

        Returns
        -------
        outputs : dict of ndarray
        """
        self.check_is_fitted()
        def outputs_on_host(x):
            outputs = self.method.inference_outputs(self.module_, x)
            return {key: value.float().cpu() for key, value in outputs.items()}

        outputs = self.eval_pass(data, outputs_on_host, batch_size, to_float=to_float,
                                 pad=True)
        return {key: value.numpy() for key, value in outputs.items()}


def history_records(net):
    """The net's history as a list of per-epoch dicts (batch details dropped)."""
    keys_dropped = {"batches", "train_batch_count"}
    records = []
    for row in net.history:
        record = {k: v for k, v in row.items() if k not in keys_dropped}
        records.append(record)
    return records

