"""The recurrence of SimpleRNN, LSTM and GRU over a whole sequence, and its backward pass.

Unrolled into single ops, a 50-step LSTM is some 800 graph nodes forward and
twice that backward, and every per-step slice of the sequence has a gradient
the size of the whole sequence.  Here the time loop is one primitive: the
input projection ``x @ kernel`` for all steps is an ordinary matmul outside
it (one large GEMM), and inside it only ``h @ recurrent_kernel`` and the gate
arithmetic run per step, in Keras' order of operations.

``recurrence(xw, recurrent_kernel, state0[, bias][, mask], cell=..., ...)``
    ``xw`` (batch, time, gates) is the projected input (GRU: with its input
    bias added); ``state0`` (batch, state) the initial state (LSTM: h then c
    side by side); ``bias`` the bias added inside the step (LSTM: after
    ``x @ W + h @ U``; GRU with ``reset_after``: the recurrent bias); ``mask``
    (batch, time) keeps the previous state where it is False.  The output is
    (batch, time, state + saved): the state after every step (the layer's
    outputs are its first ``units`` columns), then what the backward pass
    needs of that step (LSTM: the gates i, f, o, the candidate and tanh(c);
    GRU: the gates z, r, the candidate, h @ U and, without ``reset_after``,
    r * h), so that nothing is computed twice.  Time runs forward;
    ``go_backwards`` is a flip of the inputs done by the layer.
``recurrence_backward(same inputs..., output, grad)``
    back-propagation through time: (batch, time + 1, width).  Rows ``0..time-1``
    hold, per step, the gradient of the projected input (gates columns), then
    for GRU the gradient of the recurrent product ``h @ U`` (gates columns),
    then for GRU without ``reset_after`` the operand ``r * h`` of the candidate's
    recurrent product (units columns); row ``time`` holds the initial state's
    gradient.  The recurrent kernel's and bias's gradients are products of
    these with the previous states, formed by ``Recurrence.gradient`` from
    ordinary ops.  It is not differentiable itself: no second derivatives
    through recurrent layers.

Activations inside are the ones Keras' recurrent layers use by name: tanh,
sigmoid, hard_sigmoid, relu, linear; each derivative is taken from its output.

LSTM and GRU without a mask, in float32 or float64 on numpy, run the loops of
``recurrent_lstm`` and ``recurrent_gru`` instead of the general one here: each step
on contiguous (batch, units) blocks, the same packed layouts, the forward's numbers
bit for bit and the gradients to rounding (the GRU's backward only with
``reset_after``).
"""
from __future__ import annotations

import os

import numpy

from .. import backend
from .activations import sigmoid_array
from .base import Primitive, ShapeError, Spec, format_shape, register, result_dtype
from .recurrent_gru import gru_backward, gru_forward
from .recurrent_lstm import lstm_backward, lstm_forward

CELLS = ("simple", "lstm", "gru")


def _hard_sigmoid(xp, x):
    out = x + 3
    xp.maximum(out, 0, out=out)
    xp.minimum(out, 6, out=out)
    out /= 6
    return out


#: name -> (function, derivative from the function's output)
ACTIVATIONS = {
    "tanh": (lambda xp, x: xp.tanh(x), lambda xp, y: 1 - y * y),
    "sigmoid": (sigmoid_array, lambda xp, y: y * (1 - y)),
    "hard_sigmoid": (_hard_sigmoid, lambda xp, y: ((y > 0) & (y < 1)).astype(y.dtype) / 6),
    "relu": (lambda xp, x: xp.maximum(x, 0), lambda xp, y: (y > 0).astype(y.dtype)),
    "linear": (lambda xp, x: x, lambda xp, y: xp.ones_like(y)),
}


def gate_count(cell: str) -> int:
    return {"simple": 1, "lstm": 4, "gru": 3}[cell]


def state_width(cell: str, units: int) -> int:
    return 2 * units if cell == "lstm" else units


def saved_width(cell: str, units: int) -> int:
    """Columns per step that the forward keeps for the backward pass, after the state."""
    return {"simple": 0, "lstm": 5 * units, "gru": 6 * units}[cell]


def backward_width(cell: str, units: int, reset_after: bool) -> int:
    gates = gate_count(cell) * units
    if cell != "gru":
        return max(gates, state_width(cell, units))
    return 2 * gates + (0 if reset_after else units)


