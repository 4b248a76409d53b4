"""Bare ops in functional model configs, written and read the way Keras 3 does.

A functional model may apply an op straight to symbolic tensors
(``y = ops.multiply(Dense(2)(x), 0.5)``, ``x[:, 0]``, ``a + b``).  Keras 3
saves each such call as an entry of the config's ``"layers"`` list, an
operation record beside the layers::

    {"module": "keras.src.ops.numpy", "class_name": "Multiply",
     "config": {"name": "multiply"}, "registered_name": "Multiply",
     "name": "multiply",
     "inbound_nodes": [{"args": [<__keras_tensor__ record>, 0.5], "kwargs": {}}]}

The constructor's arguments (``axis``, ``keepdims``, ``newshape``, ...) go in
``config``; the call's constants (``0.5``, a slicing key) stay in ``args``.

Writing: ``operation_entries`` turns kerasette's bare op nodes (one
primitive each, with its attributes) into such records, for the primitives
listed in ``_WRITERS``.

Reading: only the operation classes listed in ``OPERATIONS`` are known; each
maps to the kerasette op function of the same Keras name, called with the
recorded constructor arguments and call arguments.  Nothing from the file is
imported or run: ``module`` is only checked to be one of Keras' op modules,
and an unknown class is an error naming it.
"""
from __future__ import annotations

import re

import numpy

from ..serialization.errors import ConfigError

__all__ = ["OPERATIONS", "REQUIRED", "is_operation_module", "is_operation_entry", "mark_operation_entries",
           "operation_from_entry", "operation_entries", "OperationCall", "UnknownOperationError"]

_NUMPY, _NN, _MATH, _CORE = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.math", "keras.src.ops.core"
REQUIRED = object()
_REDUCE = (("axis", None), ("keepdims", False))

# Keras class name -> (module, kerasette.ops function, constructor parameters with Keras' defaults)
OPERATIONS: dict = {}


def _define(module, names, params=()):
    for name in names.split():
        class_name, _, function = name.partition(":")
        if not function:
            function = re.sub("([a-z0-9])([A-Z])", r"\1_\2", class_name).lower()
        OPERATIONS[class_name] = (module, function, tuple(params))


_define(_NUMPY, "Absolute:abs Abs:abs Add Subtract Multiply Divide TrueDivide Power Maximum Minimum Mod "
                "FloorDivide Matmul Equal NotEqual Greater GreaterEqual Less LessEqual LogicalAnd LogicalOr "
                "LogicalXor LogicalNot Arctan2 Negative Exp Exp2 Expm1 Log Log1p Log2 Log10 Sqrt Square Tanh "
                "Sin Cos Tan Arcsin Arccos Arctan Sinh Cosh Arcsinh Arccosh Arctanh Sign Floor Ceil Trunc "
                "Reciprocal Isnan Isinf Isfinite Where Cbrt Hypot Logaddexp")
