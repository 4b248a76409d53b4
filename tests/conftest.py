"""Settings for the whole test session, made before any test module is imported.

Real Keras 3 (the comparison peer) picks its backend once, at its first import in a
process, from KERAS_BACKEND (else ~/.keras/keras.json, else TensorFlow). Whichever test of
a pytest worker imports it first, directly or through TensorFlow's ``tf.keras``, must find
JAX chosen here, or every later Keras 3 comparison in that worker runs on another backend.
Tests that want TensorFlow's Keras 3 run it in a child process with their own environment.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