class _Step:
    """One cell's forward step, written into its row of the packed output.

    ``row`` is ``output[:, t]``: the new state goes to its first columns and
    the values the backward pass needs after it.  Whole-block activations
    (the recurrent activation of all gates at once) keep the numpy calls per
    step few; elementwise, they give the same numbers as gate by gate.
    """

    def __init__(self, xp, cell, units, kernel, bias, activation, recurrent_activation, reset_after):
        self.xp, self.cell, self.units = xp, cell, units
        self.kernel, self.bias = kernel, bias
        self.act = ACTIVATIONS[activation][0]
        self.ract = ACTIVATIONS[recurrent_activation][0]
        self.reset_after = reset_after

    def __call__(self, x, state, row):
        xp, u = self.xp, self.units
        if self.cell == "simple":
            row[:] = self.act(xp, x + state @ self.kernel)
            return
        if self.cell == "lstm":
            # row: h | c | i f g o (gates, g the candidate) | tanh(c)
            z = x + state[:, :u] @ self.kernel
            if self.bias is not None:
                z += self.bias
            gates = row[:, 2 * u:6 * u]
            gates[:] = self.ract(xp, z)
            gates[:, 2 * u:3 * u] = self.act(xp, z[:, 2 * u:3 * u])
            c = row[:, u:2 * u]
            xp.multiply(gates[:, u:2 * u], state[:, u:], out=c)
            c += gates[:, :u] * gates[:, 2 * u:3 * u]
            row[:, 6 * u:] = self.act(xp, c)
            xp.multiply(gates[:, 3 * u:], row[:, 6 * u:], out=row[:, :u])
            return
        # GRU row: h | z r | candidate | inner (h @ U, 3u or 2u) | r * h (without reset_after)
        h = state
        if self.reset_after:
            inner = h @ self.kernel
            if self.bias is not None:
                inner += self.bias
        else:
            inner = h @ self.kernel[:, :2 * u]
        gates = row[:, u:3 * u]
        gates[:] = self.ract(xp, x[:, :2 * u] + inner[:, :2 * u])
        z, r = gates[:, :u], gates[:, u:]
        if self.reset_after:
            row[:, 4 * u:7 * u] = inner
            recurrent_h = r * inner[:, 2 * u:]
        else:
            row[:, 4 * u:6 * u] = inner
            reset_h = row[:, 6 * u:7 * u]
            xp.multiply(r, h, out=reset_h)
            recurrent_h = reset_h @ self.kernel[:, 2 * u:]
        candidate = row[:, 3 * u:4 * u]
        candidate[:] = self.act(xp, x[:, 2 * u:] + recurrent_h)
        # h_new = z * h + (1 - z) * candidate, in Keras' order of operations
        row[:, :u] = z * h + (1 - z) * candidate


def _split_inputs(arrays, has_bias, has_mask):
    xw, kernel, state0 = arrays[:3]
    rest = list(arrays[3:])
    bias = rest.pop(0) if has_bias else None
    mask = rest.pop(0) if has_mask else None
    return xw, kernel, state0, bias, mask, rest


def _check(name, xw, kernel, state0, bias, mask, cell, units):
    if cell not in CELLS:
        raise ValueError(f"{name}: cell must be one of {CELLS}, got {cell!r}")
    gates = gate_count(cell) * units
    if len(xw.shape) != 3 or xw.shape[2] not in (None, gates):
        raise ShapeError(f"{name}: projected input must be (batch, time, {gates}), got {format_shape(xw.shape)}")
    if tuple(kernel.shape) != (units, gates):
        raise ShapeError(f"{name}: recurrent kernel must be ({units}, {gates}), got {format_shape(kernel.shape)}")
    width = state_width(cell, units)
    if len(state0.shape) != 2 or state0.shape[1] not in (None, width):
        raise ShapeError(f"{name}: initial state must be (batch, {width}), got {format_shape(state0.shape)}")
    if bias is not None and tuple(bias.shape) != (gates,):
        raise ShapeError(f"{name}: bias must be ({gates},), got {format_shape(bias.shape)}")
    if mask is not None and len(mask.shape) != 2:
        raise ShapeError(f"{name}: mask must be (batch, time), got {format_shape(mask.shape)}")


def _fast(xp, cell, mask, dtype, shape):
    """Whether the loops on contiguous blocks (``recurrent_lstm``, ``recurrent_gru``) run this
    recurrence: LSTM and GRU without a mask, in float32 or float64, on numpy (not yet tried on
    cupy), with at least one sample and one step (``shape``: the projected input's)."""
    return (xp is numpy and cell in ("lstm", "gru") and mask is None and dtype in ("float32", "float64")
            and all(shape))


