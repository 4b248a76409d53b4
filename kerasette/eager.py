"""Define-by-run: ``Tensor`` computes at once and records what it did.

Each op on Tensors runs the primitive's forward on arrays straight away; when
gradients are wanted (some input ``requires_grad`` and we are not inside
``no_grad()``), the result also remembers its creator: the primitive, its
inputs and attributes.  ``backward()`` walks those records from the output
back in reverse creation order and asks each primitive's gradient rule for
its vector-Jacobian product, handing it array functions, so the rule
computes instead of building a graph.  Gradients accumulate in ``.grad`` on
leaves, like PyTorch.

>>> x = Tensor([3.0], requires_grad=True); y = Tensor([2.0])
>>> z = x * y; z.backward(); x.grad
tensor([2.])
"""
from __future__ import annotations

import contextlib
import itertools
import numbers

from . import backend
from .primitives.base import Primitive, get
from .primitives.operators import Operators

_grad_enabled = [True]
_generation = itertools.count()


@contextlib.contextmanager
def no_grad():
    """Inside, Tensor ops compute without recording anything for backward."""
    previous, _grad_enabled[0] = _grad_enabled[0], False
    try:
        yield
    finally:
        _grad_enabled[0] = previous


@contextlib.contextmanager
def enable_grad():
    previous, _grad_enabled[0] = _grad_enabled[0], True
    try:
        yield
    finally:
        _grad_enabled[0] = previous


def is_grad_enabled() -> bool:
    return _grad_enabled[0]


class Creator:
    """How a Tensor was made: enough to run the primitive's gradient rule."""

    __slots__ = ("primitive", "inputs", "attrs", "generation")

    def __init__(self, primitive, inputs, attrs):
        self.primitive = primitive
        self.inputs = inputs
        self.attrs = attrs
        self.generation = next(_generation)


