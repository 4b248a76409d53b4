"""The GRU time loop of ``recurrence`` on contiguous blocks (the forward; its backward is
the general loop in ``recurrent``, which reads the same packed row).

As in ``recurrent_lstm``: each step works on contiguous (batch, units) slots of a small
work buffer, ``h @ U`` is one stacked product into its gate blocks, and the step's packed
row ``h | z r | candidate | inner | (r * h)`` is written once.  The arithmetic and its order
are the general step's (``_Step`` in ``recurrent``): the same numbers.
"""
from __future__ import annotations

from .activations import quiet_overflow, sigmoid_array


def _blocks(xp, kernel, count, units, dtype):
    """(units, count * units) -> contiguous (count, units, units) column blocks."""
    return xp.ascontiguousarray(kernel.reshape(units, count, units).transpose(1, 0, 2), dtype=dtype)


def gru_forward(xp, xw, kernel, state0, bias, act, ract, dtype, reset_after, tanh=False):
    """The packed output (batch, time, 7 * units) of a GRU over the sequence, no mask;
    ``tanh`` says that ``act`` is tanh (computed in place)."""
    batch, time = xw.shape[:2]
    units = kernel.shape[0]
    sig = ract is sigmoid_array
    inputs = xw.reshape(batch, time, 3, units).transpose(1, 2, 0, 3)       # (time, 3, batch, units) view
    if reset_after:
        kernel_blocks = _blocks(xp, kernel, 3, units, dtype)
        candidate_kernel = None
        inner_bias = None
        if bias is not None:
            inner_bias = xp.empty((3, batch, units), dtype)
            inner_bias[...] = bias.reshape(3, 1, units)
    else:
        kernel_blocks = _blocks(xp, kernel[:, :2 * units], 2, units, dtype)
        candidate_kernel = xp.ascontiguousarray(kernel[:, 2 * units:], dtype=dtype)
    out = xp.empty((batch, time, 7, units), dtype)
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
            if reset_after:
                inner = step[4:7]
                xp.matmul(h, kernel_blocks, out=inner)
                if inner_bias is not None:
                    inner += inner_bias
            else:
                inner = step[4:6]
                xp.matmul(h, kernel_blocks, out=inner)
            xp.add(x[:2], inner[:2], out=gates)
            if sig:
                xp.negative(gates, out=gates)
                xp.exp(gates, out=gates)
                gates += 1
                xp.reciprocal(gates, out=gates)
            else:
                gates[...] = ract(xp, gates)
            if reset_after:
                xp.multiply(r, inner[2], out=product)
            else:
                reset_h = step[6]
                xp.multiply(r, h, out=reset_h)
                xp.matmul(reset_h, candidate_kernel, out=product)
            xp.add(x[2], product, out=candidate)
            if tanh:
                xp.tanh(candidate, out=candidate)
            else:
                candidate[...] = act(xp, candidate)
            # h = z * h + (1 - z) * candidate, in Keras' order of operations
            new_h = step[0]
            xp.multiply(z, h, out=new_h)
            xp.subtract(1, z, out=product)
            product *= candidate
            new_h += product
            h = new_h
            steps[t] = step
    return out.reshape(batch, time, 7 * units)
