"""The tutorial's tf.layers model (TensorFlow 1), with only the import changed.

Original import:
    import tensorflow as tf

Each ``tf.layers`` call adds a layer to the graph and returns a symbolic
node; nothing is computed until a Session runs the graph with a batch fed to
the placeholder.  The layers are kerasette's Keras layers, so their weights
(``conv2d/kernel``, ...) are the variables of the graph.

    python examples/tf_layers_graph.py
"""
import numpy as np

import kerasette.graph as tf

input = tf.placeholder(tf.float32, shape=(None, 28, 28, 1)) # 28x28x1 の行列が入力
x = tf.layers.conv2d(input, filters=10, kernel_size=5)
x = tf.nn.relu(x)
x = tf.layers.max_pooling2d(x, pool_size=2, strides=2)
x = tf.layers.conv2d(x, filters=20, kernel_size=5)
x = tf.nn.relu(x)
x = tf.layers.max_pooling2d(x, pool_size=2, strides=2)
x = tf.reshape(x, [-1, 4 * 4 * 20])
x = tf.layers.dense(x, 50)
x = tf.nn.relu(x)
x = tf.layers.dense(x, 10)
x = tf.nn.softmax(x)
print(x)  # the notebook's last line, ``x``: a symbolic tensor, no values yet

# the layers' variables, as TensorFlow names them
for variable in tf.trainable_variables():
    print(f"{variable.name}:0 {variable.shape}")
print("parameters:", sum(int(np.prod(v.shape)) for v in tf.trainable_variables()))

# running the graph: feed a random batch of 32 images to the placeholder
batch = np.random.default_rng(0).random((32, 28, 28, 1), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    probabilities = sess.run(x, feed_dict={input: batch})
print("output shape:", probabilities.shape)
print("each row sums to 1:", bool(np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)))