_define(_MATH, "Rsqrt Erf Erfc Erfinv")
_define(_NN, "Relu Relu6 Sigmoid Silu Softplus Softsign HardSigmoid HardSilu Selu LogSigmoid")
_define(_CORE, "StopGradient")
_define(_NUMPY, "GetItem:get_item")
_define(_NUMPY, "Reshape", [("newshape", REQUIRED)])
_define(_NUMPY, "Transpose", [("axes", None)])
_define(_NUMPY, "ExpandDims", [("axis", REQUIRED)])
_define(_NUMPY, "Squeeze Flip", [("axis", None)])
_define(_NUMPY, "Concatenate Stack", [("axis", 0)])
_define(_NUMPY, "Tile", [("repeats", REQUIRED)])
_define(_NUMPY, "Repeat", [("repeats", REQUIRED), ("axis", None)])
_define(_NUMPY, "BroadcastTo", [("shape", REQUIRED)])
_define(_NUMPY, "Clip", [("x_min", REQUIRED), ("x_max", REQUIRED)])
_define(_NUMPY, "Einsum", [("subscripts", REQUIRED)])
_define(_NUMPY, "Take", [("axis", None)])
_define(_NUMPY, "Pad", [("pad_width", REQUIRED), ("mode", "constant")])
_define(_NUMPY, "Cumsum Cumprod", [("axis", None), ("dtype", None)])
_define(_NUMPY, "Round", [("decimals", 0)])
_define(_NUMPY, "Mean Sum Var Std Argmax Argmin Any All Amax Amin", _REDUCE)
_define(_NUMPY, "Max Min", _REDUCE + (("initial", None),))
_define(_NUMPY, "Prod", _REDUCE + (("dtype", None),))
_define(_NUMPY, "Swapaxes", [("axis1", REQUIRED), ("axis2", REQUIRED)])
_define(_NUMPY, "Moveaxis", [("source", REQUIRED), ("destination", REQUIRED)])
_define(_MATH, "Logsumexp", _REDUCE)
_define(_NN, "Elu", [("alpha", 1.0)])
_define(_NN, "LeakyRelu", [("negative_slope", 0.2)])
_define(_NN, "Gelu", [("approximate", True)])
_define(_NN, "Softmax LogSoftmax", [("axis", -1)])
_define(_NN, "OneHot", [("num_classes", REQUIRED), ("axis", -1), ("dtype", None), ("sparse", False)])
_define(_CORE, "Cast", [("dtype", REQUIRED)])
_define(_NUMPY, "Dot Ravel")
_define(_NUMPY, "Split", [("indices_or_sections", REQUIRED), ("axis", 0)])
_define(_CORE, "Unstack", [("num", None), ("axis", 0)])
_define(_MATH, "TopK:top_k", [("k", REQUIRED), ("sorted", True)])
_define(_NUMPY, "Sort Argsort", [("axis", -1)])
_define(_NUMPY, "Roll", [("shift", REQUIRED), ("axis", None)])
_define(_NUMPY, "Tril Triu", [("k", 0)])
_define(_NUMPY, "Average CountNonzero", [("axis", None)])
_define(_NUMPY, "OnesLike ZerosLike FullLike", [("dtype", None)])
_define(_NUMPY, "Diagonal Trace", [("offset", 0), ("axis1", 0), ("axis2", 1)])
_define(_NUMPY, "NanToNum", [("nan", 0.0), ("posinf", None), ("neginf", None)])
_define("keras.src.ops.linalg", "Norm", [("ord", None), ("axis", None), ("keepdims", False)])
_define(_NN, "Normalize", [("axis", -1), ("order", 2), ("epsilon", None)])
_define(_NN, "Moments", [("axes", REQUIRED), ("keepdims", False), ("synchronized", False)])
_define(_NUMPY, "DivideNoNan Heaviside Ldexp")
_define(_NUMPY, "Median", _REDUCE)
_define(_NUMPY, "Quantile", [("axis", None), ("method", "linear"), ("keepdims", False)])
_define(_NUMPY, "Isclose", [("equal_nan", False)])
_define(_NUMPY, "Rot90", [("k", 1), ("axes", [0, 1])])
_define(_NN, "HardTanh TanhShrink SparsePlus")
_define(_NN, "Squareplus", [("b", 4)])
_define(_NN, "Celu", [("alpha", 1.0)])
_define(_NN, "Glu Sparsemax", [("axis", -1)])
_define(_NN, "SoftShrink HardShrink", [("threshold", 0.5)])
_define(_NN, "Threshold", [("threshold", REQUIRED), ("default_value", REQUIRED)])
_define(_CORE, "SaturateCast", [("dtype", REQUIRED)])
_define(_CORE, "ConvertToTensor", [("dtype", None), ("sparse", None), ("ragged", None)])
_define(_CORE, "Slice", [("shape", REQUIRED)])


class UnknownOperationError(ConfigError):
    """A config holds a Keras operation class that kerasette does not map to one of its ops."""


def is_operation_module(module) -> bool:
    """Whether ``module`` is one of Keras 3's op modules (``keras.src.ops.numpy``, ``keras.ops``, ...)."""
    if not isinstance(module, str):
        return False
    parts = module.split(".")
    return parts[:3] == ["keras", "src", "ops"] or parts[:2] == ["keras", "ops"]


def is_operation_entry(entry) -> bool:
    """A ``"layers"`` entry that records an operation: Keras' own form, or the marked form
    ``mark_operation_entries`` makes."""
    if not isinstance(entry, dict):
        return False
    return entry.get("class_name") == "__operation__" or is_operation_module(entry.get("module"))


def mark_operation_entries(config):
    """``config`` with every operation entry of a functional config's ``"layers"`` in a form
    that the layer-config readers pass through untouched: ``class_name`` ``__operation__``, the
    record and its call arguments inside ``config`` (the readers rewrite ``inbound_nodes``
    to tensor references, which drops the constants).  Idempotent; everything else is kept."""
    if isinstance(config, list):
        return [mark_operation_entries(item) for item in config]
    if not isinstance(config, dict):
        return config
    result = {}
    for key, value in config.items():
        if key == "layers" and isinstance(value, list):
            result[key] = [_marked(item) if is_operation_entry(item) else mark_operation_entries(item)
                           for item in value]
        else:
            result[key] = mark_operation_entries(value)
    return result


