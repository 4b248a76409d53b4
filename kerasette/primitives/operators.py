"""Python operators shared by symbolic nodes and eager Tensors.

Both kinds of tensor inherit this mixin and implement one hook,
``_apply(name, *inputs, **attrs)``, which either adds a node to a graph
(engine) or computes and records on the tape (eager).  The named methods
(``.sum()``, ``.reshape()``, indexing, ...) are installed on this class by
``kerasette.ops`` in one place, so the two kinds of tensor always offer the
same methods.
"""
from __future__ import annotations


class Operators:
    # numpy must hand ``array * tensor`` back to our reflected operators
    # instead of broadcasting over the tensor as an object array.
    __array_ufunc__ = None
    __slots__ = ()

    @classmethod
    def _apply(cls, name, *inputs, **attrs):
        raise NotImplementedError

    def __add__(self, other):
        return self._apply("add", self, other)

    def __radd__(self, other):
        return self._apply("add", other, self)

    def __sub__(self, other):
        return self._apply("subtract", self, other)

    def __rsub__(self, other):
        return self._apply("subtract", other, self)

    def __mul__(self, other):
        return self._apply("multiply", self, other)

    def __rmul__(self, other):
        return self._apply("multiply", other, self)

    def __truediv__(self, other):
        return self._apply("divide", self, other)

    def __rtruediv__(self, other):
        return self._apply("divide", other, self)

    def __pow__(self, other):
        return self._apply("power", self, other)

    def __rpow__(self, other):
        return self._apply("power", other, self)

    def __floordiv__(self, other):
        return self._apply("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return self._apply("floor_divide", other, self)

    def __mod__(self, other):
        return self._apply("mod", self, other)

    def __rmod__(self, other):
        return self._apply("mod", other, self)

    def __matmul__(self, other):
        return self._apply("matmul", self, other)

    def __rmatmul__(self, other):
        return self._apply("matmul", other, self)

    def __neg__(self):
        return self._apply("negative", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._apply("abs", self)

    def __lt__(self, other):
        return self._apply("less", self, other)

    def __le__(self, other):
        return self._apply("less_equal", self, other)

    def __gt__(self, other):
        return self._apply("greater", self, other)

    def __ge__(self, other):
        return self._apply("greater_equal", self, other)

    def __eq__(self, other):
        return self._apply("equal", self, other)

    def __ne__(self, other):
        return self._apply("not_equal", self, other)

    def __and__(self, other):
        return self._apply("logical_and", self, other)

    def __or__(self, other):
        return self._apply("logical_or", self, other)

    def __rand__(self, other):
        return self._apply("logical_and", other, self)

    def __ror__(self, other):
        return self._apply("logical_or", other, self)

    def __xor__(self, other):
        return self._apply("logical_xor", self, other)

    def __rxor__(self, other):
        return self._apply("logical_xor", other, self)

    def __invert__(self):
        return self._apply("logical_not", self)

    # Elementwise == makes tensors unhashable by default; they are keys in
    # feed dicts and gradient tables, always by identity.
    __hash__ = object.__hash__
