"""Run by tests/distribution/test_mpi.py: alone (one process) or under ``mpiexec -n 2``.

``python mpi_train.py MODEL OUT [fail]`` trains MODEL ("mlp" or "cnn" on
arrays, "source" an MLP on a PyDataset, "own" an MLP on each rank's own
arrays, auto_shard_dataset=False; "bn" a CNN with BatchNormalization and
Dropout, whose ranks must agree with each other only; "syncbn" a CNN with
BatchNormalization(synchronized=True) after a convolution and a Dense;
"sharded" and "sharded_source" the MLP on arrays and on a PyDataset with
DataParallel(sharded_update=True); "more" a model of two
inputs and outputs, a subclassed one and a Sequential built in fit) with a DataParallel distribution set,
and writes OUT.<rank>.npz: the weights after fit and train_on_batch, the
history, the logs of train_on_batch, test_on_batch and evaluate, and
predict's outputs.  A PyDataset is sharded by batch index: on 2 ranks,
batches 2k and 2k+1 make one global batch; the single process reads the
same global batches, joined.  Under MPI every rank starts from different
weights (its own seed), so equal results also show that rank 0's weights
were broadcast.  With ``fail``, rank 1 fails in its third training step:
``raise`` raises, ``caught`` raises into a try/except of the script,
``killed`` kills itself, ``hang`` sleeps; rank 0 should be stopped.
"""
import os
import signal
import sys
import time

import numpy as np

from kerasette import (Input, Model, Sequential, backend, callbacks, distribution, layers, metrics, ops, optimizers,
                       utils)
from kerasette.layers import (Activation, BatchNormalization, Concatenate, Conv2D, Dense, Dropout, Flatten,
                              MaxPooling2D)


class Batches(utils.PyDataset):
    """Batches of 12 and 13 samples, alternately (the last one short); ``joined``:
    each two consecutive ones as one batch, as the global batches of 2 ranks."""

    def __init__(self, x, y, joined):
        super().__init__()
        bounds, start = [], 0
        while start < len(x):
            stop = min(len(x), start + (12 if len(bounds) % 2 == 0 else 13))
            bounds.append((start, stop))
            start = stop
        if joined:
            bounds = [(pair[0][0], pair[-1][1]) for pair in (bounds[i:i + 2] for i in range(0, len(bounds), 2))]
        self.x, self.y, self.bounds = x, y, bounds

    def __len__(self):
        return len(self.bounds)

    def __getitem__(self, index):
        start, stop = self.bounds[index]
        return self.x[start:stop], self.y[start:stop]


def data(model_name):
    rng = np.random.default_rng(7)
    if model_name in ("mlp", "source", "own", "sharded", "sharded_source", "sharded_nadam"):
        x = rng.standard_normal((101, 6)).astype("float32")
        y = (x[:, :3].sum(axis=1) > 0).astype("int64") + (x[:, 3] > 1)
        weights = rng.uniform(0.5, 2.0, 101).astype("float32")
        return x, y, weights
    x = rng.standard_normal((45, 8, 8, 2)).astype("float32")
    y = (x[:, :4, :4, 0].mean(axis=(1, 2)) > 0).astype("int64")
    return x, y, None


def build(model_name):
    if model_name in ("mlp", "source", "own", "sharded", "sharded_source", "sharded_nadam"):
        inputs = Input(shape=(6,))
        hidden = Dense(16, activation="tanh")(inputs)
        outputs = Dense(3, activation="softmax")(hidden)
    elif model_name == "bn":   # batch statistics per rank, dropout masks of each rank's own
        inputs = Input(shape=(8, 8, 2))
        hidden = Activation("relu")(BatchNormalization()(Conv2D(4, 3)(inputs)))
        hidden = Dropout(0.25)(Flatten()(MaxPooling2D(2)(hidden)))
        outputs = Dense(3, activation="softmax")(hidden)
    elif model_name == "syncbn":   # statistics of the global batch: one process's numbers
        # no biases before the normalizations: their gradient is zero up to rounding, which
        # Adam would turn into full steps of noise, different from run to run
        inputs = Input(shape=(8, 8, 2))
        hidden = Activation("relu")(BatchNormalization(synchronized=True)(Conv2D(4, 3, use_bias=False)(inputs)))
        hidden = Dense(8, use_bias=False)(Flatten()(MaxPooling2D(2)(hidden)))
        hidden = Activation("tanh")(BatchNormalization(synchronized=True, momentum=0.8)(hidden))
        outputs = Dense(3, activation="softmax")(hidden)
    elif model_name == "syncmoments":   # ops.moments(synchronized=True) in a layer: the global batch's
        inputs = Input(shape=(8, 8, 2))
        hidden = Activation("relu")(Standardize()(Conv2D(4, 3, use_bias=False)(inputs)))
        outputs = Dense(3, activation="softmax")(Flatten()(MaxPooling2D(2)(hidden)))
    else:
        inputs = Input(shape=(8, 8, 2))
        hidden = Conv2D(4, 3, activation="relu")(inputs)
        hidden = MaxPooling2D(2)(hidden)
        outputs = Dense(3, activation="softmax")(Flatten()(hidden))
    return Model(inputs, outputs)


