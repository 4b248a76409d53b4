"""Property-based: mutated model configs give a model or a clear kerasette error, nothing else.

Real configs (written by tf.keras, Keras 3 and kerasette: the saving
fixtures) are mutated by hypothesis (values replaced, entries deleted,
numbers shifted, strings cut, parts copied elsewhere) and fed to
``model_from_config``.  Each run must end in one of two ways: a model, or a
``ConfigError`` / ``UnsafeDeserializationError`` whose message names what is
wrong; never a bare ``KeyError``, ``TypeError``, ``IndexError``, a hang or a
crash.  The examples are derandomized so CI is repeatable; set
``KERASETTE_FUZZ_EXAMPLES`` to search longer.
"""
import copy
import json
import os
import warnings
import zipfile

import h5py
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerasette.saving import ConfigError, UnsafeDeserializationError, model_from_config, model_from_json

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "saving")
EXAMPLES = int(os.environ.get("KERASETTE_FUZZ_EXAMPLES", "120"))


def _fixture_configs() -> dict:
    configs = {}
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith("_model.h5"):
            with h5py.File(os.path.join(FIXTURES, name), "r") as handle:
                text = handle.attrs["model_config"]
            configs[name] = json.loads(text if isinstance(text, str) else text.decode())
        elif name.endswith(".keras"):
            with zipfile.ZipFile(os.path.join(FIXTURES, name)) as archive:
                configs[name] = json.loads(archive.read("config.json"))
    return configs


CONFIGS = _fixture_configs()
NAMES = sorted(CONFIGS)


def _paths(value, prefix=()):
    """Every path into a JSON value, iteratively (configs can be deep)."""
    stack, found = [(prefix, value)], []
    while stack:
        path, item = stack.pop()
        found.append(path)
        if isinstance(item, dict):
            stack.extend((path + (key,), child) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((path + (index,), child) for index, child in enumerate(item))
    return sorted(found, key=lambda p: [str(k) for k in p])


def _at(value, path):
    for key in path:
        value = value[key]
    return value


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8)
    | st.sampled_from(["Dense", "InputLayer", "float32", "input_1", "__keras_tensor__", "function"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6)

MUTATION = st.tuples(st.integers(min_value=0), st.sampled_from(["replace", "delete", "shift", "cut", "copy"]),
                     JSON_VALUES, st.integers(min_value=0))


def _mutate(config, mutations):
    config = copy.deepcopy(config)
    for position, kind, value, other in mutations:
        paths = [p for p in _paths(config) if p]
        if not paths:
            break
        path = paths[position % len(paths)]
        parent, key = _at(config, path[:-1]), path[-1]
        current = parent[key]
        if kind == "replace":
            parent[key] = value
        elif kind == "delete":
            del parent[key]
        elif kind == "shift" and isinstance(current, int) and not isinstance(current, bool):
            parent[key] = current + (other % 7) - 3
        elif kind == "cut" and isinstance(current, (str, list)):
            parent[key] = current[: len(current) // 2]
        elif kind == "copy":
            parent[key] = copy.deepcopy(_at(config, paths[other % len(paths)]))
    return config


def _loads_or_refuses_clearly(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = build()
        except (ConfigError, UnsafeDeserializationError) as error:
            assert str(error), "a config error must say what is wrong"
            return None
    assert hasattr(model, "layers") or hasattr(model, "get_config")
    return model


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(name=st.sampled_from(NAMES), mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_configs_load_or_raise_a_config_error(name, mutations):
    _loads_or_refuses_clearly(lambda: model_from_config(_mutate(CONFIGS[name], mutations)))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(name=st.sampled_from(NAMES), mutations=st.lists(MUTATION, min_size=1, max_size=2))
def test_mutated_configs_through_json_text_behave_the_same(name, mutations):
    text = json.dumps(_mutate(CONFIGS[name], mutations))
    _loads_or_refuses_clearly(lambda: model_from_json(text))


@pytest.mark.parametrize("name", NAMES)
def test_every_unmutated_fixture_config_loads(name):
    # the property above is only meaningful if the unmutated configs load
    assert _loads_or_refuses_clearly(lambda: model_from_config(copy.deepcopy(CONFIGS[name]))) is not None


@pytest.mark.parametrize("bad", [
    {"class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": "InputLayer"}]}},
    {"class_name": "Functional", "config": {"name": "m", "layers": "dense"}},
    {"class_name": "Functional", "config": {"name": "m", "layers": [], "input_layers": [["x", 0, 0]],
                                            "output_layers": [["x", 0, 0]]}},
    {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense",
                                                                     "config": {"units": "many"}}]}},
    {"class_name": "Sequential", "config": 7},
    {"class_name": ["Dense"], "config": {}},
])
def test_hand_made_malformed_configs_name_the_problem(bad):
    with pytest.raises(ConfigError) as error:
        model_from_config(bad)
    assert not isinstance(error.value, (KeyError, IndexError, AttributeError))
    assert len(str(error.value)) > 20