#: batches of at least this many rows run their two halves on two threads, when allowed;
#: None: never.  Off until measured on a quiet two-core machine: it costs ~25% more CPU time
#: (W3, one LSTM of 64 units, batch 64: 4.4 against 3.5 ms forward), and on a loaded machine
#: the halves did not overlap (benchmarks/NOTES.md, session 6)
SPLIT_ROWS = None


def _two_threads(xp, batch) -> bool:
    """Whether the loops on contiguous blocks may run two halves of the batch at once, on the
    caller's and kerasette's helper thread: numpy, BLAS allowed two threads (not inside a
    two-shard step, which limits it to one), two cores, the caller not the helper, BLAS
    threads that do not spin on the second core.  The per-step products (64-row blocks and
    smaller) are ones BLAS runs on one thread anyway; each row's numbers are the same."""
    return (xp is numpy and SPLIT_ROWS is not None and batch >= SPLIT_ROWS and backend.parallel_shards() != 1
            and not backend.on_helper_thread() and (os.cpu_count() or 1) >= 2
            and (backend.blas_threads() or 1) >= 2 and backend.blas_spinning_is_short())


def _by_halves(xp, shape, dtype, run):
    """``run(rows, out)`` writes the result's rows ``rows`` into ``out``; with two threads
    allowed, the two halves of the batch run at once."""
    batch = shape[0]
    if not _two_threads(xp, batch):
        return run(slice(None), None)
    out = xp.empty(shape, dtype)
    half = batch // 2
    other = backend.helper_thread().submit(run, slice(half, None), out[half:])
    try:
        run(slice(0, half), out[:half])
    finally:
        other.result()
    return out


def _run(xp, xw, kernel, state0, bias, mask, attrs):
    """The forward loop: the packed output (batch, time, state + saved)."""
    cell, units = attrs["cell"], attrs["units"]
    dtype = result_dtype(xw.dtype, kernel.dtype, state0.dtype)
    if _fast(xp, cell, mask, dtype, xw.shape):
        act, ract = ((name, ACTIVATIONS[name][0]) for name in (attrs["activation"], attrs["recurrent_activation"]))
        if cell == "lstm":
            def run(rows, out):
                return lstm_forward(xp, xw[rows], kernel, state0[rows], bias, act, ract, dtype, out=out)
        else:
            def run(rows, out):
                return gru_forward(xp, xw[rows], kernel, state0[rows], bias, act, ract, dtype, attrs["reset_after"],
                                   out=out)
        width = state_width(cell, units) + saved_width(cell, units)
        return _by_halves(xp, (xw.shape[0], xw.shape[1], width), dtype, run)
    step = _Step(xp, cell, units, kernel, bias, attrs["activation"], attrs["recurrent_activation"],
                 attrs["reset_after"])
    batch, time = xw.shape[:2]
    width = state_width(cell, units)
    out = xp.empty((batch, time, width + saved_width(cell, units)), dtype=dtype)
    state = state0.astype(dtype, copy=False)
    keep = None if mask is None else mask.astype(bool)[:, :, None]
    for t in range(time):
        row = out[:, t]
        step(xw[:, t], state, row)
        if keep is not None:
            row[:, :width] = xp.where(keep[:, t], row[:, :width], state)
        state = row[:, :width]
    return out


def _part(ops, x, *key):
    """``x[key]`` through the namespace (slices as the getitem primitive's (start, stop, step))."""
    return ops.getitem(x, key=tuple((k.start, k.stop, k.step) if isinstance(k, slice) else k for k in key))


class _Recurrent(Primitive):
    """What both primitives check: the attrs (cell, units, activations, reset_after,
    has_bias, has_mask) name a known cell and activations they can differentiate."""

    def _checked(self, inputs, attrs):
        cell, units = attrs["cell"], attrs["units"]
        activation = attrs.get("activation", "tanh")
        recurrent_activation = attrs.get("recurrent_activation", "sigmoid")
        if activation not in ACTIVATIONS or recurrent_activation not in ACTIVATIONS:
            raise ValueError(f"{self.name}: activations must be among {sorted(ACTIVATIONS)}, got "
                             f"{activation!r} and {recurrent_activation!r}")
        parts = _split_inputs(inputs, attrs.get("has_bias", False), attrs.get("has_mask", False))
        _check(self.name, *parts[:5], cell, units)
        return parts, dict(cell=cell, units=units, activation=activation,
                           recurrent_activation=recurrent_activation, reset_after=attrs.get("reset_after", True))


