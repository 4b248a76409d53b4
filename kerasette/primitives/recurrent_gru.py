"""The GRU time loop of ``recurrence`` and ``recurrence_backward`` on contiguous blocks
(the backward with ``reset_after``; without it, the general loop in ``recurrent``).

As in ``recurrent_lstm``: each step works on contiguous (batch, units) slots of a small
work buffer, ``h @ U`` is one stacked product into its gate blocks, and the step's packed
row ``h | z r | candidate | inner | (r * h)`` is written once.  The arithmetic and its order
are the general step's (``_Step`` in ``recurrent``): the same numbers.
"""
from __future__ import annotations

from .activations import quiet_overflow
from .recurrent_lstm import _derivative, activate, carried_sum, chunk_steps


def _blocks(xp, kernel, count, units, dtype):
    """(units, count * units) -> contiguous (count, units, units) column blocks."""
    return xp.ascontiguousarray(kernel.reshape(units, count, units).transpose(1, 0, 2), dtype=dtype)


def gru_forward(xp, xw, kernel, state0, bias, activation, recurrent_activation, dtype, reset_after, out=None):
    """The packed output (batch, time, 7 * units) of a GRU over the sequence, no mask.
    ``activation`` and ``recurrent_activation`` are (name, function) pairs."""
    batch, time = xw.shape[:2]
    units = kernel.shape[0]
    inputs = xw.reshape(batch, time, 3, units).transpose(1, 2, 0, 3)       # (time, 3, batch, units) view
    inner_bias = None                       # the recurrent bias, added to h @ U with reset_after
    if reset_after:
        kernel_blocks = _blocks(xp, kernel, 3, units, dtype)
        if bias is not None:
            inner_bias = xp.empty((3, batch, units), dtype)
            inner_bias[...] = bias.reshape(3, 1, units)
    else:
        kernel_blocks = _blocks(xp, kernel[:, :2 * units], 2, units, dtype)
        candidate_kernel = xp.ascontiguousarray(kernel[:, 2 * units:], dtype=dtype)
    out = (xp.empty((batch, time, 7 * units), dtype) if out is None else out).reshape(batch, time, 7, units)
    steps = out.transpose(1, 2, 0, 3)                                        # (time, 7, batch, units) view
    # two steps' slots: h, z, r, candidate, inner (3 blocks, or 2 and r * h)
    work = xp.empty((2, 7, batch, units), dtype)
    h = xp.ascontiguousarray(state0, dtype=dtype)
    product = xp.empty((batch, units), dtype)
    with quiet_overflow(xp):
        for t in range(time):
            step = work[t % 2]
            x = inputs[t]
            gates, candidate = step[1:3], step[3]
            z, r = gates
            inner = step[4:7] if reset_after else step[4:6]
            xp.matmul(h, kernel_blocks, out=inner)
            if inner_bias is not None:
                inner += inner_bias
            xp.add(x[:2], inner[:2], out=gates)
            activate(xp, *recurrent_activation, gates, gates)
            if reset_after:
                xp.multiply(r, inner[2], out=product)
            else:
                reset_h = step[6]
                xp.multiply(r, h, out=reset_h)
                xp.matmul(reset_h, candidate_kernel, out=product)
            xp.add(x[2], product, out=candidate)
            activate(xp, *activation, candidate, candidate)
            # h = z * h + (1 - z) * candidate, in Keras' order of operations
            new_h = step[0]
            xp.multiply(z, h, out=new_h)
            xp.subtract(1, z, out=product)
            product *= candidate
            new_h += product
            h = new_h
            steps[t] = step
    return out.reshape(batch, time, 7 * units)


