"""Dtype policies: which dtype a layer computes in and which its variables are stored in.

Keras 3's ``keras.dtype_policies``: a ``DTypePolicy`` is named after a dtype
(``'float32'``, ``'float64'``, ``'float16'``, ``'bfloat16'``: compute and
variables alike) or a mixed policy (``'mixed_float16'``,
``'mixed_bfloat16'``: compute in the 16-bit type, variables in float32, the
form mixed-precision training uses).  ``set_dtype_policy`` sets the policy
new layers take when given no ``dtype``; ``dtype_policy()`` reads it
(floatx until one is set).  ``get``/``serialize``/``deserialize`` read and
write Keras 3's records (``{"module": "keras", "class_name": "DTypePolicy",
"config": {"name": ...}, "registered_name": None}``).

bfloat16 needs ml_dtypes (``pip install kerasette[bfloat16]``), imported
only when such a policy is made.  The module sits on a floor of its own just
above ``backend``, so layers, losses and the config face can all read it;
``kerasette.mixed_precision`` adds the loss-scale optimizer on top.
"""
from __future__ import annotations

from . import backend

__all__ = ["DTypePolicy", "FloatDTypePolicy", "DTypePolicyMap", "dtype_policy",
           "set_dtype_policy", "get", "serialize", "deserialize"]

_state: dict = {"policy": None}


def _require_bfloat16() -> None:
    try:
        import ml_dtypes  # noqa: F401
    except ImportError as error:
        raise ImportError("bfloat16 policies need ml_dtypes: pip install 'kerasette[bfloat16]'"
                          ) from error


class DTypePolicy:
    """A layer's dtype policy: ``compute_dtype`` and ``variable_dtype`` from one name.

    >>> policy = DTypePolicy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')
    >>> DTypePolicy().name == DTypePolicy("float32").name == "float32"
    True
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError("'name' must be a string, such as 'mixed_float16'. Received: "
                            f"name={name!r} (of type {type(name)})")
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse(name)
        self._quantization_mode = None

    @staticmethod
    def _parse(name: str):
        if name in ("mixed_float16", "mixed_bfloat16"):
            compute = name.split("_", 1)[1]
            if compute == "bfloat16":
                _require_bfloat16()
            return compute, "float32"
        if name == "bfloat16":
            _require_bfloat16()
        try:
            dtype = backend.standardize_dtype(name)
        except ValueError:
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid "
                             "policies include 'mixed_float16', 'mixed_bfloat16', and the name "
                             "of any float dtype such as 'float32'.") from None
        return dtype, dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype a layer computes in (inputs are cast to it)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype a layer's weights are stored in."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """Keras' quantized policies' mode; None for these float policies."""
        return self._quantization_mode

    @property
    def is_mixed(self) -> bool:
        """Whether computations and variables use different dtypes."""
        return self._compute_dtype != self._variable_dtype

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __hash__(self):
        return hash((type(self).__name__, self._name))

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's older name for a float ``DTypePolicy`` (kept so old code and files still work).

    >>> FloatDTypePolicy("float16").compute_dtype
    'float16'
    """


class DTypePolicyMap(dict):
    """Layer paths to policies, with a default for paths it does not name (Keras 3's map).

    >>> policies = DTypePolicyMap(default_policy="float32")
    >>> policies["dense/kernel"] = "mixed_float16"
    >>> policies["dense/kernel"].compute_dtype, policies["other"].name
    ('float16', 'float32')
    """

    def __init__(self, default_policy=None, policy_map=None):
        super().__init__()
        self._default_policy = get(default_policy) if default_policy is not None else None
        for key, value in (policy_map or {}).items():
            self[key] = value

    @property
    def default_policy(self) -> DTypePolicy:
        return self._default_policy or dtype_policy()

    @property
    def name(self) -> str:
        return f"map_{self.default_policy.name}"

    def __setitem__(self, key, policy):
        if key in self:
            raise ValueError(f"layer/variable path '{key}' already exists in the DTypePolicyMap "
                             f"with value {dict.__getitem__(self, key)}.")
        dict.__setitem__(self, key, get(policy))

    def __missing__(self, key):
        return self.default_policy

    def get_config(self) -> dict:
        return {"default_policy": serialize(self.default_policy),
                "policy_map": {key: serialize(value) for key, value in self.items()}}

    @classmethod
    def from_config(cls, config: dict):
        return cls(default_policy=deserialize(config.get("default_policy")),
                   policy_map={key: deserialize(value)
                               for key, value in (config.get("policy_map") or {}).items()})

    def __repr__(self):
        return (f"<DTypePolicyMap default_policy={self.default_policy.name}, "
                f"mapping={sorted(self.items())}>")


def dtype_policy() -> DTypePolicy:
    """The policy layers take when given no ``dtype`` (floatx until ``set_dtype_policy``)."""
    policy = _state["policy"]
    if policy is None:
        return DTypePolicy(backend.floatx())
    return policy


def set_dtype_policy(policy) -> None:
    """Set the default policy of new layers: a ``DTypePolicy`` or its name.

    >>> set_dtype_policy("mixed_float16"); dtype_policy().compute_dtype
    'float16'
    >>> set_dtype_policy(None); dtype_policy().name
    'float32'
    """
    if policy is None:
        _state["policy"] = None
        return
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy (such "
                         f"as 'mixed_float16') or a `DTypePolicy` instance. Received: "
                         f"policy={policy!r} (of type {type(policy)})")
    _state["policy"] = policy


def serialize(policy) -> dict:
    """Keras 3's record of a policy."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    class_name = "DTypePolicyMap" if isinstance(policy, DTypePolicyMap) else type(policy).__name__
    return {"module": "keras", "class_name": class_name, "config": policy.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects: dict | None = None):
    """The policy a record (Keras 3's, or a bare ``{"class_name", "config"}``) or a name describes."""
    if config is None or isinstance(config, (DTypePolicy, DTypePolicyMap)):
        return config
    if isinstance(config, str):
        return DTypePolicy(config)
    class_name = config.get("class_name")
    classes = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
               "DTypePolicyMap": DTypePolicyMap}
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name].from_config(config.get("config", {}))
    if class_name not in classes:
        raise ValueError(f"Unknown dtype policy class {class_name!r}; kerasette knows "
                         f"{sorted(classes)} (quantized policies are not supported)")
    return classes[class_name].from_config(config.get("config", {}))


def get(identifier):
    """A policy from None (the global one), a name, a record or a policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, (DTypePolicy, DTypePolicyMap)):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    name = getattr(identifier, "name", None)
    if isinstance(name, str):           # a numpy dtype
        return DTypePolicy(name)
    raise ValueError(f"Cannot interpret `dtype` argument. Expected a string or an instance of "
                     f"DTypePolicy. Received: dtype={identifier!r}")
