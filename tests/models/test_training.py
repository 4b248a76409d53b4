"""compile / fit / evaluate / predict on compiled programs, and their eager twin."""
import numpy as np
import pytest

import kerasette
from kerasette import Input, Model, Sequential, backend, engine
from kerasette.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield
    backend.set_floatx("float32")


def blobs(count=256, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, features)) * 3
    labels = rng.integers(0, classes, count)
    x = (centers[labels] + rng.standard_normal((count, features))).astype(np.float32)
    return x, labels


def mlp(features=8, classes=3, hidden=16):
    inputs = Input(shape=(features,))
    hidden_out = Dense(hidden, activation="relu")(inputs)
    return Model(inputs, Dense(classes, activation="softmax")(hidden_out))


def test_fit_learns_and_history_has_every_key():
    x, y = blobs()
    model = mlp()
    model.compile(optimizer=kerasette.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == list(range(8))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9


def test_the_training_step_is_one_compiled_program_reused():
    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    train_programs = [key for key in model._programs if key[0] == "train"]
    assert len(train_programs) == 1
    program = model._programs[train_programs[0]]
    assert isinstance(program, engine.Program) and len(program.update_writes) > 0


def test_compiled_and_eager_training_give_the_same_weights():
    x, y = blobs(96)
    first = mlp()
    second = mlp()
    second.set_weights(first.get_weights())
    for model, eagerly in ((first, False), (second, True)):
        model.compile(optimizer=kerasette.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      run_eagerly=eagerly)
        model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_evaluate_and_predict_match_a_hand_computation():
    x, y = blobs(70)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probabilities = model.predict(x, batch_size=32, verbose=0)   # 70 = 32 + 32 + 6: a short last batch
    assert probabilities.shape == (70, 3)
    np.testing.assert_allclose(probabilities, model(x), rtol=1e-6)
    loss = -np.mean(np.log(np.clip(probabilities[np.arange(70), y], 1e-7, 1)))
    accuracy = np.mean(probabilities.argmax(1) == y)
    got_loss, got_accuracy = model.evaluate(x, y, batch_size=32, verbose=0)
    np.testing.assert_allclose(got_loss, loss, rtol=1e-5)
    assert got_accuracy == pytest.approx(accuracy)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_on_batch_methods():
    x, y = blobs(20)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    loss, accuracy = model.test_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    train_loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert train_loss == pytest.approx(loss, rel=1e-6)   # computed before the update
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    np.testing.assert_allclose(model.predict_on_batch(x), model(x), rtol=1e-6)


def test_multi_output_losses_weights_and_names():
    x, y = blobs(64)
    inputs = Input(shape=(8,), name="features")
    shared = Dense(8, activation="relu")(inputs)
    classes = Dense(3, activation="softmax", name="classes")(shared)
    value = Dense(1, name="value")(shared)
    model = Model(inputs, [classes, value])
    target_value = x[:, :1] * 0.5
    model.compile(optimizer="adam",
                  loss={"classes": "sparse_categorical_crossentropy", "value": "mse"},
                  loss_weights={"classes": 1.0, "value": 0.5}, metrics={"classes": ["accuracy"]})
    assert model.metrics_names == ["loss", "classes_loss", "value_loss", "classes_accuracy"]
    logs = model.evaluate(x, {"classes": y, "value": target_value}, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["classes_loss"] + 0.5 * logs["value_loss"], rel=1e-5)
    history = model.fit(x, [y, target_value], epochs=3, verbose=0)
    assert history.history["value_loss"][-1] < history.history["value_loss"][0]


def test_sample_and_class_weights():
    x, y = blobs(40)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = model.evaluate(x, y, verbose=0)
    weights = np.zeros(40, np.float32)
    weights[:20] = 2.0
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0, batch_size=40)
    probabilities = model.predict(x, verbose=0)
    per_sample = -np.log(np.clip(probabilities[np.arange(40), y], 1e-7, 1))
    np.testing.assert_allclose(weighted, np.sum(per_sample * weights) / 40, rtol=1e-5)
    assert plain != pytest.approx(weighted)
    # class_weight scales each sample's loss by its class's weight
    other = mlp()
    other.set_weights(model.get_weights())
    other.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    class_weight = {0: 1.0, 1: 0.0, 2: 0.0}
    only_zero = other.train_on_batch(x, y, class_weight=class_weight)
    np.testing.assert_allclose(only_zero, np.sum(per_sample * (y == 0)) / 40, rtol=1e-5)


