"""Merge layers: combine a list of tensors into one (Add, Concatenate, Dot, ...).

Each layer takes a list of inputs: ``Add()([x1, x2])``.  The shapes are
checked when the graph is built, with the layer and the offending shapes in
the message, and the lower-case functional forms (``add([x1, x2])``) build a
layer and call it, as in Keras.  Elementwise merges broadcast size-1 axes
the way Keras does; inputs of lower rank get size-1 axes inserted after the
batch axis.  Masks of the inputs combine: elementwise merges keep a position
where every input's mask keeps it, Concatenate joins the masks.
"""
from __future__ import annotations

from .. import ops
from ..primitives.base import ShapeError, format_shape
from .layer import Layer

__all__ = [
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
    "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
]


def _describe(shapes) -> str:
    return ", ".join(format_shape(tuple(s)) for s in shapes)


class _Merge(Layer):
    """Base of the elementwise merges: checks the shapes, aligns ranks, combines masks."""

    min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _check_list(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"{self._where()} should be called on a list of inputs, "
                             f"received input_shape={input_shape}")
        if len(input_shape) < self.min_inputs:
            raise ValueError(f"{self._where()} should be called on a list of at least "
                             f"{self.min_inputs} inputs, got {len(input_shape)}")

    def _output_shape(self, input_shape) -> tuple:
        self._check_list(input_shape)
        batches = {s[0] for s in input_shape if len(s) and s[0] is not None}
        if len(batches) > 1:
            raise ShapeError(f"{self._where()} cannot merge tensors with different batch sizes: "
                             f"{_describe(input_shape)}")
        output = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output = self._broadcast(output, tuple(shape[1:]), input_shape)
        batch = batches.pop() if batches else None
        return (batch,) + output

    def _broadcast(self, first, second, all_shapes) -> tuple:
        # Keras' rule: trailing axes line up; None matches anything, 1 stretches
        if len(first) < len(second):
            first, second = second, first
        if not second:
            return first
        result = list(first[:-len(second)])
        for a, b in zip(first[-len(second):], second):
            if a is None or b is None:
                result.append(None)
            elif a == 1:
                result.append(b)
            elif b == 1 or a == b:
                result.append(a)
            else:
                raise ShapeError(f"{self._where()} cannot merge inputs of incompatible shapes "
                                 f"{_describe(all_shapes)}")
        return tuple(result)

    def build(self, input_shape):
        self._output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        inputs = list(inputs)
        self._output_shape([tuple(x.shape) for x in inputs])
        rank = max(len(x.shape) for x in inputs)
        aligned = []
        for x in inputs:
            if len(x.shape) < rank:
                x = ops.expand_dims(x, tuple(range(1, 1 + rank - len(x.shape))))
            aligned.append(x)
        # one input merges to itself, which a graph still needs as a node of its own
        return self._merge_function(aligned)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = mask if isinstance(mask, (list, tuple)) else [mask]
        masks = [m for m in masks if m is not None]
        if not masks:
            return None
        combined = masks[0]
        for m in masks[1:]:
            combined = ops.logical_and(combined, m)
        return combined


class Add(_Merge):
    """Sums a list of inputs of the same shape.

    >>> Add()([Input(shape=(16,)), Input(shape=(16,))]).shape
    (None, 16)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` of exactly two inputs.

    >>> Subtract()([Input(shape=(16,)), Input(shape=(16,))]).shape
    (None, 16)
    """

    def _check_list(self, input_shape):
        super()._check_list(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"{self._where()} should be called on exactly 2 inputs, "
                             f"got {len(input_shape)}")

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Elementwise product of a list of inputs.

    >>> Multiply()([Input(shape=(16,)), Input(shape=(16,))]).shape
    (None, 16)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.multiply(output, x)
        return output


