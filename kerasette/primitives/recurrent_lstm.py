"""The LSTM time loop of ``recurrence`` / ``recurrence_backward`` on contiguous blocks.

The packed output (batch, time, 7 * units) has each step's row ``h | c | i f g o |
tanh(c)`` strided by the whole sequence: numpy's elementwise loops on such rows,
and on the gate columns of a (batch, 4 * units) row, run 2-4 times slower than on
contiguous blocks (benchmarks/NOTES.md, session 6).  Here a step works on
contiguous (batch, units) blocks, laid out (slot, batch, units), and the packed
arrays are written (or read) with one copy per step or per chunk of steps.

Forward: a step's slots are h, c, i, f, g, o, tanh(c) in a buffer of its own (two
buffers in turn, so that the previous step's h and c stay in place); ``h @ U`` is
one stacked product ``(batch, u) @ (4, u, u)`` into the four gate blocks, each
activation runs in place, and the row is copied into the packed output once.  The
arithmetic and its order are the general step's (``(x + h @ U) + b``, the sigmoid
as ``1 / (1 + exp(-z))``, ``c = f * c_prev + i * g``, ``h = o * act(c)``): the same
numbers bit for bit.  The stacked products (u x u blocks) are small enough that
BLAS runs them on one thread whatever its thread count.

Backward: per chunk of steps (``CHUNK_BYTES`` of slots), the saved activations are
copied into blocks and every factor that does not depend on the carried gradient is
formed for the whole chunk (``o * act'(s)``, ``g * ract'(i)``, ``c_prev * ract'(f)``,
``i * act'(g)``, ``s * ract'(o)``, with ``s = tanh(c)``); a step is then
``dh = g_h + sum(dz_next @ U.T)``, ``dc = g_c + dc_next * f_next + dh * o * act'(s)``
and ``dz = [dc, dc, dc, dh] * factors``.  Products are associated differently from
the step-by-step formula: the gradients agree to rounding.

Masks, other dtypes and cupy arrays take the general loop in ``recurrent``.
"""
from __future__ import annotations

from .activations import quiet_overflow

#: the time-major work buffers hold about this many bytes of step slots
CHUNK_BYTES = 1 << 20