@register
class Recurrence(_Recurrent):
    """The states of a SimpleRNN / LSTM / GRU after every step of the sequence (and the
    values its backward pass reuses: the module docstring has the layout)."""

    name = "recurrence"

    def infer(self, *inputs, **attrs):
        (xw, kernel, state0, _, _, _), checked = self._checked(inputs, attrs)
        width = state_width(checked["cell"], checked["units"]) + saved_width(checked["cell"], checked["units"])
        return Spec((xw.shape[0], xw.shape[1], width), result_dtype(xw.dtype, kernel.dtype, state0.dtype))

    def forward(self, xp, *arrays, **attrs):
        (xw, kernel, state0, bias, mask, _), checked = self._checked(arrays, attrs)
        return _run(xp, xw, kernel, state0, bias, mask, checked)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return self.gradient_of([True] * len(inputs), ops, inputs, output, grad, **attrs)

    def gradient_of(self, needed, ops, inputs, output, grad, **attrs):
        cell, units, reset_after = attrs["cell"], attrs["units"], attrs.get("reset_after", True)
        has_bias, has_mask = attrs.get("has_bias", False), attrs.get("has_mask", False)
        state0 = inputs[2]
        packed = ops.recurrence_backward(*inputs, output, grad, **attrs)
        gates = gate_count(cell) * units
        every = slice(None)
        steps = _part(ops, packed, every, slice(None, -1))
        # strided views of the packed rows, each read by two or three products and a sum:
        # copied once (W3 -4%, W3-GRU -7% a step: benchmarks/NOTES.md, session 7)
        d_xw = ops.contiguous(_part(ops, steps, every, every, slice(0, gates)))
        d_state0 = _part(ops, packed, every, -1, slice(0, state_width(cell, units)))
        # the recurrent product's left operand at each step: the previous state's h
        previous_h = ops.concatenate(ops.expand_dims(_part(ops, state0, every, slice(0, units)), axis=(1,)),
                                     _part(ops, output, every, slice(None, -1), slice(0, units)), axis=1)
        d_inner = ops.contiguous(_part(ops, steps, every, every, slice(gates, 2 * gates))) if cell == "gru" else d_xw
        d_kernel = d_bias = None
        if needed[1]:
            if cell == "gru" and not reset_after:
                reset_h = _part(ops, steps, every, every, slice(2 * gates, None))
                d_kernel = ops.concatenate(
                    ops.einsum(previous_h, _part(ops, d_inner, every, every, slice(0, 2 * units)),
                               equation="btu,btg->ug"),
                    ops.einsum(reset_h, _part(ops, d_xw, every, every, slice(2 * units, None)),
                               equation="btu,btg->ug"), axis=1)
            else:
                d_kernel = ops.einsum(previous_h, d_inner, equation="btu,btg->ug")
        if has_bias and needed[3]:
            d_bias = ops.sum(d_inner, axis=(0, 1))
        grads = [d_xw if needed[0] else None, d_kernel, d_state0 if needed[2] else None]
        if has_bias:
            grads.append(d_bias)
        if has_mask:
            grads.append(None)
        return tuple(grads)


