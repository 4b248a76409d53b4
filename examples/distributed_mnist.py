"""Data-parallel training over MPI: the same script on one process or on several.

    python examples/distributed_mnist.py                  # one process
    mpiexec -n 2 python examples/distributed_mnist.py     # two processes, same numbers

A small CNN with synchronized batch normalization learns the handwritten
digits that ship inside kerasette (``kerasette.datasets.digits``: 1,797 8x8
images, no download; MNIST itself needs the network, which this example
avoids).  With ``DataParallel`` set, each process trains on its half of
every global batch of 64, the gradients are averaged with one allreduce per
step, and ``BatchNormalization(synchronized=True)`` normalizes with the
statistics of the whole global batch; so two processes reach the weights of
one (up to float rounding) and print the same test accuracy.  Only rank 0
prints; ``pip install 'kerasette[mpi]'`` brings mpi4py and Open MPI's
``mpiexec``.
"""
import numpy as np

import kerasette
from kerasette import Input, Model, distribution
from kerasette.datasets import digits
from kerasette.layers import Activation, BatchNormalization, Conv2D, Dense, Flatten, MaxPooling2D


def build_model():
    inputs = Input(shape=(8, 8, 1), name="digit")
    x = Conv2D(16, 3, padding="same", use_bias=False)(inputs)   # the normalization's beta is the bias
    x = Activation("relu")(BatchNormalization(synchronized=True, momentum=0.9)(x))
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(64, activation="relu")(x)
    outputs = Dense(10, activation="softmax")(x)
    return Model(inputs, outputs, name="digits_cnn")


def main():
    distribution.set_distribution(distribution.DataParallel())
    rank, size = distribution.rank(), distribution.size()
    kerasette.utils.set_random_seed(7)   # rank 0's weights are broadcast anyway
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train / 16.0).astype("float32")[..., None]
    x_test = (x_test / 16.0).astype("float32")[..., None]
    model = build_model()
    model.compile(optimizer=kerasette.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    # batch_size is the global batch: each of the `size` processes takes 64 / size rows of it
    model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=2 if rank == 0 else 0)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    predicted = np.argmax(model.predict(x_test, batch_size=128, verbose=0), axis=-1)   # gathered in order
    if rank == 0:
        print(f"processes: {size}")
        print(f"test loss: {loss:.4f}")
        print(f"test accuracy: {accuracy:.4f} ({int((predicted == y_test).sum())} of {len(y_test)} right)")


if __name__ == "__main__":
    main()
