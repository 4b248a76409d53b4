"""The tutorial's PyTorch ``Net``, written with kerasette layers and trained by hand.

The model is subclassed (``class Net(Model)`` with ``call``), runs
define-by-run on ``Tensor``s, and a hand-written loop does what PyTorch users
write: forward, ``loss.backward()``, then each weight moves against its
``.grad``.  The task: 28x28 images holding a bright 4x4 square whose position
(one of ten) is the class, with noise.

Differences from the PyTorch original: layers are channels-last Keras layers
(``Conv2D(10, kernel_size=5)`` infers its input channels, ``Dense(50)`` its
input size), ``call`` stands for ``forward``, and ``axis`` for ``dim``.
"""
import numpy as np

import kerasette.ops as F
from kerasette import Model, Tensor, backend
from kerasette.layers import Conv2D, Dense


class Net(Model):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = Conv2D(10, kernel_size=5)
        self.conv2 = Conv2D(20, kernel_size=5)
        self.fc1 = Dense(50)
        self.fc2 = Dense(10)

    def call(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, axis=1)


def make_data(count, rng):
    """Noisy images whose class is where a bright square sits."""
    positions = [(row, col) for row in (2, 12, 22) for col in (2, 12, 22)] + [(12, 17)]
    labels = rng.integers(0, 10, size=count)
    images = rng.normal(0.0, 0.3, size=(count, 28, 28, 1)).astype(np.float32)
    for index, label in enumerate(labels):
        row, col = positions[label]
        images[index, row:row + 4, col:col + 4, 0] += 1.0
    return images, labels


def nll_loss(log_probabilities, labels):
    """Mean negative log-likelihood of the right class (PyTorch's F.nll_loss)."""
    one_hot = np.eye(10, dtype=np.float32)[labels]
    return -F.mean(F.sum(log_probabilities * one_hot, axis=1))


def main():
    backend.set_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(512, rng)
    x_test, y_test = make_data(256, rng)
    net = Net()
    learning_rate = 0.1
    for epoch in range(3):
        for start in range(0, len(x_train), 64):
            images, labels = x_train[start:start + 64], y_train[start:start + 64]
            loss = nll_loss(net(Tensor(images)), labels)
            for weight in net.trainable_weights:
                weight.zero_grad()
            loss.backward()
            for weight in net.trainable_weights:
                weight.assign(weight.numpy() - learning_rate * weight.grad.numpy())
        print(f"epoch {epoch + 1}: loss {float(loss.numpy()):.4f}")
    predictions = net(x_test).argmax(axis=1)
    accuracy = float(np.mean(predictions == y_test))
    print(f"test accuracy: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
