"""Define-and-run, the tutorial's TensorFlow 1 snippets with only the import changed.

Building ``x * y`` computes nothing: it adds a node to a graph, which prints
as a symbolic tensor.  A Session runs the graph; a placeholder is a hole in
the graph filled with real data (``feed_dict``) each time it runs.

    python examples/define_and_run.py
"""
import kerasette.graph as tf

x = tf.constant([3.0])
y = tf.constant([2.0])

z = x * y
print(z)  # no value yet: Tensor("mul:0", shape=(1,), dtype=float32)

print(tf.InteractiveSession().run(z))  # running the graph computes [6.]

x = tf.placeholder(tf.float32, shape=(1,))  # filled with real data when the graph runs
y = tf.constant([2.0])
z = x * y
print(z)  # still no value: Tensor("mul_1:0", shape=(1,), dtype=float32)

print(tf.InteractiveSession().run(z, feed_dict={x: [3.0]}))  # x replaced by [3.0]: [6.]