def test_dropout_and_batch_norm_train_in_fit_and_infer_in_predict():
    inputs = Input(shape=(4,))
    normalized = BatchNormalization(momentum=0.5)(inputs)
    model = Model(inputs, Dense(1)(Dropout(0.5)(normalized)))
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 4)).astype(np.float32)
    first = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), first)     # inference is deterministic
    bn = model.layers[1]
    model.fit(x, np.zeros((64, 1), np.float32), batch_size=64, epochs=1, verbose=0, shuffle=False)
    # one training step moved the moving mean half way to the batch mean
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(0), rtol=1e-4)


def test_generators_and_sequences():
    x, y = blobs(64)

    def batches():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(batches(), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3

    class Batches:
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 16:(index + 1) * 16], y[index * 16:(index + 1) * 16]

    assert np.isfinite(model.evaluate(Batches(), verbose=0))
    assert model.predict(Batches(), verbose=0).shape == (64, 3)


def test_bad_input_is_refused_before_any_weight_changes():
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, y[:30], verbose=0)
    with pytest.raises(ValueError, match=r"Input 'input_1'.*\(None, 8\).*\(32, 7\)"):
        model.fit(x[:, :7], y, verbose=0)
    bad = y.copy()
    bad[3] = 5
    with pytest.raises(ValueError, match=r"must be in \[0, 3\).*5"):
        model.fit(x, bad, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="compile"):
        mlp().fit(x, y)