def gru_backward(xp, kernel, state0, states, grad, activation, recurrent_activation, dtype, out=None):
    """Back-propagation through time of a GRU with ``reset_after`` (layout of
    ``recurrence_backward``: (batch, time + 1, 6 * units)), on contiguous blocks as
    ``lstm_backward``.  Per step, with ``d`` the gradient of the state after it:
    ``d(x) = d * [(h_prev - candidate) * ract'(z), P * inner_c * ract'(r), P]`` with
    ``P = (1 - z) * act'(candidate)``, ``d(inner) = [d(x_z), d(x_r), d * P * r]``, and the
    previous state's ``d * z + d(inner) @ U.T``; the factors come per chunk of steps before
    its loop.  ``activation`` and ``recurrent_activation`` are (name, derivative) pairs."""
    batch, time = states.shape[:2]
    units = kernel.shape[0]
    packed = states.reshape(batch, time, 7, units).transpose(1, 2, 0, 3)    # (time, 7, batch, units) views
    given_all = grad[:, :, :units].transpose(1, 0, 2)                        # (time, batch, units)
    kernel_t = xp.ascontiguousarray(kernel.reshape(units, 3, units).transpose(1, 2, 0), dtype=dtype)
    chunk = chunk_steps(time, batch, units, xp.dtype(dtype).itemsize)
    # per step of a chunk: z, r, candidate, inner_c | the previous h | d(h) from the outputs
    saved = xp.empty((chunk, 4, batch, units), dtype)
    h_prev = xp.empty((chunk, batch, units), dtype)
    given = xp.empty((chunk, batch, units), dtype)
    recurrent = xp.empty((chunk, 2, batch, units), dtype)     # ract' of z, r
    activated = xp.empty((chunk, batch, units), dtype)        # act' of the candidate
    factors = xp.empty((chunk, 4, batch, units), dtype)       # per unit of d: d(x_z), d(x_r), d(x_c), d(inner_c)
    d_steps = xp.empty((chunk, 6, batch, units), dtype)       # d(x) z r c, d(inner) z r c
    blocks = xp.empty((3, batch, units), dtype)
    d = xp.empty((batch, units), dtype)
    product = xp.empty((batch, units), dtype)
    out = (xp.empty((batch, time + 1, 6 * units), dtype) if out is None else out).reshape(batch, time + 1, 6, units)
    z_next = d_inner_next = None
    for stop in range(time, 0, -chunk):
        start = max(0, stop - chunk)
        steps = stop - start
        saved[:steps, :3] = packed[start:stop, 1:4]
        saved[:steps, 3] = packed[start:stop, 6]
        if start == 0:
            h_prev[0] = state0
            h_prev[1:steps] = packed[0:stop - 1, 0]
        else:
            h_prev[:steps] = packed[start - 1:stop - 1, 0]
        given[:steps] = given_all[start:stop]
        z, r, candidate, inner_c = (saved[:steps, k] for k in range(4))
        _derivative(xp, *recurrent_activation, saved[:steps, :2], recurrent[:steps])
        _derivative(xp, *activation, candidate, activated[:steps])
        common = factors[:steps, 2]
        xp.subtract(1, z, out=common)
        common *= activated[:steps]
        xp.subtract(h_prev[:steps], candidate, out=factors[:steps, 0])
        factors[:steps, 0] *= recurrent[:steps, 0]
        xp.multiply(common, inner_c, out=factors[:steps, 1])
        factors[:steps, 1] *= recurrent[:steps, 1]
        xp.multiply(common, r, out=factors[:steps, 3])
        for k in range(steps - 1, -1, -1):
            if d_inner_next is None:
                d[...] = given[k]
            else:
                xp.multiply(d, z_next, out=product)
                carried_sum(xp, d_inner_next, kernel_t, blocks, d)
                d += product
                d += given[k]
            step = d_steps[k]
            xp.multiply(d, factors[k, :3], out=step[:3])
            step[3:5] = step[:2]
            xp.multiply(d, factors[k, 3], out=step[5])
            d_inner_next, z_next = step[3:], z[k]
        out[:, start:stop] = d_steps[:steps].transpose(2, 0, 1, 3)
        if start > 0:                 # the next chunk overwrites the buffers
            d_inner_next, z_next = xp.copy(d_inner_next), xp.copy(z_next)
    last = out[:, time].reshape(batch, 6 * units)
    xp.multiply(d, z_next, out=product)
    first = last[:, :units]
    carried_sum(xp, d_inner_next, kernel_t, blocks, first)
    first += product
    last[:, units:] = 0
    return out.reshape(batch, time + 1, 6 * units)
