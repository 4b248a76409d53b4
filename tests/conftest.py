"""Settings for the whole test session, made before any test module is imported.

Real Keras 3 (the comparison peer) picks its backend once, at its first import in a
process, from KERAS_BACKEND (else ~/.keras/keras.json, else TensorFlow). Whichever test of
a pytest worker imports it first, directly or through TensorFlow's ``tf.keras``, must find
JAX chosen here, or every later Keras 3 comparison in that worker runs on another backend.
Tests that want TensorFlow's Keras 3 run it in a child process with their own environment.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _global_settings_restored():
    """Each test leaves kerasette's global numeric settings as it found them (floatx, epsilon,
    image_data_format, the dtype policy), so a test that changes one cannot change the numbers
    of whichever test runs after it in the same worker."""
    from kerasette import backend, dtype_policies
    saved = (backend.floatx(), backend.epsilon(), backend.image_data_format(), dtype_policies._state["policy"])
    yield
    backend.set_floatx(saved[0])
    backend.set_epsilon(saved[1])
    backend.set_image_data_format(saved[2])
    dtype_policies._state["policy"] = saved[3]