def test_set_random_seed_makes_fit_repeatable():
    x, y = blobs(64)
    results = []
    for _ in range(2):
        backend.clear_session()
        kerasette.utils.set_random_seed(123)
        model = Sequential([Input(shape=(8,)), Dense(8, activation="relu"), Dropout(0.3), Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_training_gradient_matches_finite_differences_in_float64():
    """The whole compiled step's gradient, for a model using every kind of layer
    that has weights or shapes its input: convolution (plain and depthwise),
    batch and layer normalization, pooling, embedding, merging, activations."""
    from kerasette.layers import (Add, Concatenate, DepthwiseConv2D, Embedding, GlobalAveragePooling1D,
                                  LayerNormalization, PReLU)
    backend.set_floatx("float64")
    rng = np.random.default_rng(1)
    image_in = Input(shape=(6, 6, 2))
    x = Conv2D(3, 3, padding="same", activation="tanh")(image_in)
    x = BatchNormalization()(x)
    x = DepthwiseConv2D(3, padding="same")(x)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(4, activation="sigmoid")(x)
    tokens_in = Input(shape=(5,), dtype="int64")
    t = GlobalAveragePooling1D()(Embedding(7, 4)(tokens_in))
    merged = Concatenate()([x, Add()([t, Dense(4)(x)])])
    merged = PReLU()(LayerNormalization()(merged))
    outputs = Dense(3, activation="softmax")(merged)
    model = Model([image_in, tokens_in], outputs)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    images = rng.standard_normal((5, 6, 6, 2))
    tokens = rng.integers(0, 7, (5, 5))
    labels = rng.integers(0, 3, 5)
    with engine.Graph().as_default():
        placeholders = model._input_placeholders([images, tokens])
        graph_outputs = model._trace(placeholders, training=True)
        targets, weights = model._target_placeholders([labels], graph_outputs)
        total, _ = model._loss_nodes(graph_outputs, targets, weights)
        variables = model.trainable_weights
        grads = engine.gradients(total, [engine.variable_from_holder(v) for v in variables])
        feeds = placeholders + targets + weights
        program = engine.Program([total] + grads, feeds)
    ones = np.ones(5)
    loss, *analytic = program(images, tokens, labels, ones)
    assert len(analytic) == len(variables) and all(g is not None for g in grads)
    for variable, grad in zip(variables, analytic):
        flat = variable.numpy().reshape(-1)
        for index in range(0, flat.size, max(1, flat.size // 3)):
            original = flat[index]
            flat[index] = original + 1e-6
            plus = program(images, tokens, labels, ones)[0]
            flat[index] = original - 1e-6
            minus = program(images, tokens, labels, ones)[0]
            flat[index] = original
            numeric = (plus - minus) / 2e-6
            np.testing.assert_allclose(grad.reshape(-1)[index], numeric, rtol=1e-5, atol=1e-8,
                                       err_msg=f"{variable.path}[{index}]")


def test_terminate_on_nan_stops_fit_and_names_the_batch(capsys):
    x, y = blobs(64)
    x[20, 0] = np.nan                 # sample 20 sits in batch 2 of 8
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.eye(3, dtype=np.float32)[y], epochs=5, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[kerasette.callbacks.TerminateOnNaN()])
    printed = capsys.readouterr().out
    assert "Batch 2: Invalid loss, terminating training" in printed
    assert len(history.epoch) == 1


def test_targets_of_the_wrong_form_for_the_loss_are_refused():
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"categorical_crossentropy expects one-hot targets.*sparse"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"expects class indices of shape \(None,\)"):
        model.fit(x, np.eye(3)[y], verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"does not fit the output's shape \(None, 3\)"):
        model.fit(x, np.zeros((32, 5), np.float32), verbose=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, np.eye(3, dtype=np.float32)[y], verbose=0)   # the right form trains


def test_tutorial_cnn_learns_digits_through_fit():
    from kerasette.datasets import digits
    from tests.models.test_summary import tutorial_model

    (x_train, y_train), (x_test, y_test) = digits.load_data()

    def to_28(images):
        # 8x8 digits scaled 3x (24x24) and padded to the tutorial's 28x28
        big = np.repeat(np.repeat(images, 3, axis=1), 3, axis=2).astype(np.float32) / 16.0
        return np.pad(big, ((0, 0), (2, 2), (2, 2)))[..., None]

    kerasette.utils.set_random_seed(0)
    model = tutorial_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(to_28(x_train), y_train, epochs=4, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(to_28(x_test), y_test, verbose=0)
    predictions = model.predict(to_28(x_test), verbose=0)
    assert accuracy == pytest.approx(np.mean(predictions.argmax(1) == y_test))
    assert accuracy >= 0.9


def test_predict_works_before_compile_and_shapes_are_known():
    model = mlp()
    assert model.input_shape == (None, 8) and model.output_shape == (None, 3)
    x, _ = blobs(10)
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-6)


def test_sharded_training_step_equals_the_whole_batch_step():
    from kerasette.models.training import ShardedStep
    rng = np.random.default_rng(3)
    images = rng.standard_normal((64, 10, 10, 1)).astype(np.float32)
    labels = rng.integers(0, 4, 64)

    def build():
        inputs = Input(shape=(10, 10, 1))
        x = MaxPooling2D()(Conv2D(6, 3, activation="relu")(inputs))
        return Model(inputs, Dense(4, activation="softmax")(Flatten()(x)))

    results = []
    reference = build().get_weights()
    for shards in (1, 2):
        backend.set_parallel_shards(shards)
        model = build()
        model.set_weights(reference)
        model.compile(optimizer=kerasette.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        losses = [model.train_on_batch(images, labels)[0] for _ in range(3)]
        program = next(p for key, p in model._programs.items() if key[0] == "train")
        assert isinstance(program, ShardedStep) == (shards == 2)
        results.append((losses, model.get_weights()))
    backend.set_parallel_shards("auto")
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_auto_sharding_only_where_it_is_safe_and_pays():
    from kerasette.models.training import ShardedStep
    x, y = blobs(64)
    dense = mlp()
    dense.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    dense.train_on_batch(x, y)
    images = np.zeros((64, 8, 8, 1), np.float32)

    def conv_model(extra):
        inputs = Input(shape=(8, 8, 1))
        x = extra(Conv2D(4, 3)(inputs))
        return Model(inputs, Dense(3, activation="softmax")(Flatten()(x)))

    plain = conv_model(lambda t: t)
    with_dropout = conv_model(Dropout(0.5))
    with_bn = conv_model(BatchNormalization())
    kinds = []
    for model in (dense, plain, with_dropout, with_bn):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.train_on_batch(images if model is not dense else x, y)
        program = next(p for key, p in model._programs.items() if key[0] == "train")
        kinds.append(isinstance(program, ShardedStep))
    assert kinds == [False, True, False, False]


def test_dense_models_predict_and_evaluate_large_batches_on_two_shards(monkeypatch):
    from kerasette.models import sharding
    x, y = blobs(1100)
    model = mlp(hidden=64)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    calls = []
    original = sharding._run_shards

    def counted(program, feeds, minimum_shard):
        results, shares = original(program, feeds, minimum_shard)
        calls.append((len(feeds[0]), len(results)))
        return results, shares
    monkeypatch.setattr(sharding, "_run_shards", counted)
    sharded = model.predict_on_batch(x)
    small = model.predict_on_batch(x[:1000])
    loss, accuracy = model.evaluate(x, y, batch_size=1100, verbose=0)
    # 1100 rows: two shards; 1000 rows: fewer than twice the 512-row minimum, run whole
    assert calls[:2] == [(1100, 2), (1000, 1)] and calls[2] == (1100, 2)
    backend.set_parallel_shards(1)
    try:
        whole = mlp(hidden=64)
        whole.set_weights(model.get_weights())
        whole.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        reference = whole.predict_on_batch(x)
        reference_loss, reference_accuracy = whole.evaluate(x, y, batch_size=1100, verbose=0)
    finally:
        backend.set_parallel_shards("auto")
    np.testing.assert_allclose(sharded, reference, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(small, reference[:1000], rtol=1e-6, atol=1e-7)
    assert abs(loss - reference_loss) < 1e-6 and accuracy == reference_accuracy


def test_attention_models_train_on_two_shards_with_the_whole_batch_numbers():
    # self-attention with layer normalization (W5's block): 'auto' runs it as two half-batch shards
    # (small batched products and elementwise work, one BLAS thread each), with the whole batch's
    # losses and weights; a softmax over 2-D logits alone (a classifier head) does not shard
    from kerasette.layers import GlobalAveragePooling1D, LayerNormalization, MultiHeadAttention
    from kerasette.models.training import ShardedStep
    rng = np.random.default_rng(4)
    x = rng.standard_normal((32, 12, 16)).astype(np.float32)
    y = rng.integers(0, 2, 32)

    def build():
        inputs = Input(shape=(12, 16))
        hidden = LayerNormalization()(inputs + MultiHeadAttention(2, 8)(inputs, inputs))
        return Model(inputs, Dense(2, activation="softmax")(GlobalAveragePooling1D()(hidden)))

    reference = build().get_weights()
    results = []
    for setting in (1, "auto"):
        backend.set_parallel_shards(setting)
        try:
            model = build()
            model.set_weights(reference)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            losses = [model.train_on_batch(x, y) for _ in range(3)]
            program = next(p for key, p in model._programs.items() if key[0] == "train")
            assert isinstance(program, ShardedStep) == (setting == "auto")
            results.append((losses, model.get_weights()))
        finally:
            backend.set_parallel_shards("auto")
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        # (the key projection's bias has a zero gradient up to rounding, which Adam turns into
        # steps of ~1e-6 that differ with the order of the sums: hence the absolute tolerance)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    inputs = Input(shape=(16,))
    head = Model(inputs, Dense(2, activation="softmax")(inputs))
    head.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    head.train_on_batch(x[:, 0], y)
    assert not isinstance(next(p for key, p in head._programs.items() if key[0] == "train"), ShardedStep)


def test_optimizer_update_in_two_lanes_gives_the_same_bits(monkeypatch):
    # (lanes also need OpenBLAS's spinning shortened, which depends on the process: forced here)
    monkeypatch.setattr(backend, "blas_spinning_is_short", lambda: True)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 300)).astype(np.float32)
    y = rng.integers(0, 10, 32)

    def build():
        inputs = Input(shape=(300,))
        hidden = Dense(512, activation="relu")(inputs)     # 154k weights: above the lane threshold
        return Model(inputs, Dense(10, activation="softmax")(hidden))

    reference = build().get_weights()
    results = []
    for setting in ("auto", 1):
        backend.set_parallel_shards(setting)
        model = build()
        model.set_weights(reference)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        losses = [model.train_on_batch(x, y) for _ in range(3)]
        program = next(p for key, p in model._programs.items() if key[0] == "train")
        assert (len(program.lanes) == 2) == (setting == "auto")
        results.append((losses, model.get_weights() + [v.numpy() for v in model.optimizer.variables]))
    backend.set_parallel_shards("auto")
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


@pytest.mark.parametrize("threads", ["auto", 1])
def test_fixed_seed_training_is_bit_identical_from_run_to_run(threads, monkeypatch):
    """Same seed, same data: the same bits, with the shards and update lanes
    running on two threads ('auto') or everything on one (1)."""
    from kerasette.models.training import ShardedStep
    monkeypatch.setattr(backend, "blas_spinning_is_short", lambda: True)
    rng = np.random.default_rng(11)
    images = rng.standard_normal((96, 10, 10, 1)).astype(np.float32)
    labels = rng.integers(0, 4, 96)
    features = rng.standard_normal((96, 300)).astype(np.float32)

    def conv_model():
        inputs = Input(shape=(10, 10, 1))
        x = MaxPooling2D()(Conv2D(6, 3, activation="relu")(inputs))
        return Model(inputs, Dense(4, activation="softmax")(Flatten()(x)))

    def wide_mlp():
        inputs = Input(shape=(300,))
        return Model(inputs, Dense(4, activation="softmax")(Dense(512, activation="relu")(inputs)))

    backend.set_parallel_shards(threads)
    try:
        for build, x in ((conv_model, images), (wide_mlp, features)):
            runs = []
            for _ in range(2):
                kerasette.utils.set_random_seed(7)
                model = build()
                model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
                history = model.fit(x, labels, batch_size=32, epochs=2, shuffle=True, verbose=0)
                program = next(p for key, p in model._programs.items() if key[0] == "train")
                threaded = isinstance(program, ShardedStep) or bool(getattr(program, "lanes", []))
                assert threaded == (threads == "auto")
                runs.append((history.history["loss"], [w.tobytes() for w in model.get_weights()]))
            assert runs[0] == runs[1]
    finally:
        backend.set_parallel_shards("auto")


def test_no_update_lanes_while_openblas_spins_long(monkeypatch):
    monkeypatch.setattr(backend, "blas_spinning_is_short", lambda: False)
    inputs = Input(shape=(300,))
    model = Model(inputs, Dense(4, activation="softmax")(Dense(512, activation="relu")(inputs)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.train_on_batch(np.zeros((8, 300), np.float32), np.zeros(8, np.int64))
    program = next(p for key, p in model._programs.items() if key[0] == "train")
    assert program.lanes == []


def test_training_inside_the_helper_thread_runs_without_waiting_on_itself(monkeypatch):
    monkeypatch.setattr(backend, "blas_spinning_is_short", lambda: True)
    rng = np.random.default_rng(2)
    images = rng.standard_normal((32, 10, 10, 1)).astype(np.float32)
    features = rng.standard_normal((32, 300)).astype(np.float32)
    labels = rng.integers(0, 4, 32)
    conv_inputs = Input(shape=(10, 10, 1))
    conv = Model(conv_inputs, Dense(4, activation="softmax")(Flatten()(Conv2D(4, 3)(conv_inputs))))
    mlp_inputs = Input(shape=(300,))
    wide = Model(mlp_inputs, Dense(4, activation="softmax")(Dense(512)(mlp_inputs)))
    for model in (conv, wide):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

    def train():
        return [float(conv.train_on_batch(images, labels)), float(wide.train_on_batch(features, labels))]

    losses = backend.helper_thread().submit(train).result(timeout=60)
    assert all(np.isfinite(losses))
    # the same programs run with their threads from the main thread afterwards
    assert np.isfinite(conv.train_on_batch(images, labels)) and np.isfinite(wide.train_on_batch(features, labels))


@pytest.mark.parametrize("eagerly", [False, True])
def test_the_first_layers_input_gradient_is_never_computed(monkeypatch, eagerly):
    """Nobody needs d(loss)/d(data): graphs prune it, the eager tape skips it."""
    from kerasette.primitives import get
    calls = []
    primitive = get("conv_backprop_input")
    original = primitive.forward
    monkeypatch.setattr(primitive, "forward", lambda xp, *a, **k: calls.append(a[2].shape) or original(xp, *a, **k))
    backend.set_parallel_shards(1)
    try:
        inputs = Input(shape=(8, 8, 2))
        h = Conv2D(4, 3, activation="relu")(inputs)
        h = Conv2D(4, 3, activation="relu")(h)
        model = Model(inputs, Dense(3, activation="softmax")(Flatten()(h)))
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=eagerly)
        rng = np.random.default_rng(0)
        model.train_on_batch(rng.standard_normal((5, 8, 8, 2)).astype(np.float32), rng.integers(0, 3, 5))
    finally:
        backend.set_parallel_shards("auto")
    assert calls == [(5, 6, 6, 4)]   # the second convolution's input gradient only
