"""PyTorch's ``torch.optim.SGD`` for tutorial code: ``optimizer.zero_grad(); loss.backward(); optimizer.step()``.

``step()`` moves each parameter against the gradient ``backward()`` left in
its ``.grad``, with PyTorch's momentum, dampening, Nesterov and weight-decay
formulas.  The update is arithmetic on the parameters' arrays, outside any
gradient record, as PyTorch does it under ``no_grad``.

>>> optimizer = SGD(net.parameters(), lr=0.01, momentum=0.9)
"""
from __future__ import annotations

from .. import backend

__all__ = ["SGD"]


class SGD:
    """Stochastic gradient descent over a list (or iterator) of parameters.

    >>> optimizer = SGD(net.parameters(), lr=0.1)
    >>> optimizer.zero_grad(); loss.backward(); optimizer.step()
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if any(isinstance(p, dict) for p in self.params):
            raise NotImplementedError("SGD: parameter groups (dicts) are not supported; pass the parameters")
        if lr < 0.0 or momentum < 0.0 or weight_decay < 0.0:
            raise ValueError(f"SGD: invalid lr={lr}, momentum={momentum} or weight_decay={weight_decay}")
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.dampening = float(dampening)
        self.weight_decay = float(weight_decay)
        self.nesterov = bool(nesterov)
        self._buffers: dict = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for parameter in self.params:
            parameter.grad = None

    def step(self) -> None:
        for parameter in self.params:
            if parameter.grad is None:
                continue
            grad = parameter.grad.data
            if self.weight_decay:
                grad = grad + self.weight_decay * parameter.data
            if self.momentum:
                buffer = self._buffers.get(id(parameter))
                if buffer is None:
                    buffer = backend.array_module().array(grad, copy=True)
                else:
                    buffer = self.momentum * buffer + (1.0 - self.dampening) * grad
                self._buffers[id(parameter)] = buffer
                grad = grad + self.momentum * buffer if self.nesterov else buffer
            parameter.assign(parameter.data - self.lr * grad)