def chunk_steps(time, batch, units, itemsize):
    """Steps per chunk of the time-major work buffers: about 1 MiB of step slots."""
    return max(1, min(time, CHUNK_BYTES // (11 * batch * units * itemsize)))


def activate(xp, name, function, x, out):
    """``function(x)`` (the activation ``name``) into ``out``, which may be ``x``: sigmoid as
    ``1 / (1 + exp(-x))`` and tanh in ``out`` itself, the others through ``function``."""
    if name == "sigmoid":
        xp.negative(x, out=out)
        xp.exp(out, out=out)
        out += 1
        xp.reciprocal(out, out=out)
    elif name == "tanh":
        xp.tanh(x, out=out)
    else:
        out[...] = function(xp, x)


def lstm_forward(xp, xw, kernel, state0, bias, activation, recurrent_activation, dtype, out=None):
    """The packed output (batch, time, 7 * units) of an LSTM over the sequence, no mask.
    ``activation`` and ``recurrent_activation`` are (name, function) pairs."""
    batch, time = xw.shape[:2]
    units = kernel.shape[0]
    kernel4 = xp.ascontiguousarray(kernel.reshape(units, 4, units).transpose(1, 0, 2), dtype=dtype)
    inputs = xw.reshape(batch, time, 4, units).transpose(1, 2, 0, 3)       # (time, 4, batch, units) view
    bias4 = None
    if bias is not None:
        bias4 = xp.empty((4, batch, units), dtype)
        bias4[...] = bias.reshape(4, 1, units)
    out = (xp.empty((batch, time, 7 * units), dtype) if out is None else out).reshape(batch, time, 7, units)
    steps = out.transpose(1, 2, 0, 3)                                        # (time, 7, batch, units) view
    # two steps' slots (h, c, i, f, g, o, tanh(c)), each a contiguous (batch, units) block
    work = xp.empty((2, 7, batch, units), dtype)
    h = xp.ascontiguousarray(state0[:, :units], dtype=dtype)
    c = xp.ascontiguousarray(state0[:, units:], dtype=dtype)
    product = xp.empty((batch, units), dtype)
    with quiet_overflow(xp):
        for t in range(time):
            step = work[t % 2]
            z = step[2:6]
            xp.matmul(h, kernel4, out=z)
            z += inputs[t]
            if bias4 is not None:
                z += bias4
            i, f, g, o = z
            for gates in (z[:2], o):
                activate(xp, *recurrent_activation, gates, gates)
            activate(xp, *activation, g, g)
            new_c = step[1]
            xp.multiply(f, c, out=new_c)
            xp.multiply(i, g, out=product)
            new_c += product
            squashed = step[6]
            activate(xp, *activation, new_c, squashed)
            xp.multiply(o, squashed, out=step[0])
            h, c = step[0], new_c
            steps[t] = step
    return out.reshape(batch, time, 7 * units)


def _derivative(xp, name, derivative, y, out):
    """``derivative(y)`` (an activation's derivative from its output) into ``out``."""
    if name == "sigmoid":           # y * (1 - y)
        xp.subtract(1, y, out=out)
        out *= y
    elif name == "tanh":            # 1 - y * y
        xp.multiply(y, y, out=out)
        xp.subtract(1, out, out=out)
    else:
        out[...] = derivative(xp, y)


def carried_sum(xp, d_blocks, kernel_t, blocks, out):
    """``sum(d_blocks @ U.T)`` over the gate blocks, in order, into ``out``: the part of the
    previous state's gradient that comes through the stacked recurrent product."""
    xp.matmul(d_blocks, kernel_t, out=blocks)
    xp.add(blocks[0], blocks[1], out=out)
    for block in blocks[2:]:
        out += block


def lstm_backward(xp, kernel, state0, states, grad, activation, recurrent_activation, dtype, out=None):
    """Back-propagation through time of ``lstm_forward``: (batch, time + 1, 4 * units), the
    layout of ``recurrence_backward``.  ``activation`` and ``recurrent_activation`` are
    (name, derivative from the output) pairs."""
    batch, time = states.shape[:2]
    units = kernel.shape[0]
    packed = states.reshape(batch, time, 7, units).transpose(1, 2, 0, 3)    # (time, 7, batch, units) views
    state_grads = grad.reshape(batch, time, -1, units).transpose(1, 2, 0, 3)
    kernel_t = xp.ascontiguousarray(kernel.reshape(units, 4, units).transpose(1, 2, 0), dtype=dtype)
    chunk = chunk_steps(time, batch, units, xp.dtype(dtype).itemsize)
    # per step of a chunk: i, f, g, o, tanh(c), the previous c, d(h) and d(c) from the outputs
    saved = xp.empty((chunk, 5, batch, units), dtype)
    c_prev = xp.empty((chunk, batch, units), dtype)
    given = xp.empty((chunk, 2, batch, units), dtype)
    # the factors of each step that do not depend on the carried gradient: d(z_i, z_f, z_g) per
    # unit of d(c), d(z_o) per unit of d(h), then d(c) per unit of d(h)
    recurrent = xp.empty((chunk, 4, batch, units), dtype)     # ract' of i, f, (g), o
    activated = xp.empty((chunk, 3, batch, units), dtype)     # act' of g, (o), tanh(c)
    factors = xp.empty((chunk, 5, batch, units), dtype)
    d_gates = xp.empty((chunk, 4, batch, units), dtype)
    blocks = xp.empty((4, batch, units), dtype)
    d_h = xp.empty((batch, units), dtype)
    d_c = xp.empty((batch, units), dtype)
    product = xp.empty((batch, units), dtype)
    out = (xp.empty((batch, time + 1, 4 * units), dtype) if out is None else out).reshape(batch, time + 1, 4, units)
    f_next = dz_next = None
    for stop in range(time, 0, -chunk):
        start = max(0, stop - chunk)
        steps = stop - start
        saved[:steps] = packed[start:stop, 2:7]
        i, f, g, o, squashed = (saved[:steps, k] for k in range(5))
        _derivative(xp, *recurrent_activation, saved[:steps, :4], recurrent[:steps])
        _derivative(xp, *activation, saved[:steps, 2:5], activated[:steps])
        if start == 0:
            c_prev[0] = state0[:, units:]
            c_prev[1:steps] = packed[0:stop - 1, 1]
        else:
            c_prev[:steps] = packed[start - 1:stop - 1, 1]
        given[:steps] = state_grads[start:stop, :2]
        xp.multiply(g, recurrent[:steps, 0], out=factors[:steps, 0])
        xp.multiply(c_prev[:steps], recurrent[:steps, 1], out=factors[:steps, 1])
        xp.multiply(i, activated[:steps, 0], out=factors[:steps, 2])
        xp.multiply(squashed, recurrent[:steps, 3], out=factors[:steps, 3])
        xp.multiply(o, activated[:steps, 2], out=factors[:steps, 4])
        for k in range(steps - 1, -1, -1):
            if dz_next is None:
                d_h[...] = given[k, 0]
                d_c[...] = given[k, 1]
            else:
                carried_sum(xp, dz_next, kernel_t, blocks, d_h)
                d_h += given[k, 0]
                d_c *= f_next
                d_c += given[k, 1]
            xp.multiply(d_h, factors[k, 4], out=product)
            d_c += product
            dz_next = d_gates[k]
            xp.multiply(d_c, factors[k, :3], out=dz_next[:3])
            xp.multiply(d_h, factors[k, 3], out=dz_next[3])
            f_next = f[k]
        out[:, start:stop] = d_gates[:steps].transpose(2, 0, 1, 3)
        if start > 0:                 # the next chunk overwrites the buffers
            f_next, dz_next = xp.copy(f_next), xp.copy(dz_next)
    last = out[:, time].reshape(batch, 4 * units)
    carried_sum(xp, dz_next, kernel_t, blocks, last[:, :units])
    xp.multiply(d_c, f_next, out=last[:, units:2 * units])
    last[:, 2 * units:] = 0
    return out.reshape(batch, time + 1, 4 * units)
