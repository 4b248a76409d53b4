"""Train a small classifier define-and-run style: the whole step is one compiled program.

The data are three interleaved spiral arms in the plane, made by a seeded
numpy generator (no download): no straight line separates them, so a model
has to learn a curved boundary.  The model is a two-hidden-layer MLP written
with placeholders, Variables and ``kerasette.ops``; ``tf.gradients`` adds the
backward pass to the same graph, and ``tf.function(..., updates=...)``
compiles forward, loss, gradients and the SGD update into a single program,
built once and then run batch after batch.

    python examples/graph_training.py
"""
import time

import numpy as np

import kerasette.graph as tf
from kerasette import ops

CLASSES = 3
HIDDEN = 32
LEARNING_RATE = 0.2
BATCH_SIZE = 32
EPOCHS = 20


def make_spirals(points_per_class, rng, noise=0.3, turns=0.75):
    """``CLASSES`` spiral arms from the centre outwards; points (n, 2) float32 and labels (n,) int64."""
    points, labels = [], []
    for label in range(CLASSES):
        radius = np.linspace(0.1, 1.0, points_per_class)
        start = label * 2 * np.pi / CLASSES
        angle = np.linspace(start, start + turns * 2 * np.pi, points_per_class)
        angle += rng.normal(0.0, noise, points_per_class)
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(points_per_class, label))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels).astype(np.int64)


rng = np.random.default_rng(0)
features, labels = make_spirals(300, rng)
order = rng.permutation(len(features))
features, labels = features[order], labels[order]
train_x, train_y = features[:600], labels[:600]
test_x, test_y = features[600:], labels[600:]
print(f"data: {len(train_x)} training and {len(test_x)} test points on {CLASSES} spiral arms")

# ---------------------------------------------------------------- the graph, built once


def dense_weights(units_in, units_out, name):
    """He-initialised kernel (units_in, units_out) and zero bias, as graph Variables."""
    kernel = rng.normal(0.0, np.sqrt(2.0 / units_in), (units_in, units_out)).astype(np.float32)
    return tf.Variable(kernel, name=f"{name}_kernel"), tf.Variable(np.zeros(units_out, np.float32), name=f"{name}_bias")


x = tf.placeholder(tf.float32, shape=(None, 2), name="x")     # any batch size
y = tf.placeholder(tf.int64, shape=(None,), name="y")

kernel_1, bias_1 = dense_weights(2, HIDDEN, "hidden_1")
kernel_2, bias_2 = dense_weights(HIDDEN, HIDDEN, "hidden_2")
kernel_3, bias_3 = dense_weights(HIDDEN, CLASSES, "output")
parameters = [kernel_1, bias_1, kernel_2, bias_2, kernel_3, bias_3]

hidden = ops.relu(ops.matmul(x, kernel_1) + bias_1)
hidden = ops.relu(ops.matmul(hidden, kernel_2) + bias_2)
logits = ops.matmul(hidden, kernel_3) + bias_3
loss = ops.mean(ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
predictions = ops.argmax(logits, axis=-1)
print(f"logits: {logits}")
print(f"loss:   {loss}")

gradients = tf.gradients(loss, parameters)
updates = [(parameter, parameter - LEARNING_RATE * gradient)
           for parameter, gradient in zip(parameters, gradients)]
train_step = tf.function([x, y], [loss], updates=updates)   # forward + backward + update: one program
predict = tf.function([x], predictions)
print(f"training step: {train_step.program}")


def accuracy(points, targets):
    return float(np.mean(predict([points]) == targets))


# ---------------------------------------------------------------- running it, batch after batch

accuracy_before = accuracy(test_x, test_y)
print(f"test accuracy before training: {accuracy_before:.3f}")
started = time.perf_counter()
steps = 0
for epoch in range(1, EPOCHS + 1):
    shuffled = rng.permutation(len(train_x))
    losses = []
    for start in range(0, len(train_x), BATCH_SIZE):
        batch = shuffled[start:start + BATCH_SIZE]        # the last batch is smaller: same program
        (batch_loss,) = train_step([train_x[batch], train_y[batch]])
        losses.append(float(batch_loss))
        steps += 1
    if epoch == 1 or epoch % 5 == 0:
        print(f"epoch {epoch:2d}  loss {np.mean(losses):.4f}")
elapsed = time.perf_counter() - started
print(f"{steps} steps in {elapsed:.2f} s ({1000 * elapsed / steps:.2f} ms per step)")

accuracy_after = accuracy(test_x, test_y)
print(f"final test accuracy: {accuracy_after:.3f}")
assert accuracy_after >= 0.9 and accuracy_after > accuracy_before + 0.4, (
    f"training did not learn the spirals: accuracy {accuracy_before:.3f} -> {accuracy_after:.3f}")