class Standardize(layers.Layer):
    """Each channel standardized by the statistics of the whole global batch."""

    def call(self, inputs):
        mean, variance = ops.moments(inputs, axes=[0, 1, 2], keepdims=True, synchronized=True)
        return (inputs - mean) / ops.sqrt(variance + 1e-3)


class FailOnRankOne(callbacks.Callback):
    def __init__(self, how):
        super().__init__()
        self.how, self.steps = how, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if distribution.rank() == 1 and self.steps == 3:
            if self.how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "hang":   # rank 0 waits in its next step's allreduce, up to the timeout
                time.sleep(600)
            raise RuntimeError("rank 1 fails on purpose in its third step")


class Subclassed(Model):
    """Built on its first batch (inside fit), with an add_loss and a metric updated in call."""

    def __init__(self):
        super().__init__()
        self.hidden, self.out = Dense(6, activation="relu"), Dense(2, activation="softmax")
        self.activity = metrics.Mean(name="activity")

    def call(self, inputs, training=False):
        hidden = self.hidden(inputs)
        self.add_loss(0.01 * (hidden ** 2).mean())
        self.activity.update_state(hidden)
        return self.out(hidden)


def train_more_models(rank, out):
    """Two inputs and two outputs (dicts, loss weights, per-output metrics), a subclassed
    model and a Sequential without an input shape: both ranks match one process."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((50, 4)).astype("float32"), rng.standard_normal((50, 3)).astype("float32")
    labels = (x1[:, 0] > 0).astype("int64")
    target = (x1[:, :2] @ np.array([1.0, -1.0], "float32") + x2[:, 0])[:, None]
    arrays = {"size": np.asarray(distribution.size())}
    first, second = Input(shape=(4,), name="a_in"), Input(shape=(3,), name="b_in")
    backend.set_seed(1 if rank == 0 else 100 + rank)
    hidden = Concatenate()([Dense(8, activation="relu")(first), second])
    two_way = Model([first, second], [Dense(2, activation="softmax", name="cls")(hidden), Dense(1, name="reg")(hidden)])
    two_way.compile("adam", {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                    loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    history = two_way.fit({"a_in": x1, "b_in": x2}, {"cls": labels, "reg": target}, batch_size=15, epochs=3,
                          verbose=0)
    predicted = two_way.predict([x1, x2], batch_size=16, verbose=0)
    arrays.update({"two_way_cls": predicted[0], "two_way_reg": predicted[1]})
    models = [("two_way", two_way, history)]
    for name, model in (("subclassed", Subclassed()),
                        ("sequential", Sequential([Dense(6, activation="relu"), Dense(2, activation="softmax")]))):
        backend.set_seed(2 if rank == 0 else 200 + rank)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        models.append((name, model, model.fit(x1, labels, batch_size=15, epochs=3, verbose=0)))
        arrays[f"{name}_evaluate"] = np.asarray(model.evaluate(x1, labels, verbose=0))
    for name, model, history in models:
        arrays.update({f"{name}_weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())})
        arrays.update({f"{name}_history_{k}": np.asarray(v) for k, v in history.history.items()})
    # Horovod's layer: a layer built from each rank's own seed takes rank 0's weights
    backend.set_seed(3 if rank == 0 else 300 + rank)
    probe = Dense(3)
    probe.build((None, 4))
    distribution.broadcast_variables(probe.weights)
    arrays["probe_kernel"] = np.asarray(probe.kernel.numpy())
    check_collectives(rank, distribution.size())
    np.savez(f"{out}.{rank}.npz", **arrays)


def check_collectives(rank, size):
    """The collectives' numbers on every rank (the script fails, and with it the test, if not)."""
    total = size * (size + 1) / 2
    np.testing.assert_array_equal(distribution.allreduce(np.full(2, rank + 1.0), op="sum"), [total, total])
    np.testing.assert_array_equal(distribution.allreduce(np.full(2, rank + 1.0)), [total / size] * 2)
    np.testing.assert_array_equal(distribution.allreduce(np.array([rank, -rank]), op="max"), [size - 1, 0])
    np.testing.assert_array_equal(distribution.allreduce(np.array([rank]), op="min"), [0])
    assert distribution.allgather(rank) == list(range(size))
    assert distribution.broadcast(f"from {rank}") == "from 0"
    assert distribution.broadcast(f"from {rank}", root_rank=size - 1) == f"from {size - 1}"
    np.testing.assert_array_equal(distribution.broadcast(np.full(3, rank, "int32")), [0, 0, 0])
    distribution.barrier()


