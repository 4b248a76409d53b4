"""Rewrites of a compiled schedule that give the same bits for less work.

``pool_first``: ``max_pool(relu(x))`` is ``relu(max_pool(x))``, and
``max_pool(x + b)`` is ``max_pool(x) + b`` where ``b`` is the same along the
pooled axes (a convolution's or a dense layer's bias, one number per
channel).  Both are exact in floating point, not only in arithmetic: relu
and adding a fixed number are non-decreasing functions of ``x`` even after
rounding (rounding to nearest is monotone), so the element that is largest
in a window before them is largest after them, and the result is the same
bits, ties and signed zeros aside (``max(-0.0, +0.0)`` through relu is +0.0
either way).  With the pool first, the pointwise ops run on the pooled
array: a quarter of the elements for a 2x2 pool (``Conv2D(activation=
"relu")`` then ``MaxPooling2D``: the bias add and the relu of the seed CNN's
first layer read and write 23 MB per 1024 images, then 6 MB).

A rewrite applies only where the values it removes are read by nothing
else: not fetched, not written to a variable, not read by another step (in
a training program the gradients read the relu's output, so there it never
applies).  Slots keep their numbers; only the operations that fill them
change, so the compiler's lifetimes and lanes work on the rewritten steps
as on any others.

``in_place``: an elementwise op (add, subtract, multiply, divide, negative,
relu: primitives with ``in_place_inputs``) writes its result into an input
array that nothing reads after it, instead of a new array: the same ufunc on
the same operands, the same bits, and one allocation and one cold buffer
less (W2's two hidden layers on 1024 rows, alone: 7.9 ms with the bias adds
and relus out of place, 7.55 in place; benchmarks/NOTES.md).  The schedule says when a slot is read for the
last time; whether its array is the program's alone is checked each run:
the array (or the array it is a view of) must be held by nothing but the
program's slot, which ``sys.getrefcount`` tells exactly (a view elsewhere,
a variable's value, a fed or constant array all hold references of their
own).  Otherwise the op makes a new array as usual.
"""
from __future__ import annotations

import sys
from collections import Counter


def pool_first(steps, nodes, kept):
    """Rewrite ``steps`` (``[forward, in_slots, attrs, out_slot]`` lists; ``nodes[slot]`` is
    the node a slot was made for) in place; returns how many pools moved."""
    readers = Counter(slot for step in steps for slot in step[1])
    producer = {step[3]: index for index, step in enumerate(steps)}
    shapes = {}             # slots whose values changed shape (they now hold pooled arrays)
    moved = 0
    changed = True
    while changed:
        changed = False
        for index, (forward, in_slots, attrs, out_slot) in enumerate(steps):
            if _name(forward) != "max_pool" or len(in_slots) != 1:
                continue
            source = in_slots[0]
            inner = producer.get(source)
            if inner is None or readers[source] != 1 or source in kept:
                continue
            inner_forward, inner_slots, inner_attrs, _ = steps[inner]
            through = _pointwise_input(_name(inner_forward), inner_slots, inner_attrs, nodes, shapes, source)
            if through is None:
                continue
            # the pool reads what the pointwise op read and fills its slot; the pointwise op
            # reads the pooled values (and its bias, still made earlier) and fills the pool's
            steps[inner] = [forward, (through,), attrs, source]
            steps[index] = [inner_forward, tuple(source if slot == through else slot for slot in inner_slots),
                            inner_attrs, out_slot]
            producer[source], producer[out_slot] = inner, index
            shapes[source] = tuple(nodes[out_slot].shape)
            moved += 1
            changed = True
    return moved


def in_place(steps, kept):
    """Let elementwise steps write into an input that they read last (``steps`` as in
    ``pool_first``, rewritten in place); returns how many steps may."""
    readers = Counter(slot for step in steps for slot in step[1])
    made = {step[3] for step in steps}
    count = 0
    for step in steps:
        op = getattr(step[0], "__self__", None)
        candidates = tuple(k for k in getattr(op, "in_place_inputs", ())
                           if k < len(step[1]) and step[1][k] in made and readers[step[1][k]] == 1
                           and step[1][k] not in kept)
        if candidates:
            step[0] = InPlace(op, candidates)
            count += 1
    return count


class InPlace:
    """A step's forward that writes into one of its inputs when that array is free to take it."""

    #: what ``sys.getrefcount`` gives for an input array held by the program's slot alone
    #: (measured once through this very call, run by the program: ``compiler._calibrate``)
    alone = None

    def __init__(self, op, candidates):
        self.__self__ = op          # the step's primitive, as for a bound forward
        self.candidates = candidates
        self.forward = op.forward
        self.forward_into = op.forward_into

    def __call__(self, xp, *arrays, **attrs):
        for k in self.candidates:
            out = arrays[k]
            if self.takes(out, sys.getrefcount(out), xp):
                result = self.forward_into(xp, out, *arrays, **attrs)
                if result is not None:
                    return result
        return self.forward(xp, *arrays, **attrs)

    def takes(self, array, count, xp):
        """Whether ``array``, seen ``count`` times, is the program's alone to write into."""
        return count == InPlace.alone and _writable_alone(array, xp)


def _writable_alone(array, xp):
    """A writeable array whose memory no other array shares: it owns its data, or the
    array it views is referenced by it alone."""
    if type(array) is not xp.ndarray or not array.flags.writeable:
        return False
    base = array.base
    # 3: ``array.base``, the name ``base`` and getrefcount's own argument
    return base is None or (type(base) is xp.ndarray and base.base is None and sys.getrefcount(base) == 3)


def _name(forward):
    return getattr(getattr(forward, "__self__", None), "name", None)


def _pointwise_input(name, in_slots, attrs, nodes, shapes, out_slot):
    """The slot a pool may read instead of this op's result (relu, or an add of a bias
    constant along the pooled axes, keeping the dtype), or None."""
    out = nodes[out_slot]
    if out.dtype.kind != "f":      # integer adds may wrap around: not monotone
        return None
    if name == "relu" and len(in_slots) == 1 and not attrs:
        return in_slots[0]
    if name != "add" or len(in_slots) != 2 or attrs:
        return None
    for through, bias in (in_slots, in_slots[::-1]):
        x, b = nodes[through], nodes[bias]
        if shapes.get(through, tuple(x.shape)) != tuple(out.shape) or x.dtype != out.dtype or len(out.shape) < 3:
            continue
        # b broadcast to x: one value for every position of the pooled (middle) axes
        aligned = (1,) * (len(out.shape) - len(b.shape)) + tuple(b.shape)
        if len(aligned) == len(out.shape) and all(size == 1 for size in aligned[1:-1]) \
                and b.dtype == out.dtype and bias not in shapes:
            return through
    return None


__all__ = ["InPlace", "in_place", "pool_first"]
