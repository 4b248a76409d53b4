"""TensorFlow 1's dtype names (``tf.float32``, ...): numpy dtypes, so ``tf.float32.name == 'float32'``."""
import numpy

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool = numpy.dtype("bool")  # noqa: A001 - TensorFlow's name; this module never needs builtins.bool
half, double = float16, float64
