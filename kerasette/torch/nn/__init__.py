"""PyTorch's ``torch.nn`` for tutorial code: ``Module`` and a few layers, over kerasette.

``Module`` is a kerasette ``Layer`` whose ``call`` is ``forward``: calling a
module runs ``forward`` (define-by-run on Tensors, computing on arrays, or
building a graph on symbolic nodes), sub-modules and ``Parameter``s assigned
as attributes are tracked, and ``parameters()``, ``named_parameters()``,
``zero_grad()``, ``train()``/``eval()``, ``state_dict()``/``load_state_dict()``
behave as in PyTorch.  Layers keep PyTorch's argument order, weight names
and layouts (``Conv2d.weight`` is (out, in, kh, kw), ``Linear.weight`` is
(out, in)) and its default initialisation (uniform in +-1/sqrt(fan_in)), so a
PyTorch ``state_dict`` loads as it is.

>>> class Net(Module):
...     def __init__(self):
...         super(Net, self).__init__()
...         self.fc = Linear(4, 2)
...     def forward(self, x):
...         return self.fc(x)
>>> [name for name, _ in Net().named_parameters()]
['fc.weight', 'fc.bias']
"""
from __future__ import annotations

import math

from ... import backend
from ...eager import Tensor
from ...layers.layer import Layer
from ...variables import Variable
from . import functional

__all__ = ["Module", "Parameter", "Linear", "Conv2d", "ReLU", "Flatten", "Dropout", "Sequential",
           "CrossEntropyLoss", "NLLLoss", "functional"]


class Parameter(Variable):
    """A tensor that a ``Module`` registers as a parameter when assigned as an attribute.

    >>> layer.scale = Parameter(torch.ones(3))
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = backend.array_module().zeros((0,), dtype=backend.floatx())
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(backend.as_array(data), name="parameter", trainable=requires_grad)


class Module(Layer):
    """The base of every network: subclass it, make layers in ``__init__``, compute in ``forward``.

    >>> class TwoLayers(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = Linear(4, 8)
    ...         self.out = Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.out(functional.relu(self.hidden(x)))
    """

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        super().__init__()
        self.training = True
        self.built = True   # parameters are made in __init__, as in PyTorch, not on first call

    def __setattr__(self, name, value):
        if isinstance(value, Variable) and getattr(self, "_tracking", False) and not name.startswith("_"):
            if value.name == "parameter":
                value.name = name
            value.path = f"{self.name}/{name}"
            if not any(value is weight for weight in self._own_weights):
                self._own_weights.append(value)
        super().__setattr__(name, value)

    # the Layer machinery calls ``call``; PyTorch code writes ``forward``
    def call(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ---------------------------------------------------------- structure
    def named_children(self):
        """(attribute name, module) for each direct sub-module, in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module) and not name.startswith("_"):
                yield name, value

    def children(self):
        for _, module in self.named_children():
            yield module

    def modules(self):
        """This module and every module below it."""
        yield self
        for child in self.children():
            yield from child.modules()

    def _named_own_parameters(self):
        for name, value in vars(self).items():
            if isinstance(value, Variable) and not name.startswith("_"):
                yield name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, parameter): own parameters first, then each child's, as PyTorch orders them."""
        seen = set()
        for name, parameter in self._named_own_parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield prefix + name, parameter
        if recurse:
            for child_name, child in self.named_children():
                for name, parameter in child.named_parameters(prefix=f"{prefix}{child_name}.", recurse=True):
                    if id(parameter) not in seen:
                        seen.add(id(parameter))
                        yield name, parameter

    def parameters(self, recurse: bool = True):
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (``backward()`` adds into ``.grad``)."""
        for parameter in self.parameters():
            parameter.grad = None

    def train(self, mode: bool = True) -> "Module":
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def to(self, *args, **kwargs) -> "Module":
        """Nothing to move: kerasette computes where its arrays live."""
        return self

    def cpu(self) -> "Module":
        return self

    def state_dict(self) -> dict:
        """Dotted name -> array copy of each parameter."""
        return {name: parameter.numpy().copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state_dict, strict: bool = True):
        """Set parameters from a mapping of dotted names to arrays (or torch tensors, via numpy())."""
        own = dict(self.named_parameters())
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               f"missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state_dict.items():
            if name in own:
                if hasattr(value, "detach"):        # a torch tensor
                    value = value.detach().cpu().numpy()
                own[name].assign(value)
        return missing, unexpected

    # ------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(children) + "\n)"


def _uniform(shape, bound):
    values = backend.rng().uniform(-bound, bound, size=shape).astype(backend.floatx())
    return backend.as_array(values)


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features).

    >>> Linear(320, 50).weight.shape
    (50, 320)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        # PyTorch's default: kaiming_uniform(a=sqrt(5)), i.e. uniform in +-1/sqrt(fan_in), bias likewise
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
        self.weight = Parameter(_uniform((self.out_features, self.in_features), bound))
        self.bias = Parameter(_uniform((self.out_features,), bound)) if bias else None

    def forward(self, input):  # noqa: A002
        return functional.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution over NCHW input, ``weight`` of shape (out, in / groups, kh, kw).

    >>> Conv2d(1, 10, kernel_size=5)(torch.randn(64, 1, 28, 28)).shape
    (64, 10, 24, 24)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros"):
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError("Conv2d: only padding_mode='zeros' is supported")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = functional._pair(kernel_size, "kernel_size")
        self.stride = functional._pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else functional._pair(padding, "padding")
        self.dilation = functional._pair(dilation, "dilation")
        self.groups = int(groups)
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        self.weight = Parameter(_uniform((self.out_channels, self.in_channels // self.groups)
                                         + self.kernel_size, bound))
        self.bias = Parameter(_uniform((self.out_channels,), bound)) if bias else None

    def forward(self, input):  # noqa: A002
        return functional.conv2d(input, self.weight, self.bias, stride=self.stride, padding=self.padding,
                                 dilation=self.dilation, groups=self.groups)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ReLU(Module):
    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, input):  # noqa: A002
        return functional.relu(input)


class Flatten(Module):
    """Flatten axes ``start_dim`` to ``end_dim`` (by default all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):  # noqa: A002
        shape = tuple(input.shape)
        start = self.start_dim % len(shape)
        end = self.end_dim % len(shape)
        head = tuple(-1 if d is None else d for d in shape[:start])
        return input.reshape(head + (-1,) + tuple(shape[end + 1:]))

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Dropout while ``module.training`` (after ``train()``, the default), the identity after ``eval()``."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = float(p)

    def forward(self, input):  # noqa: A002
        return functional.dropout(input, self.p, training=self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace=False"


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 2))``."""

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            setattr(self, str(index), module)

    def __getitem__(self, index):
        return list(self.children())[index]

    def __len__(self):
        return len(list(self.children()))

    def forward(self, input):  # noqa: A002
        for module in self.children():
            input = module(input)
        return input


class CrossEntropyLoss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):  # noqa: A002
        return functional.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):  # noqa: A002
        return functional.nll_loss(input, target, reduction=self.reduction)