class Tensor(Operators):
    """An array that can record the ops applied to it, for ``backward()``.

    >>> w = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> (w * w).sum().backward(); w.grad
    tensor([[2., 4.]])
    """

    __slots__ = ("data", "requires_grad", "grad", "creator", "_retain_grad",
                 "_symbolic_node", "__weakref__")

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.as_array(data, dtype=dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"Only float tensors can require gradients, not {self.data.dtype.name}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.creator = None
        self._retain_grad = False
        self._symbolic_node = None

    @classmethod
    def _apply(cls, name, *inputs, **attrs):
        return apply(name, *inputs, **attrs)

    # --------------------------------------------------------------- facts
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    @property
    def grad_fn(self):
        return None if self.creator is None else self.creator.primitive.grad_fn_name

    def numpy(self):
        """The values as an array (the same array, not a copy)."""
        return self.data

    def item(self):
        return self.data.item()

    def __len__(self):
        return len(self.data)

    def __float__(self):
        return float(self.data)

    def __bool__(self):
        return bool(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self):
        body = backend.array_module().array2string(
            self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype.kind == "f" and self.data.dtype.name != backend.floatx():
            extras.append(f"dtype={self.data.dtype.name}")
        elif self.data.dtype.kind not in "fb" and self.data.dtype.name != "int64":
            extras.append(f"dtype={self.data.dtype.name}")
        if self.creator is not None:
            extras.append(f"grad_fn=<{self.grad_fn}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------ autograd
    def detach(self) -> "Tensor":
        """The same values, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        self._retain_grad = True

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def backward(self, grad=None, create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires it.

        ``grad`` weighs a non-scalar output (like PyTorch's ``gradient``);
        ``create_graph=True`` records the backward pass too, for higher derivatives.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(no input of it had requires_grad=True)")
        xp = backend.array_module()
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   f"pass grad= for an output of shape {self.shape}")
            grad = xp.ones_like(self.data)
        elif isinstance(grad, Tensor):
            grad = grad.data
        else:
            grad = backend.as_array(grad, dtype=self.dtype)
        if create_graph:
            grad = Tensor(grad)
        _backward(self, grad, create_graph)


def _topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        if tensor.creator is not None:
            for parent in tensor.creator.inputs:
                if isinstance(parent, Tensor) and parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _accumulate(tensor, grad, create_graph):
    if create_graph:
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad
    else:
        value = grad.data if isinstance(grad, Tensor) else grad
        if tensor.grad is None:
            tensor.grad = Tensor(value.copy() if value.base is not None else value)
        else:
            tensor.grad = Tensor(tensor.grad.data + value)


def _backward(root, root_grad, create_graph):
    namespace = TENSOR_OPS if create_graph else ARRAY_OPS
    pending = {id(root): root_grad}
    context = enable_grad() if create_graph else no_grad()
    with context:
        for tensor in reversed(_topological_order(root)):
            grad = pending.pop(id(tensor), None)
            if grad is None:
                continue
            if tensor.creator is None:
                _accumulate(tensor, grad, create_graph)
                continue
            if tensor._retain_grad:
                _accumulate(tensor, grad, create_graph)
            creator = tensor.creator
            if create_graph:
                inputs, output = creator.inputs, tensor
            else:
                inputs = [x.data if isinstance(x, Tensor) else x for x in creator.inputs]
                output = tensor.data
            needed = [isinstance(x, Tensor) and x.requires_grad for x in creator.inputs]
            input_grads = creator.primitive.gradient_of(needed, namespace, inputs, output, grad,
                                                        **creator.attrs)
            for parent, parent_grad in zip(creator.inputs, input_grads):
                if parent_grad is None or not (isinstance(parent, Tensor) and parent.requires_grad):
                    continue
                if not create_graph:
                    parent_grad = backend.as_array(parent_grad, dtype=parent.dtype)
                previous = pending.get(id(parent))
                pending[id(parent)] = parent_grad if previous is None else previous + parent_grad


# ------------------------------------------------------------------ applying

def _as_arrays(inputs):
    """Arrays of the inputs; a Python number takes the dtype of the array it meets."""
    like = next((x.data.dtype for x in inputs if isinstance(x, Tensor)), None)
    if like is None:
        like = next((x.dtype for x in inputs if backend.is_array(x)), None)
    arrays = []
    for x in inputs:
        if isinstance(x, Tensor):
            arrays.append(x.data)
        elif like is not None and isinstance(x, numbers.Number) and not isinstance(x, bool) and (
                isinstance(x, numbers.Integral) or like.kind in "fc"):
            arrays.append(backend.as_array(x, dtype=like))
        else:
            arrays.append(backend.as_array(x))
    return arrays


def compute(primitive, *inputs, **attrs):
    """Run a primitive's forward on plain values (numbers, lists, arrays)."""
    if not isinstance(primitive, Primitive):
        primitive = get(primitive)
    return primitive.forward(backend.array_module(), *_as_arrays(inputs), **attrs)


def apply(primitive, *inputs, **attrs) -> Tensor:
    """Compute a primitive on Tensors and record it when gradients are wanted."""
    if not isinstance(primitive, Primitive):
        primitive = get(primitive)
    out = Tensor(primitive.forward(backend.array_module(), *_as_arrays(inputs), **attrs))
    if _grad_enabled[0] and primitive.differentiable and any(
            isinstance(x, Tensor) and x.requires_grad for x in inputs):
        out.requires_grad = True
        out.creator = Creator(primitive, tuple(inputs), attrs)
    return out


class _Namespace:
    def __init__(self, run):
        self._run = run

    def __getattr__(self, name):
        primitive = get(name)
        run = self._run

        def call(*inputs, **attrs):
            return run(primitive, *inputs, **attrs)

        call.__name__ = name
        return call


#: gradient rules computing on arrays (ordinary backward)
ARRAY_OPS = _Namespace(compute)
#: gradient rules recording on the tape (backward with create_graph=True)
TENSOR_OPS = _Namespace(apply)
