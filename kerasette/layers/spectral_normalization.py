"""SpectralNormalization: a Wrapper that divides the wrapped layer's kernel by its spectral norm.

The largest singular value ``sigma`` of the kernel (viewed as a matrix
(-1, units)) is estimated by power iteration from ``vector_u``, a
non-trainable (1, units) weight that each training call moves on
(``power_iterations`` steps).  As in Keras 3:

* called eagerly (arrays or Tensors) with ``training=True``, the layer
  assigns the new ``vector_u`` and the normalized kernel ``kernel / sigma``
  and then runs the wrapped layer, whose kernel gradient is the one of that
  assigned kernel (Keras 3 eager, TensorFlow);
* in a compiled training step (graph), the wrapped layer runs on the node
  ``kernel / sigma``, so the gradient reaches the stored kernel through the
  division (not through the power iteration's ``u`` and ``v``, which are
  held fixed: the ``stop_gradient`` primitive), and only ``vector_u`` is
  updated (``_pending_updates``): this is what Keras 3's JAX ``fit`` does,
  where the kernel's assignment inside the stateless step is dropped.  So a
  model trained compiled keeps its kernel as the optimizer leaves it, and
  one trained with ``run_eagerly=True`` has it normalized after each step
  (Keras 3 on TensorFlow).

Outside training the wrapped layer runs with its kernel as stored.
"""
from __future__ import annotations

from .. import eager, initializers, ops
from ..ops.core import apply
from ..engine import Node, variable_from_holder
from .layer import InputSpec
from .wrappers import Wrapper

__all__ = ["SpectralNormalization"]


class SpectralNormalization(Wrapper):
    """Wraps a layer with a ``kernel`` (or ``embeddings``) and keeps its spectral norm near 1.

    >>> layer = SpectralNormalization(Dense(4))
    >>> layer(Input(shape=(3,))).shape
    (None, 4)
    >>> [w.name for w in layer.weights]
    ['kernel', 'vector_u', 'bias']
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations
        self._pending_updates = []

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        for attribute in ("kernel", "embeddings"):
            if getattr(self.layer, attribute, None) is not None:
                self._kernel_attribute = attribute
                break
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        kernel = getattr(self.layer, self._kernel_attribute)
        self.kernel_shape = tuple(kernel.shape)
        # Keras 3 keeps the wrapped kernel as its own attribute, so it is also this layer's own
        # variable: weights are [kernel, vector_u, <the wrapped layer's others>] and the
        # .weights.h5 file holds it twice (spectral_normalization/vars/0 and .../layer/vars/0)
        if not any(w is kernel for w in self._own_weights):
            self._own_weights.append(kernel)
        self.vector_u = self.add_weight(name="vector_u", shape=(1, self.kernel_shape[-1]),
                                        initializer=initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False, dtype=kernel.dtype)
        self.built = True

    @property
    def kernel(self):
        return getattr(self.layer, self._kernel_attribute)

    def normalized_weights(self, kernel=None, vector_u=None):
        """``(new vector_u, kernel / sigma)`` after ``power_iterations`` steps from ``vector_u``."""
        kernel = self.kernel if kernel is None else kernel
        vector_u = self.vector_u if vector_u is None else vector_u
        weights = ops.reshape(kernel, (-1, self.kernel_shape[-1]))
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(ops.matmul(vector_u, ops.transpose(weights)))
            vector_u = _l2_normalize(ops.matmul(vector_v, weights))
        # Keras keeps the power iteration out of the gradient: sigma's gradient is v^T u only
        vector_u, vector_v = _stop_gradient(vector_u), _stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        return vector_u, ops.reshape(ops.divide(weights, sigma), self.kernel_shape)

    def call(self, inputs, training=False):
        if not training:
            return self.layer.call(inputs)
        if isinstance(inputs, Node):
            return self._graph_training_call(inputs)
        kernel = self.kernel
        with eager.no_grad():
            if ops.convert_to_numpy(kernel).any():
                new_u, new_kernel = self.normalized_weights()
                self.vector_u.assign(new_u)
                kernel.assign(new_kernel)
        return self.layer.call(inputs)

    def _graph_training_call(self, inputs):
        kernel_variable = self.kernel
        kernel = variable_from_holder(kernel_variable)
        new_u, new_kernel = self.normalized_weights(kernel, variable_from_holder(self.vector_u))
        # an all-zero kernel stays as it is (sigma would be 0)
        zero = ops.equal(ops.max(ops.abs(kernel)), 0.0)
        new_kernel = ops.where(zero, kernel, new_kernel)
        new_u = ops.where(zero, variable_from_holder(self.vector_u), new_u)
        self._pending_updates.append((self.vector_u, ops.cast(new_u, self.vector_u.dtype)))
        object.__setattr__(self.layer, self._kernel_attribute, new_kernel)
        try:
            return self.layer.call(inputs)
        finally:
            object.__setattr__(self.layer, self._kernel_attribute, kernel_variable)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config


def _l2_normalize(x):
    """``x`` over its whole L2 norm (at most 1e7 times larger: Keras' normalize(axis=None) with
    the backend's epsilon)."""
    inverse = ops.minimum(ops.divide(1.0, ops.sqrt(ops.sum(ops.square(x)))), 1e7)
    return ops.multiply(x, inverse)


def _stop_gradient(x):
    return apply("stop_gradient", x)