def _marked(entry: dict) -> dict:
    if entry.get("class_name") == "__operation__":
        return entry
    inner = entry.get("config")
    name = entry.get("name")
    if not isinstance(name, str) and isinstance(inner, dict):
        name = inner.get("name")
    marked = {key: value for key, value in entry.items() if key not in ("module", "registered_name")}
    marked.update(class_name="__operation__", name=name,
                  config={"name": name, "module": entry.get("module"), "class_name": entry.get("class_name"),
                          "config": inner, "calls": entry.get("inbound_nodes")})
    return marked


# ------------------------------------------------------------------ reading

def operation_from_entry(entry: dict):
    """The ``OperationCall`` an operation entry (Keras' form or the marked form) describes."""
    if entry.get("class_name") == "__operation__":
        record = entry.get("config")
        if not isinstance(record, dict):
            raise ConfigError(f"An operation entry must carry its record in 'config', got {str(record)[:100]}")
        module, class_name, config, calls = (record.get("module"), record.get("class_name"),
                                             record.get("config"), record.get("calls"))
    else:
        module, class_name, config, calls = (entry.get("module"), entry.get("class_name"), entry.get("config"),
                                             entry.get("inbound_nodes"))
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ConfigError(f"Operation {class_name!r}: 'config' must be a dict, got {type(config).__name__}")
    name = entry.get("name") if isinstance(entry.get("name"), str) else config.get("name")
    where = f"Operation '{name}' ({class_name})"
    if not isinstance(class_name, str) or class_name not in OPERATIONS:
        raise UnknownOperationError(
            f"Unknown operation: {class_name!r} (module {module!r}, entry '{name}'). kerasette rebuilds these "
            f"Keras 3 operations: {', '.join(sorted(OPERATIONS))}. Replace the op with a layer, or wrap it in "
            "a Lambda layer, in the model that wrote this file.")
    if not is_operation_module(module):
        raise ConfigError(f"{where}: module {module!r} is not one of Keras' op modules")
    _, _, params = OPERATIONS[class_name]
    known = {key for key, _ in params}
    unknown = sorted(key for key in config if key != "name" and key not in known)
    if unknown:
        raise ConfigError(f"{where}: unknown argument(s) {unknown} in its config (it takes {sorted(known)})")
    arguments = {}
    for key, default in params:
        if key in config:
            arguments[key] = _decode(config[key], iter(()), where)
        elif default is REQUIRED:
            raise ConfigError(f"{where}: its config lacks the required argument '{key}'")
    if calls is None:
        calls = []
    if not isinstance(calls, list) or len(calls) > 1 or not all(isinstance(call, dict) for call in calls):
        raise ConfigError(f"{where}: an operation entry must record at most one call as "
                          f"{{'args': [...], 'kwargs': {{...}}}}, got {str(calls)[:200]}")
    return OperationCall(name, class_name, arguments, calls[0] if calls else {"args": [], "kwargs": {}})


class OperationCall:
    """A Keras operation of a saved functional model, replayed on kerasette's ops.

    Called as the config readers call a layer (the tensors of its recorded
    ``args`` in order, one or a list, and its keyword arguments), it puts the
    tensors back among the recorded constants and applies the op.
    """

    def __init__(self, name, class_name, arguments: dict, call: dict):
        self.name = name
        self.class_name = class_name
        self.arguments = arguments
        self.call = call

    def __repr__(self):
        return f"<OperationCall {self.class_name} '{self.name}'>"

    def __call__(self, tensors=None, **kwargs):
        where = f"Operation '{self.name}' ({self.class_name})"
        args = self.call.get("args", [])
        if not isinstance(args, list):
            raise ConfigError(f"{where}: its call 'args' must be a list, got {type(args).__name__}")
        count = _count_tensors(args)
        if count == 1 and not isinstance(tensors, (list, tuple)):
            tensors = [tensors]
        tensors = list(tensors) if isinstance(tensors, (list, tuple)) else []
        if len(tensors) != count:
            raise ConfigError(f"{where}: its call records {count} tensor argument(s), got {len(tensors)}")
        args = _decode(args, iter(tensors), where)
        if not kwargs:
            kwargs = self.call.get("kwargs") or {}
            if not isinstance(kwargs, dict):
                raise ConfigError(f"{where}: its call 'kwargs' must be a dict")
        # the readers hand the kwargs with their tensors in place and the rest as recorded
        kwargs = _decode(kwargs, iter(()), where)
        kwargs = {key: value for key, value in kwargs.items() if not (key == "mask" and value is None)}
        return _apply(self.class_name, self.arguments, args, kwargs, where)