class Average(_Merge):
    """Elementwise mean of a list of inputs.

    >>> Average()([Input(shape=(16,)), Input(shape=(16,))]).shape
    (None, 16)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, float(len(inputs)))


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs.

    >>> Maximum()([Input(shape=(16,)), Input(shape=(16,))]).shape
    (None, 16)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.maximum(output, x)
        return output


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs.

    >>> Minimum()([Input(shape=(16,)), Input(shape=(16,))]).shape
    (None, 16)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.minimum(output, x)
        return output


class Concatenate(_Merge):
    """Joins a list of inputs along ``axis``; the other axes must agree.

    >>> Concatenate()([Input(shape=(4, 3)), Input(shape=(4, 5))]).shape
    (None, 4, 8)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _output_shape(self, input_shape) -> tuple:
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ShapeError(f"{self._where()} requires inputs of the same rank, got shapes "
                             f"{_describe(shapes)}")
        if not -rank <= self.axis < rank:
            raise ShapeError(f"{self._where()}: axis {self.axis} is out of range for inputs of shapes "
                             f"{_describe(shapes)}")
        axis = self.axis % rank
        output = list(shapes[0])
        for shape in shapes[1:]:
            for position, (a, b) in enumerate(zip(output, shape)):
                if position == axis:
                    output[position] = None if a is None or b is None else a + b
                elif a is None:
                    output[position] = b
                elif b is not None and a != b:
                    raise ShapeError(f"{self._where()} requires inputs with matching shapes except for "
                                     f"the concatenation axis {self.axis}, got shapes {_describe(shapes)}")
        return tuple(output)

    def call(self, inputs):
        inputs = list(inputs)
        self._output_shape([tuple(x.shape) for x in inputs])
        if len(inputs) == 1:
            return inputs[0]
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        inputs = list(inputs)
        if len(masks) != len(inputs) or all(m is None for m in masks):
            return None
        pieces = []
        for x, m in zip(inputs, masks):
            # as 0/1 values shaped like the input, so the masks concatenate with the inputs
            if m is None:
                pieces.append(ops.ones_like(x))
                continue
            m = ops.cast(m, x.dtype)
            if len(m.shape) < len(x.shape):
                m = ops.expand_dims(m, -1)
            pieces.append(ops.multiply(m, ops.ones_like(x)))
        joined = ops.concatenate(pieces, axis=self.axis)
        return ops.greater(ops.max(joined, axis=-1), 0)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _l2_normalize(x, axis):
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(squares, 1e-7)))


class Dot(_Merge):
    """Dot product of two inputs along ``axes`` (counted with the batch axis), sample by sample.

    ``axes`` is one axis for both inputs or a pair; ``normalize=True`` takes
    the cosine similarity (both inputs L2-normalized along the axes first).

    >>> Dot(axes=1)([Input(shape=(8,)), Input(shape=(8,))]).shape
    (None, 1)
    >>> Dot(axes=(2, 1))([Input(shape=(3, 8)), Input(shape=(8, 5))]).shape
    (None, 3, 5)
    """

    min_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            axes = (axes, axes)
        else:
            axes = tuple(int(a) for a in axes)
            if len(axes) != 2:
                raise ValueError(f"Dot axes must be an int or a list of 2 ints, received axes={axes}")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = False

    def _resolved_axes(self, shape1, shape2):
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, (shape1, shape2))]

    def _output_shape(self, input_shape) -> tuple:
        self._check_list(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"{self._where()} should be called on exactly 2 inputs, got {len(input_shape)}")
        shape1, shape2 = (list(s) for s in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ShapeError(f"{self._where()} needs inputs of rank 2 or more (batch included), got "
                             f"shapes {_describe(input_shape)}")
        axis1, axis2 = self._resolved_axes(shape1, shape2)
        if not (0 < axis1 < len(shape1) and 0 < axis2 < len(shape2)):
            raise ShapeError(f"{self._where()}: axes {self.axes} are out of range (or the batch axis) for "
                             f"shapes {_describe(input_shape)}")
        a, b = shape1[axis1], shape2[axis2]
        if a is not None and b is not None and a != b:
            raise ShapeError(f"{self._where()} got incompatible shapes: size {a} on axis {axis1} of "
                             f"{format_shape(tuple(shape1))} differs from size {b} on axis {axis2} of "
                             f"{format_shape(tuple(shape2))}")
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            raise ShapeError(f"{self._where()} cannot merge tensors with different batch sizes: "
                             f"{_describe(input_shape)}")
        batch = shape1[0] if shape1[0] is not None else shape2[0]
        rest = shape1[1:axis1] + shape1[axis1 + 1:] + shape2[1:axis2] + shape2[axis2 + 1:]
        if not rest:
            rest = [1]
        return (batch,) + tuple(rest)

    def call(self, inputs):
        x1, x2 = list(inputs)
        self._output_shape([tuple(x1.shape), tuple(x2.shape)])
        axis1, axis2 = self._resolved_axes(x1.shape, x2.shape)
        if self.normalize:
            x1 = _l2_normalize(x1, axis1)
            x2 = _l2_normalize(x2, axis2)
        # einsum letters: 'a' the batch, 'z' the summed axis, then one letter per other axis
        letters = iter("bcdefghijklmnopqrstuvwxy")
        first = ["z" if i == axis1 else ("a" if i == 0 else next(letters)) for i in range(len(x1.shape))]
        second = ["z" if i == axis2 else ("a" if i == 0 else next(letters)) for i in range(len(x2.shape))]
        kept = [c for c in first + second if c not in "az"]
        output = ops.einsum(f"{''.join(first)},{''.join(second)}->a{''.join(kept)}", x1, x2)
        if not kept:
            output = ops.expand_dims(output, 1)
        return output

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config["axes"] = list(self.axes) if self.axes[0] != self.axes[1] else self.axes[0]
        config["normalize"] = self.normalize
        return config


# ------------------------------------------------------- functional forms

def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: the difference of two tensors."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: a list of tensors joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``: the sample-wise dot product of two tensors."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
