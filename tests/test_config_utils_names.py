"""keras.config / keras.utils / keras.preprocessing names of issue 16: interactive logging, traceback
flag, unsafe deserialization, fit's debugging caps, Config, get_source_inputs, the dataset aliases."""
import io
import json
import logging
import warnings

import numpy
import pytest

import kerasette
from kerasette import config, utils
from kerasette.serialization import functions as safe_mode_state
from kerasette.utils.progbar import Progbar, print_msg


@pytest.fixture
def logging_off():
    config.disable_interactive_logging()
    try:
        yield
    finally:
        config.enable_interactive_logging()


@pytest.fixture
def caps():
    yield config
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)


def _model():
    model = kerasette.Sequential([kerasette.Input((3,)), kerasette.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_backend_name_and_traceback_flag():
    assert config.backend() == "numpy"
    assert config.is_traceback_filtering_enabled() is True
    config.disable_traceback_filtering()
    try:
        assert config.is_traceback_filtering_enabled() is False
    finally:
        config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is True


def test_interactive_logging_switch_is_shared_by_config_utils_and_backend(logging_off):
    assert config.is_interactive_logging_enabled() is False
    assert utils.is_interactive_logging_enabled() is False
    assert kerasette.backend.is_interactive_logging_enabled() is False
    utils.enable_interactive_logging()
    assert config.is_interactive_logging_enabled() is True
    utils.disable_interactive_logging()
    assert config.is_interactive_logging_enabled() is False


def test_print_msg_goes_to_logging_when_interactive_logging_is_off(logging_off, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="kerasette"):
        print_msg("Epoch 3: early stopping")
    assert capsys.readouterr().out == ""
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == \
        [("kerasette", logging.INFO, "Epoch 3: early stopping")]
    config.enable_interactive_logging()
    caplog.clear()
    print_msg("back on stdout")
    assert capsys.readouterr().out == "back on stdout\n" and not caplog.records


def test_progbar_lines_go_to_logging_and_nothing_is_drawn(logging_off, caplog):
    out = io.StringIO()
    ticks = iter([0.0, 0.5, 1.0, 1.5, 2.0])
    bar = Progbar(3, dynamic=True, file=out, clock=lambda: next(ticks))
    with caplog.at_level(logging.INFO, logger="kerasette"):
        for step in (1, 2, 3):
            bar.update(step, [("loss", 1.0 / step)])
    assert out.getvalue() == ""     # no live line, no final line on the stream
    assert [r.getMessage() for r in caplog.records] == [
        "3/3 [==============================] - 2s 500ms/step - loss: 0.6111"]


def test_fit_logs_through_logging_when_interactive_logging_is_off(logging_off, caplog, capsys):
    model = _model()
    with caplog.at_level(logging.INFO, logger="kerasette"):
        model.fit(numpy.ones((8, 3)), numpy.ones((8, 1)), epochs=2, batch_size=4, verbose=1)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "Epoch 1/2" and messages[2] == "Epoch 2/2"
    assert messages[1].startswith("2/2 [==============================]") and "loss:" in messages[1]
    assert "Epoch" not in capsys.readouterr().out


def test_fit_prints_on_stdout_by_default(caplog, capsys):
    assert config.is_interactive_logging_enabled()
    with caplog.at_level(logging.INFO, logger="kerasette"):
        _model().fit(numpy.ones((8, 3)), numpy.ones((8, 1)), epochs=2, batch_size=4, verbose=1)
    assert "Epoch 2/2" in capsys.readouterr().out
    assert not [r for r in caplog.records if r.name == "kerasette"]


def test_max_epochs_caps_the_history(caps):
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    config.set_max_epochs(2)
    assert config.max_epochs() == 2
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = _model().fit(numpy.ones((8, 3)), numpy.ones((8, 1)), epochs=5, verbose=0)
    assert len(history.history["loss"]) == 2 and history.epoch == [0, 1]
    with warnings.catch_warnings():      # under the cap: no warning, all epochs
        warnings.simplefilter("error")
        assert len(_model().fit(numpy.ones((8, 3)), numpy.ones((8, 1)), epochs=1, verbose=0).history["loss"]) == 1


def test_max_steps_per_epoch_caps_fit_evaluate_and_predict(caps):
    config.set_max_steps_per_epoch(3)
    batches = []

    class Count(kerasette.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    model = _model()
    x, y = numpy.ones((100, 3)), numpy.ones((100, 1))
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[Count()])
    assert batches == [0, 1, 2, 0, 1, 2]
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        assert model.predict(x, batch_size=10, verbose=0).shape == (30, 1)
    config.set_max_steps_per_epoch(None)
    assert model.predict(x, batch_size=10, verbose=0).shape == (100, 1)


def test_caps_refuse_bad_values(caps):
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ValueError, match=r"`max_epochs` must be a positive integer.*max_epochs="):
            config.set_max_epochs(bad)
        with pytest.raises(ValueError, match="`max_steps_per_epoch` must be a positive integer"):
            config.set_max_steps_per_epoch(bad)
    config.set_max_epochs(0)     # 0 is no cap, as in Keras
    assert config.max_epochs() is None
    config.set_max_epochs(numpy.int64(4))
    assert config.max_epochs() == 4 and type(config.max_epochs()) is int


@pytest.fixture
def unsafe_switch_restored():
    before = safe_mode_state._unsafe_globally[0]
    safe_mode_state._unsafe_globally[0] = False
    yield
    safe_mode_state._unsafe_globally[0] = before


def test_enable_unsafe_deserialization_lets_lambda_files_load(tmp_path, unsafe_switch_restored):
    inputs = kerasette.Input((3,))
    model = kerasette.Model(inputs, kerasette.layers.Lambda(lambda t: t * 2.0 + 1.0)(inputs))
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(kerasette.saving.UnsafeDeserializationError, match="Python bytecode"):
        kerasette.saving.load_model(path)
    config.enable_unsafe_deserialization()
    loaded = kerasette.saving.load_model(path)      # no safe_mode=False needed any more
    numpy.testing.assert_allclose(loaded.predict(numpy.ones((2, 3)), verbose=0), numpy.full((2, 3), 3.0))
    assert config.enable_unsafe_deserialization is kerasette.saving.enable_unsafe_deserialization


def test_utils_config_object():
    settings = utils.Config(learning_rate=0.1, momentum=0.9)
    settings.use_ema = True
    settings["seed"] = 123
    assert settings.seed == 123 and settings["learning_rate"] == 0.1 and settings.use_ema is True
    assert list(settings) == ["learning_rate", "momentum", "seed", "use_ema"]     # iteration: sorted keys
    assert list(settings.keys()) == ["learning_rate", "momentum", "use_ema", "seed"]
    assert len(settings) == 4 and "seed" in settings and settings.get("missing", 7) == 7
    assert json.loads(settings.to_json()) == settings.as_dict()
    copy = settings.as_dict()
    copy["seed"] = 0
    assert settings.seed == 123
    assert repr(utils.Config(a=1)) == "<Config {'a': 1}>"
    with pytest.raises(AttributeError, match="Unknown attribute: 'learning_rat'. Did you mean 'learning_rate'"):
        settings.learning_rat
    settings.freeze()
    assert settings.frozen
    for change in (lambda: setattr(settings, "seed", 1), lambda: settings.__setitem__("x", 1),
                   lambda: settings.pop("seed"), lambda: settings.update(a=1), lambda: settings.__delitem__("seed")):
        with pytest.raises(ValueError, match="Cannot mutate attribute\\(s\\) because the config is frozen"):
            change()
    assert settings.seed == 123
    settings.unfreeze()
    settings.seed = 5
    del settings["use_ema"]
    assert settings.pop("momentum") == 0.9 and settings.as_dict() == {"learning_rate": 0.1, "seed": 5}


def test_utils_tensor_helpers():
    a = kerasette.Input((3,), name="a")
    b = kerasette.Input((2,), name="b")
    x = kerasette.layers.Dense(4)(a)
    merged = kerasette.layers.Concatenate()([x, b])
    out = kerasette.layers.Dense(1)(kerasette.layers.Add()([merged, merged]))
    assert utils.get_source_inputs(out) == [a, b]
    assert utils.get_source_inputs(a) == [a]
    assert utils.get_source_inputs(kerasette.layers.Concatenate()([b, x])) == [b, a]
    assert utils.is_keras_tensor(out) and not utils.is_keras_tensor(numpy.ones(3))
    assert utils.standardize_dtype("float") == "float32" and utils.standardize_dtype(numpy.int8) == "int8"


def test_utils_clear_session_resets_generated_names():
    kerasette.layers.Dense(1)
    utils.clear_session()
    assert kerasette.layers.Dense(1).name == "dense"
    utils.clear_session(free_memory=False)
    assert kerasette.layers.Dense(1).name == "dense"


def test_preprocessing_dataset_builders_are_the_utils_ones():
    for name in ("image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"):
        assert getattr(kerasette.preprocessing, name) is getattr(utils, name)
    dataset = kerasette.preprocessing.timeseries_dataset_from_array(numpy.arange(10), None, sequence_length=3,
                                                                    batch_size=8)
    first = next(iter(dataset))
    numpy.testing.assert_array_equal(numpy.asarray(first)[:2], [[0, 1, 2], [1, 2, 3]])