def _apply(class_name, arguments, args, kwargs, where):
    from .. import ops
    _, function, _ = OPERATIONS[class_name]
    op = getattr(ops, function)
    if class_name == "Einsum":
        return op(arguments["subscripts"], *args, **kwargs)
    if class_name == "GetItem":
        if len(args) != 2:
            raise ConfigError(f"{where}: GetItem takes (x, key), got {len(args)} argument(s)")
        key = args[1]
        return op(args[0], tuple(key) if isinstance(key, list) else key)
    return op(*args, **arguments, **kwargs)


def _count_tensors(value) -> int:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return 1
        return sum(_count_tensors(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_tensors(item) for item in value)
    return 0


_DTYPE_KINDS = "biufc"


def _decode(value, tensors, where):
    """A recorded argument as a Python value: tensor records from ``tensors`` in order, Keras'
    records of slices, ``...`` and numpy arrays; any other object record is refused."""
    if isinstance(value, list):
        return [_decode(item, tensors, where) for item in value]
    if not isinstance(value, dict):
        return value
    class_name = value.get("class_name")
    inner = value.get("config")
    if class_name is None:
        return {key: _decode(item, tensors, where) for key, item in value.items()}
    if class_name == "__keras_tensor__":
        try:
            return next(tensors)
        except StopIteration:
            raise ConfigError(f"{where}: a tensor argument is not available here") from None
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__" and isinstance(inner, dict):
        parts = [inner.get(key) for key in ("start", "stop", "step")]
        if not all(part is None or (isinstance(part, int) and not isinstance(part, bool)) for part in parts):
            raise ConfigError(f"{where}: a slice must hold integers or None, got {parts}")
        return slice(*parts)
    if class_name in ("__numpy__", "__tensor__") and isinstance(inner, dict):
        dtype = inner.get("dtype")
        try:
            dtype = numpy.dtype(dtype) if isinstance(dtype, str) else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in _DTYPE_KINDS:
            raise ConfigError(f"{where}: an array argument needs a numeric dtype, got {inner.get('dtype')!r}")
        try:
            return numpy.asarray(inner.get("value"), dtype=dtype)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{where}: an array argument cannot be read: {error}") from None
    raise ConfigError(f"{where}: its call has an argument kerasette cannot rebuild ({str(value)[:120]})")


# ------------------------------------------------------------------ writing

def _axis(value):
    """A kerasette axis attribute (normalized to a tuple) as Keras writes it: one axis as an int."""
    if isinstance(value, (tuple, list)):
        return int(value[0]) if len(value) == 1 else [int(item) for item in value]
    return value


def _dtype_name(value):
    return None if value is None else numpy.dtype(value).name


def _listed(value):
    if isinstance(value, (tuple, list)):
        return [_listed(item) for item in value]
    return value


def _plain(value):
    """A Python scalar for a numpy scalar or 0-d array (float32 values by their shortest text)."""
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, numpy.floating) and value.dtype.itemsize < 8:
        return float(str(value))
    if isinstance(value, numpy.generic):
        return value.item()
    return value


def _params(*pairs):
    """A writer of Keras constructor arguments from primitive attributes: ``(keras name,
    attribute name or a constant, converter)`` triples."""
    def write(attrs):
        result = {}
        for keras_name, attribute, convert in pairs:
            if isinstance(attribute, str):
                result[keras_name] = convert(attrs[attribute]) if convert else _plain(attrs[attribute])
            else:
                result[keras_name] = attribute[0]
        return result
    write.attributes = frozenset(attribute for _, attribute, _ in pairs if isinstance(attribute, str))
    return write


