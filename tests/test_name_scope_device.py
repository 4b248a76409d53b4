"""keras.name_scope (variable paths) and keras.device (CPU placement), as Keras 3 has them."""
import numpy as np
import pytest

import kerasette as keras


def test_name_scope_prefixes_variable_and_layer_weight_paths():
    with keras.name_scope("outer"):
        variable = keras.Variable(np.zeros(2), name="v")
        with keras.name_scope("inner"):
            dense = keras.layers.Dense(3, name="proj")
            dense.build((None, 4))
    assert variable.path == "outer/v"
    assert [w.path for w in dense.weights] == ["outer/inner/proj/kernel", "outer/inner/proj/bias"]
    outside = keras.Variable(np.zeros(2), name="w")
    assert outside.path == "w" and keras.backend.current_path() == ""


def test_name_scope_deduplicates_the_same_caller_and_overrides_parent():
    owner = object()
    with keras.name_scope("block", caller=owner):
        with keras.name_scope("block", caller=owner):
            assert keras.backend.current_path() == "block"
        with keras.name_scope("block", caller=owner, deduplicate=False):
            assert keras.backend.current_path() == "block/block"
        with keras.name_scope("head", override_parent="root/branch"):
            assert keras.backend.current_path() == "root/branch/head"
    assert keras.backend.current_path() == ""


def test_name_scope_pops_on_error_and_rejects_bad_names():
    with pytest.raises(RuntimeError):
        with keras.name_scope("a"):
            raise RuntimeError("boom")
    assert keras.backend.current_path() == ""
    with pytest.raises(ValueError, match="name"):
        keras.name_scope("a/b")
    with pytest.raises(ValueError, match="name"):
        keras.name_scope(3)


def test_device_accepts_the_cpu_and_refuses_others_by_name():
    with keras.device("cpu:0"):
        y = keras.ops.add(np.ones(2), 1.0)
    np.testing.assert_array_equal(np.asarray(y), [2.0, 2.0])
    with keras.device("CPU"):
        pass
    with pytest.raises(ValueError, match="gpu:0"):
        with keras.device("gpu:0"):
            pass
    with pytest.raises(ValueError, match="device_name"):
        with keras.device(None):
            pass