@register
class RecurrenceBackward(_Recurrent):
    """Back-propagation through time for ``recurrence`` (layout in the module docstring)."""

    name = "recurrence_backward"
    differentiable = False

    def infer(self, *inputs, **attrs):
        (xw, kernel, state0, _, _, (states, grad)), checked = self._checked(inputs, attrs)
        time = None if xw.shape[1] is None else xw.shape[1] + 1
        width = backward_width(checked["cell"], checked["units"], checked["reset_after"])
        return Spec((xw.shape[0], time, width), result_dtype(xw.dtype, kernel.dtype, state0.dtype, grad.dtype))

    def forward(self, xp, *arrays, **attrs):
        (xw, kernel, state0, bias, mask, (states, grad)), checked = self._checked(arrays, attrs)
        cell, units, reset_after = checked["cell"], checked["units"], checked["reset_after"]
        activation, recurrent_activation = checked["activation"], checked["recurrent_activation"]
        act_grad = ACTIVATIONS[activation][1]
        ract_grad = ACTIVATIONS[recurrent_activation][1]
        batch, time = xw.shape[:2]
        u = units
        gates = gate_count(cell) * u
        width = state_width(cell, u)
        dtype = states.dtype
        if _fast(xp, cell, mask, dtype, xw.shape) and (cell == "lstm" or reset_after):
            backward = lstm_backward if cell == "lstm" else gru_backward

            def run(rows, out):
                return backward(xp, kernel, state0[rows], states[rows], grad[rows], (activation, act_grad),
                                (recurrent_activation, ract_grad), dtype, out=out)
            return _by_halves(xp, (batch, time + 1, backward_width(cell, u, reset_after)), dtype, run)
        out = xp.zeros((batch, time + 1, backward_width(cell, u, reset_after)), dtype=dtype)
        carried = xp.zeros((batch, width), dtype=dtype)      # d(state after step t) from step t + 1
        keep = None if mask is None else mask.astype(dtype)[:, :, None]
        for t in range(time - 1, -1, -1):
            d_state = grad[:, t, :width] + carried
            row = states[:, t]
            previous = state0 if t == 0 else states[:, t - 1, :width]
            if keep is not None:
                passed = d_state * (1 - keep[:, t])        # masked rows: the state went through unchanged
                d_state *= keep[:, t]
            if cell == "simple":
                d_x = out[:, t, :gates]
                xp.multiply(d_state, act_grad(xp, row[:, :u]), out=d_x)
                d_previous = d_x @ kernel.T
            elif cell == "lstm":
                i, f, g, o = (row[:, (2 + k) * u:(3 + k) * u] for k in range(4))
                squashed = row[:, 6 * u:]
                d_h, d_c = d_state[:, :u], d_state[:, u:]
                d_c += d_h * o * act_grad(xp, squashed)
                d_z = out[:, t, :gates]
                d_z[:, :u] = d_c * g
                d_z[:, u:2 * u] = d_c * previous[:, u:]
                d_z[:, 3 * u:] = d_h * squashed
                d_z *= ract_grad(xp, row[:, 2 * u:6 * u])
                d_z[:, 2 * u:3 * u] = d_c * i * act_grad(xp, g)
                d_previous = xp.concatenate([d_z @ kernel.T, d_c * f], axis=1)
            else:
                h = previous
                z, r, candidate = row[:, u:2 * u], row[:, 2 * u:3 * u], row[:, 3 * u:4 * u]
                d_x = out[:, t, :gates]
                d_inner = out[:, t, gates:2 * gates]
                d_a = d_state * (1 - z) * act_grad(xp, candidate)
                d_x[:, :u] = d_state * (h - candidate)
                d_x[:, 2 * u:] = d_a
                if reset_after:
                    d_x[:, u:2 * u] = d_a * row[:, 6 * u:7 * u]
                    d_x[:, :2 * u] *= ract_grad(xp, row[:, u:3 * u])
                    d_inner[:, :2 * u] = d_x[:, :2 * u]
                    xp.multiply(d_a, r, out=d_inner[:, 2 * u:])
                    d_previous = d_state * z + d_inner @ kernel.T
                else:
                    d_reset_h = d_a @ kernel[:, 2 * u:].T
                    d_x[:, u:2 * u] = d_reset_h * h
                    d_x[:, :2 * u] *= ract_grad(xp, row[:, u:3 * u])
                    d_inner[:, :2 * u] = d_x[:, :2 * u]
                    d_inner[:, 2 * u:] = d_a
                    out[:, t, 2 * gates:] = row[:, 6 * u:7 * u]
                    d_previous = d_state * z + d_reset_h * r + d_x[:, :2 * u] @ kernel[:, :2 * u].T
            if keep is not None:
                d_previous += passed
            carried = d_previous
        out[:, time, :width] = carried
        return out


@register
class WithUpdates(Primitive):
    """``with_updates(value, *updates)``: ``value`` itself, once the ``updates`` (assign
    nodes) have run.  A stateful recurrent layer returns its outputs through it, so
    that a program fetching them also carries the layer's final states into its
    state variables; the gradient goes to ``value`` alone."""

    name = "with_updates"

    def infer(self, value, *updates):
        return Spec(tuple(value.shape), value.dtype)

    def forward(self, xp, value, *updates):
        return value

    def gradient(self, ops, inputs, output, grad):
        return (grad,) + (None,) * (len(inputs) - 1)