_NONE = _params()
_REDUCTION = _params(("axis", "axis", _axis), ("keepdims", "keepdims", bool))
# primitive name -> (Keras class, writer of its config, layout of the call's arguments)
_WRITERS: dict = {}
for _primitive, _class in [
        ("add", "Add"), ("subtract", "Subtract"), ("multiply", "Multiply"), ("divide", "Divide"),
        ("power", "Power"), ("maximum", "Maximum"), ("minimum", "Minimum"), ("mod", "Mod"),
        ("floor_divide", "FloorDivide"), ("matmul", "Matmul"), ("equal", "Equal"), ("not_equal", "NotEqual"),
        ("greater", "Greater"), ("greater_equal", "GreaterEqual"), ("less", "Less"),
        ("less_equal", "LessEqual"), ("logical_and", "LogicalAnd"), ("logical_or", "LogicalOr"),
        ("logical_xor", "LogicalXor"), ("logical_not", "LogicalNot"), ("arctan2", "Arctan2"),
        ("negative", "Negative"), ("abs", "Absolute"), ("exp", "Exp"), ("exp2", "Exp2"), ("expm1", "Expm1"),
        ("log", "Log"), ("log1p", "Log1p"), ("log2", "Log2"), ("log10", "Log10"), ("sqrt", "Sqrt"),
        ("square", "Square"), ("tanh", "Tanh"), ("sin", "Sin"), ("cos", "Cos"), ("tan", "Tan"),
        ("arcsin", "Arcsin"), ("arccos", "Arccos"), ("arctan", "Arctan"), ("sinh", "Sinh"), ("cosh", "Cosh"),
        ("arcsinh", "Arcsinh"), ("arccosh", "Arccosh"), ("arctanh", "Arctanh"), ("sign", "Sign"),
        ("floor", "Floor"), ("ceil", "Ceil"), ("trunc", "Trunc"), ("reciprocal", "Reciprocal"),
        ("isnan", "Isnan"), ("isinf", "Isinf"), ("isfinite", "Isfinite"), ("where", "Where"), ("cbrt", "Cbrt"),
        ("hypot", "Hypot"), ("logaddexp", "Logaddexp"), ("rsqrt", "Rsqrt"), ("erf", "Erf"), ("erfc", "Erfc"),
        ("erfinv", "Erfinv"), ("relu", "Relu"), ("relu6", "Relu6"), ("sigmoid", "Sigmoid"), ("silu", "Silu"),
        ("softplus", "Softplus"), ("softsign", "Softsign"), ("hard_sigmoid", "HardSigmoid"), ("selu", "Selu"),
        ("stop_gradient", "StopGradient")]:
    _WRITERS[_primitive] = (_class, _NONE, "each")
_WRITERS.update({
    "reshape": ("Reshape", _params(("newshape", "shape", _listed)), "each"),
    "transpose": ("Transpose", _params(("axes", "axes", _listed)), "each"),
    "expand_dims": ("ExpandDims", _params(("axis", "axis", _axis)), "each"),
    "squeeze": ("Squeeze", _params(("axis", "axis", _axis)), "each"),
    "concatenate": ("Concatenate", _params(("axis", "axis", int)), "list"),
    "stack": ("Stack", _params(("axis", "axis", int)), "list"),
    "tile": ("Tile", _params(("repeats", "repeats", _listed)), "each"),
    "repeat": ("Repeat", _params(("repeats", "repeats", _listed), ("axis", "axis", None)), "each"),
    "broadcast_to": ("BroadcastTo", _params(("shape", "shape", _listed)), "each"),
    "getitem": ("GetItem", _params(), "getitem"),
    "clip": ("Clip", _params(("x_min", "min", None), ("x_max", "max", None)), "each"),
    "einsum": ("Einsum", _params(("subscripts", "equation", str)), "each"),
    "take": ("Take", _params(("axis", "axis", None)), "each"),
    "pad": ("Pad", _params(("pad_width", "pad_width", _listed), ("mode", "mode", str)), "pad"),
    "cumsum": ("Cumsum", _params(("axis", "axis", None), ("dtype", (None,), None)), "each"),
    "cumprod": ("Cumprod", _params(("axis", "axis", None), ("dtype", (None,), None)), "each"),
    "round": ("Round", _params(("decimals", "decimals", int)), "each"),
    "mean": ("Mean", _REDUCTION, "each"), "sum": ("Sum", _REDUCTION, "each"), "var": ("Var", _REDUCTION, "each"),
    "std": ("Std", _REDUCTION, "each"), "argmax": ("Argmax", _REDUCTION, "each"),
    "argmin": ("Argmin", _REDUCTION, "each"), "logsumexp": ("Logsumexp", _REDUCTION, "each"),
    "max": ("Max", _params(("axis", "axis", _axis), ("keepdims", "keepdims", bool), ("initial", (None,), None)),
            "each"),
    "min": ("Min", _params(("axis", "axis", _axis), ("keepdims", "keepdims", bool), ("initial", (None,), None)),
            "each"),
    "prod": ("Prod", _params(("axis", "axis", _axis), ("keepdims", "keepdims", bool), ("dtype", (None,), None)),
             "each"),
    "elu": ("Elu", _params(("alpha", "alpha", None)), "each"),
    "leaky_relu": ("LeakyRelu", _params(("negative_slope", "negative_slope", None)), "each"),
    "gelu": ("Gelu", _params(("approximate", "approximate", bool)), "each"),
    "softmax": ("Softmax", _params(("axis", "axis", _axis)), "each"),
    "log_softmax": ("LogSoftmax", _params(("axis", "axis", _axis)), "each"),
    "one_hot": ("OneHot", _params(("num_classes", "num_classes", int), ("axis", "axis", int),
                                  ("dtype", "dtype", _dtype_name), ("sparse", (False,), None)), "each"),
    "cast": ("Cast", _params(("dtype", "dtype", _dtype_name)), "each"),
})


