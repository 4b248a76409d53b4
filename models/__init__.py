"""The model zoo: ready Keras architectures built with kerasette, with measured accuracy.

Like TensorFlow's model garden, but small: each function returns a fresh,
uncompiled functional ``kerasette.Model`` whose defaults fit the embedded
digits (8x8x1 images, 10 classes) and which also builds for 28x28x1 MNIST
inputs.  Every docstring states the architecture and its parameter count;
``tests/zoo`` checks the counts against ``count_params()``, and
``models/evaluate_zoo.py`` trains each model on the digits and writes the
accuracy table into ``models/README.md``.

    >>> from models import small_resnet
    >>> model = small_resnet()
    >>> model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])

The zoo lives outside the ``kerasette`` package on purpose: it is a set of
examples built on the public API, not part of the library (setup.cfg installs
``kerasette`` only).  One module per family; ``ZOO`` lists them by name.
"""
from .convolutional import lenet5, small_vgg, tutorial_cnn
from .mlp import mlp
from .resnet import small_resnet
from .transformer import row_transformer

# name -> builder, in the order the README's table lists them
ZOO = {
    "tutorial_cnn": tutorial_cnn,
    "lenet5": lenet5,
    "mlp": mlp,
    "small_resnet": small_resnet,
    "small_vgg": small_vgg,
    "row_transformer": row_transformer,
}

__all__ = ["ZOO", "lenet5", "mlp", "row_transformer", "small_resnet", "small_vgg", "tutorial_cnn"]