def train_own_parts(model, x, y, rank, out):
    """auto_shard_dataset=False: rank 0 holds rows 0-29, rank 1 rows 30-69, batches of 10;
    every rank takes 3 batches an epoch (the fewest), so the one process trains on
    batches of 20 joining rows 10k..10k+9 of both parts."""
    parts = [(x[:30], y[:30]), (x[30:70], y[30:70])]
    if distribution.size() == 1:
        order = np.concatenate([np.r_[10 * k:10 * k + 10, 30 + 10 * k:30 + 10 * k + 10] for k in range(3)])
        history = model.fit(x[order], y[order], batch_size=20, epochs=3, shuffle=False, verbose=0)
    else:
        history = model.fit(*parts[rank], batch_size=10, epochs=3, shuffle=False, verbose=0)
    arrays = {f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    arrays.update({f"history_{k}": np.asarray(v) for k, v in history.history.items()})
    arrays["size"] = np.asarray(distribution.size())
    np.savez(f"{out}.{rank}.npz", **arrays)


def main():
    model_name, out = sys.argv[1], sys.argv[2]
    fail = sys.argv[3] if len(sys.argv) > 3 else None
    # sharded*: each rank updates its share of the weights (sharded_update.py)
    distribution.set_distribution(distribution.DataParallel(auto_shard_dataset=model_name != "own",
                                                            sharded_update=model_name.startswith("sharded")))
    rank = distribution.rank()
    backend.set_seed(1 if rank == 0 else 100 + rank)   # rank 0's weights must win
    x, y, weights = data(model_name)
    model = build(model_name)
    # sharded_nadam: an optimizer with optimizer-wide state (Nadam's u_product) and weight decay
    optimizer = optimizers.Nadam(0.01, weight_decay=0.05) if model_name == "sharded_nadam" else optimizers.Adam(0.01)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    if model_name == "own":
        return train_own_parts(model, x, y, rank, out)
    if model_name == "more":
        return train_more_models(rank, out)
    extra = [FailOnRankOne(fail)] if fail else []
    # written on rank 0 only; the same decisions on every rank (global logs)
    extra += [callbacks.CSVLogger(f"{out}.{rank}.csv"), callbacks.ReduceLROnPlateau("val_loss", 0.5, patience=0, min_delta=0.1),
              callbacks.EarlyStopping("loss", min_delta=0.15, patience=1)]
    if fail == "hang":
        distribution.set_timeout(3)
    if fail == "caught":   # an exception that the script catches still stops every rank
        try:
            model.fit(x, y, batch_size=25, epochs=2, verbose=0, callbacks=extra)
        except RuntimeError:
            np.savez(f"{out}.survived.{rank}.npz")
            raise SystemExit(0)
    if model_name in ("source", "sharded_source"):
        data_ = Batches(x, y, joined=distribution.size() == 1)
        history = model.fit(data_, epochs=6, validation_data=(x[:37], y[:37]), verbose=0, callbacks=extra)
    else:
        # a global batch of 25 (or 10) samples: shards of 12 and 13 (5 and 5); the last batch is short
        # syncbn: batches of 11 (shards of 5 and 6), the last one of 1 sample (rank 0 has none)
        batch_size = {"mlp": 25, "syncbn": 11, "sharded_nadam": 25}.get(model_name, 10)   # (bn: the CNN's data)
        history = model.fit(x, y, sample_weight=weights, batch_size=batch_size, epochs=6, shuffle=True,
                            validation_data=(x[:37], y[:37]), verbose=0, callbacks=extra)
    # one global step each: 25 samples, 12 and 13 on 2 ranks
    on_batch = model.train_on_batch(x[:25], y[:25], return_dict=True)
    on_batch.update({"test_" + k: v for k, v in model.test_on_batch(x[25:50], y[25:50], return_dict=True).items()})
    evaluated = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    predicted = model.predict(x, batch_size=16, verbose=0)
    arrays = {f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    arrays.update({f"history_{k}": np.asarray(v) for k, v in history.history.items()})
    arrays.update({f"evaluate_{k}": np.asarray(v) for k, v in evaluated.items()})
    arrays.update({f"on_batch_{k}": np.asarray(v) for k, v in on_batch.items()})
    arrays["predict"] = predicted
    if model_name.startswith("sharded"):   # the optimizer's state too, gathered from the owners
        arrays.update({f"optimizer_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.optimizer.variables)})
    if model_name == "source":   # sharded by batch index, gathered back in the data's order
        arrays["predict_source"] = model.predict(data_, verbose=0)
        arrays["evaluate_source"] = np.asarray(model.evaluate(data_, verbose=0))
    arrays["size"] = np.asarray(distribution.size())
    np.savez(f"{out}.{rank}.npz", **arrays)


if __name__ == "__main__":
    main()