# attributes that Keras passes in the call rather than to the constructor
_CALL_ATTRIBUTES = {"getitem": frozenset({"key"}), "pad": frozenset({"constant_values"})}


def _snake(class_name: str) -> str:
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _refusal(model_name, node, why) -> ValueError:
    return ValueError(
        f"Model '{model_name}' applies the op '{node.op.name}' directly to a symbolic tensor, and {why}. "
        "Wrap that op in a Lambda layer (or use a layer) to save the model's architecture.")


def _key_record(item):
    if isinstance(item, tuple):
        start, stop, step = item
        return {"class_name": "__slice__", "config": {"start": start, "stop": stop, "step": step}}
    if item is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    return _plain(item)


def _constant(node, model_name, consumer):
    if node.kind != "constant":
        raise _refusal(model_name, consumer, f"one of its inputs ({node!r}, a {node.kind}) is neither a "
                                             "constant nor a tensor of the model")
    value = numpy.asarray(node.value)
    if value.ndim == 0:
        return _plain(value)
    if value.dtype.kind not in _DTYPE_KINDS:
        raise _refusal(model_name, consumer, f"its constant input has dtype {value.dtype}")
    return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}


def operation_entries(model_name, op_nodes, taken_names, tensor_record, is_tensor):
    """Keras 3 operation entries for the bare op nodes ``op_nodes`` (in schedule order).

    ``taken_names``: the names of the model's layers (op names avoid them);
    ``tensor_record(node)``: the ``__keras_tensor__`` record of a tensor of the
    model (it must know the names given here: it is called after they are
    returned through ``names``); ``is_tensor(node)``: whether a node is such a
    tensor (else it must be a constant).  Returns ``(names, build)``: the entry
    name of each op node by ``id``, and ``build(node)`` making its entry.
    """
    names, used = {}, set(taken_names)
    for node in op_nodes:
        writer = _WRITERS.get(getattr(node.op, "name", None))
        if writer is None:
            raise _refusal(model_name, node, "Keras 3 has no operation kerasette writes for it")
        class_name, params, layout = writer
        extra = sorted(set(node.attrs) - params.attributes - _CALL_ATTRIBUTES.get(layout, frozenset()))
        if extra:
            raise _refusal(model_name, node, f"its attribute(s) {extra} have no Keras 3 operation argument")
        base = _snake(class_name)
        name, counter = base, 0
        while name in used:
            counter += 1
            name = f"{base}_{counter}"
        used.add(name)
        names[id(node)] = name

    def build(node):
        class_name, params, layout = _WRITERS[node.op.name]
        module = OPERATIONS[class_name][0]
        values = [tensor_record(item) if is_tensor(item) else _constant(item, model_name, node)
                  for item in node.inputs]
        kwargs = {}
        if layout == "list":
            args = [values]
        elif layout == "getitem":
            args = values + [[_key_record(item) for item in node.attrs.get("key", ())]]
        elif layout == "pad":
            args = values
            kwargs = {"constant_values": _plain(node.attrs.get("constant_values"))}
        else:
            args = values
        name = names[id(node)]
        return {"module": module, "class_name": class_name, "config": {"name": name, **params(node.attrs)},
                "registered_name": class_name, "name": name, "inbound_nodes": [{"args": args, "kwargs": kwargs}]}

    return names, build
