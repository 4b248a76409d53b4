"""EinsumDense: a dense layer whose product is any two-operand einsum with a kernel.

``EinsumDense("abc,cde->abde", output_shape=(None, 8, 16), bias_axes="de")``
multiplies a (batch, a, c) input with a (c, 8, 16) kernel.  The kernel's
shape is read off the equation, as Keras 3 reads it: each kernel letter
takes its size from the output shape when the output has it (a free axis),
else from the input (a contracted axis).  ``output_shape`` leaves out the
batch axis and may hold ``None`` where the size comes from the input.  The
equation may have an ellipsis on the left of the input and the output
(``...b,bc->...c``), or on the right of both (``ab...,bc->ac...``); the
bias then broadcasts over the elided axes.
"""
from __future__ import annotations

import math
import re

from .. import activations, constraints, initializers, ops, regularizers
from .layer import InputSpec, Layer

__all__ = ["EinsumDense"]

_LETTERS = "[a-zA-Z]"


def analyze_equation(equation: str, bias_axes, input_shape, output_shape):
    """``(kernel_shape, bias_shape, full_output_shape, input_axes, output_axes)``, Keras 3's analysis.

    ``input_axes`` / ``output_axes`` are the kernel axes that are contracted
    with the input and that reach the output (the fans of the initializer).
    """
    marked = equation.replace("...", "0")
    forms = (
        (rf"({_LETTERS}+),({_LETTERS}+)->({_LETTERS}+)", None),
        (rf"0({_LETTERS}+),({_LETTERS}+)->0({_LETTERS}+)", "left"),
        (rf"({_LETTERS}{{2,}})0,({_LETTERS}+)->({_LETTERS}+)0", "right"),
    )
    for pattern, ellipsis in forms:
        match = re.match(pattern, marked)
        if match:
            break
    else:
        raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                         "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
    input_spec, kernel_spec, output_spec = match.groups()
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    partial = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    # the full output: the batch axis, the elided axes where the ellipsis stands, then the partial shape
    if ellipsis == "left" and elided > 0:
        full = [input_shape[0], *input_shape[1:elided], *partial]
    else:
        full = [input_shape[0], *partial]
        if elided > 0:
            full.extend(input_shape[len(input_shape) - elided:])
    if ellipsis == "left":
        input_position = {c: i + elided - len(input_shape) for i, c in enumerate(input_spec)}
        output_position = {c: i + elided for i, c in enumerate(output_spec)}
    else:
        input_position = {c: i for i, c in enumerate(input_spec)}
        output_position = {c: i for i, c in enumerate(output_spec)}

    for c in input_spec:
        if c in output_position:
            in_size, out_size = input_shape[input_position[c]], full[output_position[c]]
            if out_size is not None and out_size != in_size:
                raise ValueError(f"Input shape and output shape do not match at shared dimension "
                                 f"'{c}'. Input shape is {in_size}, and output shape is {out_size}.")
    for c in output_spec:
        if c not in input_spec and c not in kernel_spec:
            raise ValueError(f"Dimension '{c}' was specified in the output '{output_spec}' but has no "
                             f"corresponding dim in the input spec '{input_spec}' or weight spec "
                             f"'{kernel_spec}'")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, c in enumerate(kernel_spec):
        if c in output_position:
            kernel_shape.append(full[output_position[c]])
            output_axes.append(i)
        elif c in input_position:
            kernel_shape.append(input_shape[input_position[c]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{c}' did not have a match in either the input spec "
                             f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the "
                             "weight must be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        shift = elided if ellipsis == "left" else 0
        size_of = {c: full[i + shift] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output "
                                 f"spec '{output_spec}'")
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [size_of[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if ellipsis != "left":
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, full, input_axes, output_axes


def _fan_initializer(initializer, input_axes, output_axes):
    """``initializer`` drawing with the fans of the einsum (Keras 3 hands VarianceScaling the axes).

    The draws are independent, so drawing a (fan_in, fan_out) matrix and
    reshaping it to the kernel gives the distribution Keras 3 draws from.
    """
    if not isinstance(initializer, initializers.VarianceScaling):
        return initializer
    # axes the initializer was given itself win, as in Keras 3
    if getattr(initializer, "input_axes", None) is not None and getattr(initializer, "output_axes", None) is not None:
        input_axes, output_axes = initializer.input_axes, initializer.output_axes

    def draw(shape, dtype=None):
        shape = tuple(shape)
        fan_in = math.prod(shape[a] for a in input_axes)
        fan_out = math.prod(shape[a] for a in output_axes)
        return ops.reshape(initializer((fan_in, fan_out), dtype=dtype), shape)

    return draw


def expand_ellipsis(equation: str, input_rank: int) -> str:
    """``equation`` with its ellipsis spelled out in letters it does not use (for an input of that rank)."""
    if "..." not in equation:
        return equation
    inputs, output = equation.split("->")
    input_spec = inputs.split(",")[0]
    count = input_rank - len(input_spec.replace("...", ""))
    unused = [c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in equation]
    return equation.replace("...", "".join(unused[:max(count, 0)][::-1]))


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)`` (Keras 3's EinsumDense).

    >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(Input(shape=(32, 128))).shape
    (None, 32, 64)
    >>> [tuple(w.shape) for w in layer.weights]
    [(128, 64), (64,)]
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        if lora_rank:
            raise NotImplementedError("EinsumDense(lora_rank=...) is not supported by kerasette")
        if quantization_config is not None or gptq_unpacked_column_size:
            raise NotImplementedError("EinsumDense quantization is not supported by kerasette")
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = None
        self.lora_alpha = None
        self.lora_enabled = False
        self.kernel = self.bias = None

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self._equation = expand_ellipsis(self.equation, len(input_shape))
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(kernel_shape),
            initializer=_fan_initializer(self.kernel_initializer, input_axes, output_axes),
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs, training=None):
        outputs = ops.einsum(self._equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(analyze_equation(self.equation, self.bias_axes, input_shape,
                                      self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(getattr(self, "activity_regularizer", None)),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        })
        return config
